"""Early-warning model: backtest JSON contract, metrics (overall and per group) recomputed independently from
the scored CSV, targets, leakage (new features included), calibration fitted before the window, drivers.

Everything runs on the demo database built by `init-demo` from the bundled real files; `init-demo` also
trained and stored the model the tests below load (no separate training step).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analytics.risk import store
from analytics.risk.data import Inputs, current, examples, load_inputs
from analytics.risk.explain import drivers, roll_statement, statement
from analytics.risk.features import (
    CATEGORICAL_FEATURES,
    FEATURE_WORDS,
    NUMERIC_FEATURES,
    PUBLICATION_LAG,
    RATE_FEATURES,
    STATIC_FEATURES,
    asof_columns,
    build_examples,
)
from analytics.risk.model import CALIBRATIONS, TrainedModel, fit_models, usable_features
from analytics.risk.scoring import score_frame
from analytics.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
WINDOW = ("2023-09-01", "2024-08-31")
KEYS = [
    "n_train",
    "n_test",
    "positive_rate",
    "auc",
    "recall_at_10pct",
    "recall_at_20pct",
    "precision_at_10pct",
    "brier",
    "baseline_auc",
    "baseline_recall_at_20pct",
    "recall_at_20pct_by_idaci_quintile",
    "auc_by_phase",
    "auc_by_idaci_quintile",
    "calibration_by_phase",
    "calibration_by_idaci_quintile",
]
#: Overall figures of the model before issue 16 on 2023/24: they must not be lowered.
BEFORE_AUC, BEFORE_RECALL = 0.703, 0.386


@pytest.fixture(scope="module")
def inputs(demo_sqlite: Path) -> Inputs:
    engine = make_engine(f"sqlite:///{demo_sqlite}")
    try:
        return load_inputs(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def frame(inputs: Inputs) -> pd.DataFrame:
    return examples(inputs)


@pytest.fixture(scope="module")
def stored(demo_sqlite: Path) -> tuple[TrainedModel, dict[str, Any]]:
    """The model `init-demo` trained and stored in the demo database."""
    engine = make_engine(f"sqlite:///{demo_sqlite}")
    try:
        loaded = store.load_latest(engine)
    finally:
        engine.dispose()
    assert loaded is not None, "init-demo stores a model"
    return loaded


@pytest.fixture(scope="module")
def model(stored: tuple[TrainedModel, dict[str, Any]]) -> TrainedModel:
    return stored[0]


@pytest.fixture(scope="module")
def backtest(demo_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The CLI contract, run as a user would: a subprocess on the demo database."""
    scores = tmp_path_factory.mktemp("bt") / "scores.csv"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{demo_sqlite}", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "backtest", "--test-from", WINDOW[0], "--test-to", WINDOW[1],
         "--format", "json", "--scores-out", str(scores)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), scores


@pytest.fixture(scope="module")
def scored(backtest: tuple[dict, Path]) -> pd.DataFrame:
    return pd.read_csv(backtest[1])


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_backtest_json_has_the_contract_keys(backtest: tuple[dict, Path], scored: pd.DataFrame) -> None:
    metrics, _ = backtest
    assert set(KEYS) <= set(metrics)
    assert metrics["n_test"] == len(scored) > 1000
    assert metrics["n_train"] > 5 * metrics["n_test"]
    assert set(metrics["recall_at_20pct_by_idaci_quintile"]) == {"1", "2", "3", "4", "5"}
    assert set(metrics["auc_by_idaci_quintile"]) == set(metrics["calibration_by_idaci_quintile"]) == {
        "1", "2", "3", "4", "5"
    }
    assert {"Primary", "Secondary", "Special", "PRU"} <= set(metrics["auc_by_phase"])
    for group in metrics["calibration_by_phase"].values():
        assert set(group) == {"n", "observed_rate", "mean_predicted"}


