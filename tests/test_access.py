"""Who sees what (issue 13): the users CLI on SQLite and PostgreSQL, sign-in through the real form (success,
failure, lock-out, expiry, idle), and a role x page x data matrix on a real slice of the Ofsted file
(Blackpool has two constituencies, Blackpool South and Blackpool North and Fleetwood: a DSIM's districts).

Expected schools come from the raw slice with the csv module, never from the code under test.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_under_test import serve
from signin import PASSWORD, ensure_account, sign_in, signed_in_app
from sqlalchemy import Engine, text
from store_checks import OFSTED_SLICE, fresh_database
from streamlit.testing.v1 import AppTest

from analytics import access
from analytics.derived import refresh
from analytics.ingest import ofsted_outcomes
from ui.read import SESSION_KEY

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
LA = "Blackpool"
SOUTH, NORTH = "Blackpool South", "Blackpool North and Fleetwood"


def slice_rows() -> list[dict[str, str]]:
    with OFSTED_SLICE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def urns(**where: str) -> set[int]:
    columns = {"la": "Local authority", "constituency": "Parliamentary constituency"}
    return {int(r["URN"]) for r in slice_rows() if all(r[columns[k]] == v for k, v in where.items())}


ALL_URNS = {int(r["URN"]) for r in slice_rows()}
BLACKPOOL = urns(la=LA)
SOUTH_URNS, NORTH_URNS = urns(la=LA, constituency=SOUTH), urns(la=LA, constituency=NORTH)
SIGNED_A, SIGNED_B, UNSIGNED = sorted(BLACKPOOL)[:3]


# ------------------------------------------------------------------------------------------ users CLI


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli(engine: Engine, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url_of(engine)}
    return subprocess.run([sys.executable, "-m", "analytics", *args], cwd=ROOT, env=env, input=password,
                          capture_output=True, text=True, check=False, timeout=300)


def account_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text("SELECT * FROM account ORDER BY email"))]


@pytest.fixture
def slice_store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    return empty_store


def test_users_cli_add_list_reset_remove(slice_store: Engine) -> None:
    added = cli(slice_store, "users", "add", "Dsim@Blackpool.gov.uk", "--role", "dsim", "--la", "blackpool",
                "--district", SOUTH, password="a long password 1\n")
    assert added.returncode == 0, added.stderr
    listed = cli(slice_store, "users", "list", "--format", "json")
    assert listed.returncode == 0 and "argon2" not in listed.stdout
    assert '"email": "dsim@blackpool.gov.uk"' in listed.stdout and SOUTH in listed.stdout
    with slice_store.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM account")).scalar_one()
    assert stored.startswith("$argon2id$") and "a long password 1" not in stored
    signed = access.authenticate(slice_store, "dsim@blackpool.gov.uk", "a long password 1")
    assert signed.districts == (SOUTH,)
    reset = cli(slice_store, "users", "reset-password", "dsim@blackpool.gov.uk",
                password="another password 2\n")
    assert reset.returncode == 0, reset.stderr
    with pytest.raises(access.LoginRefused):
        access.authenticate(slice_store, "dsim@blackpool.gov.uk", "a long password 1")
    assert access.authenticate(slice_store, "dsim@blackpool.gov.uk", "another password 2").role == "dsim"
    assert cli(slice_store, "users", "remove", "dsim@blackpool.gov.uk").returncode == 0
    assert account_rows(slice_store) == []
    assert cli(slice_store, "users", "remove", "dsim@blackpool.gov.uk").returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "directr"), "Did you mean: director"),
        (("--role", "director", "--la", "Blackpol"), "Did you mean: Blackpool"),
        (("--role", "dsim", "--la", LA, "--district", "Blackpool Sout"), SOUTH),
        (("--role", "dsim", "--la", LA), "at least one --district"),
        (("--role", "headteacher", "--urn", "999999", "--memorandum", "signed"), "Unknown URN 999999"),
        (("--role", "headteacher", "--urn", str(SIGNED_A)), "--memorandum"),
        (("--role", "headteacher", "--urn", str(SIGNED_A), "--memorandum", "maybe"), "signed or not-signed"),
        (("--role", "director", "--la", "Rutland", "--urn", str(SIGNED_A)), "not of Rutland"),
    ],
)
def test_users_cli_refuses_bad_role_or_scope(
    slice_store: Engine, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    code, output = cli_in_process(slice_store, monkeypatch, "users", "add", "x@la.gov.uk", *args,
                                  password="a long password 1\n")
    assert code == 2, output
    assert message in output and "Nothing written" in output and "Traceback" not in output
    assert account_rows(slice_store) == []


def test_users_cli_refuses_a_short_password(slice_store: Engine) -> None:
    done = cli(slice_store, "users", "add", "x@la.gov.uk", "--role", "director", password="eleven char\n")
    assert done.returncode == 2 and "at least 12 characters" in done.stderr
    assert account_rows(slice_store) == []


def cli_in_process(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, *args: str, password: str
) -> tuple[int, str]:
    """The same Typer app in this process (a subprocess costs ~10 s of imports per case on this machine)."""
    from typer.testing import CliRunner

    from analytics.cli import app
    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    monkeypatch.setenv("DATABASE_URL", url_of(engine))
    get_settings.cache_clear()
    reset_engine_cache()
    try:
        result = CliRunner().invoke(app, list(args), input=password)
    finally:
        get_settings.cache_clear()
        reset_engine_cache()
    return result.exit_code, result.output


# ------------------------------------------------------------------------------------------ the app


@pytest.fixture(scope="module")
def slice_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for engine in fresh_database("sqlite", tmp_path_factory.mktemp("access")):
        ofsted_outcomes.import_file(engine, OFSTED_SLICE)
        refresh(engine, progress=lambda _m: None)
        yield url_of(engine)


@pytest.fixture
def slice_app(slice_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app on the Blackpool slice store."""
    yield from serve(slice_db, monkeypatch)


