"""Read side of the store: parameterised queries returning DataFrames, always through a Scope.

ORM objects never leave this module; callers get plain DataFrames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, func, select

from analytics import headline
from analytics.grades import (
    DERIVED,
    GRADE_LABELS,
    REPORT_CARD,
    REPORT_CARD_AREAS,
    REPORT_CARD_LEVELS,
    SATISFACTORY_UNTIL,
    headline_grades,
)
from analytics.scope import Scope
from analytics.store.models import ContextValue, ImportLog, Inspection, School, SchoolLink

SCHOOLS = School.__table__  # type: ignore[attr-defined]
INSPECTIONS = Inspection.__table__  # type: ignore[attr-defined]
LINKS = SchoolLink.__table__  # type: ignore[attr-defined]
CONTEXT = ContextValue.__table__  # type: ignore[attr-defined]
IMPORTS = ImportLog.__table__  # type: ignore[attr-defined]
__all__ = ["Scope"]  # re-exported: callers import the scope with the queries that take it


def rows_frame(rows: Sequence[Sequence[Any]], columns: list[str]) -> pd.DataFrame:
    """A frame from result rows, passed to pandas as plain tuples: pandas turns SQLAlchemy `Row`s into tuples
    itself, but only after probing every row for a `dtype` attribute, which a `Row` answers slowly (about 7x
    the cost of the whole frame). The frame is the same either way."""
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def read_frame(engine: Engine, query: Select) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(query)
        return rows_frame(result.all(), list(result.keys()))


def la_names(engine: Engine) -> list[str]:
    open_named = (SCHOOLS.c.is_open.is_(True), SCHOOLS.c.la_name.is_not(None))
    query = select(SCHOOLS.c.la_name).where(*open_named).distinct()
    return sorted(read_frame(engine, query)["la_name"])


def schools(engine: Engine, scope: Scope, *, open_only: bool = True) -> pd.DataFrame:
    query = scope.apply(select(SCHOOLS), SCHOOLS)
    if open_only:
        query = query.where(SCHOOLS.c.is_open.is_(True))
    return read_frame(engine, query)


def inspections(engine: Engine, urns: list[int] | None = None) -> pd.DataFrame:
    """Inspection rows (URN at the time), optionally for some URNs, with headline grade columns added."""
    query = select(INSPECTIONS)
    if urns is not None:
        query = query.where(INSPECTIONS.c.urn.in_(urns))
    frame = read_frame(engine, query.order_by(INSPECTIONS.c.urn, INSPECTIONS.c.start_date))
    return add_headline(frame)


def add_headline(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `grade` and `grade_source` for graded rows (NaN for ungraded)."""
    out = frame.copy()
    heads = headline_grades(out)
    graded = out["is_graded"].astype(bool)
    out["grade"] = heads["grade"].where(graded)
    out["grade_source"] = heads["grade_source"].where(graded, None)
    return out