def test_backtest_window_and_training_cut(backtest: tuple[dict, Path], scored: pd.DataFrame,
                                          frame: pd.DataFrame) -> None:
    metrics, _ = backtest
    starts = pd.to_datetime(scored["start_date"])
    assert starts.min() >= pd.Timestamp(WINDOW[0]) and starts.max() <= pd.Timestamp(WINDOW[1])
    # Independent count: graded inspections with an earlier graded one, started before the window.
    assert metrics["n_train"] == int((frame["start_date"] < pd.Timestamp(WINDOW[0])).sum())


def _recall_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    n = math.ceil(share * len(y))
    top = np.argsort(-score, kind="stable")[:n]
    return float(y[top].sum() / y.sum())


def test_backtest_metrics_match_an_independent_computation(backtest: tuple[dict, Path],
                                                           scored: pd.DataFrame) -> None:
    metrics, _ = backtest
    y = (scored["grade"] >= 3).to_numpy(dtype=float)  # label from the grade itself
    score = scored["score"].to_numpy()
    assert metrics["positive_rate"] == pytest.approx(y.mean())
    assert metrics["auc"] == pytest.approx(roc_auc_score(y, score))
    assert metrics["recall_at_10pct"] == pytest.approx(_recall_at(y, score, 0.10))
    assert metrics["recall_at_20pct"] == pytest.approx(_recall_at(y, score, 0.20))
    top10 = np.argsort(-score, kind="stable")[: math.ceil(0.1 * len(y))]
    assert metrics["precision_at_10pct"] == pytest.approx(y[top10].mean())
    assert metrics["brier"] == pytest.approx(float(np.mean((score - y) ** 2)))
    # Baseline rebuilt from its definition: previous grade worst first, then longest time since it.
    ranked = scored.assign(y=y).sort_values(
        ["prev_grade", "years_since_prev"], ascending=False, kind="stable"
    )
    flagged = ranked.head(math.ceil(0.2 * len(ranked)))
    assert metrics["baseline_recall_at_20pct"] == pytest.approx(flagged["y"].sum() / y.sum(), abs=0.01)
    assert metrics["baseline_auc"] == pytest.approx(
        roc_auc_score(y, scored["prev_grade"] * 100 + scored["years_since_prev"].clip(0, 99)), abs=1e-9
    )
    for quintile, recall in metrics["recall_at_20pct_by_idaci_quintile"].items():
        top = set(np.argsort(-score, kind="stable")[: math.ceil(0.2 * len(y))])
        members = np.flatnonzero((scored["idaci_quintile"] == int(quintile)).to_numpy() & (y == 1))
        assert recall == pytest.approx(np.mean([m in top for m in members]))


def _pairwise_auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random RI/Inadequate outcome scored higher than a random other one (ties half)."""
    pos, neg = np.array(positives)[:, None], np.array(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def test_group_metrics_match_an_independent_computation(backtest: tuple[dict, Path]) -> None:
    """Per phase and IDACI quintile: n, observed rate, mean predicted risk and AUC from the CSV's raw rows."""
    metrics, path = backtest
    for column, key in (("phase", "phase"), ("idaci_quintile", "idaci_quintile")):
        groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for row in _csv_rows(path):
            if row[column] == "":
                continue
            name = row[column] if column == "phase" else str(int(float(row[column])))
            groups[name].append((float(row["score"]), 1.0 if float(row["grade"]) >= 3 else 0.0))
        assert set(metrics[f"calibration_by_{key}"]) == set(groups)
        for name, rows in groups.items():
            calibration = metrics[f"calibration_by_{key}"][name]
            assert calibration["n"] == len(rows)
            assert calibration["observed_rate"] == pytest.approx(sum(y for _, y in rows) / len(rows))
            assert calibration["mean_predicted"] == pytest.approx(sum(s for s, _ in rows) / len(rows))
            auc = metrics[f"auc_by_{key}"][name]
            positives = [s for s, y in rows if y == 1]
            negatives = [s for s, y in rows if y == 0]
            assert auc["n"] == len(rows) and auc["positives"] == len(positives)
            if positives and negatives:
                assert auc["auc"] == pytest.approx(_pairwise_auc(positives, negatives))
            else:
                assert auc["auc"] is None