def urns_shown(at: AppTest) -> set[int]:
    found: set[int] = set()
    for frame in at.dataframe:
        for column in ("URN", "urn"):
            if column in frame.value.columns:
                found |= {int(u) for u in frame.value[column].dropna()}
    return found


def texts(at: AppTest) -> str:
    kinds = [at.title, at.header, at.subheader, at.text, at.caption, at.markdown, at.info, at.error,
             at.warning, at.metric]
    return " ".join(f"{getattr(e, 'value', '')} {getattr(e, 'label', '')}" for k in kinds for e in k)


def logged_out() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_logged_out_sees_only_the_sign_in_form(slice_app: str) -> None:
    at = logged_out()
    assert [t.value for t in at.title] == ["Sign in"]
    assert sorted(t.label for t in at.text_input) == ["Email", "Password"]
    assert not at.dataframe and not at.metric and not at.selectbox
    assert not any(str(u) in texts(at) for u in ALL_URNS)


VIEWS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "views").glob("*.py"))


@pytest.mark.parametrize("page", VIEWS)
def test_a_fresh_servers_first_run_of_a_page_goes_through_the_sign_in_gate(slice_app: str, page: str) -> None:
    """A session's first run on a freshly started server, straight to a page's address. (With the page files
    in a folder named `pages/`, Streamlit's old multipage mode ran the page file itself on that first run,
    without app.py and its sign-in gate; AppTest starts every test like a fresh server.)"""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page(page)
    at.query_params["urn"] = str(min(ALL_URNS))
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert sorted(t.label for t in at.text_input) == ["Email", "Password"]
    assert not at.dataframe and not at.metric and not at.selectbox
    assert not (ROOT / "pages").exists(), "a pages/ folder next to app.py turns on the old multipage mode"


def test_sign_in_through_the_form(slice_app: str) -> None:
    email = ensure_account(None, "director", la=LA)
    at = sign_in(logged_out(), email)
    assert not at.exception, at.exception
    assert at.title[0].value == f"Overview: {LA}"
    assert any(email in t.value for t in at.sidebar.text)
    log = access.access_log(access_engine(slice_app))
    assert (log["email"] == email).any() and "login" in set(log.loc[log["email"] == email, "event"])


def access_engine(url: str) -> Engine:
    from analytics.store.engine import get_engine

    return get_engine(url)


def test_wrong_password_is_refused_and_logged(slice_app: str) -> None:
    email = ensure_account(None, "director", la=LA)
    at = sign_in(logged_out(), email, "not the password at all")
    assert [e.value for e in at.error] == ["Email or password not recognised."]
    assert [t.value for t in at.title] == ["Sign in"] and not at.dataframe
    at = sign_in(logged_out(), "nobody@nowhere.example", PASSWORD)
    assert [e.value for e in at.error] == ["Email or password not recognised."]  # same words: no enumeration
    log = access.access_log(access_engine(slice_app))
    assert {"failed login"} <= set(log.loc[log["email"] == email, "event"])


