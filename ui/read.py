"""The one read path from the store to the pages.

Pages get every frame from a `Reader` (`reader()`): it carries the data version (the id of the latest import,
which every import bumps, once the import's read model is stored: `analytics.derived.visible_version`) and the
viewer's scope, and every cached function below takes both as ordinary, hashed arguments. So an import, from
the command line or a page, shows in the next rerun of every session, and cached results never cross viewers
with different scopes. National frames that depend only on the data come from `analytics.derived` (computed
once after each import and stored); everything a page shows is cut to the viewer's scope here, never in the
page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from analytics import access, comparison, derived, movement, queries, suppression, trends
from analytics.access import Viewer
from analytics.config import get_settings
from analytics.districts import district_of
from analytics.grades import DERIVED
from analytics.localauthorities import default_la
from analytics.metrics import (
    KPI_DEFINITIONS,
    REPORT_CARD_KPI_KEYS,
    county_kpis,
    kpi_mask,
    report_card_kpis,
    report_card_mask,
    uninspected_count,
)
from analytics.profiles import NationalFrames, load_profile
from analytics.school_profile import SchoolProfile, search
from analytics.scope import Scope
from analytics.store import get_engine

CONSTITUENCY = "Parliamentary constituency"
ALL = "All"


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return get_engine(url)


def engine() -> Engine:
    """The process's one engine for the configured database (cached as a resource, never mutated)."""
    return _engine(get_settings().database_url)


@dataclass(frozen=True)
class DataKey:
    """What every cached frame is keyed on: the database and its data version (the latest import's id).

    The database is part of the key so that two stores served by one process (tests do this) never share
    cached frames that happen to have the same version number.
    """

    database: str
    version: int


def data_key() -> DataKey:
    return DataKey(get_settings().database_url, derived.visible_version(engine()))


SESSION_KEY = "auth_session"


@dataclass
class Session:
    """A signed-in session, kept in session_state[SESSION_KEY] (no widget uses that key: a visitor cannot set
    it). The sign-in gate (`ui.auth`) creates it and refreshes `viewer` from the store on every app run."""

    viewer: Viewer
    since: float
    seen: float


def session_problem(session: Session, clock: float) -> str | None:
    """Why a session may no longer read (expired, idle too long), or None."""
    settings = get_settings()
    if clock - session.since > settings.session_hours * 3600:
        return "Your session has expired: please sign in again."
    if clock - session.seen > settings.session_timeout_minutes * 60:
        return "You were inactive for too long: please sign in again."
    return None


def current_viewer() -> Viewer | None:
    """The signed-in person, or None: nobody signed in, or the session expired or idle too long.

    Checked on every read, whichever script runs (app.py's gate or a page script run on its own), so the
    read layer fails closed by itself."""
    session = st.session_state.get(SESSION_KEY)
    if not isinstance(session, Session) or session_problem(session, time.time()) is not None:
        return None
    return session.viewer


def viewer_scope(person: Viewer | None, data: DataKey) -> Scope:
    """What the person looking may see: their role's county scope; no school at all when nobody is signed
    in (or the session has expired)."""
    return access.NO_SCHOOLS if person is None else _scopes(person, data)[0]


@st.cache_data(show_spinner=False, ttl=60, max_entries=256)
def _scopes(person: Viewer, data: DataKey) -> tuple[Scope, tuple[int, ...] | None]:
    """The person's county scope and named-detail URNs (signatories may change: a minute's cache)."""
    return access.county_scope(engine(), person), access.detail_urns(engine(), person)


# ------------------------------------------------------------------------------------------ cached frames
# Every function takes `data` (database and version) and `scope` where the result is about schools, as
# ordinary, hashed arguments (Streamlit does not hash parameters whose names start with "_").