def test_model_beats_the_baseline(backtest: tuple[dict, Path]) -> None:
    metrics, _ = backtest
    assert metrics["auc"] > metrics["baseline_auc"] + 0.04
    assert metrics["recall_at_20pct"] > metrics["baseline_recall_at_20pct"] + 0.05


def test_overall_figures_are_not_lowered(backtest: tuple[dict, Path]) -> None:
    """Issue 16: the group targets must not cost overall AUC (0.703) or recall at 20% (0.386) on 2023/24."""
    metrics, _ = backtest
    assert metrics["auc"] >= BEFORE_AUC
    assert metrics["recall_at_20pct"] >= BEFORE_RECALL


@pytest.mark.xfail(
    strict=True,
    reason="recall target not reached without leaking features (see the model card's known limits): "
    "recall@20% ~0.39-0.40 on 2023/24",
)
def test_backtest_reaches_the_2023_24_recall_target(backtest: tuple[dict, Path]) -> None:
    metrics, _ = backtest
    assert metrics["recall_at_20pct"] >= 0.45


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 target not met (model card says so with the figures): on 2023/24 nursery schools "
    "(48 inspections, 3 RI/Inadequate), pupil referral units (57) and special schools (128) rank at "
    "AUC 0.47, 0.46 and 0.62",
)
def test_phase_auc_target_2023_24(backtest: tuple[dict, Path]) -> None:
    metrics, _ = backtest
    judged = {k: v for k, v in metrics["auc_by_phase"].items() if v["n"] >= 40}
    assert {"Primary", "Secondary"} <= set(judged)
    assert all(v["auc"] is not None and v["auc"] >= 0.65 for v in judged.values()), judged


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 target not met (model card says so with the figures): the calibration chosen by "
    "validation (sigmoid learnt on 2022/23, when the adverse rate fell fast) under-predicts 2023/24",
)
def test_quintile_calibration_target_2023_24(backtest: tuple[dict, Path]) -> None:
    metrics, _ = backtest
    by_quintile = metrics["calibration_by_idaci_quintile"]
    gaps = {k: v["mean_predicted"] - v["observed_rate"] for k, v in by_quintile.items()}
    assert all(abs(gap) <= 0.02 for gap in gaps.values()), gaps


# ---- calibration: fitted before the window only ----


def test_calibration_is_fitted_before_the_window(backtest: tuple[dict, Path]) -> None:
    metrics, _ = backtest
    assert metrics["calibration_method"] in CALIBRATIONS
    assert metrics["calibration_fitted_to"] < WINDOW[0]
    assert set(metrics["calibration_validation_brier"]) >= {"none"}


def test_outcomes_in_the_window_change_nothing_in_the_fitted_model(frame: pd.DataFrame) -> None:
    """Flip every outcome on or after the cut-off: the model, its calibration and its choices are unchanged
    (on the examples since 2012, to keep the test short)."""
    cut = pd.Timestamp("2023-09-01")
    recent = frame.loc[frame["start_date"] >= "2012-09-01"].reset_index(drop=True)
    flipped = recent.copy()
    inside = flipped["start_date"] >= cut
    flipped.loc[inside, "adverse"] = 1.0 - flipped.loc[inside, "adverse"]
    first, second = fit_models(recent, cut), fit_models(flipped, cut)
    window = recent.loc[inside]
    assert np.array_equal(first.predict(window), second.predict(window))
    assert first.calibration.method == second.calibration.method
    assert first.calibration.fitted_to == second.calibration.fitted_to < "2023-09-01"
    assert first.calibration_validation == second.calibration_validation
    assert first.validation == second.validation


# ---- leakage ----


