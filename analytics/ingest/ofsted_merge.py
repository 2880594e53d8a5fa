"""Merge rules shared by the Ofsted importers: merge, never erase, whatever order releases arrive in.

Every Ofsted release (the official statistics, each monthly management-information file) states some facts
as at its own date. The store keeps the union, so importing releases in any order, or twice, gives the same
store:

- Inspections (keyed on Ofsted's inspection number) are never deleted. A value stated by a release replaces
  the stored one only if that release is at least as new as the newest one that stated the row
  (`inspection.release_as_at`); an older release only fills gaps. NULL means "not stated here".
- Schools: the same rule for the attributes a release publishes, dated by `school.as_at`; whether a school
  is open is set by the newest release that says so (`school.status_as_at`): listed as a current school,
  absent from a complete newer official release, or named by Ofsted as the predecessor of another school.
- Pointers (latest and previous graded inspection, latest ungraded) are the newest inspections any release
  has pointed to, by start date: they move forward, never back, and a NULL never blanks them. A school also
  takes the pointers of the predecessors Ofsted names for it (`Predecessor (Ofsted)` links), as Ofsted does
  until a school is inspected in its current form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, and_, bindparam, case, func, or_, select, update

from analytics.ingest.common import query_frame, upsert_frame
from analytics.store.models import Inspection, School, SchoolLink

SCHOOLS: Table = School.__table__  # type: ignore[attr-defined]
INSPECTIONS: Table = Inspection.__table__  # type: ignore[attr-defined]
LINKS: Table = SchoolLink.__table__  # type: ignore[attr-defined]

GRADED_POINTERS = ("latest_graded_number", "previous_graded_number")
UNGRADED_POINTER = "latest_ungraded_number"
POINTERS = (*GRADED_POINTERS, UNGRADED_POINTER)
#: Link types for predecessors named by Ofsted ("URN at time of ... inspection"); lineage reads any
#: 'Predecessor...'/'Successor...' type, so these join the GIAS links there.
OFSTED_PREDECESSOR = "Predecessor (Ofsted)"
OFSTED_SUCCESSOR = "Successor (Ofsted)"


def newest_wins(table: Table, stmt: Any, dated: str, columns: Iterable[str]) -> dict[str, Any]:
    """SET clause of an upsert: a release at least as new as the row's `dated` column overwrites the values
    it states (NULL keeps the stored value); an older release only fills the row's gaps."""
    newer = or_(table.c[dated].is_(None), stmt.excluded[dated] >= table.c[dated])
    out: dict[str, Any] = {
        name: case(
            (newer, func.coalesce(stmt.excluded[name], table.c[name])),
            else_=func.coalesce(table.c[name], stmt.excluded[name]),
        )
        for name in columns
    }
    out[dated] = case((newer, stmt.excluded[dated]), else_=table.c[dated])
    return out


# ------------------------------------------------------------------------------------------------- schools


def merge_schools(connection: Connection, schools: pd.DataFrame, as_at: date) -> None:
    """Upsert the schools a release lists as current (open), attributes by `newest_wins` on `as_at`."""
    frame = schools.drop(columns=[c for c in POINTERS if c in schools]).assign(
        as_at=as_at, status_as_at=as_at, is_open=True
    )
    attributes = [c for c in frame.columns if c not in ("urn", "as_at", "status_as_at", "is_open")]

    def merge(stmt: Any) -> Mapping[str, Any]:
        out = newest_wins(SCHOOLS, stmt, "as_at", attributes)
        return {**out, **_status(stmt)}

    upsert_frame(connection, SCHOOLS, frame, ["urn"], merge=merge)


def _status(stmt: Any) -> dict[str, Any]:
    newer = or_(SCHOOLS.c.status_as_at.is_(None), stmt.excluded.status_as_at >= SCHOOLS.c.status_as_at)
    return {
        "is_open": case((newer, stmt.excluded.is_open), else_=SCHOOLS.c.is_open),
        "status_as_at": case((newer, stmt.excluded.status_as_at), else_=SCHOOLS.c.status_as_at),
    }


def add_predecessor_stubs(connection: Connection, stubs: pd.DataFrame, as_at: date) -> None:
    """Closed schools known only as the URN at the time of an inspection (urn, laestab, name, school_type):
    created if missing, so their inspections have a school; an existing row is left as it is."""
    if stubs.empty:
        return
    frame = stubs.assign(is_open=False, status_as_at=as_at)
    upsert_frame(connection, SCHOOLS, frame, ["urn"], update=False)


