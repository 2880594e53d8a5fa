"""Data and imports: what is loaded, when, from which files (the import log)."""

import streamlit as st

from analytics.queries import import_log
from ui import data

st.title("Data and imports")
log = import_log(data.engine())
if log.empty:
    st.warning("No data has been imported yet. Run `python -m analytics init-demo` or `make run`.")
else:
    st.caption(f"Data version {data.version()}: {len(log)} imports recorded. Every import is all-or-nothing.")
    st.dataframe(log, hide_index=True, width="stretch")
st.markdown(
    "Sources: Ofsted and DfE official statistics, Crown copyright, Open Government Licence v3.0. "
    "See `data/*/PROVENANCE.md` for each file's origin and quirks."
)
