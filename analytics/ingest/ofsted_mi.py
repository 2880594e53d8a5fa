"""Importer for Ofsted's monthly "Management information - state-funded schools - latest inspections" CSV.

The edition is recognised from the header:

- report-card edition (from the release after 10 November 2025): per school the latest full inspection (a
  report card: safeguarding met/not met and six to eight areas on their own five-level scale, each with the
  date of its grade), the latest graded inspection under the 2019 framework ("OEIF") and the latest ungraded
  inspection. Its whole 85-column header is known, so a missing or unexpected column rejects the file.
- pre-report-card edition (2019 to autumn 2025): latest graded, previous graded and latest ungraded
  inspection, as in the official statistics. No copy of its full header could be retrieved; the edition is
  recognised by the columns that independent public importers of the real files read by name (listed in
  `data/ofsted-management-information-2026-05-sample/PROVENANCE.md`); its other columns are not read.

Every release merges into the store and never erases (`analytics.ingest.ofsted_merge`): a NULL is "not
stated here" (the report-card edition has NULL "latest OEIF" columns for schools last graded before
September 2019, whose grades only an earlier file holds). A monthly file never closes a school by leaving it
out (the bundled file is a sample); a school is closed when Ofsted names it as the predecessor of another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from analytics.grades import REPORT_CARD_AREAS, REPORT_CARD_FRAMEWORK, REPORT_CARDS_FROM, frameworks_for
from analytics.grades import report_card_category as derive_category
from analytics.ingest import ofsted_outcomes as official
from analytics.ingest.common import ColumnParser, ImportRejected, ImportResult, Problem, read_csv_strict
from analytics.ingest.ofsted_merge import (
    SCHOOLS,
    add_predecessor_stubs,
    close_schools,
    link_predecessors,
    merge_inspections,
    merge_pointers,
    merge_schools,
)
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import Inspection, School, SchoolLink

KIND = "ofsted-mi"
DATE = "%d/%m/%Y"
EARLIEST_INSPECTION = date(2005, 1, 1)
URNS = (100000, 999999)
LAESTABS = (1000000, 9999999)

CATEGORY = {"SM": "SM", "SWK": "SWK", "NTI": "NTI", "RSI": "RSI"}
YES_NO = {"Yes": True, "No": False}
MET = {"Met": True, "Not met": False}
AREA_GRADE = {
    "Exceptional": "exceptional",
    "Strong standard": "strong standard",
    "Expected standard": "expected standard",
    "Needs attention": "needs attention",
    "Urgent improvement": "urgent improvement",
    "Not applicable": "not applicable",
}
#: Ungraded outcomes as published: the wordings used until August 2024 and from September 2024 (every value
#: in the official file as at 31 August 2025, which covers ungraded inspections from June 2016, and in the
#: 2026 sample). Stored as published.
UNGRADED_OUTCOMES = {
    v: v
    for v in (
        "School remains Outstanding",
        "School remains Good",
        "School remains Good (Improving) - S5 Next",
        "School remains Good (Concerns) - S5 Next",
        "School remains Outstanding (Concerns) - S5 Next",
        "Standards maintained",
        "Some aspects not as strong",
        "Improved significantly",
    )
}

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
    "Postcode": "postcode",
    "Multi-academy trust UID": "trust_uid",
    "Multi-academy trust name": "trust_name",
    "The income deprivation affecting children index (IDACI) quintile": "idaci_quintile",
    "Total number of pupils": "pupils",
}


@dataclass(frozen=True)
class Block:
    """One inspection a row describes: which columns hold it (by role) and what kind it is."""

    kind: str  # "report card", "graded" or "ungraded"
    columns: Mapping[str, str]

    def get(self, role: str) -> str | None:
        return self.columns.get(role)


def _at_time(which: str) -> dict[str, str]:
    return {
        "urn": f"URN at time of {which}",
        "laestab": f"LAESTAB at time of {which}",
        "name": f"School name at time of {which}",
        "school_type": f"School type at time of {which}",
        "relates": f"Does the {which.removeprefix('the ')} relate to the URN of the current school?",
    }


AREA_COLUMNS = {  # store column -> (grade column, date column)
    "rc_inclusion": ("Inclusion", "Inclusion - date of grade"),
    "rc_curriculum_and_teaching": ("Curriculum and teaching", "Curriculum and teaching - date of grade"),
    "rc_achievement": ("Achievement", "Achievement - date of grade"),
    "rc_attendance_and_behaviour": ("Attendance and behaviour", "Attendance and behaviour - date of grade"),
    "rc_personal_development": (
        "Personal development and wellbeing",
        "Personal development and wellbeing - date of grade",
    ),
    "rc_early_years": ("Early years (where applicable)", "Early years - date of grade"),
    "rc_sixth_form": ("Post-16 provision (where applicable)", "Post-16 provision - date of grade"),
    "rc_leadership_and_governance": (
        "Leadership and governance",
        "Leadership and governance - date of grade",
    ),
}
#: Areas every report card grades; early years and post-16 only where the school has them.
CORE_AREAS = tuple(a for a in REPORT_CARD_AREAS if a not in ("rc_early_years", "rc_sixth_form"))

REPORT_CARD = Block(
    "report card",
    {
        "number": "Inspection number of latest full inspection",
        "type": "Inspection type",
        "grouping": "Inspection type grouping",
        "event": "Event type grouping",
        "start": "Inspection start date",
        "published": "Publication date",
        **_at_time("latest full inspection"),
        "category": "Category of concern",
        "safeguarding": "Safeguarding standards",
        "safeguarding_date": "Safeguarding standards - date of grade",
    },
)
OEIF = "latest OEIF graded inspection"
OEIF_GRADED = Block(
    "graded",
    {
        "number": f"Inspection number of {OEIF}",
        "type": f"Inspection type of {OEIF}",
        "grouping": f"Inspection type grouping of {OEIF}",
        "event": f"Event type grouping of {OEIF}",
        "start": f"Inspection start date of {OEIF}",
        "published": f"Publication date of {OEIF}",
        **_at_time(OEIF),
        "category": "Latest OEIF category of concern",
        "overall": "Latest OEIF overall effectiveness",
        "qoe": "Latest OEIF quality of education",
        "ba": "Latest OEIF behaviour and attitudes",
        "pd": "Latest OEIF personal development",
        "lm": "Latest OEIF effectiveness of leadership and management",
        "safeguarding": "Latest OEIF  safeguarding is effective?",  # two spaces, as published
        "ey": "Latest OEIF early years provision (where applicable)",
        "sf": "Latest OEIF sixth form provision (where applicable)",
    },
)
LATEST_UNGRADED = Block(
    "ungraded",
    {
        "number": "Latest ungraded inspection number",
        "start": "Date of latest ungraded inspection",
        "published": "Ungraded inspection publication date",
        **_at_time("the ungraded inspection"),
        "outcome": "Ungraded inspection overall outcome",
    },
)
#: Checked for plausibility only (the store has no place for them).
CHECKED_ONLY = (
    "Web Link (opens in new window)",
    "Admissions policy",
    "Sixth form",
    "Designated religious character",
    "Religious ethos",
    "Faith grouping",
    "Ofsted region",
    "Academy sponsor UID",
    "Academy sponsor name",
    "Statutory lowest age",
    "Statutory highest age",
    "Most recent category of concern",
)

# The pre-report-card edition: the columns of the official statistics' latest/previous/ungraded blocks
# under the names the management-information files use (see the module docstring).
LEGACY_LATEST = Block(
    "graded",
    dict(official.LATEST)
    | {"relates": "Does the latest graded inspection relate to the URN of the current school?"},
)
LEGACY_PREVIOUS = Block(
    "graded",
    {**official.PREVIOUS, "number": "Previous graded inspection number"}
    | {"relates": "Does the previous graded inspection relate to the URN of the current school?"},
)
LEGACY_UNGRADED = Block(
    "ungraded",
    {
        "number": "Latest ungraded inspection number since last graded inspection",
        "start": "Date of latest ungraded inspection",
        "published": "Ungraded inspection publication date",
        **_at_time("the ungraded inspection"),
        "outcome": "Ungraded inspection overall outcome",
        "converted": "Did the latest ungraded inspection convert to a graded inspection?",
    },
)


@dataclass(frozen=True)
class Edition:
    name: str
    blocks: tuple[Block, ...]
    #: Every column of the header (exact editions) or the columns it must have (the others).
    columns: tuple[str, ...]
    exact: bool
    optional: frozenset[str] = field(default_factory=frozenset)

    def required(self) -> list[str]:
        return [c for c in self.columns if c not in self.optional]


def _header_2026() -> tuple[str, ...]:
    areas = [c for pair in AREA_COLUMNS.values() for c in pair]
    at_rc = [REPORT_CARD.columns[k] for k in ("relates", "urn", "laestab", "name", "school_type")]
    ordered = (
        ["Web Link (opens in new window)", "URN", "LAESTAB", "School name", "Ofsted phase",
         "Type of education", "School open date", "Admissions policy", "Sixth form",
         "Designated religious character", "Religious ethos", "Faith grouping", "Ofsted region", "Region",
         "Local authority",
         "Parliamentary constituency", "Postcode", "Multi-academy trust UID", "Multi-academy trust name",
         "Academy sponsor UID", "Academy sponsor name", *list(SCHOOL_COLUMNS)[-2:],
         "Statutory lowest age", "Statutory highest age"]
        + [REPORT_CARD.columns[k] for k in ("number", "type", "grouping", "event", "start", "published")]
        + at_rc
        + [REPORT_CARD.columns[k] for k in ("category", "safeguarding", "safeguarding_date")]
        + areas
        + list(OEIF_GRADED.columns.values())
        + list(LATEST_UNGRADED.columns.values())
        + ["Most recent category of concern"]
    )
    return tuple(dict.fromkeys(ordered))


REPORT_CARD_EDITION = Edition(
    "report-card edition (from November 2025)",
    (REPORT_CARD, OEIF_GRADED, LATEST_UNGRADED),
    _header_2026(),
    exact=True,
)
_LEGACY_OPTIONAL = frozenset(
    {
        "LAESTAB", "Ofsted phase", "Type of education", "School open date", "Region",
        "Parliamentary constituency", "Postcode", "Multi-academy trust UID", "Multi-academy trust name",
        "The income deprivation affecting children index (IDACI) quintile", "Inspection type",
        "Inspection type grouping",
        *(b.columns[k] for b in (LEGACY_LATEST, LEGACY_PREVIOUS, LEGACY_UNGRADED)
          for k in ("laestab", "name", "school_type", "relates") if k in b.columns),
        LEGACY_UNGRADED.columns["converted"],
    }
)
LEGACY_EDITION = Edition(
    "pre-report-card edition (2019 to October 2025)",
    (LEGACY_LATEST, LEGACY_PREVIOUS, LEGACY_UNGRADED),
    tuple(dict.fromkeys([*SCHOOL_COLUMNS, *(c for b in (LEGACY_LATEST, LEGACY_PREVIOUS, LEGACY_UNGRADED)
                                             for c in b.columns.values())])),
    exact=False,
    optional=_LEGACY_OPTIONAL,
)
EDITIONS = (REPORT_CARD_EDITION, LEGACY_EDITION)

AS_AT_IN_NAME = re.compile(r"as_at_(\d{1,2})_([A-Za-z]+)_(\d{4})", re.IGNORECASE)


@dataclass
class Parsed:
    edition: Edition
    schools: pd.DataFrame
    inspections: pd.DataFrame
    claims: pd.DataFrame  # urn, inspection_number: the pointers the file states for each school
    predecessors: pd.DataFrame  # urn, predecessor, predecessor_name, name, link_date, laestab, school_type
    as_at: date


# --------------------------------------------------------------------------------------------------- parse


def parse(path: Path | str, as_at: date | None = None, today: date | None = None) -> Parsed:
    """Validate the whole file; return what it states, or raise ImportRejected listing every problem."""
    path = Path(path)
    today = today or date.today()
    frame = read_csv_strict(path, [])
    frame.columns = [_normalised(c) for c in frame.columns]
    edition = recognise(path, list(frame.columns))
    for column in edition.optional:
        if column not in frame:
            frame[column] = "NULL"  # not in this file: "not stated"
    parser = ColumnParser(frame)
    parser.unique(["URN"], "URN")
    schools = _schools(parser, today)
    blocks = [_block(parser, block, schools["urn"], today) for block in edition.blocks]
    if edition is REPORT_CARD_EDITION:
        _check_only_columns(parser)
    parser.raise_if_problems(path)
    inspections = pd.concat(blocks, ignore_index=True).dropna(subset=["inspection_number"])
    inspections = inspections.drop_duplicates(subset=["inspection_number"], keep="first")
    as_at = as_at or as_at_from_name(path) or _latest_publication(path, inspections)
    claims = pd.concat(
        [pd.DataFrame({"urn": schools["urn"], "inspection_number": b["inspection_number"]}) for b in blocks],
        ignore_index=True,
    ).dropna()
    predecessors = _predecessors(schools, blocks)
    stated = [c for c in schools.columns if c in _stated_school_columns(edition)]
    return Parsed(
        edition,
        schools[stated].reset_index(drop=True),
        _finish(inspections).reset_index(drop=True),
        claims.astype({"urn": "int64"}),
        predecessors,
        as_at,
    )


def _normalised(column: str) -> str:
    """Header names compared with runs of spaces kept as published, except where Ofsted varies them."""
    if re.fullmatch(r"Latest OEIF\s+safeguarding is effective\?", column):
        return OEIF_GRADED.columns["safeguarding"]
    return column


def recognise(path: Path, header: list[str]) -> Edition:
    """The edition whose header this is, or ImportRejected naming the missing and unexpected columns of the
    edition it is closest to."""
    present = set(header)
    for edition in EDITIONS:
        missing = [c for c in edition.required() if c not in present]
        unexpected = [c for c in header if c not in edition.columns] if edition.exact else []
        if not missing and not unexpected:
            return edition
    closest = max(EDITIONS, key=lambda e: len(present & set(e.columns)) / len(e.columns))
    problems = [
        Problem(1, c, f"required column is missing (Ofsted management information, {closest.name})")
        for c in closest.required()
        if c not in present
    ]
    problems += [
        Problem(1, c, f"unexpected column (not in the {closest.name})")
        for c in header
        if c not in closest.columns and closest.exact
    ]
    if set(official.REQUIRED) <= present:
        problems.append(
            Problem(None, None, "this is the official statistics file: use `import ofsted-outcomes`")
        )
    raise ImportRejected(path, problems)


def _stated_school_columns(edition: Edition) -> set[str]:
    return {field for column, field in SCHOOL_COLUMNS.items() if column not in edition.optional}


#: The 2026 edition calls pupil referral units "Alternative provision"; the official statistics (and every
#: view, the early-warning model's phase groups included) call them "PRU". One vocabulary in the store.
PHASE_NAMES = {"Alternative provision": "PRU"}


def _schools(parser: ColumnParser, today: date) -> pd.DataFrame:
    out = pd.DataFrame(index=parser.frame.index)
    out["urn"] = parser.integer("URN", required=True)
    parser.within("URN", out["urn"], *URNS)
    out["laestab"] = parser.integer("LAESTAB")
    parser.within("LAESTAB", out["laestab"], *LAESTABS)
    out["name"] = parser.required_text("School name")
    for column in ("Ofsted phase", "Type of education", "Region", "Parliamentary constituency", "Postcode",
                   "Multi-academy trust name"):
        out[SCHOOL_COLUMNS[column]] = parser.text(column)
    out["phase"] = out["phase"].replace(PHASE_NAMES)
    out["la_name"] = parser.required_text("Local authority")
    out["open_date"] = parser.dates("School open date", DATE)
    parser.within("School open date", out["open_date"], high=today)
    out["trust_uid"] = parser.integer("Multi-academy trust UID")
    parser.within("Multi-academy trust UID", out["trust_uid"], 1, 9_999_999)
    out["idaci_quintile"] = parser.codes(
        "The income deprivation affecting children index (IDACI) quintile", {str(q): q for q in range(1, 6)}
    )
    out["pupils"] = parser.integer("Total number of pupils", allow_suppressed=True, minimum=0)
    parser.within("Total number of pupils", out["pupils"], 0, 10_000)
    return out


def _check_only_columns(parser: ColumnParser) -> None:
    sponsor = parser.integer("Academy sponsor UID")
    parser.within("Academy sponsor UID", sponsor, 1, 9_999_999)
    ages = {c: parser.integer(c) for c in ("Statutory lowest age", "Statutory highest age")}
    for column, values in ages.items():
        parser.within(column, values, 0, 25)
    reversed_ages = (ages["Statutory lowest age"] > ages["Statutory highest age"]).fillna(False).astype(bool)
    _problems(parser, reversed_ages, "Statutory lowest age", "the lowest age is above the highest age")
    parser.codes("Most recent category of concern", CATEGORY)


def _block(parser: ColumnParser, block: Block, urns: pd.Series, today: date) -> pd.DataFrame:
    """The inspection rows one block of columns describes (NaN number where the row has none)."""
    cols = block.columns
    out = pd.DataFrame(index=parser.frame.index)
    out["inspection_number"] = parser.text(cols["number"])
    present = out["inspection_number"].notna()
    out["urn"] = parser.integer(cols["urn"])
    parser.within(cols["urn"], out["urn"], *URNS)
    out["laestab"] = parser.integer(cols["laestab"]) if "laestab" in cols else None
    if "laestab" in cols:
        parser.within(cols["laestab"], out["laestab"], *LAESTABS)
    out["school_name"] = parser.text(cols["name"]) if "name" in cols else None
    out["school_type"] = parser.text(cols["school_type"]) if "school_type" in cols else None
    out["start_date"] = parser.dates(cols["start"], DATE)
    parser.within(cols["start"], out["start_date"], EARLIEST_INSPECTION, today)
    out["publication_date"] = parser.dates(cols["published"], DATE)
    parser.within(cols["published"], out["publication_date"], EARLIEST_INSPECTION, today)
    _not_before(parser, cols["published"], out["publication_date"], out["start_date"], "the start date")
    for role, reason in (("urn", "URN at the time"), ("start", "start date")):
        _problems(parser, present & parser.blank(cols[role]), cols[role], f"the inspection has no {reason}")
    _problems(parser, ~present & ~parser.blank(cols["start"]), cols["start"],
              "a date without an inspection number")
    if "relates" in cols:
        _check_relates(parser, cols, out["urn"], urns)
    out["inspection_type"] = parser.text(cols["type"]) if "type" in cols else None
    out["type_grouping"] = parser.text(cols["grouping"]) if "grouping" in cols else None
    out["is_graded"] = block.kind != "ungraded"
    out["source"] = KIND
    if block.kind == "report card":
        _report_card(parser, block, out, present, today)
    elif block.kind == "graded":
        _graded(parser, block, out, present)
    else:
        # No outcome is real (95 in the official file: most converted to a graded inspection).
        out["ungraded_outcome"] = parser.codes(cols["outcome"], UNGRADED_OUTCOMES)
        if "converted" in cols:
            out["converted_to_graded"] = parser.codes(cols["converted"], YES_NO)
    return out


def _check_relates(
    parser: ColumnParser, cols: Mapping[str, str], at_time: pd.Series, urns: pd.Series
) -> None:
    """'Does the ... inspection relate to the URN of the current school?' agrees with the URN at the time."""
    relates = parser.codes(cols["relates"], YES_NO)
    same = (at_time == urns).fillna(False).astype(bool)
    known = at_time.notna()
    says_yes = relates.map(lambda v: v is True).astype(bool)
    says_no = relates.map(lambda v: v is False).astype(bool)
    _problems(parser, known & says_yes & ~same, cols["relates"],
              f"'Yes' but the URN at the time ({cols['urn']}) is not the school's URN")
    _problems(parser, known & says_no & same, cols["relates"],
              f"'No' but the URN at the time ({cols['urn']}) is the school's own URN")


def _graded(parser: ColumnParser, block: Block, out: pd.DataFrame, present: pd.Series) -> None:
    cols = block.columns
    out["overall_effectiveness"] = parser.codes(cols["overall"], official.OVERALL)
    _problems(parser, present & parser.blank(cols["overall"]), cols["overall"],
              "graded inspection without an overall outcome")
    out["category_of_concern"] = parser.codes(cols["category"], CATEGORY)
    for role, name in (("qoe", "quality_of_education"), ("ba", "behaviour_and_attitudes"),
                       ("pd", "personal_development"), ("lm", "leadership_and_management")):
        out[name] = parser.codes(cols[role], official.KEY_JUDGEMENT)
    out["safeguarding_effective"] = parser.codes(cols["safeguarding"], official.SAFEGUARDING)
    out["early_years"] = parser.codes(cols["ey"], official.PROVISION)
    out["sixth_form"] = parser.codes(cols["sf"], official.PROVISION)


def _report_card(
    parser: ColumnParser, block: Block, out: pd.DataFrame, present: pd.Series, today: date
) -> None:
    """Area grades on their own scale ('not applicable' kept), each with its own date; safeguarding met or
    not; the category as published, or derived from the grades (flagged) where Ofsted published none."""
    cols = block.columns
    starts = pd.to_datetime(out["start_date"])
    early = present & starts.notna() & (starts < pd.Timestamp(REPORT_CARDS_FROM))
    _problems(parser, early, cols["start"], f"a report card before report cards began ({REPORT_CARDS_FROM})")
    out["rc_safeguarding_met"] = parser.codes(cols["safeguarding"], MET)
    _problems(parser, present & parser.blank(cols["safeguarding"]), cols["safeguarding"],
              "the report card has no safeguarding judgement")
    _area_date(parser, cols["safeguarding"], cols["safeguarding_date"], "rc_safeguarding_date", out, today)
    for area, (grade_column, date_column) in AREA_COLUMNS.items():
        out[area] = parser.codes(grade_column, AREA_GRADE)
        if area in CORE_AREAS:
            _problems(parser, present & parser.blank(grade_column), grade_column,
                      "the report card has no grade for this area")
        _area_date(parser, grade_column, date_column, f"{area}_date", out, today)
    published = parser.codes(cols["category"], {"SM": "SM", "RSI": "RSI"})
    unpublished = present & published.isna()
    derived = pd.Series(None, index=out.index, dtype=object)
    for row in unpublished[unpublished].index:
        grades: dict[str, str | None] = {area: out.at[row, area] for area in REPORT_CARD_AREAS}  # type: ignore[misc]
        derived[row] = derive_category(grades, out.at[row, "rc_safeguarding_met"])  # type: ignore[arg-type]
    out["category_of_concern"] = published.where(published.notna(), derived)
    out["category_derived"] = (derived.notna() & present).astype(object).where(present, None)


def _area_date(
    parser: ColumnParser, grade_column: str, date_column: str, name: str, out: pd.DataFrame, today: date
) -> None:
    out[name] = parser.dates(date_column, DATE)
    parser.within(date_column, out[name], EARLIEST_INSPECTION, today)
    _not_before(parser, date_column, out[name], out["start_date"], "the inspection start date")
    graded = ~parser.blank(grade_column) & (parser.frame[grade_column] != "Not applicable")
    _problems(parser, graded & parser.blank(date_column), date_column, "a grade without its date")
    _problems(parser, parser.blank(grade_column) & ~parser.blank(date_column), date_column,
              "a date without a grade")


def _not_before(parser: ColumnParser, column: str, later: pd.Series, earlier: pd.Series, what: str) -> None:
    both = later.notna() & earlier.notna()
    bad = both & (pd.to_datetime(later.where(both)) < pd.to_datetime(earlier.where(both)))
    _problems(parser, bad.fillna(False).astype(bool), column, f"before {what}")


def _problems(parser: ColumnParser, bad: pd.Series, column: str, reason: str) -> None:
    for row in bad[bad].index:
        value = str(parser.frame.at[row, column])
        parser.problems.append(Problem(int(row), column, f"'{value}': {reason}" if value else reason))


def _finish(inspections: pd.DataFrame) -> pd.DataFrame:
    out = inspections.copy()
    out["framework"] = frameworks_for(out["start_date"])
    if "rc_safeguarding_met" in out:
        is_card = out["rc_safeguarding_met"].notna()
        out.loc[is_card, "framework"] = REPORT_CARD_FRAMEWORK
    return out


def _predecessors(schools: pd.DataFrame, blocks: list[pd.DataFrame]) -> pd.DataFrame:
    """(school, predecessor) pairs: every URN at the time of an inspection that is not the school's own."""
    parts = [
        pd.DataFrame({
            "urn": schools["urn"], "predecessor": b["urn"], "predecessor_name": b["school_name"],
            "laestab": b["laestab"], "school_type": b["school_type"], "name": schools["name"],
            "link_date": schools["open_date"],
        })
        for b in blocks
    ]
    pairs = pd.concat(parts, ignore_index=True).dropna(subset=["urn", "predecessor"])
    pairs = pairs.loc[pairs["urn"] != pairs["predecessor"]].drop_duplicates(["urn", "predecessor"])
    return pairs.astype({"urn": "int64", "predecessor": "int64"}).reset_index(drop=True)