def redate_later_releases(connection: Connection, as_at: date) -> None:
    """Treat every release dated after `as_at` as wrongly dated: what it stated (school attributes and status,
    inspection values) is re-dated to `as_at`, so a release of that date replaces it. Nothing is deleted."""
    connection.execute(update(SCHOOLS).where(SCHOOLS.c.as_at > as_at).values(as_at=as_at))
    connection.execute(
        update(SCHOOLS).where(SCHOOLS.c.status_as_at > as_at).values(status_as_at=as_at, is_open=False)
    )
    connection.execute(
        update(INSPECTIONS).where(INSPECTIONS.c.release_as_at > as_at).values(release_as_at=as_at)
    )


def close_schools(connection: Connection, condition: Any, as_at: date) -> None:
    """Mark the schools matching `condition` closed as at this release, unless a newer release set their
    status (so an older file never reopens or closes what a newer one decided)."""
    connection.execute(
        update(SCHOOLS)
        .where(condition, or_(SCHOOLS.c.status_as_at.is_(None), SCHOOLS.c.status_as_at < as_at))
        .values(is_open=False, status_as_at=as_at)
    )


def close_missing_from_complete_release(connection: Connection, as_at: date) -> None:
    """A complete release (every open school) closes the open schools no release this new has listed."""
    close_schools(connection, and_(SCHOOLS.c.is_open.is_(True), SCHOOLS.c.as_at < as_at), as_at)


def link_predecessors(connection: Connection, links: pd.DataFrame) -> None:
    """Record Ofsted-named predecessors (urn, predecessor, predecessor_name, name, link_date) from both ends,
    as GIAS does; links already stored (GIAS's own rows have other types) are left as they are."""
    if links.empty:
        return
    rows = pd.concat(
        [
            pd.DataFrame({"urn": links["urn"], "link_urn": links["predecessor"],
                          "link_type": OFSTED_PREDECESSOR, "link_name": links["predecessor_name"],
                          "link_date": links["link_date"]}),
            pd.DataFrame({"urn": links["predecessor"], "link_urn": links["urn"],
                          "link_type": OFSTED_SUCCESSOR, "link_name": links["name"],
                          "link_date": links["link_date"]}),
        ],
        ignore_index=True,
    ).drop_duplicates(["urn", "link_urn", "link_type"])
    upsert_frame(connection, LINKS, rows, ["urn", "link_urn", "link_type"], update=False)


# --------------------------------------------------------------------------------------------- inspections


def merge_inspections(connection: Connection, rows: pd.DataFrame, as_at: date) -> None:
    """Upsert inspections on their number, values by `newest_wins` on the release date; never deleted.

    `first_import_id` is not written here: the writer path stamps it on rows no import recorded before.
    """
    frame = rows.assign(release_as_at=as_at)
    columns = [c for c in frame.columns if c not in ("inspection_number", "release_as_at")]
    upsert_frame(
        connection, INSPECTIONS, frame, ["inspection_number"],
        merge=lambda stmt: newest_wins(INSPECTIONS, stmt, "release_as_at", columns),
    )


# ------------------------------------------------------------------------------------------------ pointers


def merge_pointers(connection: Connection, claims: pd.DataFrame) -> None:
    """Move each school's pointers to the newest inspections claimed for it (claims: urn, inspection_number;
    graded or ungraded is read from the stored inspection), then let schools take their Ofsted-named
    predecessors' pointers. Only changed schools are written."""
    stored = query_frame(connection, select(SCHOOLS.c.urn, *[SCHOOLS.c[p] for p in POINTERS]), raw=True)
    if stored.empty:
        return
    starts = query_frame(
        connection,
        select(INSPECTIONS.c.inspection_number, INSPECTIONS.c.start_date, INSPECTIONS.c.is_graded).where(
            INSPECTIONS.c.inspection_number.is_not(None)
        ),
        raw=True,
    )
    starts["start_date"] = pd.to_datetime(starts["start_date"])
    starts = starts.sort_values(["start_date", "inspection_number"]).set_index("inspection_number")
    starts["order"] = range(len(starts))  # newest last: start date, then inspection number
    starts["is_graded"] = starts["is_graded"].astype(bool)
    links = query_frame(
        connection,
        select(LINKS.c.urn, LINKS.c.link_urn.label("predecessor")).where(
            LINKS.c.link_type == OFSTED_PREDECESSOR
        ),
        raw=True,
    )
    merged = pointers_after(stored, claims, starts, links)
    _write_changed(connection, stored, merged)


