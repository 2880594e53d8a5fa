"""Placeholder until its issue lands."""

import streamlit as st

st.title("overview")
st.info("This page is under construction.")
