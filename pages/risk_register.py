"""Placeholder until its issue lands."""

import streamlit as st

st.title("risk_register")
st.info("This page is under construction.")