def test_no_feature_value_comes_from_on_or_after_the_start_date(frame: pd.DataFrame) -> None:
    sample = frame.sample(2000, random_state=1)
    columns = asof_columns(sample)
    assert len(columns) >= 10, "every dated source keeps its provenance date"
    assert "_asof_recent_rates" in columns, "the recent adverse rates are dated too"
    for column in columns:
        known = sample[column].notna()
        assert (sample.loc[known, column] < sample.loc[known, "start_date"]).all(), column
    undated = {"phase", "region", "idaci_quintile", "era"}
    assert set(STATIC_FEATURES) <= undated  # stable school attributes and the framework are the only undated


def test_recent_national_rate_recomputed_from_raw_inspections(frame: pd.DataFrame, inputs: Inputs) -> None:
    """England's adverse share over [start - 1 year, start) from the raw graded inspections."""
    raw = inputs.inspections.loc[inputs.inspections["is_graded"] & inputs.inspections["grade"].notna()]
    starts = pd.to_datetime(raw["start_date"]).to_numpy()
    adverse = (raw["grade"] >= 3).to_numpy()
    for _, row in frame.sample(200, random_state=4).iterrows():
        inside = (starts >= (row["start_date"] - pd.DateOffset(years=1)).to_datetime64()) & (
            starts < row["start_date"].to_datetime64()
        )
        expected = adverse[inside].mean() if inside.sum() >= 20 else np.nan
        assert row["recent_adverse_england"] == pytest.approx(expected, nan_ok=True)


def test_recent_rates_use_only_earlier_inspections(inputs: Inputs, frame: pd.DataFrame) -> None:
    """An Inadequate inspection of another school of the same phase and quintile on the example's start date
    changes none of its rates; the same inspection a day earlier raises all three."""
    candidates = frame.loc[
        (frame["phase"] == "Secondary")
        & frame["start_date"].between("2024-01-01", "2024-06-30")
        & frame["idaci_quintile"].notna()
    ]
    example = candidates.iloc[0]
    schools = inputs.schools
    other = schools.loc[
        schools["is_open"].astype(bool)
        & (schools["phase"] == "Secondary")
        & (schools["idaci_quintile"] == example["idaci_quintile"])
        & (schools["urn"] != example["school_key"])
    ].iloc[0]

    def rates_with_extra_inspection(day: pd.Timestamp) -> pd.Series:
        extra = inputs.inspections.iloc[[0]].copy()
        extra["urn"], extra["start_date"], extra["is_graded"] = other["urn"], day.date(), True
        extra["grade"], extra["inspection_number"], extra["school_type"] = 4.0, "TEST-EXTRA", None
        rebuilt = build_examples(
            pd.concat([inputs.inspections, extra], ignore_index=True), schools, inputs.links, inputs.context
        )
        same = (rebuilt["urn"] == example["urn"]) & (rebuilt["start_date"] == example["start_date"])
        match = rebuilt.loc[same]
        return match.iloc[0][RATE_FEATURES]

    same_day = rates_with_extra_inspection(example["start_date"])
    day_before = rates_with_extra_inspection(example["start_date"] - pd.Timedelta(days=1))
    assert same_day.to_numpy() == pytest.approx(example[RATE_FEATURES].to_numpy(dtype=float))
    assert (day_before.to_numpy(dtype=float) > example[RATE_FEATURES].to_numpy(dtype=float)).all()


def test_mainstream_measures_are_left_out_for_special_schools_and_prus(frame: pd.DataFrame) -> None:
    attainment = [c for c in NUMERIC_FEATURES if c.startswith(("ctx_ks2_", "ctx_ks4_"))]
    special = frame.loc[frame["phase"].isin(["Special", "PRU"])]
    assert len(special) > 1000
    assert special[attainment].isna().all().all()
    assert special["ctx_pct_absence"].notna().sum() > 300, "measures that describe them are kept"
    assert frame.loc[frame["phase"] == "Primary", "ctx_ks2_rwm_expected"].notna().sum() > 5000


def _open_urns(inputs: Inputs) -> set[int]:
    return set(inputs.schools.loc[inputs.schools["is_open"].astype(bool), "urn"].astype(int))


