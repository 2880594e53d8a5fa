"""Streamlit glue for the register pages: who is editing, cached loaders, safe messages.

Caches are keyed on ordinary (hashed) parameters: the data version (imports), the register version (the
newest audit id: every register change bumps it) and the id of the newest early-warning model, so a change
shows at once.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import streamlit as st

from analytics.queries import Scope
from analytics.register import audit, impact, listing, meeting, rules
from analytics.register.base import RegisterError
from ui.read import DataKey, engine


def editor() -> str | None:
    """Who is making changes: the signed-in person when their role may edit the register (director, DSIM),
    else None (the pages then refuse to save). The one place the pages ask."""
    from ui.read import current_viewer

    person = current_viewer()
    if person is None or person.role not in ("director", "dsim"):
        return None
    return person.email


def register_version() -> int:
    return audit.latest_id(engine())


def _risk_scores(data: DataKey, model: int | None) -> pd.DataFrame | None:
    """The scores the register rules use (urn, risk, band) of the stored model `model` (`ui.risk.model_id()`,
    read on every run), projected from the one cached loader `ui.risk.scores`; None without a model or when it
    scored no school. The cached loaders below take the model id, not the frame, as their key: a cache hit
    neither reads nor hashes the scores."""
    if model is None:
        return None
    from ui.risk import scores  # imports scikit-learn: only when a page needs the scores

    frame = scores(data.database, model)
    return None if frame.empty else frame[["urn", "risk", "band"]].astype({"urn": "int64"})


@st.cache_data(show_spinner="Reading the data the register rules use...", max_entries=8)
def facts(la: str, data: DataKey) -> rules.Facts:
    """Ofsted, DfE context and England means for the LA's schools (no risk scores), per data version."""
    del data  # cache key: an import changes the data
    return rules.load_facts(engine(), Scope.la(la), with_risk=False)


def _with_risk(la: str, data: DataKey, model: int | None) -> rules.Facts:
    return dataclasses.replace(facts(la, data), risk=_risk_scores(data, model))


@st.cache_data(show_spinner="Comparing the register with the data...", max_entries=16)
def register_table(
    la: str, data: DataKey, register: int, model: int | None, today: date
) -> pd.DataFrame:
    del register  # cache key: any register change
    return listing.register_table(engine(), Scope.la(la), today, facts=_with_risk(la, data, model))


@st.cache_data(show_spinner=False, max_entries=16)
def proposals(la: str, data: DataKey, register: int, model: int | None, today: date) -> pd.DataFrame:
    del register
    return listing.first_register_proposals(engine(), la, today, facts=_with_risk(la, data, model))


@st.cache_data(show_spinner="Preparing the meeting view...", max_entries=16)
def meeting_view(
    la: str, since: date, today: date, data: DataKey, register: int, model: int | None
) -> meeting.MeetingView:
    del register
    return meeting.meeting_view(engine(), la, since, today, facts=_with_risk(la, data, model))


@st.cache_data(show_spinner="Comparing outcomes before and after support...", max_entries=8)
def impact_of_interventions(la: str, data: DataKey, register: int, today: date) -> tuple[pd.DataFrame, str]:
    """Closed interventions' outcomes before and after, and the supported-vs-similar comparison in words."""
    del data, register
    scope = Scope.la(la)
    return impact.intervention_impact(engine(), scope, today), impact.supported_vs_similar(
        engine(), scope, today
    ).text


@st.cache_data(show_spinner=False, max_entries=16)
def audit_log(la: str | None, urn: int | None, register: int) -> pd.DataFrame:
    del register
    scope = Scope(la_names=(la,) if la else None, urns=(urn,) if urn is not None else None)
    return audit.audit_log(engine(), scope)


def utc_text(moments: pd.Series) -> pd.Series:
    """Aware timestamps as 'YYYY-MM-DD HH:MM:SS UTC' text (Excel cannot hold time zones)."""
    return pd.to_datetime(moments, utc=True).dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def refused(error: RegisterError) -> None:
    """Show why a change was refused. The message can quote typed or imported text: shown as plain text."""
    from analytics.register.base import Conflict

    if isinstance(error, Conflict):
        st.error(
            "Not saved: someone else changed this record after you opened it.", icon=":material/sync_problem:"
        )
    else:
        st.error("Not saved: please correct the input.", icon=":material/error:")
    st.text(str(error))


FLASH = "register_flash"


def saved(text: str) -> None:
    """Confirm a change and rerun, so every table on the page shows it (the message survives the rerun)."""
    st.session_state[FLASH] = text
    st.rerun()


def show_saved() -> None:
    """The confirmation of the change made in the previous run, if any (once)."""
    text = st.session_state.pop(FLASH, None)
    if text:
        st.success("Saved.", icon=":material/check_circle:")
        st.text(text)


@st.cache_data(show_spinner=False, max_entries=64)
def school_sections(urn: int, register: int, data: DataKey) -> dict[str, pd.DataFrame]:
    """The register's tables about one school (LA category history, interventions, reviews, notes), cached on
    the register version (the newest audit id: any change shows at once) and the database."""
    del register, data
    from analytics.register.school import school_register_sections

    return school_register_sections(engine(), urn)