def as_at_from_name(path: Path) -> date | None:
    """'..._as_at_31_Jan_2026.csv', '..._as_at_31_July_2026.csv' (Ofsted abbreviates some months)."""
    match = AS_AT_IN_NAME.search(path.name)
    if not match:
        return None
    day, month, year = match.groups()
    month = month[:3] if month.lower().startswith("sept") else month
    for fmt in ("%d %B %Y", "%d %b %Y"):
        try:
            return pd.to_datetime(f"{day} {month} {year}", format=fmt).date()
        except ValueError:
            continue
    return None


def _latest_publication(path: Path, inspections: pd.DataFrame) -> date:
    dates = [d for d in inspections["publication_date"] if d is not None]
    if not dates:
        reason = "no publication date to date the release: give --as-at or keep Ofsted's file name"
        raise ImportRejected(path, [Problem(None, None, reason)])
    return max(dates)


# --------------------------------------------------------------------------------------------------- write


def write(connection: Connection, parsed: Parsed) -> None:
    """Merge the release (see the module docstring); nothing is deleted or blanked."""
    as_at = parsed.as_at
    merge_schools(connection, parsed.schools, as_at)
    pairs = parsed.predecessors
    stubs = pairs[["predecessor", "laestab", "predecessor_name", "school_type"]].rename(
        columns={"predecessor": "urn", "predecessor_name": "name"}
    )
    stubs = stubs.dropna(subset=["name"]).drop_duplicates("urn")
    add_predecessor_stubs(connection, stubs, as_at)
    link_predecessors(connection, pairs)
    superseded = sorted(set(pairs["predecessor"]) - set(parsed.schools["urn"]))
    for start in range(0, len(superseded), 5000):
        close_schools(connection, SCHOOLS.c.urn.in_(superseded[start : start + 5000]), as_at)
    official.adopt_history_rows(connection, parsed.inspections)
    merge_inspections(connection, parsed.inspections, as_at)
    merge_pointers(connection, parsed.claims)


def import_file(engine: Engine, path: Path | str, as_at: date | None = None) -> ImportResult:
    path = Path(path)
    parsed = parse(path, as_at)
    tables = [School.__table__, Inspection.__table__, SchoolLink.__table__]  # type: ignore[attr-defined]
    result = run_in_transaction(
        engine,
        kind=KIND,
        path=path,
        rows_read=len(parsed.schools),
        tables=tables,
        as_at=parsed.as_at,
        write=lambda connection: write(connection, parsed),
    )
    result.notes.append(f"{parsed.edition.name}, as at {parsed.as_at:%d %B %Y}")
    return result
