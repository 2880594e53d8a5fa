"""Import limits benchmark (issue 12): the duplicate-key check, a 20,000-row district mapping, and the time to
refuse hostile files that used to take minutes or gigabytes.

- duplicate-key check (`ColumnParser.unique`) on 20,000 and 1,000,000 rows of real URNs, without and with 1%
  duplicates, one key column and two (URN + date, as the history importer checks); `--old` also times the
  previous quadratic check at 20,000 rows;
- a 20,000-row district mapping (real URNs of the national Ofsted file) imported as CSV and XLSX, and
  refused (every row a duplicate; 20,000 unknown URNs): target under 2 s each, into a SQLite store holding the
  national file (its import is not timed);
- time to refuse: a 3 MB CSV with 100,000 columns, an XLSX inflating to 179 MB, an XLSX with a million shared
  strings.

    python benchmarks/import_limits_benchmark.py [--old]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's code, not an installed copy

from analytics.ingest import districts, ofsted_outcomes  # noqa: E402
from analytics.ingest.common import URN, ColumnParser, ImportRejected, Problem  # noqa: E402
from analytics.ingest.registry import OFSTED_FILE  # noqa: E402
from analytics.store.engine import make_engine, migrate  # noqa: E402

TARGET_SECONDS = 2.0


def national_urns() -> list[str]:
    with OFSTED_FILE.open(encoding="utf-8", newline="") as handle:
        return [row["URN"] for row in csv.DictReader(handle)]


def timed(job: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    try:
        outcome: object = job()
    except ImportRejected as rejected:
        outcome = rejected
    return time.perf_counter() - start, outcome


def key_frame(urns: list[str], rows: int, duplicate_share: float, seed: int = 1) -> pd.DataFrame:
    """`rows` keys (real URN, inspection date), distinct apart from a `duplicate_share` of repeats (each a
    copy of an earlier key), with a one-column form of the same key ('URN/date')."""
    rng = np.random.default_rng(seed)
    distinct = int(rows * (1 - duplicate_share))
    urn = np.array(urns, dtype=object)[np.arange(distinct) % len(urns)]
    days = pd.Timestamp("1995-09-01") + pd.to_timedelta(np.arange(distinct) // len(urns), unit="D")
    frame = pd.DataFrame({"URN": urn, "Inspection Date": days.strftime("%Y%m%d")})
    if rows > distinct:
        frame = pd.concat([frame, frame.iloc[rng.integers(0, distinct, rows - distinct)]], ignore_index=True)
    frame["Key"] = frame["URN"] + "/" + frame["Inspection Date"]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame.astype(str)


def old_unique(frame: pd.DataFrame, columns: list[str], label: str) -> list[Problem]:
    """The check before issue 12 (one scan of the whole frame per duplicate)."""
    problems = []
    keys = frame[columns]
    dup = keys.duplicated(keep="first") & ~(keys == "").any(axis=1)
    for row in dup[dup].index:
        first = keys.index[(keys == keys.loc[row]).all(axis=1)][0]
        problems.append(Problem(int(row), ", ".join(columns), f"duplicate {label} (first at row {first})"))
    return problems


def duplicate_check(urns: list[str], old: bool) -> None:
    print("duplicate-key check (ColumnParser.unique), real URNs:")
    for rows in (20_000, 1_000_000):
        for share in (0.0, 0.01, 0.5):
            frame = key_frame(urns, rows, share)
            for columns in (["Key"], ["URN", "Inspection Date"]):
                parser = ColumnParser(frame, {"URN": URN})
                seconds, _ = timed(lambda p=parser, c=columns: p.unique(c, "key"))  # type: ignore[misc]
                print(f"  {len(frame):>9,} rows, key {'+'.join(columns):<20} {share:>4.0%} duplicates: "
                      f"{seconds:6.3f} s, {len(parser.problems):,} reported")
    if old:
        for share in (0.01, 0.5):
            frame = key_frame(urns, 20_000, share)
            seconds, _ = timed(lambda f=frame: old_unique(f, ["URN", "Inspection Date"], "key"))  # type: ignore[misc]
            print(f"  previous (quadratic) check, {len(frame):,} rows, {share:.0%} duplicates: "
                  f"{seconds:.2f} s")


def write_mapping(path: Path, rows: list[tuple[str, str]]) -> Path:
    if path.suffix == ".xlsx":
        import xlsxwriter

        with xlsxwriter.Workbook(str(path)) as book:
            sheet = book.add_worksheet()
            sheet.write_row(0, 0, ["URN", "District"])
            for number, (urn, district) in enumerate(rows, start=1):
                sheet.write_row(number, 0, [int(urn), district])
        return path
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([("URN", "District"), *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def mapping(urns: list[str], folder: Path) -> None:
    print(f"20,000-row district mapping (target < {TARGET_SECONDS:.0f} s), store with the national file:")
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    migrate(engine)
    ofsted_outcomes.import_file(engine, OFSTED_FILE)
    chosen = urns[:20_000]
    valid = [(urn, f"Locality {int(urn) % 40}") for urn in chosen]
    cases = {
        "valid CSV, imported": write_mapping(folder / "valid.csv", valid),
        "valid XLSX, imported": write_mapping(folder / "valid.xlsx", valid),
        "every row a duplicate, refused": write_mapping(folder / "dups.csv", [valid[0]] * 20_000),
        "20,000 unknown URNs, refused": write_mapping(
            folder / "unknown.csv", [(str(900_000 + i), "Nowhere") for i in range(20_000)]
        ),
    }
    for label, path in cases.items():
        seconds, outcome = timed(lambda p=path: districts.import_file(engine, p, scheme="bench"))  # type: ignore[misc]
        verdict = "refused" if isinstance(outcome, ImportRejected) else "imported"
        flag = "ok" if seconds < TARGET_SECONDS else "SLOW"
        print(f"  {label:<32} {seconds:6.2f} s ({verdict}) {flag}")
    engine.dispose()


def hostile(folder: Path) -> None:
    print("time to refuse hostile files:")
    wide = folder / "wide.csv"
    names = ",".join(f"c{i}" for i in range(100_000))
    values = ",".join("1" for _ in range(100_000))
    wide.write_text("\n".join([names, *[values] * 7]) + "\n")
    bomb = folder / "bomb.xlsx"
    write_mapping(bomb, [("100000", "A")])
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.xml", b"<a>" + b" " * (179 << 20) + b"</a>")
    strings = write_mapping(folder / "strings.xlsx", [("100000", "A")])
    rewrite_part(strings, "xl/sharedStrings.xml", shared_strings(1_000_000))
    for label, path in (("CSV with 100,000 columns", wide), ("XLSX inflating to 179 MB", bomb),
                        ("XLSX with 1,000,000 shared strings", strings)):
        seconds, outcome = timed(lambda p=path: districts.parse(p))  # type: ignore[misc]
        reason = outcome.problems[0].reason if isinstance(outcome, ImportRejected) else "ACCEPTED"
        size = path.stat().st_size / 2**20
        print(f"  {label:<36} ({size:5.1f} MB) {seconds:6.2f} s: {reason[:90]}")


def shared_strings(count: int) -> bytes:
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.'
            f'openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">')
    texts = ["URN", "District", "A", *(f"s{i}" for i in range(3, count))]
    body = "".join(f"<si><t>{text}</t></si>" for text in texts)
    return (head + body + "</sst>").encode()


def rewrite_part(path: Path, name: str, content: bytes) -> None:
    """Replace one part of a ZIP archive (a hostile workbook built from a valid one)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[name] = content
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part, data in parts.items():
            archive.writestr(part, data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", action="store_true", help="also time the previous quadratic check")
    args = parser.parse_args()
    urns = national_urns()
    duplicate_check(urns, args.old)
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as folder:
        mapping(urns, Path(folder))
        hostile(Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
