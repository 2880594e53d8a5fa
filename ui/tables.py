"""Lists of schools as every page shows them: a link to each school's page on screen, a URN column and the
on-screen headers in downloads (no app-relative links in a spreadsheet)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd
import streamlit as st

from analytics.grades import category_name
from analytics.headline import headline_texts
from ui.charts import download_buttons

LINK = "School page"


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
        st.caption(f"{len(table)} schools: lists of named schools are not shown to your role.")
        return
    shown = table.assign(**{LINK: [school_url(u) for u in table["URN"]]})
    config: dict[str, Any] = {
        LINK: st.column_config.LinkColumn(LINK, display_text="Open"),
        **(column_config or {}),
    }
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, height=height)
    download_buttons(table, name, key)
