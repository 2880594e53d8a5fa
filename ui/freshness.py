"""The data-age line every page shows under the menu: "Ofsted data as at DD Month YYYY (age)", and a warning
when the newest Ofsted release in the store is more than two months old (`analytics.freshness`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.config import today
from analytics.freshness import describe
from analytics.grades import headline_text
from analytics.headline import report_card_text
from ui.read import reader


def show_data_age() -> None:
    """Draw the data-age line (and the staleness warning) at the top of the current page."""
    as_at = reader().ofsted_as_at()
    if as_at is None:
        st.caption("No Ofsted data in the store yet: import a release on the Data page.")
        return
    found = describe(as_at, today())
    st.caption(found.line)
    if found.stale:
        st.warning(found.warning, icon=":material/schedule:")


def release_label(row: pd.Series) -> str:
    """'31 May 2026: ofsted-mi, file.csv (import 12)' for the release chooser."""
    as_at = row["as_at"]
    day = f"{pd.Timestamp(as_at):%d %B %Y}" if pd.notna(as_at) else "undated"
    return f"{day}: {row['kind']}, {row['file_name']} (import {int(row['import_id'])})"


def sources_table(log: pd.DataFrame) -> pd.DataFrame:
    """One row per source (import kind): newest as-at date, last import, imports and rows added by them."""
    frame = log.assign(as_at=pd.to_datetime(log["as_at"]), imported_at=pd.to_datetime(log["imported_at"]))
    grouped = frame.groupby("kind", sort=True).agg(
        as_at=("as_at", "max"), imported_at=("imported_at", "max"), imports=("id", "count"),
        rows_added=("rows_inserted", "sum"),
    )
    out = grouped.reset_index()
    return pd.DataFrame(
        {
            "Source": out["kind"].astype(object),
            "As at (newest)": out["as_at"].dt.strftime("%d %B %Y").fillna("not dated").astype(object),
            "Last imported": out["imported_at"].dt.strftime("%d/%m/%Y %H:%M"),
            "Imports": out["imports"].astype("int64"),
            "Rows added": out["rows_added"].astype("int64"),
        }
    )


def _previous_text(row: pd.Series) -> str:
    start = row.get("previous_start")
    if start is None or pd.isna(start):
        return "none recorded"
    day = pd.Timestamp(start).date()
    text = headline_text(row.get("previous_grade"), row.get("previous_grade_source"), day)
    return f"{text}, {day:%d/%m/%Y}"


def inspected_table(added: pd.DataFrame) -> pd.DataFrame:
    """The inspections a release added (`queries.inspections_added`), as the Data page lists them."""
    return pd.DataFrame(
        {
            "URN": added["school_urn"].astype("int64").to_numpy(),
            "School": added["school_name"].astype(object).to_numpy(),
            "Local authority": added["la_name"].astype(object).to_numpy(),
            "Inspection start": pd.to_datetime(added["start_date"]).dt.date.to_numpy(),
            "Published": pd.to_datetime(added["publication_date"]).dt.date.to_numpy(),
            "Inspection": ["graded" if g else "ungraded" for g in added["is_graded"].astype(bool)],
            "Framework": added["framework"].astype(object).to_numpy(),
            "Outcome": added["outcome"].astype(object).to_numpy(),
            "Report-card areas": [report_card_text(r) for _, r in added.iterrows()],
            "Previous graded inspection": [_previous_text(r) for _, r in added.iterrows()],
        }
    )
