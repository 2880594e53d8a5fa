"""Lists of schools as every page shows them: a link to each school's page on screen, a URN column and the
on-screen headers in downloads (no app-relative links in a spreadsheet)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
import streamlit as st

from analytics.grades import category_name
from analytics.headline import headline_texts
from analytics.metrics import KPI_DEFINITIONS, kpi_mask
from ui.charts import download_buttons

LINK = "School page"
#: Width (px) a table may take at a 1440-pixel-wide window with the sidebar open (the main column is ~980).
TABLE_BUDGET = 920
CHAR_PX = 8.0  # average width of a character of the table font
MIN_PX, MAX_PX, PAD_PX = 56, 320, 18


def school_url(urn: int) -> str:
    """Relative deep link to a school's page (`/school?urn=...`)."""
    return f"/school?urn={int(urn)}"


def school_list(schools: pd.DataFrame) -> pd.DataFrame:
    """The standard columns for a list of open schools (headline rows), sorted by name."""
    frame = schools.sort_values("name", kind="stable")
    start = pd.to_datetime(frame["inspection_start"])
    return pd.DataFrame(
        {
            "URN": frame["urn"].astype("int64").to_numpy(),
            "School": frame["name"].astype(object).to_numpy(),
            "Phase": frame["phase"].astype(object).to_numpy(),
            "Type": frame["sector"].astype(object).to_numpy() if "sector" in frame else None,
            "Headline grade": headline_texts(frame),
            "Inspected": start.dt.date.to_numpy(),
            "Framework": frame["framework"].astype(object).to_numpy(),
            "Category of concern": [category_name(c) or "" for c in frame["category_of_concern"]],
            "Pupils": pd.to_numeric(frame["pupils"], errors="coerce").astype("Int64").to_numpy(),
        }
    )


def fitted_widths(table: pd.DataFrame, budget: int = TABLE_BUDGET) -> dict[str, int]:
    """A pixel width per column from its header words and longest values; when they do not fit `budget`, the
    widest columns are narrowed to a common cap (short columns such as dates keep their width), so the table
    needs no sideways scrolling on a 1440-pixel screen. Cut text shows whole when the column is widened."""
    natural: dict[str, int] = {}
    for column in table.columns:
        values = table[column].head(500).map(lambda v: len(str(v)) if v is not None else 0)
        longest = float(values.quantile(0.9)) if len(values) else 0.0
        words = max((len(w) for w in str(column).split()), default=0)
        natural[str(column)] = int(min(MAX_PX, max(MIN_PX, CHAR_PX * max(longest, words) + PAD_PX)))
    cap = MAX_PX
    while cap > MIN_PX and sum(min(w, cap) for w in natural.values()) > budget:
        cap -= 2
    return {c: min(w, cap) for c, w in natural.items()}


def fitted_config(table: pd.DataFrame, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`config` (column_config) with a fitted width on every column (an explicit width is replaced)."""
    out: dict[str, Any] = dict(config or {})
    for column, width in fitted_widths(table).items():
        given = out.get(column)
        out[column] = (
            {**given, "width": width}
            if isinstance(given, dict)
            else st.column_config.Column(given if isinstance(given, str) else None, width=width)
        )
    return out


def show_school_table(
    table: pd.DataFrame,
    *,
    name: str,
    key: str,
    column_config: Mapping[str, Any] | None = None,
    height: int | Literal["auto"] = "auto",
) -> None:
    """A table with a link to each school's page, and CSV/XLSX downloads of the same rows (URN, no links).

    Viewers who see counts only (members) get a sentence instead: never a list of named schools."""
    from ui.read import reader

    if reader().counts_only:
        st.text(f"{len(table)} schools: lists of named schools are not shown to your role.")
        return
    shown = table.assign(**{LINK: ["Open" for _ in table["URN"]]})
    config = fitted_config(
        shown,
        {LINK: st.column_config.LinkColumn(LINK, display_text="Open"), **(column_config or {})},
    )
    shown[LINK] = [school_url(u) for u in table["URN"]]
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, height=height)
    download_buttons(table, name, key)


def show_counted_schools(
    schools: pd.DataFrame,
    kpi: str,
    *,
    title: str,
    name: str,
    key: str,
    mask: pd.Series | None = None,
    definition: str | None = None,
) -> pd.DataFrame:
    """The schools behind a count (`metrics.kpi_mask`, the count's one definition): a heading, the count's
    definition and the list with links and downloads. Used by every count that can be opened. `mask` and
    `definition` serve counts defined elsewhere (report-card figures: `metrics.report_card_mask`)."""
    members = schools.loc[kpi_mask(schools, kpi) if mask is None else mask]
    st.subheader(title)
    st.caption(definition or KPI_DEFINITIONS.get(kpi, ""))
    if members.empty:
        st.text("No school is counted here.")
    else:
        show_school_table(school_list(members), name=name, key=key)
    return members
