"""County KPIs against an independent computation from the raw Ofsted CSV (csv module, DESIGN.md section 2).

The expected figures here are computed without any product code: own reading of the file, own headline-grade
rule (published grade, else the 2024/25 "Not judged" derivation), own counting. They are compared with the CLI
(`python -m analytics kpis`, run as a subprocess on each backend's database) and with `county_kpis`.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import date, datetime
from functools import cache
from typing import Any

import pytest
from app_under_test import analytics_cli, environment_for
from sqlalchemy import Engine

from analytics.ingest.registry import OFSTED_FILE
from analytics.metrics import county_kpis
from analytics.queries import Scope, school_headlines

LAS = ["Hertfordshire", "Rutland", "Kensington and Chelsea", "Blackpool", "Birmingham"]
KEYS = [
    "schools_with_grade",
    "pct_schools_good_or_outstanding",
    "pupils_in_good_or_outstanding",
    "pct_pupils_good_or_outstanding",
    "schools_requires_improvement",
    "schools_inadequate",
    "schools_special_measures",
    "schools_serious_weaknesses",
    "pct_schools_in_category",
    "schools_declined",
    "schools_stuck_below_good",
]


def _judgement(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4"} else None  # '9' = not applicable, '' = none


def _grade(row: dict[str, str], prefix: str) -> int | None:
    """Headline grade of the latest ('') or previous ('Previous ') graded inspection in one raw row."""
    if prefix:
        overall = row["Previous graded inspection overall effectiveness"]
        start, category = row["Previous inspection start date"], row["Previous category of concern"]
        kj = [
            row[f"Previous {n}"]
            for n in (
                "quality of education",
                "behaviour and attitudes",
                "personal development",
                "effectiveness of leadership and management",
            )
        ]
        safe = row["Previous safeguarding is effective?"]
    else:
        overall, start, category = (
            row["Overall effectiveness"],
            row["Inspection start date"],
            row["Category of concern"],
        )
        kj = [
            row[n]
            for n in (
                "Quality of education",
                "Behaviour and attitudes",
                "Personal development",
                "Effectiveness of leadership and management",
            )
        ]
        safe = row["Safeguarding is effective?"]
    if overall in {"1", "2", "3", "4"}:
        return int(overall)
    if not start:
        return None
    day = datetime.strptime(start, "%d/%m/%Y").date()
    if not (date(2024, 9, 2) <= day <= date(2025, 11, 9)):
        return None
    qoe, ba, pdev, lm = (_judgement(v) for v in kj)
    if 4 in (qoe, ba, pdev, lm) or category in {"SM", "SWK", "NTI"} or safe == "No":
        return 4
    if (qoe, ba, pdev, lm) == (None, None, None, None):
        return None
    if qoe == 3 or lm == 3:
        return 3
    if (qoe, ba, pdev, lm) == (1, 1, 1, 1):
        return 1
    return 2


def _pupils(value: str) -> int:
    return int(value) if value.isdigit() else 0


@cache
def raw_rows() -> tuple[dict[str, str], ...]:
    with OFSTED_FILE.open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def expected_kpis(la: str | None) -> dict[str, Any]:
    rows = [r for r in raw_rows() if la is None or r["Local authority"] == la]
    graded = [(r, _grade(r, ""), _grade(r, "Previous ")) for r in rows]
    graded = [(r, g, p) for r, g, p in graded if g is not None]
    good = [(r, g, p) for r, g, p in graded if g <= 2]
    pupils_all = sum(_pupils(r["Total number of pupils"]) for r, _, _ in graded)
    pupils_good = sum(_pupils(r["Total number of pupils"]) for r, _, _ in good)
    return {
        "schools_with_grade": len(graded),
        "pct_schools_good_or_outstanding": round(100 * len(good) / len(graded), 1),
        "pupils_in_good_or_outstanding": pupils_good,
        "pct_pupils_good_or_outstanding": round(100 * pupils_good / pupils_all, 1),
        "schools_requires_improvement": sum(g == 3 for _, g, _ in graded),
        "schools_inadequate": sum(g == 4 for _, g, _ in graded),
        "schools_special_measures": sum(r["Category of concern"] == "SM" for r, _, _ in graded),
        "schools_serious_weaknesses": sum(r["Category of concern"] == "SWK" for r, _, _ in graded),
        "pct_schools_in_category": round(
            100 * sum(r["Category of concern"] in ("SM", "SWK") for r, _, _ in graded) / len(graded), 1
        ),
        "schools_declined": sum(p is not None and g > p for _, g, p in graded),
        "schools_stuck_below_good": sum(p is not None and g >= 3 and p >= 3 for _, g, p in graded),
    }


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run_cli(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    return analytics_cli(environment_for(database_url(engine)), *args)


def test_independent_expectations_are_not_trivial() -> None:
    """Guards the test itself: the chosen LAs exercise derived grades, categories and declines."""
    herts = expected_kpis("Hertfordshire")
    assert herts["schools_with_grade"] > 500 and herts["schools_declined"] > 0
    assert (
        expected_kpis("Blackpool")["schools_special_measures"]
        + expected_kpis("Blackpool")["schools_serious_weaknesses"]
        > 0
    )
    derived = [
        r for r in raw_rows() if r["Local authority"] in LAS and r["Overall effectiveness"] == "Not judged"
    ]
    assert len(derived) > 50


@pytest.mark.parametrize("la", LAS)
def test_county_kpis_match_independent_computation(national_store: Engine, la: str) -> None:
    assert county_kpis(school_headlines(national_store, Scope.la(la))) == expected_kpis(la)


def test_england_kpis_match_independent_computation(national_store: Engine) -> None:
    assert county_kpis(school_headlines(national_store, Scope.england())) == expected_kpis(None)


@pytest.mark.parametrize("la", LAS[:3])
def test_cli_kpis_json_matches_independent_computation(national_store: Engine, la: str) -> None:
    done = run_cli(national_store, "kpis", "--la", la, "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed == expected_kpis(la)
    assert list(printed) == KEYS, "exactly the documented keys, in order"
    shares = {k for k in KEYS if k.startswith("pct_")}
    for key in shares:
        assert re.search(rf'"{key}": \d+\.\d[,}}]', done.stdout), f"{key} is printed with one decimal"
    for key in set(KEYS) - shares:
        assert isinstance(printed[key], int)


def test_cli_la_name_is_case_insensitive(national_store: Engine) -> None:
    done = run_cli(national_store, "kpis", "--la", "rutland", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected_kpis("Rutland")


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("Hertfordshir", "Hertfordshire"),
        ("Kensington", "Kensington and Chelsea"),
        ("Rutlnd", "Rutland"),
    ],
)
def test_cli_unknown_la_exits_2_with_close_matches(
    national_store: Engine, typed: str, suggested: str
) -> None:
    done = run_cli(national_store, "kpis", "--la", typed, "--format", "json")
    assert done.returncode == 2
    assert suggested in done.stderr
    assert typed in done.stderr
    assert done.stdout == ""


def test_cli_unknown_la_without_close_match_exits_2(national_store: Engine) -> None:
    done = run_cli(national_store, "kpis", "--la", "Atlantis-upon-Sea", "--format", "json")
    assert done.returncode == 2
    assert "Atlantis-upon-Sea" in done.stderr
