"""AppTest of the register pages (Register, Meeting view, Audit trail) and the school page's register slot,
on a private copy of the init-demo database (the pages write to it). Expected schools: the raw Ofsted CSV.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from register_expected import expected_proposals
from signin import signed_in_app
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from analytics.register import audit, entries, interventions, reviews
from analytics.store.engine import make_engine, migrate

APP = Path(__file__).resolve().parents[1] / "app.py"
LA = "Blackpool"
EDITOR = "dsim@blackpool.gov.uk"


@pytest.fixture
def copy_env(app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app on a private copy of the demo database, with no early-warning model."""
    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    path = tmp_path / "register-demo.db"
    shutil.copyfile(app_env, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    reset_engine_cache()
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.begin() as connection:  # no early-warning model: suggestions from Ofsted data only
        connection.execute(text("DELETE FROM risk_score"))
        connection.execute(text("DELETE FROM risk_model"))
    yield engine
    engine.dispose()


def open_page(page: str, la: str = LA) -> AppTest:
    """The page signed in (through the form) as a director whose email is EDITOR: every change records it."""
    at = signed_in_app(email=EDITOR, query_params={"la": la})
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def section(at: AppTest, name: str) -> AppTest:
    at.segmented_control(key="register_section").set_value(name).run()
    assert not at.exception, at.exception
    return at


def frame_with(at: AppTest, column: str):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_register_lists_the_schools_of_concern(copy_env: Engine) -> None:
    at = open_page("views/register.py")
    assert at.title[0].value == "Schools Causing Concern register"
    shown = frame_with(at, "Disagreement")
    assert set(shown["URN"]) == set(expected_proposals(LA)), (
        "not on the register, but the data suggest a level"
    )
    assert shown["Disagreement"].str.startswith("not on the register").all()
    for name in ("Record a decision", "Interventions", "Reviews and notes", "First register", "Settings"):
        section(at, name)


def test_record_a_decision_then_a_stale_form_conflicts(copy_env: Engine) -> None:
    urn = min(expected_proposals(LA))
    at = section(open_page("views/register.py"), "Record a decision")
    at.selectbox(key="register_school").set_value(urn).run()
    at.selectbox(key=f"register_level_{urn}").set_value("Intensive")
    at.text_area(key=f"register_reason_{urn}").input("RI twice; leadership changes")
    at.button(key="register_submit").click().run()
    assert not at.exception, at.exception
    assert at.success and "version 1" in " ".join(t.value for t in at.text)
    current = entries.current(copy_env).set_index("urn")
    assert current.loc[urn, "level"] == "Intensive" and current.loc[urn, "set_by"] == EDITOR
    assert audit.count(copy_env) == 1

    # Another editor records a change while this form still holds version 1.
    entries.record_level(
        copy_env,
        urn,
        scheme="support-levels",
        level="Targeted",
        reason="colleague",
        by="other@blackpool.gov.uk",
        expected_version=1,
    )
    at.selectbox(key=f"register_level_{urn}").set_value("Universal")
    at.text_area(key=f"register_reason_{urn}").input("my stale decision")
    at.button(key="register_submit").click().run()
    assert any("someone else changed" in e.value for e in at.error)
    assert any("other@blackpool.gov.uk" in t.value for t in at.text)
    assert entries.school_version(copy_env, urn) == 2 and audit.count(copy_env) == 2
    at.button(key="register_reload").click().run()
    at.text_area(key=f"register_reason_{urn}").input("after reading the colleague's change")
    at.button(key="register_submit").click().run()
    assert not at.error and entries.school_version(copy_env, urn) == 3


def test_first_register_acceptance_is_audited(copy_env: Engine) -> None:
    at = section(open_page("views/register.py"), "First register")
    proposals = frame_with(at, "proposed_level")
    assert set(proposals["urn"]) == set(expected_proposals(LA))
    first = int(proposals.iloc[0]["urn"])
    at.button(key="register_accept").click().run()
    assert not at.exception, at.exception
    recorded = entries.current(copy_env).set_index("urn")
    assert recorded.loc[first, "source"] == "first register"
    assert recorded.loc[first, "level"] == proposals.iloc[0]["proposed_level"]
    assert audit.audit_log(copy_env).iloc[0]["entity_id"] == recorded.loc[first, "id"]
    remaining = frame_with(at, "proposed_level")
    assert len(remaining) == len(proposals) - 1 and first not in set(remaining["urn"])


def test_start_an_intervention(copy_env: Engine) -> None:
    at = section(open_page("views/register.py"), "Interventions")
    urn = min(expected_proposals(LA))
    at.selectbox(key="register_iv_school").set_value(urn)
    at.selectbox(key="register_iv_type").set_value("Task group")
    at.date_input(key="register_iv_start").set_value(date(2025, 10, 15))
    at.button(key="register_iv_submit").click().run()
    assert not at.exception, at.exception
    work = interventions.interventions(copy_env)
    assert list(work["urn"]) == [urn] and work.iloc[0]["day_rate"] == 480.0
    shown = frame_with(at, "escalation_due")
    assert shown.iloc[0]["review_due"] == date(2026, 3, 31)


def test_meeting_view(copy_env: Engine) -> None:
    urns = sorted(expected_proposals(LA))
    reviews.record_meeting(copy_env, LA, date(2025, 9, 30), by=EDITOR)
    entries.record_level(
        copy_env,
        urns[0],
        scheme="support-levels",
        level="Intensive",
        reason="new",
        by=EDITOR,
        effective=date(2025, 9, 1),
    )  # recorded today: after the meeting, so still "new"
    entries.record_level(
        copy_env, urns[1], scheme="support-levels", level="Targeted", reason="new", by=EDITOR
    )
    interventions.add_intervention(
        copy_env, urns[0], type="Task group", start=date(2025, 10, 15), planned_days=10, by=EDITOR
    )
    at = open_page("views/meeting.py")
    assert at.title[0].value == "Monthly meeting view"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["New entries"] == "2" and metrics["Interventions at review or escalation"] == "1"
    changes = frame_with(at, "change")
    assert set(changes["urn"]) == set(urns[:2]) and set(changes["change"]) == {"new entry"}
    at.toggle(key="meeting-spend-table").set_value(True).run()
    spend = frame_with(at, "officer_days_used")
    assert spend["planned_cost"].sum() == 4800.0
    assert any("Schools per level" in t.value for t in at.text)  # the chart summary, as plain text


def test_audit_page_and_the_cache_follows_changes(copy_env: Engine) -> None:
    urn = min(expected_proposals(LA))
    entries.record_level(copy_env, urn, scheme="support-levels", level="Targeted", reason="first", by=EDITOR)
    at = open_page("views/audit.py")
    assert at.title[0].value == "Audit trail"
    assert len(frame_with(at, "old_value")) == 1
    # A change in the same process, no cache clearing: the next run shows it (cache keyed on the audit id).
    entries.record_level(
        copy_env,
        urn,
        scheme="support-levels",
        level="Intensive",
        reason="second",
        by=EDITOR,
        expected_version=1,
    )
    at.run()
    shown = frame_with(at, "old_value")
    assert list(shown["reason"]) == ["second", "first"]
    at.text_input(key="audit_urn").input("100000").run()
    assert any("No audit rows match" in i.value for i in at.info)


def test_school_page_shows_the_register(copy_env: Engine) -> None:
    urn = min(expected_proposals(LA))
    entries.record_level(
        copy_env, urn, scheme="support-levels", level="Intensive", reason="stuck at RI", by=EDITOR
    )
    interventions.add_note(
        copy_env, urn, visit_date=date(2025, 11, 3), text="**not bold** <b>x</b>", by=EDITOR
    )
    at = signed_in_app()
    at.switch_page("views/school.py")
    at.query_params["urn"] = str(urn)
    at.run()
    assert not at.exception, at.exception
    assert "LA category history, notes of visit and interventions" in [s.value for s in at.subheader]
    history = frame_with(at, "Level")
    assert list(history["Level"]) == ["Intensive (red)"] and list(history["Reason"]) == ["stuck at RI"]
    notes = frame_with(at, "Note")
    assert list(notes["Note"]) == ["**not bold** <b>x</b>"]
    assert not any("<b>x</b>" in m.value for m in at.markdown)
