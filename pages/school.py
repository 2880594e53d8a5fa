"""Placeholder until its issue lands."""

import streamlit as st

st.title("school")
st.info("This page is under construction.")
