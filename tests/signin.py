"""Signing in for tests, through the real sign-in form. The one helper every AppTest and browser test uses.

AppTest (the `app_env` fixture, or any fixture that sets DATABASE_URL, must be active)::

    from signin import signed_in_app

    at = signed_in_app()                                   # a director over every LA: sees all of England
    at = signed_in_app("dsim", la="Blackpool", districts=("Blackpool North and Fleetwood",))
    at = signed_in_app("headteacher", urn=119460, memorandum="signed", timeout=120)
    at = signed_in_app(query_params={"la": "Kent"})        # a link's parameters, there from the start
    at.switch_page("views/school.py")                      # then as before: switch, set query params, run
    at.query_params["urn"] = "119460"
    at.run()

`signed_in_app` adds the account to the database the app reads (if it is not there yet; the email is derived
from the role and scope, or pass `email=`), opens app.py, types the email and PASSWORD into the form's "Email"
and "Password" fields, presses "Sign in" and returns the AppTest signed in, on the home page (the session
keeps the sign-in across `switch_page` and reruns).

Browser (tests/browser): `browser_support.open_page(page, path)` signs in as the default director
(`ensure_account(url)` is called by the `app_server` fixture) whenever the sign-in form shows; pass
`login=(email, PASSWORD)` for another account, made by `ensure_account(app_server.database_url, role, ...)`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics.access import AccountSpec
from analytics.config import get_settings
from analytics.store import get_engine

APP = Path(__file__).resolve().parents[1] / "app.py"
PASSWORD = "correct horse battery staple"
DIRECTOR = "director-all@test.example"


def account_email(role: str, la: str | None, districts: tuple[str, ...], urn: int | None,
                  memorandum: str | None) -> str:
    if role == "director" and not (la or districts or urn or memorandum):
        return DIRECTOR
    digest = hashlib.sha256(repr((la, districts, urn, memorandum)).encode()).hexdigest()[:10]
    return f"{role}-{digest}@test.example"


def ensure_account(database_url: str | None = None, role: str = "director", *, la: str | None = None,
                   districts: tuple[str, ...] = (), urn: int | None = None, memorandum: str | None = None,
                   email: str | None = None) -> str:
    """The account (created with PASSWORD unless it exists) in the given database (default: the app's);
    returns its email. The lock-out is cleared, so a test that failed sign-ins does not block the next."""
    # The process's cached engine for that database (the app's own): opening and disposing a second engine on
    # a SQLite file the app has open can end in "disk I/O error" when its WAL files are removed under it.
    engine: Engine = get_engine(database_url or get_settings().database_url)
    email = (email or account_email(role, la, districts, urn, memorandum)).lower()
    if access.viewer(engine, email) is None:
        access.add_account(engine, AccountSpec(email, role, la, districts, urn, memorandum), PASSWORD)
    else:
        access.reset_password(engine, email, PASSWORD)
    return email


def sign_in(at: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    """Fill the real form of a logged-out AppTest (already run once) and press Sign in."""
    fields = {field.label: field for field in at.text_input}
    fields["Email"].input(email)
    fields["Password"].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def signed_in_app(role: str = "director", *, timeout: float = 120, la: str | None = None,
                  districts: tuple[str, ...] = (), urn: int | None = None, memorandum: str | None = None,
                  email: str | None = None, query_params: dict[str, str] | None = None) -> AppTest:
    """app.py signed in through the form as an account of this role and scope (see the module docstring).

    `query_params` are in the address from the start (as when a link is opened), so the filters the pages
    seed from the URL on their first run see them."""
    login = ensure_account(None, role, la=la, districts=districts, urn=urn, memorandum=memorandum,
                           email=email)
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params.update(query_params or {})
    at.run()
    assert not at.exception, at.exception
    sign_in(at, login)
    assert not at.exception, at.exception
    assert not [e for e in at.error if "not recognised" in e.value], "sign-in refused"
    return at
