"""Placeholder until its issue lands."""

import streamlit as st

st.title("model_card")
st.info("This page is under construction.")