@st.cache_data(show_spinner="Loading the data...", max_entries=16)
def national(name: str, data: DataKey) -> pd.DataFrame:
    """A national frame of `analytics.derived` (not for pages: use the scoped `Reader` methods)."""
    return derived.load(engine(), name, data.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _schools(data: DataKey, scope: Scope) -> pd.DataFrame:
    return scope.filter(national("headlines", data))


@st.cache_data(show_spinner=False, max_entries=64)
def _la_names(data: DataKey, scope: Scope) -> list[str]:
    names = _schools(data, scope)["la_name"].dropna().unique()
    return sorted(str(n) for n in names)


@st.cache_data(show_spinner=False, max_entries=64)
def _trend_counts(data: DataKey, scope: Scope, freq: str) -> pd.DataFrame:
    counts = national(f"trend_counts_{freq}", data)
    return counts if scope.la_names is None else counts.loc[counts["la_name"].isin(scope.la_names)]


@st.cache_data(show_spinner=False, max_entries=64)
def _lineage(data: DataKey, scope: Scope) -> pd.DataFrame:
    lineage = national("movement_lineage", data)
    return lineage.loc[lineage["current_urn"].isin(_schools(data, scope)["urn"])]


@st.cache_data(show_spinner=False, max_entries=64)
def _due(data: DataKey, scope: Scope) -> pd.DataFrame:
    due = national("due", data)
    return due.loc[due["urn"].isin(_schools(data, scope)["urn"])]


@st.cache_data(show_spinner=False, max_entries=64)
def _directory(data: DataKey, scope: Scope) -> pd.DataFrame:
    """Searchable schools: every school in the store for England (closed predecessors too), else the
    scope's."""
    directory = national("directory", data)
    if scope.is_england:
        return directory
    return directory.loc[directory["urn"].isin(_schools(data, scope)["urn"])]


@st.cache_data(show_spinner=False, max_entries=16)
def _england_kpis(data: DataKey, phase: str, sector: str) -> dict[str, Any]:
    """England headline figures: aggregates, which every viewer may see beside their own area's."""
    return headline_kpis(cut(national("headlines", data), None, phase, sector))


@st.cache_data(show_spinner=False, max_entries=16)
def _la_comparison(data: DataKey, phase: str, sector: str) -> pd.DataFrame:
    return comparison.la_good_or_outstanding(cut(national("headlines", data), None, phase, sector))


@st.cache_data(show_spinner=False, max_entries=64)
def _neighbours(data: DataKey, la: str) -> list[str]:
    found = queries.stat_neighbours(engine(), la)
    return [str(n) for n in found["neighbour_ofsted_name"].dropna()]


@st.cache_data(show_spinner=False, max_entries=8)
def _district_schemes(data: DataKey) -> list[str]:
    return [CONSTITUENCY, *queries.district_schemes(engine())]


@st.cache_data(show_spinner=False, max_entries=16)
def _district_mapping(data: DataKey, scheme: str) -> pd.DataFrame | None:
    return None if scheme == CONSTITUENCY else queries.district_mapping(engine(), scheme)


@st.cache_data(show_spinner="Loading the school...", max_entries=128)
def _profile(data: DataKey, scope: Scope, urn: int) -> SchoolProfile | None:
    if not _knows_school(data, scope, urn):
        return None
    frames = NationalFrames(
        headlines=national("headlines", data),
        directory=national("directory", data),
        links=national("links", data),
        context_sums=national("context_sums", data),
        due=national("due", data),
    )
    return load_profile(engine(), urn, frames)


@st.cache_data(show_spinner=False, max_entries=4)
def _import_log(data: DataKey) -> pd.DataFrame:
    return queries.import_log(engine())


@st.cache_data(show_spinner=False, max_entries=4)
def _ofsted_releases(data: DataKey) -> pd.DataFrame:
    return queries.ofsted_releases(engine())


@st.cache_data(show_spinner=False, max_entries=16)
def _inspections_added(data: DataKey, scope: Scope, import_id: int) -> pd.DataFrame:
    return queries.inspections_added(engine(), import_id, scope)


@dataclass(frozen=True)
class AreaFigures:
    """An area's headline figures for one choice of LA, phase and type (the Overview's cards), computed once
    per data version and scope: a page run reads these few numbers instead of the schools frame."""

    schools: int
    kpis: dict[str, Any]  # headline_kpis
    report_cards: dict[str, Any]  # metrics.report_card_kpis
    members: dict[str, int]  # the schools behind each KPI and report-card figure (their masks' counts)
    derived_grades: int  # grades derived from key judgements (grade_source DERIVED)


@st.cache_data(show_spinner=False, max_entries=256)
def _area_figures(data: DataKey, scope: Scope, la: str | None, phase: str | None, sector: str | None
                  ) -> AreaFigures:
    local = _area_schools(data, scope, la, phase, sector)
    members = {key: int(kpi_mask(local, key).sum()) for key in KPI_DEFINITIONS}
    members |= {key: int(report_card_mask(local, key).sum()) for key in REPORT_CARD_KPI_KEYS}
    return AreaFigures(
        schools=len(local),
        kpis=headline_kpis(local),
        report_cards=report_card_kpis(local),
        members=members,
        derived_grades=int((local["grade_source"] == DERIVED).sum()),
    )


@st.cache_data(show_spinner=False, max_entries=256)
def _kpi_trend(data: DataKey, scope: Scope, freq: str, la: str | None, phase: str | None, sector: str | None,
               by: tuple[str, ...]) -> pd.DataFrame:
    return trends.kpi_series(cut(_trend_counts(data, scope, freq), la, phase, sector), list(by))


@st.cache_data(show_spinner=False, max_entries=256)
def _area_schools(data: DataKey, scope: Scope, la: str | None, phase: str | None, sector: str | None
                  ) -> pd.DataFrame:
    """One area's rows, cached by themselves: an LA's few hundred rows load far faster than the national
    frame they are cut from."""
    return cut(_schools(data, scope), la, phase, sector)


@st.cache_data(show_spinner=False, max_entries=256)
def _district_kpis(data: DataKey, scope: Scope, la: str | None, phase: str | None, sector: str | None,
                   scheme: str) -> pd.DataFrame:
    schools = _area_schools(data, scope, la, phase, sector)
    return comparison.district_kpis(schools, _district_labels(data, schools, scheme))


def _district_labels(data: DataKey, schools: pd.DataFrame, scheme: str) -> pd.Series:
    return district_of(schools, _district_mapping(data, scheme)).astype(str)


@st.cache_data(show_spinner=False, max_entries=64)
def _first_graded(data: DataKey, scope: Scope) -> date | None:
    lineage = _lineage(data, scope)
    return None if lineage.empty else pd.Timestamp(lineage["start"].min()).date()


@st.cache_data(show_spinner=False, max_entries=256)
def _period_movement(data: DataKey, scope: Scope, la: str | None, phase: str | None, sector: str | None,
                     start: date, end: date) -> pd.DataFrame:
    schools = _area_schools(data, scope, la, phase, sector)
    exact = schools.set_index("urn")["grade_known_exactly_from"]
    return movement.period_movement(_lineage(data, scope), schools, start, end, exact)


@st.cache_data(show_spinner=False, max_entries=256)
def _report_cards_in_period(data: DataKey, scope: Scope, la: str | None, phase: str | None,
                            sector: str | None, start: date, end: date) -> pd.DataFrame:
    return movement.report_cards_in_period(_area_schools(data, scope, la, phase, sector), start, end)


@st.cache_data(show_spinner=False, max_entries=1024)
def _knows_school(data: DataKey, scope: Scope, urn: int) -> bool:
    """Whether the school is in the viewer's directory (a yes or no, cached: the directory is large)."""
    return bool((_directory(data, scope)["urn"] == urn).any())


@st.cache_data(show_spinner=False, max_entries=64)
def _phases(data: DataKey, scope: Scope) -> list[str]:
    return sorted(str(p) for p in _schools(data, scope)["phase"].dropna().unique())


@st.cache_data(show_spinner=False, max_entries=8)
def _data_date(data: DataKey) -> date:
    as_at = national("headlines", data)["as_at"].dropna()
    return pd.Timestamp(as_at.max()).date() if not as_at.empty else pd.Timestamp.today().date()


# ------------------------------------------------------------------------------------------ pure helpers


def cut(frame: pd.DataFrame, la: str | None, phase: str | None, sector: str | None) -> pd.DataFrame:
    """Rows of a school-level or counts frame for one LA (None = all in the frame), phase and sector."""
    mask = pd.Series(True, index=frame.index)
    if la:
        mask &= frame["la_name"] == la
    if phase and phase != ALL:
        mask &= frame["phase"] == phase
    if sector and sector != ALL:
        mask &= frame["sector"] == sector
    return frame.loc[mask]


def headline_kpis(frame: pd.DataFrame) -> dict[str, Any]:
    """The command line's KPIs (`metrics.county_kpis`) plus the uninspected count."""
    kpis = county_kpis(frame)
    kpis["schools_uninspected"] = uninspected_count(frame)
    return kpis


# ------------------------------------------------------------------------------------------ the reader


@dataclass(frozen=True)
class Reader:
    """The data a page may show, for one data version and one viewer's scope."""

    data: DataKey
    scope: Scope
    viewer: Viewer | None = None

    @property
    def version(self) -> int:
        return self.data.version

    def detail_urns(self) -> tuple[int, ...] | None:
        """Schools whose named detail (register, notes, risk) the viewer may see; None = all in scope."""
        if self.viewer is None:
            return ()
        return _scopes(self.viewer, self.data)[1]

    def sees_detail(self, urn: int) -> bool:
        allowed = self.detail_urns()
        return (allowed is None or int(urn) in allowed) and self.knows_school(int(urn))

    def detail_only(self, frame: pd.DataFrame, column: str = "urn") -> pd.DataFrame:
        """Rows of a frame of named schools the viewer may see in detail (register, risk)."""
        allowed = self.detail_urns()
        return frame if allowed is None else frame.loc[frame[column].isin(allowed)]

    @property
    def counts_only(self) -> bool:
        """No lists of named schools (members, logged out)."""
        return self.viewer is None or self.viewer.counts_only

    def suppressed(self, frame: pd.DataFrame, counts: list[str], shares: dict[str, str] | None = None
                   ) -> pd.DataFrame:
        """A table of figures as this viewer may see it: for members, pupil-derived `counts` at or below the
        threshold are suppressed (`analytics.suppression`), with each share (column -> its count column)."""
        if not self.counts_only:
            return frame
        out = suppression.suppress_table(frame, counts)
        for share, count in (shares or {}).items():
            out[share] = out[share].astype(object).where(out[count] != suppression.SUPPRESSED,
                                                         suppression.SUPPRESSED)
        return out

    def la_names(self) -> list[str]:
        return _la_names(self.data, self.scope)

    def default_la(self) -> str | None:
        return default_la(self.la_names())

    def schools(
        self, la: str | None = None, phase: str | None = None, sector: str | None = None
    ) -> pd.DataFrame:
        """Open schools in scope with their headline grades, optionally cut by LA, phase and sector."""
        return _area_schools(self.data, self.scope, la, phase, sector)

    def phases(self) -> list[str]:
        return _phases(self.data, self.scope)

    def data_date(self) -> date:
        """Date of the latest Ofsted release in the store (the headline 'as at' date)."""
        return _data_date(self.data)

    def area_figures(self, la: str | None, phase: str | None, sector: str | None) -> AreaFigures:
        """Headline figures of the open schools in scope, cut by LA, phase and sector."""
        return _area_figures(self.data, self.scope, la, phase, sector)

    def kpi_trend(self, freq: str, la: str | None, phase: str | None, sector: str | None,
                  by: tuple[str, ...] = ()) -> pd.DataFrame:
        """`trends.kpi_series` of the additive KPI counts at each term ('term') or month ('month') end since
        2005 / 2018 (percentages added), broken down `by` columns."""
        return _kpi_trend(self.data, self.scope, freq, la, phase, sector, by)

    def first_graded(self) -> date | None:
        """Start of the earliest graded inspection of the schools in scope (or their predecessors)."""
        return _first_graded(self.data, self.scope)

    def period_movement(self, la: str | None, phase: str | None, sector: str | None, start: date, end: date
                        ) -> pd.DataFrame:
        """`movement.period_movement` of the area's schools for inspections starting `start` to `end`."""
        return _period_movement(self.data, self.scope, la, phase, sector, start, end)

    def report_cards_in_period(self, la: str | None, phase: str | None, sector: str | None, start: date,
                               end: date) -> pd.DataFrame:
        """`movement.report_cards_in_period` of the area's schools."""
        return _report_cards_in_period(self.data, self.scope, la, phase, sector, start, end)

    def due(self) -> pd.DataFrame:
        return _due(self.data, self.scope)

    def england_kpis(self, phase: str, sector: str) -> dict[str, Any]:
        return _england_kpis(self.data, phase, sector)

    def la_comparison(self, phase: str, sector: str) -> pd.DataFrame:
        """% good or outstanding for every LA (aggregates, for the statistical-neighbour comparison)."""
        return _la_comparison(self.data, phase, sector)

    def neighbours(self, la: str) -> list[str]:
        return _neighbours(self.data, la)

    def district_schemes(self) -> list[str]:
        return _district_schemes(self.data)

    def districts(self, schools: pd.DataFrame, scheme: str) -> pd.Series:
        """Each school's district under a scheme (constituency or an imported mapping), aligned to
        `schools`."""
        return _district_labels(self.data, schools, scheme)

    def district_kpis(self, la: str | None, phase: str | None, sector: str | None, scheme: str
                      ) -> pd.DataFrame:
        """`comparison.district_kpis` of the area's schools under a district scheme."""
        return _district_kpis(self.data, self.scope, la, phase, sector, scheme)

    def search(self, text: str) -> pd.DataFrame:
        return search(_directory(self.data, self.scope), text)

    def knows_school(self, urn: int) -> bool:
        return _knows_school(self.data, self.scope, int(urn))

    def school(self, urn: int) -> SchoolProfile | None:
        """The school's profile, or None when it is unknown or outside the viewer's scope."""
        return _profile(self.data, self.scope, int(urn))

    def import_log(self) -> pd.DataFrame:
        return _import_log(self.data)

    def ofsted_releases(self) -> pd.DataFrame:
        """Every Ofsted release imported, newest as-at date first (`queries.ofsted_releases`)."""
        return _ofsted_releases(self.data)

    def ofsted_as_at(self) -> date | None:
        """As-at date of the newest Ofsted release in the store (None before any)."""
        dates = self.ofsted_releases()["as_at"].dropna()
        return pd.Timestamp(dates.max()).date() if not dates.empty else None

    def inspections_added(self, import_id: int) -> pd.DataFrame:
        """The inspections an import was the first to record, for the schools in scope."""
        return _inspections_added(self.data, self.scope, int(import_id))


def reader() -> Reader:
    """The reader for this run: the current data version and the viewer's scope."""
    data, person = data_key(), current_viewer()
    return Reader(data, viewer_scope(person, data), person)
