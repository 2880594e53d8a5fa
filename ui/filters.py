"""Filters shared by the county pages (LA, phase, type, period): in session_state and mirrored in the URL.

The chosen values live in their own session_state keys (`la`, `phase`, `sector`, `period_kind`, `period`) so
they survive page switches (a widget's own state vanishes on pages that do not draw it). On a session's
first run the URL (`?la=...&phase=...&type=...&pkind=...&period=...`) seeds them; every run writes them back
to the URL, so the address bar can be shared as a link to the same view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from ui import county, data

ALL = "All"
PHASES = (ALL, "Primary", "Secondary", "Special", "PRU", "Nursery", "All-through")
SECTORS = (ALL, "Maintained", "Academy")
URL_KEYS = {"la": "la", "phase": "phase", "sector": "type", "period_kind": "pkind", "period": "period"}


@dataclass(frozen=True)
class Filters:
    la: str
    phase: str
    sector: str

    def describe(self) -> str:
        parts = [self.la]
        if self.phase != ALL:
            parts.append(f"{self.phase} phase")
        if self.sector != ALL:
            parts.append(f"{self.sector.lower()} schools")
        return ", ".join(parts)

    @property
    def unfiltered(self) -> bool:
        return self.phase == ALL and self.sector == ALL


def _seed_from_url() -> None:
    if st.session_state.get("_filters_seeded"):
        return
    for state_key, url_key in URL_KEYS.items():
        if url_key in st.query_params and state_key not in st.session_state:
            st.session_state[state_key] = st.query_params[url_key]
    st.session_state["_filters_seeded"] = True


def _choice(
    label: str, options: Sequence[str], state_key: str, default: str, *, help: str | None = None
) -> str:
    """A sidebar selectbox whose value is kept in session_state[state_key] and in the URL."""
    current = st.session_state.get(state_key, default)
    if current not in options:
        current = default if default in options else options[0]
    st.session_state[state_key] = current
    st.query_params[URL_KEYS[state_key]] = current
    widget_key = f"_w_{state_key}"
    st.session_state[widget_key] = current  # re-seed: a widget's own state does not survive a page switch
    st.sidebar.selectbox(
        label, options, key=widget_key, help=help, on_change=_keep, args=(widget_key, state_key)
    )
    return str(current)


def _keep(widget_key: str, state_key: str) -> None:
    """Widget callback: copy the new choice to the page-independent key (runs before the script reruns)."""
    st.session_state[state_key] = st.session_state[widget_key]


def county_filters(*, with_phase: bool = True) -> Filters:
    """Draw the LA / phase / type filters in the sidebar and return the current choices."""
    _seed_from_url()
    names = data.la_names(data.version())
    la = _choice("Local authority", names, "la", data.default_la(names))
    present = set(county.phases(data.version()))
    phases = [ALL, *[p for p in PHASES[1:] if p in present], *sorted(present - set(PHASES))]
    phase = _choice("Phase", phases, "phase", ALL) if with_phase else ALL
    sector = _choice("Type", SECTORS, "sector", ALL, help="Academy includes free schools")
    return Filters(la=la, phase=phase, sector=sector)


def period_choice(
    kinds: Sequence[str], labels_by_kind: dict[str, list[str]], default_kind: str
) -> tuple[str, str]:
    """Period kind and period label (e.g. 'academic year', '2023/24'), shared across pages and in the URL."""
    _seed_from_url()
    kind = _choice("Period type", list(kinds), "period_kind", default_kind)
    labels = labels_by_kind[kind]
    label = _choice("Period", labels, "period", labels[0])
    return kind, label


def comparison_choice(labels: list[str], default: str) -> str:
    """Comparison date for the headline changes (session_state and URL key `since`)."""
    _seed_from_url()
    if "since" in st.query_params and "since" not in st.session_state:
        st.session_state["since"] = st.query_params["since"]
    current = st.session_state.get("since", default)
    if current not in labels:
        current = default
    st.session_state["since"] = current
    st.query_params["since"] = current
    st.session_state["_w_since"] = current
    st.selectbox(
        "Compare with",
        labels,
        key="_w_since",
        help="Change shown on each card since this date",
        on_change=_keep,
        args=("_w_since", "since"),
    )
    return str(current)


def remembered_choice(label: str, options: list[str], key: str) -> str | None:
    """A main-area selectbox remembered in session_state[key] and the URL (?key=...)."""
    if key in st.query_params and key not in st.session_state:
        st.session_state[key] = st.query_params[key]
    if not options:
        return None
    current = st.session_state.get(key)
    current = current if current in options else options[0]
    st.session_state[key] = current
    st.query_params[key] = current
    st.session_state[f"_w_{key}"] = current
    st.selectbox(label, options, key=f"_w_{key}", on_change=_keep, args=(f"_w_{key}", key))
    return str(current)