def test_inspections_at_since_closed_urns_are_examples(frame: pd.DataFrame, inputs: Inputs) -> None:
    """A maintained school inspected and then turned into an academy is an example, under its own URN."""
    closed = ~frame["urn"].isin(_open_urns(inputs))
    window = frame["start_date"].between(pd.Timestamp("2023-09-01"), pd.Timestamp("2024-08-31"))
    assert (closed & window).sum() > 50
    assert (frame.loc[closed, "urn"] != frame.loc[closed, "school_key"]).all()
    assert (frame.loc[closed, ["phase", "region", "la_name"]] != "unknown").all().all()


def test_type_is_the_type_when_inspected(frame: pd.DataFrame, inputs: Inputs) -> None:
    """Official rows carry Ofsted's school type at the time; checked against the raw rows for closed URNs."""
    raw = inputs.inspections.dropna(subset=["school_type"]).assign(
        start=lambda d: pd.to_datetime(d["start_date"])
    )
    raw_type = raw.drop_duplicates(["urn", "start"]).set_index(["urn", "start"])["school_type"]
    closed = frame.loc[~frame["urn"].isin(_open_urns(inputs)) & (frame["start_date"] >= "2021-09-01")]
    assert len(closed) > 100
    for _, row in closed.iterrows():
        ofsted_type = str(raw_type.loc[(row["urn"], row["start_date"])])
        academy = any(word in ofsted_type for word in ("Academy", "Free School", "Technical", "Studio"))
        assert (row["is_academy"] == 1.0) == academy, (row["urn"], ofsted_type)
        assert ("sponsor" in row["type_group"]) == ("Sponsor" in ofsted_type)


def test_no_model_input_gives_away_a_later_closure(frame: pd.DataFrame, inputs: Inputs) -> None:
    """Among maintained schools inspected since 2021, whether each input is known must not depend on
    whether the URN later closed (e.g. no trust or open date taken from the successor's record)."""
    recent = frame.loc[(frame["start_date"] >= "2021-09-01") & (frame["type_group"] == "Maintained school")]
    closed = ~recent["urn"].isin(_open_urns(inputs))
    assert closed.sum() > 200 and (~closed).sum() > 2000
    numeric, categorical = usable_features(frame)
    assert set(RATE_FEATURES) <= set(numeric)
    gaps = (recent.loc[closed, numeric].isna().mean() - recent.loc[~closed, numeric].isna().mean()).abs()
    assert gaps.max() < 0.10, gaps.sort_values().tail(3).to_dict()
    for column in categorical:
        assert not (recent.loc[closed, column] == "unknown").any(), column


def test_previous_grade_is_the_latest_graded_inspection_before(frame: pd.DataFrame, inputs: Inputs) -> None:
    """Recomputed from the raw inspection rows of the same URN (no lineage), for sampled examples."""
    raw = inputs.inspections.loc[inputs.inspections["is_graded"] & inputs.inspections["grade"].notna()]
    raw = raw.assign(start=pd.to_datetime(raw["start_date"]))
    same_urn = frame.loc[frame["prev_inherited"] == 0].sample(300, random_state=2)
    for _, row in same_urn.iterrows():
        earlier = raw.loc[(raw["urn"] == row["urn"]) & (raw["start"] < row["start_date"])]
        latest = earlier.sort_values("start").iloc[-1]
        assert latest["start"] == row["_asof_prev"]
        assert float(latest["grade"]) == row["prev_grade"]