def inspections_by_number(engine: Engine, numbers: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame()
    for start in range(0, len(numbers), 5000):
        batch = numbers[start : start + 5000]
        part = read_frame(engine, select(INSPECTIONS).where(INSPECTIONS.c.inspection_number.in_(batch)))
        frame = part if frame.empty else pd.concat([frame, part], ignore_index=True)
    if frame.empty:
        frame = read_frame(engine, select(INSPECTIONS).where(INSPECTIONS.c.id < 0))
    return add_headline(frame)


def school_headlines(engine: Engine, scope: Scope) -> pd.DataFrame:
    """One row per open school in scope with its headline grade now and at the previous graded inspection.

    One query: each school joined to the inspections its latest/previous graded pointers name (Ofsted's own,
    which already follow predecessor schools until the school is inspected in its current form).
    """
    latest, previous = INSPECTIONS.alias("latest"), INSPECTIONS.alias("previous")
    fields = list(headline.INSPECTION_COLUMNS)
    query = (
        select(
            SCHOOLS,
            *[latest.c[c].label(f"latest__{c}") for c in fields],
            *[previous.c[c].label(f"previous__{c}") for c in fields],
        )
        .outerjoin(latest, latest.c.inspection_number == SCHOOLS.c.latest_graded_number)
        .outerjoin(previous, previous.c.inspection_number == SCHOOLS.c.previous_graded_number)
        .where(SCHOOLS.c.is_open.is_(True))
        .order_by(SCHOOLS.c.urn)
    )
    frame = read_frame(engine, scope.apply(query, SCHOOLS))
    school_columns = [c for c in frame.columns if "__" not in c]

    def pointed(prefix: str) -> pd.DataFrame:
        part = frame[[f"{prefix}__{c}" for c in fields]]
        part.columns = fields
        return part

    return headline.headlines(frame[school_columns], pointed("latest"), pointed("previous"))


def school_links(engine: Engine, urns: list[int] | None = None) -> pd.DataFrame:
    query = select(LINKS)
    if urns is not None:
        query = query.where(LINKS.c.urn.in_(urns))
    return read_frame(engine, query)


def context_values(
    engine: Engine, urns: list[int] | None = None, measures: list[str] | None = None
) -> pd.DataFrame:
    query = select(CONTEXT)
    if urns is not None:
        query = query.where(CONTEXT.c.urn.in_(urns))
    if measures is not None:
        query = query.where(CONTEXT.c.measure.in_(measures))
    return read_frame(engine, query)


def import_log(engine: Engine) -> pd.DataFrame:
    from analytics.store.models import ImportLog

    table = ImportLog.__table__  # type: ignore[attr-defined]
    query = select(
        table.c.id, table.c.kind, table.c.file_name, table.c.rows_read, table.c.rows_inserted, table.c.as_at,
        table.c.imported_at, table.c.imported_by,
    ).order_by(table.c.id.desc())
    return read_frame(engine, query)


# ----------------------------------------------------------------------------------- Ofsted releases

#: Import kinds that load an Ofsted release (the official statistics and the monthly management information).
OFSTED_RELEASE_KINDS = ("ofsted-outcomes", "ofsted-mi")
POINTER_COLUMNS = ("latest_graded_number", "previous_graded_number", "latest_ungraded_number")


def ofsted_releases(engine: Engine) -> pd.DataFrame:
    """Every Ofsted release imported, newest data first: import_id, kind, file_name, as_at, imported_at,
    rows_read (schools listed), rows_added (rows the import added to the store) and inspections_added
    (inspections it was the first to record, as `inspections_added` lists them)."""
    firsts = (
        select(INSPECTIONS.c.first_import_id, func.count().label("inspections_added"))
        .group_by(INSPECTIONS.c.first_import_id)
        .subquery()
    )
    query = (
        select(
            IMPORTS.c.id.label("import_id"), IMPORTS.c.kind, IMPORTS.c.file_name, IMPORTS.c.as_at,
            IMPORTS.c.imported_at, IMPORTS.c.rows_read, IMPORTS.c.rows_inserted.label("rows_added"),
            func.coalesce(firsts.c.inspections_added, 0).label("inspections_added"),
        )
        .outerjoin(firsts, firsts.c.first_import_id == IMPORTS.c.id)
        .where(IMPORTS.c.kind.in_(OFSTED_RELEASE_KINDS))
        .order_by(IMPORTS.c.as_at.desc(), IMPORTS.c.id.desc())
    )
    frame = read_frame(engine, query)
    frame["inspections_added"] = frame["inspections_added"].astype("int64")
    return frame


def inspections_added(engine: Engine, import_id: int, scope: Scope | None = None) -> pd.DataFrame:
    """The inspections an import was the first to record ("inspected since last month"), newest first.

    One row each: inspection_number, start_date, publication_date, urn (at the time), school_urn and
    school_name (the school it counts for now: the open school whose pointers name it, else the URN at the
    time), la_name, is_graded, framework, outcome (in words), grade, grade_source, category_of_concern,
    category_derived, the report-card areas, and the school's previous graded inspection before it
    (previous_grade, previous_grade_source, previous_start, previous_framework).
    """
    added = read_frame(engine, select(INSPECTIONS).where(INSPECTIONS.c.first_import_id == import_id))
    added = add_headline(added)
    owners = _pointer_owners(engine)
    added["school_urn"] = added["inspection_number"].map(owners).fillna(added["urn"]).astype("int64")
    known = schools(engine, scope or Scope.england(), open_only=False).set_index("urn")
    added = added.loc[added["school_urn"].isin(known.index)].copy()
    added["school_name"] = known["name"].reindex(added["school_urn"]).to_numpy()
    added["la_name"] = known["la_name"].reindex(added["school_urn"]).to_numpy()
    added["outcome"] = _outcome_words(added)
    previous = _previous_graded(engine, added, owners)
    columns = [
        "inspection_number", "start_date", "publication_date", "urn", "school_urn", "school_name",
        "la_name", "is_graded", "framework", "outcome", "grade", "grade_source", "category_of_concern",
        "category_derived", *REPORT_CARD_AREAS, "rc_safeguarding_met",
    ]
    out = added[columns].join(previous)
    return out.sort_values(["start_date", "school_urn"], ascending=[False, True]).reset_index(drop=True)


def _pointer_owners(engine: Engine) -> pd.Series:
    """inspection number -> the school whose pointers name it (open schools before closed ones)."""
    columns = [SCHOOLS.c[c] for c in POINTER_COLUMNS]
    pointers = read_frame(engine, select(SCHOOLS.c.urn, SCHOOLS.c.is_open, *columns))
    long = pointers.melt(id_vars=["urn", "is_open"], value_vars=list(POINTER_COLUMNS), value_name="number")
    long = long.dropna(subset=["number"]).sort_values(["is_open", "urn"], ascending=[False, False])
    return long.drop_duplicates("number").set_index("number")["urn"]


def _previous_graded(engine: Engine, added: pd.DataFrame, owners: pd.Series) -> pd.DataFrame:
    """For each added row, the latest graded inspection of its school that started strictly before it."""
    empty = pd.DataFrame(
        {c: pd.Series(dtype=object) for c in
         ("previous_grade", "previous_grade_source", "previous_start", "previous_framework")},
        index=added.index,
    )
    if added.empty:
        return empty
    urns = sorted(set(added["school_urn"]) | set(added["urn"].astype("int64")))
    graded = pd.concat(
        [inspections(engine, [int(u) for u in urns]),
         inspections_by_number(engine, [str(n) for n in owners.index[owners.isin(urns)]])],
        ignore_index=True,
    ).drop_duplicates("id")
    graded = graded.loc[graded["is_graded"].astype(bool)].copy()
    graded["school_urn"] = graded["inspection_number"].map(owners).fillna(graded["urn"]).astype("int64")
    left = added[["school_urn"]].assign(_row=added.index, _d=pd.to_datetime(added["start_date"]))
    right = graded.assign(_d=pd.to_datetime(graded["start_date"]))[
        ["school_urn", "_d", "grade", "grade_source", "start_date", "framework"]
    ].rename(columns={"start_date": "previous_start", "grade": "previous_grade",
                      "grade_source": "previous_grade_source", "framework": "previous_framework"})
    matched = pd.merge_asof(
        left.sort_values("_d").astype({"_d": "datetime64[ns]"}),
        right.sort_values("_d").astype({"_d": "datetime64[ns]"}),
        on="_d", by="school_urn", allow_exact_matches=False, direction="backward",
    )
    return matched.set_index("_row")[list(empty.columns)].reindex(added.index)


def _outcome_words(frame: pd.DataFrame) -> pd.Series:
    """Each inspection's outcome in words: the 1-4 grade (derived ones say so), the report card's lowest
    area and safeguarding, or the ungraded outcome as published."""
    out = pd.Series("Not judged", index=frame.index, dtype=object)
    grade = pd.to_numeric(frame["grade"], errors="coerce")
    labels = grade.map(GRADE_LABELS)
    satisfactory = (grade == 3) & (pd.to_datetime(frame["start_date"]) <= pd.Timestamp(SATISFACTORY_UNTIL))
    labels = labels.where(~satisfactory, "Satisfactory")
    labels = labels.where(frame["grade_source"] != DERIVED, labels + " (derived)")
    out = out.where(grade.isna(), labels)
    lowest = pd.Series("not stated", index=frame.index, dtype=object)
    for level in REPORT_CARD_LEVELS:  # best first: the worst level found last wins
        lowest = lowest.where(~(frame[list(REPORT_CARD_AREAS)] == level).any(axis=1), level)
    safe = frame["rc_safeguarding_met"].map(lambda v: {True: "met", False: "not met"}.get(v, "not stated"))
    card = "Report card: lowest area " + lowest + "; safeguarding " + safe
    out = out.where(frame["grade_source"] != REPORT_CARD, card)
    ungraded = frame["ungraded_outcome"].where(frame["ungraded_outcome"].notna(), "Ungraded")
    return out.where(frame["is_graded"].astype(bool), ungraded)


# --------------------------------------------------------------------------- local authorities (LAIT)


def local_authorities(engine: Engine) -> pd.DataFrame:
    """LAs from the LAIT code list: code, name (LAIT spelling), region, and `ofsted_name` (school.la_name)."""
    from analytics.localauthorities import ofsted_names
    from analytics.store.models import LocalAuthority

    table = LocalAuthority.__table__  # type: ignore[attr-defined]
    frame = read_frame(engine, select(table.c.code, table.c.name, table.c.region).order_by(table.c.name))
    frame["ofsted_name"] = ofsted_names(frame["name"], la_names(engine))
    return frame


def stat_neighbours(engine: Engine, la_name: str) -> pd.DataFrame:
    """The LA's ten statistical neighbours (rank 1 = closest) with codes, LAIT and Ofsted names, closeness.

    `la_name` may be spelled as Ofsted or as LAIT does; an unknown LA gives an empty frame.
    """
    from analytics.localauthorities import lait_name
    from analytics.store.models import StatNeighbour

    authorities = local_authorities(engine)
    wanted = lait_name(la_name)
    match = authorities.loc[(authorities["name"] == wanted) | (authorities["ofsted_name"] == la_name), "code"]
    table = StatNeighbour.__table__  # type: ignore[attr-defined]
    code = int(match.iloc[0]) if len(match) else -1
    query = select(table.c.rank, table.c.neighbour_code, table.c.closeness).where(table.c.la_code == code)
    frame = read_frame(engine, query.order_by(table.c.rank))
    names = authorities.drop_duplicates("code").set_index("code")
    frame["neighbour_name"] = names["name"].reindex(frame["neighbour_code"]).to_numpy()
    frame["neighbour_ofsted_name"] = names["ofsted_name"].reindex(frame["neighbour_code"]).to_numpy()
    return frame[["rank", "neighbour_code", "neighbour_name", "neighbour_ofsted_name", "closeness"]]


def context_sums_by_la(
    engine: Engine,
    groups: pd.DataFrame,
    weights: dict[str, str | None],
    differences: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Per LA, phase, year and measure: sum of value x weight (`weighted`), of weights (`weight`), schools.

    Aggregated in the database (the context table has ~800k rows; loading it takes far longer). `groups`
    (index URN; columns la, phase) travels in a temporary table; `weights` maps each measure to the measure
    weighting it (None: weight 1); `differences` adds per-school measures a - b (e.g. income - expenditure).
    Same result as `analytics.school_profile.la_sums` on the loaded rows.
    """
    from sqlalchemy import BigInteger, Column, MetaData, String, Table, and_, case, func, literal, union_all

    mapping = Table(
        "tmp_school_la", MetaData(), Column("urn", BigInteger, primary_key=True), Column("la", String),
        Column("phase", String),
        prefixes=["TEMPORARY"],
    )
    real = [m for m in weights if m not in (differences or {})]
    parts = [select(CONTEXT.c.urn, CONTEXT.c.year, CONTEXT.c.measure, CONTEXT.c.value)
             .where(CONTEXT.c.measure.in_(real), CONTEXT.c.value.is_not(None))]
    for name, (left, right) in (differences or {}).items():
        a, b = CONTEXT.alias(f"{name}_a"), CONTEXT.alias(f"{name}_b")
        parts.append(
            select(a.c.urn, a.c.year, literal(name).label("measure"), (a.c.value - b.c.value).label("value"))
            .join(b, and_(b.c.urn == a.c.urn, b.c.year == a.c.year, b.c.measure == right))
            .where(a.c.measure == left, a.c.value.is_not(None), b.c.value.is_not(None))
        )
    rows = union_all(*parts).subquery("rows")
    w = CONTEXT.alias("w")
    weighted_by = {m: wm for m, wm in weights.items() if wm}
    weight_measure = case(weighted_by, value=rows.c.measure, else_=None)
    weight = case((weight_measure.is_(None), literal(1.0)), else_=w.c.value)
    query = (
        select(mapping.c.la, mapping.c.phase, rows.c.year, rows.c.measure,
               func.sum(rows.c.value * weight).label("weighted"), func.sum(weight).label("weight"),
               func.count(rows.c.urn.distinct()).label("schools"))
        .select_from(rows)
        .join(mapping, mapping.c.urn == rows.c.urn)
        .outerjoin(w, and_(w.c.urn == rows.c.urn, w.c.year == rows.c.year, w.c.measure == weight_measure))
        .where(weight > 0)
        .group_by(mapping.c.la, mapping.c.phase, rows.c.year, rows.c.measure)
    )
    known = groups.dropna(subset=["la"])
    pairs = [
        {"urn": int(u), "la": str(la), "phase": str(phase)}
        for u, la, phase in zip(known.index, known["la"], known["phase"], strict=True)
    ]
    with engine.connect() as connection, connection.begin():
        mapping.create(connection)
        if pairs:
            connection.execute(mapping.insert(), pairs)
        result = connection.execute(query)
        frame = rows_frame(result.all(), list(result.keys()))
        mapping.drop(connection)
    for column in ("weighted", "weight"):
        frame[column] = frame[column].astype("float64")
    return frame


# ----------------------------------------------------------------------------------- district mappings


def district_mapping(engine: Engine, scheme: str) -> pd.DataFrame:
    """An imported district mapping: urn, district, la_name (the district's LA), one row per mapped school."""
    from analytics.store.models import District, SchoolDistrict

    districts = District.__table__  # type: ignore[attr-defined]
    links = SchoolDistrict.__table__  # type: ignore[attr-defined]
    query = (
        select(links.c.urn, districts.c.name.label("district"), districts.c.la_name)
        .join(districts, districts.c.id == links.c.district_id)
        .where(links.c.scheme == scheme)
        .order_by(links.c.urn)
    )
    return read_frame(engine, query)


def district_schemes(engine: Engine) -> list[str]:
    """Names of the imported district mappings (the constituency default is not stored)."""
    from analytics.store.models import SchoolDistrict

    links = SchoolDistrict.__table__  # type: ignore[attr-defined]
    return sorted(read_frame(engine, select(links.c.scheme).distinct())["scheme"])


# ----------------------------------------------------------------------------------- grade history (trends)

GRADE_HISTORY_COLUMNS = (
    "inspection_number", "urn", "start_date", "is_graded", "overall_effectiveness", "category_of_concern",
    "quality_of_education", "behaviour_and_attitudes", "personal_development", "leadership_and_management",
    "safeguarding_effective", "rc_leadership_and_governance",
)


def grade_history(engine: Engine) -> pd.DataFrame:
    """Every inspection with only the columns the headline rule needs, plus `grade` (for trends, movement)."""
    query = select(*[INSPECTIONS.c[c] for c in GRADE_HISTORY_COLUMNS])
    return add_headline(read_frame(engine, query.order_by(INSPECTIONS.c.urn, INSPECTIONS.c.start_date)))
