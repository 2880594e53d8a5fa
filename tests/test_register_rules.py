"""Suggested levels under each scheme, term dates, disagreements, and the first-register proposal for two real
LAs (expected entries computed from the raw Ofsted CSV with the csv module, independently of the product).

Rule cases are built by hand from the scheme definitions in issue 10: the expected level of each case is what
the written rule says, not what the code returns.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from register_expected import expected_proposals
from sqlalchemy import Engine
from store_checks import OFSTED_SLICE

from analytics.ingest import ofsted_outcomes
from analytics.register import interventions, listing, rules, settings
from analytics.register.schemes import CATEGORIES, STAGES, SUPPORT_LEVELS

TODAY = date(2026, 11, 30)  # academic year 2026/27: DfE figures for 2023/24 (year 2024) onwards count
BY = "director@la.gov.uk"


def school(
    urn: int,
    grade: float | None = 2,
    previous: float | None = 2,
    category: str | None = None,
    warning: int | None = None,
    phase: str = "Primary",
) -> dict[str, object]:
    return {
        "urn": urn,
        "name": f"School {urn}",
        "la_name": "Testshire",
        "constituency": "Testford",
        "phase": phase,
        "grade": grade,
        "previous_grade": previous,
        "category_of_concern": category,
        "inspection_start": pd.Timestamp("2025-03-01") if grade is not None else None,
        "previous_start": pd.Timestamp("2021-03-01") if previous is not None else None,
        "grade_source": "published",
        "inherited": False,
        "warning_notices_2024_25": warning,
        "report_card_adverse": None,
        "as_at": date(2025, 8, 31),
    }


def context(*rows: tuple[int, int, str, float]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["urn", "year", "measure", "value"])
    return frame.assign(own=True)


NATIONAL = pd.DataFrame(
    [
        ("Primary", 2025, "pct_absence", 5.0, 100),
        ("Primary", 2025, "ks2_rwm_expected", 60.0, 100),
        ("Primary", 2018, "ks2_rwm_expected", 64.0, 100),
    ],
    columns=["phase", "year", "measure", "mean", "schools"],
)

CASES = {
    # urn: (school, expected support level, category, (stages category, stage))
    1: (school(1), "Universal", "1", ("1", None)),
    2: (school(2, grade=3, previous=2), "Targeted", "2", ("2", "2")),
    3: (school(3, grade=3, previous=3), "Intensive", "3", ("3", "3")),
    4: (school(4, grade=4, previous=3, category="SM"), "Intensive", "4b", ("4", "3")),
    5: (school(5, warning=1), "Intensive", "4a", ("3", "3")),
    6: (school(6, grade=2, previous=1), "Universal", "1", ("1", "1")),  # declined, still good: watch
    7: (school(7), "Intensive", "3", ("3", "3")),  # KS2 below the floor in 2025
    8: (school(8), "Universal", "1", ("1", None)),  # the same in 2018: dated, not counted
    9: (school(9), "Targeted", "1", ("2", "1")),  # absence only: one strand
    10: (school(10), "Targeted", "2", ("2", "2")),  # absence and an in-year deficit: two strands
    11: (school(11, grade=None, previous=None), "Universal", "1", ("1", None)),  # never inspected
    12: (school(12, phase="Secondary"), "Targeted", "1", ("2", "1")),  # KS4 coasting 2023-2025
}
CONTEXT = context(
    (7, 2025, "ks2_rwm_expected", 50.0),
    (7, 2025, "ks2_reading_progress", -6.0),
    (7, 2025, "ks2_writing_progress", 0.0),
    (7, 2025, "ks2_maths_progress", 0.0),
    (8, 2018, "ks2_rwm_expected", 50.0),
    (8, 2018, "ks2_reading_progress", -6.0),
    (8, 2018, "ks2_writing_progress", 0.0),
    (8, 2018, "ks2_maths_progress", 0.0),
    (9, 2025, "pct_absence", 6.5),
    (10, 2025, "pct_absence", 6.5),
    (10, 2025, "income", 1_000_000.0),
    (10, 2025, "expenditure", 1_050_000.0),
    (12, 2023, "ks4_progress8", -0.3),
    (12, 2024, "ks4_progress8", -0.4),
    (12, 2025, "ks4_progress8", -0.26),
)


def facts(risk: pd.DataFrame | None = None) -> rules.Facts:
    schools = pd.DataFrame([case[0] for case in CASES.values()])
    return rules.Facts(schools, CONTEXT, NATIONAL, risk)


@pytest.mark.parametrize("scheme", [SUPPORT_LEVELS, CATEGORIES, STAGES], ids=lambda s: s.name)
def test_each_scheme_rules(scheme) -> None:  # type: ignore[no-untyped-def]
    found = facts()
    suggested = rules.suggest(rules.evidence(found, TODAY), found.schools, scheme, today=TODAY).set_index(
        "urn"
    )
    for urn, (_, support, category, (stage_category, stage)) in CASES.items():
        row = suggested.loc[urn]
        if scheme is SUPPORT_LEVELS:
            assert row["suggested_level"] == support, (urn, row["evidence"])
        elif scheme is CATEGORIES:
            assert row["suggested_level"] == category, (urn, row["evidence"])
        else:
            got_stage = row["suggested_stage"] if isinstance(row["suggested_stage"], str) else None
            assert (row["suggested_level"], got_stage) == (stage_category, stage), (
                urn,
                row["evidence"],
            )


def test_evidence_says_what_and_when() -> None:
    found = rules.evidence(facts(), TODAY)
    by_urn = found.groupby("urn")
    dated = by_urn.get_group(8).iloc[0]
    assert not dated["counted"] and "2017/18 figures" in dated["text"] and "not counted" in dated["text"]
    floor = by_urn.get_group(7).iloc[0]
    assert (
        floor["counted"]
        and "50% met the expected standard" in floor["text"]
        and "reading -6.0" in floor["text"]
    )
    absence = by_urn.get_group(9).iloc[0]
    assert "6.5% against 5.0% for Primary schools" in absence["text"] and absence["strands"] == ("behaviour",)
    stuck = by_urn.get_group(3)
    assert "Stuck below good" in set(stuck["rule"]) and "01/03/2025" in " ".join(stuck["text"])
    assert set(by_urn.get_group(6)["severity"]) == {rules.WATCH}


def test_risk_band_raises_the_level() -> None:
    risk = pd.DataFrame({"urn": [1, 2, 6], "risk": [0.41, 0.55, 0.2], "band": ["high", "high", "elevated"]})
    found = facts(risk)
    suggested = rules.suggest(rules.evidence(found, TODAY), found.schools, SUPPORT_LEVELS, today=TODAY)
    levels = suggested.set_index("urn")["suggested_level"]
    assert levels[1] == "Targeted"  # good but high risk: at risk of RI
    assert levels[2] == "Intensive"  # RI and high risk: at risk of inadequate
    assert levels[6] == "Universal"  # elevated: watch only


def test_twelve_months_in_category_two() -> None:
    found = facts()
    evidence = rules.evidence(found, TODAY)
    long_ago = pd.DataFrame(
        {"urn": [10], "scheme": ["categories"], "level": ["2"], "effective_date": [date(2025, 10, 1)]}
    )
    recent = long_ago.assign(effective_date=[date(2026, 6, 1)])
    after_a_year = rules.suggest(evidence, found.schools, CATEGORIES, long_ago, TODAY).set_index("urn")
    within_a_year = rules.suggest(evidence, found.schools, CATEGORIES, recent, TODAY).set_index("urn")
    assert after_a_year.loc[10, "suggested_level"] == "3"
    assert within_a_year.loc[10, "suggested_level"] == "2"


@pytest.mark.parametrize(
    ("start", "review", "escalation"),
    [
        (date(2025, 10, 15), date(2026, 3, 31), date(2026, 8, 31)),  # before the autumn midpoint
        (date(2025, 11, 20), date(2026, 8, 31), date(2026, 12, 31)),  # after it: spring is the first term
        (date(2026, 1, 5), date(2026, 8, 31), date(2026, 12, 31)),
        (date(2026, 5, 1), date(2026, 12, 31), date(2027, 3, 31)),
        (date(2026, 7, 20), date(2027, 3, 31), date(2027, 8, 31)),
    ],
)
def test_two_and_three_terms(start: date, review: date, escalation: date) -> None:
    assert interventions.review_dates(start) == (review, escalation)


def test_term_flags() -> None:
    start = date(2025, 10, 15)
    assert interventions.flag("active", start, date(2026, 3, 30)) == ""
    assert interventions.flag("active", start, date(2026, 3, 31)) == interventions.REVIEW_DUE
    assert interventions.flag("planned", start, date(2026, 8, 31)) == interventions.ESCALATION_DUE
    assert interventions.flag("completed", start, date(2027, 1, 1)) == ""


def _table(
    recorded: list[dict[str, object]],
    meetings: pd.DataFrame,
    risk: pd.DataFrame | None,
    scheme=SUPPORT_LEVELS,
) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    found = facts(risk)
    frame = pd.DataFrame(recorded)
    names = {level.code: level.label for level in scheme.levels}
    frame["level_label"] = frame["level"].map(names)
    for column in ("stage", "stage_label", "strands", "reason", "next_review", "set_by"):
        frame[column] = frame.get(column)
    frame["version"] = 1
    suggested = listing.with_labels(
        rules.suggest(rules.evidence(found, TODAY), found.schools, scheme, frame, TODAY), names
    )
    return listing.assemble(found.schools, frame, suggested, meetings, risk, TODAY).set_index("urn")


def test_disagreements() -> None:
    risk = pd.DataFrame({"urn": [1], "risk": [0.5], "band": ["high"]})
    meetings = pd.DataFrame({"urn": [4], "meeting_date": [date(2026, 1, 10)], "next_date": [None]})
    recorded = [
        {"urn": 1, "scheme": "support-levels", "level": "Universal", "effective_date": date(2026, 1, 1)},
        {"urn": 4, "scheme": "support-levels", "level": "Intensive", "effective_date": date(2026, 1, 1)},
        {
            "urn": 6,
            "scheme": "support-levels",
            "level": "Intensive",
            "effective_date": date(2026, 11, 1),
            "next_review": date(2026, 11, 1),
        },
    ]
    table = _table(recorded, meetings, risk)
    assert "high risk but Universal (green)" in table.loc[1, "disagreement"]
    assert "no review meeting for six months" in table.loc[4, "disagreement"]
    assert "the data alone suggest Universal (green)" in table.loc[6, "disagreement"]
    assert "review overdue by 29 days" in table.loc[6, "disagreement"]
    assert "not on the register, but the data suggest Intensive (red)" in table.loc[3, "disagreement"]
    assert table.loc[2, "on_register"] == False  # noqa: E712  (not recorded)
    assert table.loc[4, "on_register"] and table.loc[1, "on_register"] == False  # noqa: E712


def test_category_disagreements() -> None:
    recorded = [
        {"urn": 4, "scheme": "categories", "level": "3", "effective_date": date(2026, 1, 1)},
        {"urn": 1, "scheme": "categories", "level": "4b", "effective_date": date(2026, 1, 1)},
    ]
    meetings = pd.DataFrame(columns=["urn", "meeting_date", "next_date"])
    table = _table(recorded, meetings, None, CATEGORIES)
    assert "in an Ofsted category but recorded Category 3" in table.loc[4, "disagreement"]
    assert "recorded Category 4b but Ofsted lists no category now" in table.loc[1, "disagreement"]


# ---------------------------------------------------------------- first register for two real LAs


@pytest.mark.parametrize("la", ["Blackpool", "Hartlepool"])
def test_first_register_for_real_las(empty_store: Engine, la: str) -> None:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)  # every school of these LAs, raw lines unchanged
    expected = expected_proposals(la)
    assert len(expected) >= 4, "the LA has schools of concern to propose"
    for scheme in ("support-levels", "categories", "stages-of-concern"):
        if scheme != "support-levels":
            settings.put(empty_store, la, settings.SCHEME, scheme, by=BY, reason="the LA's own scheme")
        found = listing.first_register_proposals(empty_store, la, TODAY).set_index("urn")
        assert set(found.index) == set(expected), scheme
        for urn, levels in expected.items():
            stage = found.loc[urn, "proposed_stage"]
            got = (found.loc[urn, "proposed_level"], stage if isinstance(stage, str) else None)
            assert got == levels[scheme], (scheme, urn, found.loc[urn, "reason"])
            assert found.loc[urn, "reason"].startswith("Proposed from public data: ")