def test_five_failures_lock_the_account(slice_app: str) -> None:
    email = ensure_account(None, "analyst", la=LA)
    for _ in range(5):
        sign_in(logged_out(), email, "wrong password here")
    at = sign_in(logged_out(), email, PASSWORD)  # the right password, but locked for 15 minutes
    assert at.error and at.error[0].value.startswith("Too many failed attempts")
    assert [t.value for t in at.title] == ["Sign in"] and not at.dataframe
    with access_engine(slice_app).connect() as connection:
        locked = connection.execute(text("SELECT locked_until FROM account WHERE email = :e"), {"e": email})
        assert locked.scalar_one() is not None
    ensure_account(None, "analyst", la=LA)  # an administrator's reset clears the lock
    assert sign_in(logged_out(), email).title[0].value == f"Overview: {LA}"


@pytest.mark.parametrize(("field", "hours", "notice"),
                         [("since", 12.5, "session has expired"), ("seen", 1.5, "inactive for too long")])
def test_sessions_expire(slice_app: str, field: str, hours: float, notice: str) -> None:
    at = signed_in_app(la=LA)
    session = at.session_state[SESSION_KEY]
    setattr(session, field, getattr(session, field) - hours * 3600)  # as if that much time had passed
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.dataframe and not at.metric
    assert any(notice in w.value for w in at.warning)


def test_an_expired_session_reads_nothing_even_on_a_page_run_alone(slice_app: str) -> None:
    """The read layer checks the session itself (a page script run without app.py's gate fails closed)."""
    at = signed_in_app(la=LA)
    session = at.session_state[SESSION_KEY]
    session.since -= 13 * 3600
    at.switch_page("views/movement.py").run()
    assert not at.exception, at.exception
    assert not urns_shown(at) and not at.metric


# ------------------------------------------------------------------------------------- role x page x data


def app_as(role: str, page: str | None = None, **scope: object) -> AppTest:
    at = signed_in_app(role, **scope)  # type: ignore[arg-type]
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def menu(at: AppTest) -> set[str]:
    """The url paths of the pages the menu lists (Streamlit registers hidden stand-ins too: left out)."""
    return {str(info.get("url_pathname")) for info in at._registered_pages.values()  # noqa: SLF001
            if info.get("script_path")}


COUNTY_PAGES = ["views/overview.py", "views/movement.py", "views/districts.py"]


@pytest.mark.parametrize("page", COUNTY_PAGES)
def test_director_sees_only_the_la(slice_app: str, page: str) -> None:
    at = signed_in_app(la=LA, query_params={"la": "Rutland"})  # a link naming another LA
    assert "Rutland" in " ".join(t.value for t in at.text)  # named as not available, never shown
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert urns_shown(at) <= BLACKPOOL and (urns_shown(at) or page == "views/overview.py")
    assert [list(b.options) for b in at.selectbox if b.label == "Local authority"] == [[LA]]
    assert not any(str(u) in texts(at) for u in ALL_URNS - BLACKPOOL)


@pytest.mark.parametrize("role", ["director", "analyst"])
def test_import_panel_for_directors_and_analysts(slice_app: str, role: str) -> None:
    at = app_as(role, "views/districts.py", la=LA)
    assert len(at.get("file_uploader")) == 1


def test_dsim_sees_the_county_and_named_detail_only_in_their_districts(slice_app: str) -> None:
    at = app_as("dsim", "views/districts.py", la=LA, districts=(SOUTH,))
    assert urns_shown(at) <= BLACKPOOL and not at.get("file_uploader")  # county views, no import
    at.switch_page("views/register.py").run()
    assert not at.exception, at.exception
    shown = urns_shown(at)
    assert shown and shown <= SOUTH_URNS, shown - SOUTH_URNS
    at.switch_page("views/school.py")
    at.query_params["urn"] = str(min(NORTH_URNS))
    at.run()
    heads = [s.value for s in at.subheader]
    assert "LA category history, notes of visit and interventions" not in heads
    assert "Early-warning risk" not in heads
    at.query_params["urn"] = str(min(SOUTH_URNS))
    at.run()
    assert "LA category history, notes of visit and interventions" in [s.value for s in at.subheader]


def test_member_sees_counts_never_named_schools(slice_app: str) -> None:
    assert menu(app_as("member", la=LA)) == {"", "movement", "districts"}
    for page in COUNTY_PAGES:
        at = app_as("member", page, la=LA)
        assert not urns_shown(at), page
        assert not [d for d in at.dataframe if "School" in d.value.columns], page


def test_member_cannot_open_the_risk_register(slice_app: str) -> None:
    at = app_as("member", None, la=LA)
    from streamlit.util import calc_hash

    at._page_hash = calc_hash("risk")  # noqa: SLF001 (the address /risk: AppTest cannot switch to a hidden page)
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Your role (member) may not open the Risk register page. Use the "
                                           "pages in the menu."]
    assert not urns_shown(at)


