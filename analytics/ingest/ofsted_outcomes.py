"""Importer for Ofsted's official statistics "State-funded schools inspections and outcomes as at <date>".

One row per open school becomes a school row plus up to three inspection rows (latest graded, previous graded,
latest ungraded), each under the URN the school had at the time (predecessor URNs included). Inspections are
upserted on their Ofsted inspection number and never deleted, so monthly releases build the history up.

Releases are dated "as at" (from the file name, or the `as_at` option / CLI `--as-at`). A release dated after
today is refused. A release older than one already loaded is merged: it only fills what newer releases did not
state (`analytics.ingest.ofsted_merge`). If a release was loaded with a wrong (later) date, import the right
file with `replace_later=True` (CLI `--replace-later`): every fact the later-dated releases stated is re-dated
to this release first, so this release's facts replace theirs (schools are open if this file lists them).
Inspections they brought are kept (an inspection is never deleted); the import log keeps its rows.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, func, select, update

from analytics.grades import frameworks_for
from analytics.ingest.common import (
    INSPECTION_DATE,
    LAESTAB,
    OPEN_DATE,
    PUBLICATION_DATE,
    PUPILS,
    SMALL_COUNT,
    TRUST_UID,
    URN,
    ColumnParser,
    ImportRejected,
    ImportResult,
    InvalidOption,
    Plausible,
    Problem,
    query_frame,
    read_csv_strict,
)
from analytics.ingest.ofsted_merge import (
    POINTERS,
    add_predecessor_stubs,
    close_missing_from_complete_release,
    merge_inspections,
    merge_pointers,
    merge_schools,
    redate_later_releases,
)
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import Inspection, School

KIND = "ofsted-outcomes"
DATE = "%d/%m/%Y"

GRADE = {"1": 1, "2": 2, "3": 3, "4": 4}
OVERALL = {**GRADE, "Not judged": None}
KEY_JUDGEMENT = {**GRADE, "9": None}
PROVISION = {**GRADE, "0": None, "8": None, "9": None}  # 0/8/9: no such provision or not judged
SAFEGUARDING = {"Yes": True, "No": False, "9": None}
CATEGORY = {"SM": "SM", "SWK": "SWK", "NTI": "NTI"}
YES_NO = {"Yes": True, "No": False}

SCHOOL_COLUMNS = {
    "URN": "urn",
    "LAESTAB": "laestab",
    "School name": "name",
    "Ofsted phase": "phase",
    "Type of education": "school_type",
    "School open date": "open_date",
    "Region": "region",
    "Local authority": "la_name",
    "Parliamentary constituency": "constituency",
    "Multi-academy trust UID": "trust_uid",
    "Multi-academy trust name": "trust_name",
    "Postcode": "postcode",
    "Number of warning notices issued in 2024/25 academic year": "warning_notices_2024_25",
    "The income deprivation affecting children index (IDACI) quintile": "idaci_quintile",
    "Total number of pupils": "pupils",
    "Current school type used for chart C6": "type_group",
}

LATEST = {
    "number": "Inspection number of latest graded inspection",
    "type": "Inspection type",
    "grouping": "Inspection type grouping",
    "start": "Inspection start date",
    "published": "Publication date",
    "urn": "URN at time of latest graded inspection",
    "laestab": "LAESTAB at time of latest graded inspection",
    "name": "School name at time of latest graded inspection",
    "school_type": "School type at time of latest graded inspection",
    "overall": "Overall effectiveness",
    "category": "Category of concern",
    "qoe": "Quality of education",
    "ba": "Behaviour and attitudes",
    "pd": "Personal development",
    "lm": "Effectiveness of leadership and management",
    "safeguarding": "Safeguarding is effective?",
    "ey": "Early years provision (where applicable)",
    "sf": "Sixth form provision (where applicable)",
}
PREVIOUS = {
    "number": "Previous inspection number",
    "start": "Previous inspection start date",
    "published": "Previous publication date",
    "urn": "URN at time of previous graded inspection",
    "laestab": "LAESTAB at time of previous graded inspection",
    "name": "School name at time of previous graded inspection",
    "school_type": "School type at time of previous graded inspection",
    "overall": "Previous graded inspection overall effectiveness",
    "category": "Previous category of concern",
    "qoe": "Previous quality of education",
    "ba": "Previous behaviour and attitudes",
    "pd": "Previous personal development",
    "lm": "Previous effectiveness of leadership and management",
    "safeguarding": "Previous safeguarding is effective?",
    "ey": "Previous early years provision (where applicable)",
    "sf": "Previous sixth form provision (where applicable)",
}
UNGRADED = {
    "number": "Latest ungraded inspection number since last graded inspection",
    "start": "Date of latest ungraded inspection",
    "published": "Ungraded inspection publication date",
    "urn": "URN at time of the ungraded inspection",
    "laestab": "LAESTAB at time of the ungraded inspection",
    "name": "School name at time of the latest ungraded inspection",
    "school_type": "School type at time of the latest ungraded inspection",
    "outcome": "Ungraded inspection overall outcome",
    "converted": "Did the latest ungraded inspection convert to a graded inspection?",
}
COUNTS = {
    "Number of ungraded inspections since the last graded inspection": "ungraded_since_graded",
    "Number of monitoring and urgent inspections since last graded inspection": "monitoring_since_graded",
}
REQUIRED = [*SCHOOL_COLUMNS, *LATEST.values(), *PREVIOUS.values(), *UNGRADED.values(), *COUNTS]

#: The plausible range of every number and date column this importer parses (texts: at most 255 characters).
RANGES: dict[str, Plausible] = {
    "URN": URN,
    "LAESTAB": LAESTAB,
    "Multi-academy trust UID": TRUST_UID,
    "School open date": OPEN_DATE,
    "Total number of pupils": PUPILS,
    "Number of warning notices issued in 2024/25 academic year": SMALL_COUNT,
    **dict.fromkeys(COUNTS, SMALL_COUNT),
    **{cols[key]: plausible for cols in (LATEST, PREVIOUS, UNGRADED)
       for key, plausible in (("urn", URN), ("laestab", LAESTAB), ("start", INSPECTION_DATE),
                              ("published", PUBLICATION_DATE))},
}

AS_AT_IN_NAME = re.compile(r"as_at_(\d{1,2})_([A-Za-z]+)_(\d{4})")


def parse(
    path: Path, as_at: date | None = None, *, today: date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, date]:
    """Validate the whole file; return (schools, inspections, as-at date) or raise ImportRejected."""
    today = today or date.today()
    if as_at is not None and as_at > today:
        raise InvalidOption(path, [Problem(None, None, (
            f"the as-at date {as_at:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})"))])
    named = _as_at_from_name(path)
    if as_at is None and named is not None and named > today:
        raise ImportRejected(path, [Problem(None, None, (
            f"the file name dates this release as at {named:%d/%m/%Y}, which is in the future (today is "
            f"{today:%d/%m/%Y}): correct the file name, or give the right date with --as-at dd/mm/yyyy"))])
    frame = read_csv_strict(path, REQUIRED)
    parser = ColumnParser(frame, RANGES, today=today)
    parser.unique(["URN"], "URN")
    schools = _schools(parser)
    parts = [_graded(parser, LATEST), _graded(parser, PREVIOUS), _ungraded(parser)]
    as_at = as_at or named or _latest_publication(parts) or today
    for part, cols in zip(parts, (LATEST, PREVIOUS, UNGRADED), strict=True):
        _check_not_after(parser, part["start_date"], cols["start"], as_at)
    parser.raise_if_problems(path)
    inspections = pd.concat(parts, ignore_index=True)
    inspections = inspections.dropna(subset=["inspection_number"])
    inspections = inspections.drop_duplicates(subset=["inspection_number"], keep="first")
    schools["as_at"] = as_at
    return schools, inspections.reset_index(drop=True), as_at


def _check_not_after(parser: ColumnParser, starts: pd.Series, column: str, as_at: date) -> None:
    """An inspection cannot start after the date the release describes."""
    late = starts.notna() & (pd.to_datetime(starts) > pd.Timestamp(as_at)).fillna(False)
    for row in late[late].index:
        reason = f"the inspection starts on {starts[row]:%d/%m/%Y}, after the release's as-at date"
        parser.problems.append(Problem(int(row), column, f"{reason} {as_at:%d/%m/%Y}"))


def _schools(parser: ColumnParser) -> pd.DataFrame:
    out = pd.DataFrame(index=parser.frame.index)
    out["urn"] = parser.integer("URN", required=True)
    out["laestab"] = parser.integer("LAESTAB")
    out["name"] = parser.required_text("School name")
    for column in (
        "Ofsted phase",
        "Type of education",
        "Region",
        "Local authority",
        "Parliamentary constituency",
        "Multi-academy trust name",
        "Postcode",
        "Current school type used for chart C6",
    ):
        out[SCHOOL_COLUMNS[column]] = parser.text(column)
    out["type_group"] = out["type_group"].str.replace("Academy Converter", "Academy converter")
    out["trust_uid"] = parser.integer("Multi-academy trust UID")
    out["open_date"] = parser.dates("School open date", DATE)
    out["pupils"] = parser.integer("Total number of pupils", allow_suppressed=True, minimum=0)
    out["idaci_quintile"] = parser.codes(
        "The income deprivation affecting children index (IDACI) quintile", {str(q): q for q in range(1, 6)}
    )
    out["warning_notices_2024_25"] = parser.integer(
        "Number of warning notices issued in 2024/25 academic year", minimum=0
    )
    for column, name in COUNTS.items():
        out[name] = parser.integer(column, minimum=0)
    out["latest_graded_number"] = parser.text(LATEST["number"])
    out["previous_graded_number"] = parser.text(PREVIOUS["number"])
    out["latest_ungraded_number"] = parser.text(UNGRADED["number"])
    out["is_open"] = True
    return out


def _common(parser: ColumnParser, cols: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame(index=parser.frame.index)
    out["inspection_number"] = parser.text(cols["number"])
    present = out["inspection_number"].notna()
    out["urn"] = parser.integer(cols["urn"])
    out["laestab"] = parser.integer(cols["laestab"])
    out["school_name"] = parser.text(cols["name"])
    out["school_type"] = parser.text(cols["school_type"])
    out["start_date"] = parser.dates(cols["start"], DATE)
    out["publication_date"] = parser.dates(cols["published"], DATE)
    parser.not_before(
        out["publication_date"], out["start_date"], cols["published"],
        "the report is published on {value}, before the inspection started ({other})",
    )
    for key, reason in (("urn", "URN at the time"), ("start", "start date")):
        missing = present & parser.blank(cols[key])
        for row in missing[missing].index:
            parser.problems.append(Problem(int(row), cols[key], f"the inspection has no {reason}"))
    return out


def _graded(parser: ColumnParser, cols: dict[str, str]) -> pd.DataFrame:
    out = _common(parser, cols)
    out["inspection_type"] = parser.text(cols["type"]) if "type" in cols else None
    out["type_grouping"] = parser.text(cols["grouping"]) if "grouping" in cols else None
    out["overall_effectiveness"] = parser.codes(cols["overall"], OVERALL)
    out["category_of_concern"] = parser.codes(cols["category"], CATEGORY)
    for key, name in (
        ("qoe", "quality_of_education"),
        ("ba", "behaviour_and_attitudes"),
        ("pd", "personal_development"),
        ("lm", "leadership_and_management"),
    ):
        out[name] = parser.codes(cols[key], KEY_JUDGEMENT)
    out["safeguarding_effective"] = parser.codes(cols["safeguarding"], SAFEGUARDING)
    out["early_years"] = parser.codes(cols["ey"], PROVISION)
    out["sixth_form"] = parser.codes(cols["sf"], PROVISION)
    out["is_graded"] = True
    out["source"] = KIND
    _check_graded_has_outcome(parser, cols, out)
    return out


def _check_graded_has_outcome(parser: ColumnParser, cols: dict[str, str], out: pd.DataFrame) -> None:
    """A graded inspection must have a published overall outcome ('Not judged' counts for 2024/25)."""
    missing = out["inspection_number"].notna() & parser.blank(cols["overall"])
    for row in missing[missing].index:
        parser.problems.append(
            Problem(int(row), cols["overall"], "graded inspection without an overall outcome")
        )


def _ungraded(parser: ColumnParser) -> pd.DataFrame:
    out = _common(parser, UNGRADED)
    out["ungraded_outcome"] = parser.text(UNGRADED["outcome"])
    out["converted_to_graded"] = parser.codes(UNGRADED["converted"], YES_NO)
    out["is_graded"] = False
    out["source"] = KIND
    return out


def _as_at_from_name(path: Path) -> date | None:
    match = AS_AT_IN_NAME.search(path.name)
    if not match:
        return None
    try:
        return pd.to_datetime(" ".join(match.groups()), format="%d %B %Y").date()
    except ValueError:
        return None


def _latest_publication(parts: list[pd.DataFrame]) -> date | None:
    dates = [d for part in parts for d in part["publication_date"] if d is not None]
    return max(dates) if dates else None


def with_frameworks(inspections: pd.DataFrame) -> pd.DataFrame:
    out = inspections.copy()
    out["framework"] = frameworks_for(out["start_date"])
    return out


def write(
    connection: Connection, path: Path, schools: pd.DataFrame, inspections: pd.DataFrame, as_at: date,
    *, replace_later: bool = False,
) -> None:
    """Merge the release into the store (`analytics.ingest.ofsted_merge`): an older release only fills gaps,
    and schools missing from it are closed only if no newer release listed them.

    With `replace_later` the releases dated after this one were wrongly dated: what they stated is re-dated to
    this release first, so this release's facts replace theirs (their inspections are kept).
    """
    if replace_later:
        redate_later_releases(connection, as_at)
    merge_schools(connection, schools, as_at)
    add_predecessor_stubs(connection, _predecessor_stubs(schools, inspections), as_at)
    close_missing_from_complete_release(connection, as_at)
    rows = with_frameworks(inspections)
    adopt_history_rows(connection, rows)
    merge_inspections(connection, rows, as_at)
    claims = schools.melt(id_vars="urn", value_vars=list(POINTERS), value_name="inspection_number")
    merge_pointers(connection, claims[["urn", "inspection_number"]].dropna())


def _predecessor_stubs(schools: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Closed predecessor schools named in 'URN at time of ...' columns, so their inspections have one."""
    known = set(schools["urn"].astype(int))
    stubs = inspections.loc[~inspections["urn"].isin(known), ["urn", "laestab", "school_name", "school_type"]]
    stubs = stubs.dropna(subset=["urn", "school_name"]).drop_duplicates("urn")
    return stubs.rename(columns={"school_name": "name"})


