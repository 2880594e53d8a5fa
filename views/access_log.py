"""Access log (directors and administrators): sign-ins, failed sign-ins, exports and refusals."""

from __future__ import annotations

import streamlit as st

from analytics import access
from ui.read import current_viewer, engine


def render() -> None:
    st.title("Access log")
    me = current_viewer()
    if me is None or me.role not in ("director", "admin"):
        st.error("Only directors and administrators may read the access log.")
        return
    log = access.access_log(engine())
    st.caption(f"The latest {len(log)} events, newest first (who, when, what).")
    st.dataframe(log, hide_index=True, width="stretch")


render()