def pointers_after(
    stored: pd.DataFrame, claims: pd.DataFrame, starts: pd.DataFrame, links: pd.DataFrame
) -> pd.DataFrame:
    """Pure core of `merge_pointers`: new pointer columns (index urn) of the schools the claims concern
    and of their successors through Ofsted-named links.

    Candidates of a school: its stored pointers, the claims for it and, repeatedly until nothing changes,
    its Ofsted-named predecessors' pointers. Latest/previous graded = the two newest graded candidates,
    latest ungraded = the newest ungraded one (`starts.order`: start date, then inspection number).
    """
    affected = set(claims["urn"].astype("int64"))
    frontier = affected
    while frontier:
        frontier = set(links.loc[links["predecessor"].isin(frontier), "urn"]) - affected
        affected |= frontier
    needed = affected | set(links.loc[links["urn"].isin(affected), "predecessor"])
    stored = stored.loc[stored["urn"].isin(needed)]
    own = pd.concat(
        [stored[["urn", p]].rename(columns={p: "inspection_number"}) for p in POINTERS]
        + [claims[["urn", "inspection_number"]]],
        ignore_index=True,
    ).dropna()
    current = _choose(own, starts, stored["urn"])
    relevant = links.loc[links["urn"].isin(affected)]
    for _ in range(10 if len(relevant) else 0):  # chains of named predecessors are short
        inherited = relevant.merge(
            current.reset_index(), left_on="predecessor", right_on="urn", suffixes=("", "_p")
        )
        extra = pd.concat(
            [inherited[["urn", p]].rename(columns={p: "inspection_number"}) for p in POINTERS],
            ignore_index=True,
        ).dropna()
        following = _choose(pd.concat([own, extra], ignore_index=True), starts, stored["urn"])
        if following.equals(current):
            break
        current = following
    return current.loc[current.index.isin(affected)]


def _choose(candidates: pd.DataFrame, starts: pd.DataFrame, urns: pd.Series) -> pd.DataFrame:
    known = candidates.loc[candidates["inspection_number"].isin(starts.index)].drop_duplicates()
    known = known.assign(
        order=known["inspection_number"].map(starts["order"]),
        graded=known["inspection_number"].map(starts["is_graded"]).astype(bool),
    ).sort_values(["urn", "order"], ascending=[True, False])
    out = pd.DataFrame(index=pd.Index(urns.astype("int64").unique(), name="urn"))
    graded = known.loc[known["graded"]]
    rank = graded.groupby("urn").cumcount()
    for position, name in enumerate(GRADED_POINTERS):
        chosen = graded.loc[rank == position].set_index("urn")["inspection_number"]
        out[name] = chosen.reindex(out.index).astype(object)
    ungraded = known.loc[~known["graded"]].drop_duplicates("urn").set_index("urn")["inspection_number"]
    out[UNGRADED_POINTER] = ungraded.reindex(out.index).astype(object)
    return out.where(out.notna(), None)


def _write_changed(connection: Connection, stored: pd.DataFrame, merged: pd.DataFrame) -> None:
    before = stored.set_index("urn")[list(POINTERS)].reindex(merged.index)
    differs = before.astype(object).fillna("").ne(merged.astype(object).fillna("")).any(axis=1)
    changed = merged.loc[differs]
    if changed.empty:
        return
    # One compiled statement, all rows to the driver (a national first import changes ~22,000 schools).
    statement = update(SCHOOLS).where(SCHOOLS.c.urn == bindparam("key")).values(
        {p: bindparam(p) for p in POINTERS}
    )
    compiled = statement.compile(dialect=connection.dialect)
    columns = {p: changed[p].tolist() for p in POINTERS} | {"key": [int(u) for u in changed.index]}
    names = list(compiled.positiontup or []) if compiled.positional else list(columns)
    rows = list(zip(*(columns[n] for n in names), strict=True))
    params: list[Any] = rows if compiled.positional else [dict(zip(names, r, strict=True)) for r in rows]
    connection.exec_driver_sql(str(compiled), params)
