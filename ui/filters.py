"""Filters shared by the county pages (LA, phase, type, period): in session_state and mirrored in the URL.

The chosen values live in their own session_state keys (`la`, `phase`, `sector`, `period_kind`, `period`) so
they survive page switches (a widget's own state vanishes on pages that do not draw it). On a session's
first run the URL (`?la=...&phase=...&type=...&pkind=...&period=...`) seeds them; every run writes them back
to the URL, so the address bar can be shared as a link to the same view.

A value typed into the URL is matched ignoring case and punctuation ("telford and wrekin" is "Telford and
Wrekin"); a value that matches nothing is reported with close matches, never silently replaced.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from analytics.schools import SECTORS
from ui.read import ALL, Reader

PHASES = (ALL, "Primary", "Secondary", "Special", "PRU", "Nursery", "All-through")
SECTOR_CHOICES = (ALL, *SECTORS)
URL_KEYS = {"la": "la", "phase": "phase", "sector": "type", "period_kind": "pkind", "period": "period"}
LABELS = {
    "la": "local authority",
    "phase": "phase",
    "sector": "type",
    "period_kind": "period type",
    "period": "period",
}


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


def normalised(text: str) -> str:
    """Lower case, '&' as 'and', punctuation and repeated spaces dropped: 'Telford & Wrekin' ~ 'telford and
    wrekin'."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def match_option(value: str, options: Sequence[str]) -> str | None:
    """The option `value` names, ignoring case and punctuation; None when it names none."""
    if value in options:
        return value
    wanted = normalised(value)
    return next((o for o in options if normalised(o) == wanted), None)


def close_matches(value: str, options: Sequence[str]) -> list[str]:
    by_key = {normalised(o): o for o in options}
    keys = difflib.get_close_matches(normalised(value), list(by_key), n=3, cutoff=0.6)
    return [by_key[k] for k in keys]


def _seed_from_url() -> None:
    if st.session_state.get("_filters_seeded"):
        return
    for state_key, url_key in URL_KEYS.items():
        if url_key in st.query_params and state_key not in st.session_state:
            st.session_state[state_key] = st.query_params[url_key]
    st.session_state["_filters_seeded"] = True


def _not_found(state_key: str, value: str, options: Sequence[str]) -> None:
    """Say plainly that a value (from the URL) matched nothing, with close matches; shown as plain text."""
    close = close_matches(value, options)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    message = (
        f"The {LABELS[state_key]} '{value}' was not found.{hint} Showing {options[0]} instead; "
        "choose another in the sidebar."
    )
    st.session_state.setdefault("_filter_problems", []).append(message)


def _choice(
    label: str, options: Sequence[str], state_key: str, default: str, *, help: str | None = None
) -> str:
    """A sidebar selectbox whose value is kept in session_state[state_key] and in the URL."""
    current = st.session_state.get(state_key, default)
    matched = match_option(str(current), options)
    if matched is None:
        fallback = default if default in options else options[0]
        if current != default:
            _not_found(state_key, str(current), [fallback, *[o for o in options if o != fallback]])
        matched = fallback
    st.session_state[state_key] = matched
    st.query_params[URL_KEYS[state_key]] = matched
    widget_key = f"_w_{state_key}"
    st.session_state[widget_key] = matched  # re-seed: a widget's own state does not survive a page switch
    st.sidebar.selectbox(
        label, options, key=widget_key, help=help, on_change=_keep, args=(widget_key, state_key)
    )
    return str(matched)


def _keep(widget_key: str, state_key: str) -> None:
    """Widget callback: copy the new choice to the page-independent key (runs before the script reruns)."""
    st.session_state[state_key] = st.session_state[widget_key]


def show_problems() -> None:
    """Show (once) what could not be matched in the URL, as plain text in a warning box."""
    for message in st.session_state.pop("_filter_problems", []):
        with st.container(border=True):
            st.text("⚠ " + message)


def county_filters(reader: Reader, *, with_phase: bool = True) -> Filters | None:
    """Draw the LA / phase / type filters in the sidebar and return the choices (None: nothing to show)."""
    _seed_from_url()
    names = reader.la_names()
    if not names:
        return None
    la = _choice("Local authority", names, "la", reader.default_la() or names[0])
    present = set(reader.phases())
    phases = [ALL, *[p for p in PHASES[1:] if p in present], *sorted(present - set(PHASES))]
    phase = _choice("Phase", phases, "phase", ALL) if with_phase else ALL
    sector = _choice("Type", SECTOR_CHOICES, "sector", ALL, help="Academy includes free schools")
    show_problems()
    return Filters(la=la, phase=phase, sector=sector)


def period_choice(
    kinds: Sequence[str], labels_by_kind: dict[str, list[str]], default_kind: str
) -> tuple[str, str]:
    """Period kind and period label (e.g. 'academic year', '2023/24'), shared across pages and in the URL."""
    _seed_from_url()
    kind = _choice("Period type", list(kinds), "period_kind", default_kind)
    labels = labels_by_kind[kind]
    label = _choice("Period", labels, "period", labels[0])
    show_problems()
    return kind, label


def remembered_choice(label: str, options: list[str], key: str, *, sidebar: bool = False) -> str | None:
    """A selectbox remembered in session_state[key] and the URL (?key=...)."""
    if key in st.query_params and key not in st.session_state:
        st.session_state[key] = st.query_params[key]
    if not options:
        return None
    wanted = st.session_state.get(key)
    current = match_option(str(wanted), options) if wanted is not None else None
    if current is None:
        if wanted is not None:
            close = close_matches(str(wanted), options)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            st.text(f"⚠ {label} '{wanted}' was not found.{hint} Showing {options[0]}.")
        current = options[0]
    st.session_state[key] = current
    st.query_params[key] = current
    st.session_state[f"_w_{key}"] = current
    where = st.sidebar if sidebar else st
    where.selectbox(label, options, key=f"_w_{key}", on_change=_keep, args=(f"_w_{key}", key))
    return str(current)


def remembered_segment(label: str, options: list[str], key: str, default: str, **kwargs: object) -> str:
    """A segmented control remembered in session_state[key] and the URL (?key=...): shared links keep it."""
    if key in st.query_params and key not in st.session_state:
        st.session_state[key] = st.query_params[key]
    current = match_option(str(st.session_state.get(key, default)), options) or default
    st.session_state[key] = current
    st.query_params[key] = current
    st.session_state[f"_w_{key}"] = current
    st.segmented_control(
        label,
        options,
        key=f"_w_{key}",
        on_change=_keep_segment,  # type: ignore[call-overload]
        args=(f"_w_{key}", key, default),
        **kwargs,
    )
    return current


def _keep_segment(widget_key: str, state_key: str, default: str) -> None:
    """A segmented control can be deselected (None): keep the default then."""
    st.session_state[state_key] = st.session_state[widget_key] or default


def comparison_choice(labels: list[str], default: str) -> str:
    """Comparison date for the headline changes (session_state and URL key `since`)."""
    if "since" in st.query_params and "since" not in st.session_state:
        st.session_state["since"] = st.query_params["since"]
    current = match_option(str(st.session_state.get("since", default)), labels) or default
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
