"""Users (administrators): every account with its role and scope; add, remove, reset a password."""

from __future__ import annotations

import streamlit as st

from analytics import access
from analytics.access import AccessError, AccountSpec
from ui.read import current_viewer, engine
from ui.text import escape


def _add_form() -> None:
    with st.form("add-user", clear_on_submit=True):
        st.subheader("Add an account")
        email = st.text_input("Email of the new account")
        role = st.selectbox("Role", access.ROLES)
        la = st.text_input("Local authority (empty: every LA)")
        districts = st.text_input("Districts (DSIM; separated by ';')")
        urn = st.text_input("URN (headteacher)")
        memorandum = st.selectbox("Memorandum (headteacher)", ["", *access.MEMORANDUM])
        password = st.text_input("Initial password (at least 12 characters)", type="password")
        if not st.form_submit_button("Add the account"):
            return
    try:
        spec = AccountSpec(email, role, la.strip() or None,
                           tuple(d.strip() for d in districts.split(";") if d.strip()),
                           int(urn) if urn.strip().isdigit() else None, memorandum or None)
        if urn.strip() and not urn.strip().isdigit():
            raise AccessError(f"URN must be a number, not '{urn}'.")
        added = access.add_account(engine(), spec, password)
    except AccessError as error:
        st.error(escape(str(error)) + " Nothing was written.")
        return
    st.success(escape(f"Added {added.email} ({added.role})."))


def _remove_form(emails: list[str]) -> None:
    with st.form("remove-user"):
        st.subheader("Remove an account")
        email = st.selectbox("Account to remove", emails)
        if st.form_submit_button("Remove the account") and email:
            me = current_viewer()
            if me is not None and me.email == email:
                st.error("You cannot remove your own account here.")
                return
            access.remove_account(engine(), email)
            st.success(escape(f"Removed {email}."))


def _reset_form(emails: list[str]) -> None:
    with st.form("reset-password"):
        st.subheader("Reset a password")
        email = st.selectbox("Account", emails)
        password = st.text_input("New password (at least 12 characters)", type="password")
        if st.form_submit_button("Set the password") and email:
            try:
                access.reset_password(engine(), email, password)
            except AccessError as error:
                st.error(escape(str(error)))
                return
            st.success(escape(f"New password set for {email}; any lock-out is cleared."))


def render() -> None:
    st.title("Users")
    me = current_viewer()
    if me is None or me.role != "admin":
        st.error("Only administrators may manage users.")
        return
    _add_form()
    table = access.accounts(engine())
    emails = [str(e) for e in table["email"]]
    st.subheader("Accounts")
    st.dataframe(table, hide_index=True, width="stretch")
    _remove_form(emails)
    _reset_form(emails)


render()