def adopt_history_rows(connection: Connection, inspections: pd.DataFrame) -> None:
    """Give an official inspection number to the scraped-history row of the same inspection (same URN, dates
    within 7 days), so one inspection is never stored twice whichever file is imported first."""
    table = Inspection.__table__  # type: ignore[attr-defined]
    history = query_frame(
        connection,
        select(table.c.id, table.c.urn, table.c.start_date).where(table.c.inspection_number.is_(None)),
        raw=True,
    )
    graded = inspections.loc[
        inspections["is_graded"].astype(bool), ["inspection_number", "urn", "start_date"]
    ]
    if history.empty or graded.empty:
        return
    matches = match_within_days(history, graded, days=7)
    if matches.empty:
        return
    numbers = dict(zip(matches["inspection_number"], matches["id"], strict=True))
    already = set(
        connection.execute(
            select(table.c.inspection_number).where(table.c.inspection_number.in_(list(numbers)))
        ).scalars()
    )
    starts: dict[object, object] = {}  # each number's start date in the file (its first row)
    for number, start in zip(graded["inspection_number"], graded["start_date"], strict=True):
        starts.setdefault(number, start)
    # The official row may exist already: the history duplicate is then left to the history importer.
    adopted = [
        {"row_id": row_id, "number": number, "start": starts[number]}
        for number, row_id in numbers.items()
        if number not in already
    ]
    if adopted:  # one executemany (was one lookup in the file and one statement per row)
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(inspection_number=bindparam("number"), start_date=bindparam("start")),
            adopted,
        )


