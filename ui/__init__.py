"""Streamlit glue shared by pages: cached data access keyed on the data version, filters, chart helpers."""