def test_context_values_were_published_before_the_inspection(frame: pd.DataFrame, inputs: Inputs) -> None:
    """KS2 figure = the value of the latest year whose results were out (December) before the start date."""
    ks2 = inputs.context.loc[inputs.context["measure"] == "ks2_rwm_expected"].dropna(subset=["value"])
    assert PUBLICATION_LAG["dfe-ks2"] == (0, 12, 15)
    rows = (
        frame.loc[(frame["prev_inherited"] == 0) & (frame["phase"] == "Primary")]
        .dropna(subset=["ctx_ks2_rwm_expected"])
        .sample(200, random_state=3)
    )
    for _, row in rows.iterrows():
        school = ks2.loc[ks2["urn"] == row["urn"]]
        out = school.loc[pd.to_datetime(school["year"].astype(str) + "-12-15") < row["start_date"]]
        if out.empty:  # value came from a predecessor URN
            continue
        assert out.sort_values("year").iloc[-1]["value"] == pytest.approx(row["ctx_ks2_rwm_expected"])
    early = frame.loc[frame["start_date"] < pd.Timestamp("2016-12-15")]
    assert early["ctx_ks2_rwm_expected"].isna().all(), "no KS2 2016 results before they were published"


# ---- explanations and plain words ----


def test_drivers_for_a_constructed_case(frame: pd.DataFrame, model: TrainedModel) -> None:
    row = frame.loc[frame["phase"] == "Primary"].iloc[[0]].copy()
    row["prev_grade"] = 3.0
    row["_asof_prev"] = pd.Timestamp("2019-03-01")
    row["prev_category"] = "none"
    row["years_since_prev"] = 4.5
    row["ctx_pupils_change"] = -14.0
    row["idaci_quintile"] = 1.0  # least deprived: the area is not a driver
    text = drivers(row, model.logit).iloc[0]
    assert text.startswith("previous grade Requires improvement")
    assert text.endswith("roll down 14% since the previous census")
    one = row.iloc[0]
    assert statement("years", one) == "4.5 years since last graded inspection"
    special = one.copy()
    special["prev_grade"], special["prev_category"] = 4.0, "SM"
    assert statement("grade", special) == "previous grade Inadequate (special measures)"
    old = one.copy()
    old["_asof_prev"] = pd.Timestamp("2011-05-01")
    assert statement("grade", old) == "previous grade Satisfactory"
    assert roll_statement(one.copy().where(one.index != "ctx_pupils_change", -4.0)) is None
    assert statement("attainment", one), "a primary school's attainment is put in words"
    special_school = one.copy()
    special_school["phase"] = "Special"
    assert statement("attainment", special_school) is None, "mainstream measures are not used for it"


RAW_NAME = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def test_every_model_input_has_plain_words() -> None:
    for name in [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]:
        words = FEATURE_WORDS[name]
        assert not RAW_NAME.search(words), (name, words)


def test_stored_drivers_and_cautions_use_plain_words(demo_sqlite: Path) -> None:
    engine = make_engine(f"sqlite:///{demo_sqlite}")
    scores = store.latest_scores(engine)
    engine.dispose()
    assert scores is not None and len(scores) > 20000
    texts = pd.concat([scores["drivers"], scores["caution"].dropna()])
    raw = texts.loc[texts.str.contains(RAW_NAME)]
    assert raw.empty, raw.head().tolist()


# ---- scoring ----


def test_every_open_school_with_a_grade_is_scored(model: TrainedModel, inputs: Inputs) -> None:
    now = current(inputs, date(2025, 9, 1))
    open_schools = inputs.schools.loc[inputs.schools["is_open"].astype(bool)]
    assert now["urn"].is_unique and set(now["urn"]) <= set(open_schools["urn"])
    assert len(now) > 0.95 * len(open_schools)
    for column in asof_columns(now):
        assert (now[column].dropna() < pd.Timestamp("2025-09-01")).all()
    # Scored long after the data end, the rates cover the latest recorded year, not the empty months since.
    later = current(inputs, date(2027, 1, 1))
    known = later.loc[later["idaci_quintile"].notna() & (later["phase"] != "unknown")]
    assert len(known) > 0.95 * len(later) and known[RATE_FEATURES].notna().all().all()
    assert (later["_asof_recent_rates"] < pd.Timestamp("2025-09-01")).all()
    scored = score_frame(model, now.head(300))
    assert scored["risk"].between(0, 1).all() and scored["drivers"].str.len().gt(10).all()
    assert scored["risk"].is_monotonic_decreasing