def match_within_days(left: pd.DataFrame, right: pd.DataFrame, days: int) -> pd.DataFrame:
    """Pairs of rows of `left` and `right` with the same URN and start dates at most `days` apart."""
    a = left.assign(_d=pd.to_datetime(left["start_date"]).astype("datetime64[ns]")).sort_values("_d")
    b = right.assign(_d=pd.to_datetime(right["start_date"]).astype("datetime64[ns]")).sort_values("_d")
    a["urn"] = a["urn"].astype("int64")
    b["urn"] = b["urn"].astype("int64")
    merged = pd.merge_asof(
        a,
        b.drop(columns=["start_date"]),
        on="_d",
        by="urn",
        direction="nearest",
        tolerance=pd.Timedelta(days=days),
    )
    key = [c for c in b.columns if c not in ("urn", "start_date", "_d")][0]
    merged = merged.dropna(subset=[key])
    return merged.drop_duplicates(subset=[key], keep="first")


def import_file(
    engine: Engine, path: Path | str, as_at: date | None = None, replace_later: bool = False
) -> ImportResult:
    """Import one release (see the module docstring for `as_at` and `replace_later`)."""
    path = Path(path)
    schools, inspections, as_at = parse(path, as_at)
    tables = [School.__table__, Inspection.__table__]  # type: ignore[attr-defined]
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(School.as_at))).scalar()  # type: ignore[arg-type]
    result = run_in_transaction(
        engine,
        kind=KIND,
        path=path,
        rows_read=len(schools),
        tables=tables,
        as_at=as_at,
        write=lambda connection: write(connection, path, schools, inspections, as_at,
                                       replace_later=replace_later),
    )
    if newest is not None and newest > as_at:
        result.notes.append(
            f"this release (as at {as_at:%d/%m/%Y}) is older than the newest loaded ({newest:%d/%m/%Y}): "
            + ("it replaced every later-dated release." if replace_later else
               "it only filled what the newer release did not state. If that release was wrongly dated, "
               "import the right release again with --replace-later.")
        )
    return result
