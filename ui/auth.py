"""The sign-in gate: who is looking (local account or OIDC identity), session expiry, and the pages they get.

`app.py` calls `signed_in()` before `st.navigation` and `pages_for()` to build the menu: every declared page
is either the real page (allowed) or a hidden stand-in at the same URL that shows the sign-in form (logged
out) or says plainly that the role may not open it. The signed-in person's scope is stored in session_state
for the read layer (`ui.read.viewer_scope`); nothing a visitor types can set those keys.

Local accounts (argon2, `python -m analytics users add`) are the default. When `.streamlit/secrets.toml` has
an `[auth]` section, Streamlit's OIDC login (`st.login`/`st.user`) is used instead and the identity's email is
mapped to an account in the store; an identity without an account sees only a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from analytics import access
from analytics.access import LoginRefused, Viewer
from ui.read import SESSION_KEY, Session, current_viewer, engine, session_problem
from ui.text import escape

NOTICE_KEY = "auth_notice"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, AttributeError):  # no secrets file at all
        return False
    except Exception:  # noqa: BLE001 (a malformed secrets file: fall back to local accounts)
        return False


def _start(person: Viewer) -> None:
    clock = time.time()
    st.session_state[SESSION_KEY] = Session(person, clock, clock)


def sign_out(reason: str | None = None) -> None:
    session = st.session_state.pop(SESSION_KEY, None)
    if isinstance(session, Session) and reason is None:
        access.log_event(engine(), session.viewer.email, "logout")
    if reason:
        st.session_state[NOTICE_KEY] = reason


def _identity_email() -> str | None:
    """The OIDC identity's email when signed in with st.login, else None."""
    if not bool(getattr(st.user, "is_logged_in", False)):
        return None
    email = st.user.get("email")
    return str(email).strip().lower() if email else None


def signed_in() -> Viewer | None:
    """The signed-in person for this run (None: logged out, expired, unmapped or removed). Never raises."""
    try:
        return _current()
    except Exception:  # noqa: BLE001 (the gate must fail closed, before navigation, without a traceback)
        sign_out("Sign-in is unavailable right now; please try again.")
        return None


def _current() -> Viewer | None:
    session = st.session_state.get(SESSION_KEY)
    if oidc_configured() and session is None:
        email = _identity_email()
        if email is None:
            return None
        person = access.viewer(engine(), email)
        if person is None:
            st.session_state[NOTICE_KEY] = f"{email} has no account here: ask an administrator for one."
            return None
        access.log_event(engine(), email, "login", "oidc")
        _start(person)
        session = st.session_state[SESSION_KEY]
    if not isinstance(session, Session):
        return None
    clock = time.time()
    problem = session_problem(session, clock)
    if problem:
        sign_out(problem)
        return None
    person = access.viewer(engine(), session.viewer.email)  # role or scope may have changed; removed -> out
    if person is None:
        sign_out("Your account no longer exists.")
        return None
    session.viewer, session.seen = person, clock
    return person


# ------------------------------------------------------------------------------------------ pages


def sign_in_page() -> None:
    """The only thing a logged-out visitor sees."""
    st.title("Sign in")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.warning(escape(notice))
    if oidc_configured():
        st.write("Sign in with your organisation's account.")
        if st.button("Sign in", type="primary"):
            st.login()
        return
    with st.form("sign-in"):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            person = access.authenticate(engine(), email, password)
        except LoginRefused as refused:
            st.error(str(refused))
            return
        _start(person)
        st.rerun()


def _denied_page(title: str) -> Callable[[], None]:
    def denied() -> None:
        person = current_viewer()
        st.title(title)
        role = person.role if person else "unknown"
        st.error(f"Your role ({role}) may not open the {title} page. Use the pages in the menu.")
        if person is not None:
            access.log_event(engine(), person.email, "denied", f"page {title}")

    return denied


def _home_page(titles: list[str]) -> Callable[[], None]:
    """The home address of a role without the Overview (headteacher, admin): where to go instead."""

    def home() -> None:
        st.title("Welcome")
        st.text(f"Your pages: {', '.join(titles)}. Open them from the menu.")

    return home


def pages_for(person: Viewer | None, declared: list[Any]) -> list[Any]:
    """The pages to hand to st.navigation: the allowed ones as declared; every other one as a hidden stand-in
    at the same URL (sign-in form when logged out, a plain refusal otherwise), so a link keeps its address."""
    out = []
    mine = [p.title for p in declared if person is not None and person.may_open(p.url_path)]
    for page in declared:
        if person is not None and person.may_open(page.url_path):
            out.append(page)
            continue
        default = page.url_path == ""
        body = sign_in_page if person is None else _home_page(mine) if default else _denied_page(page.title)
        out.append(st.Page(body, title=page.title, icon=page.icon, default=default,
                           url_path=page._url_path, visibility="hidden"))
    return out


def sidebar(person: Viewer) -> None:
    """Who is signed in, and the sign-out button."""
    st.sidebar.text(f"Signed in as {person.describe()}")  # plain text: Markdown would make the email a link
    if st.sidebar.button("Sign out", key="sign-out"):
        if oidc_configured():
            sign_out()
            st.logout()
        else:
            sign_out()
            st.rerun()
