"""Expected register figures computed from the raw Ofsted CSV with the csv module (no product code)."""

from __future__ import annotations

import csv

from analytics.ingest.registry import OFSTED_FILE


def _headline(row: dict[str, str], prefix: str) -> int | None:
    """DESIGN.md section 2 written out again: published grade, else the 2024/25 derivation."""
    names = (
        "quality of education",
        "behaviour and attitudes",
        "personal development",
        "effectiveness of leadership and management",
    )
    if prefix:
        overall, category = (
            row["Previous graded inspection overall effectiveness"],
            row["Previous category of concern"],
        )
        judgements = [row[f"Previous {n}"] for n in names]
        safe = row["Previous safeguarding is effective?"]
    else:
        overall, category = row["Overall effectiveness"], row["Category of concern"]
        judgements = [row[n[0].upper() + n[1:]] for n in names]
        safe = row["Safeguarding is effective?"]
    if overall in {"1", "2", "3", "4"}:
        return int(overall)
    if overall != "Not judged":
        return None
    values = [int(j) for j in judgements if j in {"1", "2", "3", "4"}]
    if 4 in values or category or safe == "No":
        return 4
    if judgements[0] == "3" or judgements[3] == "3":
        return 3
    return 1 if values and all(v == 1 for v in values) else 2


def expected_proposals(la: str) -> dict[int, dict[str, tuple[str, str | None]]]:
    """URN -> {scheme: (level, stage)} from the raw official CSV."""
    with open(OFSTED_FILE, encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Local authority"] == la]
    out = {}
    for row in rows:
        grade, previous = _headline(row, ""), _headline(row, "Previous ")
        category = row["Category of concern"] in ("SM", "SWK")
        warning = row["Number of warning notices issued in 2024/25 academic year"] not in ("", "0")
        stuck = grade is not None and previous is not None and grade >= 3 and previous >= 3
        if not (category or warning or grade in (3, 4)):
            continue
        serious = category or warning or grade == 4 or stuck
        out[int(row["URN"])] = {
            "support-levels": ("Intensive" if serious else "Targeted", None),
            "categories": ("4b" if category else "4a" if warning else "3" if serious else "2", None),
            "stages-of-concern": ("4", "3") if category else ("3", "3") if serious else ("2", "2"),
        }
    return out