@pytest.mark.parametrize("memorandum", ["signed", "not-signed"])
def test_headteacher_memorandum(slice_app: str, memorandum: str) -> None:
    ensure_account(None, "headteacher", urn=SIGNED_B, memorandum="signed")  # another signatory school
    own = SIGNED_A if memorandum == "signed" else UNSIGNED
    assert menu(app_as("headteacher", urn=own, memorandum=memorandum)) == {"school"}
    at = app_as("headteacher", "views/school.py", urn=own, memorandum=memorandum)
    visible = {own, SIGNED_B} if memorandum == "signed" else {own}
    for urn in sorted(BLACKPOOL)[:6] + [min(ALL_URNS - BLACKPOOL)]:
        at.query_params["urn"] = str(urn)
        at.run()
        assert not at.exception, at.exception
        refused = any("is in the data you may see" in e.value for e in at.error)
        assert refused == (urn not in visible), (urn, visible)
    at.query_params["urn"] = str(own)
    at.run()
    heads = [s.value for s in at.subheader]
    assert "LA category history, notes of visit and interventions" not in heads  # never the LA's notes


def test_admin_sees_users_and_no_school_data(slice_app: str) -> None:
    at = app_as("admin")
    assert menu(at) == {"users", "access-log"}
    assert not urns_shown(at)
    at.switch_page("views/users.py").run()
    assert not at.exception, at.exception
    emails = set(next(d.value for d in at.dataframe if "email" in d.value.columns)["email"])
    assert any(e.startswith("admin-") for e in emails)
    assert not any("argon2" in str(v) for d in at.dataframe for v in d.value.to_numpy().ravel())


def test_first_run_creates_one_director_with_a_one_time_password(slice_store: Engine) -> None:
    from analytics.demo import first_director

    created = first_director(slice_store)
    assert created is not None
    email, password = created
    assert len(password) >= 12 and access.authenticate(slice_store, email, password).role == "director"
    assert first_director(slice_store) is None  # never again: accounts exist
    assert len(account_rows(slice_store)) == 1


@pytest.mark.parametrize(("role", "hidden"), [("member", True), ("director", False)])
def test_members_get_pupil_counts_suppressed(
    slice_app: str, monkeypatch: pytest.MonkeyPatch, role: str, hidden: bool
) -> None:
    from analytics.config import get_settings

    monkeypatch.setenv("SUPPRESSION_THRESHOLD", "1000000")  # every pupil count is "small"
    get_settings.cache_clear()
    at = app_as(role, "views/districts.py", la=LA)
    table = next(d.value for d in at.dataframe if "Pupils in G/O" in d.value.columns)
    pupils = [v for v in table["Pupils in G/O"] if str(v) != "0"]
    assert pupils and all((str(v) == "c") == hidden for v in pupils)
    assert all((str(v) == "c") == hidden for v, n in zip(table["% pupils in G/O"], table["Pupils in G/O"],
                                                          strict=True) if str(n) != "0")


def test_sign_ins_at_the_same_moment_all_succeed_and_failures_count_exactly(empty_store: Engine) -> None:
    """Twelve people signing in at once (the password check runs outside the write transaction) all get in;
    eight wrong passwords for one account at once lock it once the limit is reached, each failure counted."""
    from concurrent.futures import ThreadPoolExecutor

    from analytics.config import get_settings

    people = [f"director{n}@example.gov.uk" for n in range(12)]
    for email in [*people, "target@example.gov.uk"]:
        access.add_account(empty_store, access.AccountSpec(email, "director"), "a long password 1")

    def attempt(email: str, password: str) -> str:
        try:
            return access.authenticate(empty_store, email, password).email
        except access.LoginRefused as refused:
            return str(refused)

    with ThreadPoolExecutor(max_workers=12) as pool:
        signed = list(pool.map(attempt, people, ["a long password 1"] * len(people)))
        wrong = list(pool.map(attempt, ["target@example.gov.uk"] * 8, ["not the password"] * 8))
    assert signed == people
    limit = get_settings().max_failed_logins
    log = access.access_log(empty_store)
    failures = log.loc[(log["email"] == "target@example.gov.uk") & (log["event"] == "failed login"), "detail"]
    assert sorted(failures) == sorted(
        [f"attempt {n}" for n in range(1, limit)] + ["locked"] * (1 + 8 - limit)
    ), "each wrong password counted once, then the locked account refuses without counting"
    assert sum(message.startswith("Too many failed attempts") for message in wrong) == 8 - limit
    with pytest.raises(access.LoginRefused, match="Too many failed attempts"):
        access.authenticate(empty_store, "target@example.gov.uk", "a long password 1")
    assert (log["event"] == "login").sum() == len(people)
