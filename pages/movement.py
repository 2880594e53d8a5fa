"""Placeholder until its issue lands."""

import streamlit as st

st.title("movement")
st.info("This page is under construction.")
