"""Placeholder until its issue lands."""

import streamlit as st

st.title("districts")
st.info("This page is under construction.")
