"""Early-warning model: backtest JSON contract, metrics recomputed independently, leakage,
drivers, store, pages.

Everything runs on the demo database built by `init-demo` from the bundled real files.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.metrics import roc_auc_score
from streamlit.testing.v1 import AppTest

from analytics import queries
from analytics.risk import store
from analytics.risk.data import Inputs, current, examples, load_inputs
from analytics.risk.explain import drivers, roll_statement, statement
from analytics.risk.features import PUBLICATION_LAG, STATIC_FEATURES, asof_columns
from analytics.risk.model import TrainedModel, fit_models, usable_features
from analytics.risk.scoring import score_frame
from analytics.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
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
]


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
def model(frame: pd.DataFrame) -> TrainedModel:
    return fit_models(frame, pd.Timestamp("2025-09-01"))


@pytest.fixture(scope="module")
def backtest(demo_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, pd.DataFrame]:
    """The CLI contract, run as a user would: a subprocess on the demo database."""
    scores = tmp_path_factory.mktemp("bt") / "scores.csv"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{demo_sqlite}", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics",
            "backtest",
            "--test-from",
            "2023-09-01",
            "--test-to",
            "2024-08-31",
            "--format",
            "json",
            "--scores-out",
            str(scores),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), pd.read_csv(scores)


def test_backtest_json_has_the_contract_keys(backtest: tuple[dict, pd.DataFrame]) -> None:
    metrics, scored = backtest
    assert set(KEYS) <= set(metrics)
    assert metrics["n_test"] == len(scored) > 1000
    assert metrics["n_train"] > 5 * metrics["n_test"]
    assert set(metrics["recall_at_20pct_by_idaci_quintile"]) == {"1", "2", "3", "4", "5"}


def test_backtest_window_and_training_cut(backtest: tuple[dict, pd.DataFrame], frame: pd.DataFrame) -> None:
    metrics, scored = backtest
    starts = pd.to_datetime(scored["start_date"])
    assert starts.min() >= pd.Timestamp("2023-09-01") and starts.max() <= pd.Timestamp("2024-08-31")
    # Independent count: graded inspections with an earlier graded one, started before the window.
    assert metrics["n_train"] == int((frame["start_date"] < pd.Timestamp("2023-09-01")).sum())


def _recall_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    n = math.ceil(share * len(y))
    top = np.argsort(-score, kind="stable")[:n]
    return float(y[top].sum() / y.sum())


def test_backtest_metrics_match_an_independent_computation(backtest: tuple[dict, pd.DataFrame]) -> None:
    metrics, scored = backtest
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


def test_model_beats_the_baseline(backtest: tuple[dict, pd.DataFrame]) -> None:
    metrics, _ = backtest
    assert metrics["auc"] > metrics["baseline_auc"] + 0.04
    assert metrics["recall_at_20pct"] > metrics["baseline_recall_at_20pct"] + 0.05


def test_backtest_reaches_the_2023_24_auc_target(backtest: tuple[dict, pd.DataFrame]) -> None:
    metrics, _ = backtest
    assert metrics["auc"] >= 0.70


@pytest.mark.xfail(
    strict=True,
    reason="recall target not reached without leaking features (see the model card's known limits): "
    "recall@20% ~0.38-0.41 on 2023/24",
)
def test_backtest_reaches_the_2023_24_recall_target(backtest: tuple[dict, pd.DataFrame]) -> None:
    metrics, _ = backtest
    assert metrics["recall_at_20pct"] >= 0.45


# ---- leakage ----


def test_no_feature_value_comes_from_on_or_after_the_start_date(frame: pd.DataFrame) -> None:
    sample = frame.sample(2000, random_state=1)
    columns = asof_columns(sample)
    assert len(columns) >= 10, "every dated source keeps its provenance date"
    for column in columns:
        known = sample[column].notna()
        assert (sample.loc[known, column] < sample.loc[known, "start_date"]).all(), column
    undated = {"phase", "region", "idaci_quintile", "era"}
    assert set(STATIC_FEATURES) <= undated  # stable school attributes and the framework are the only undated


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
        frame.loc[frame["prev_inherited"] == 0]
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


# ---- explanations ----


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
    assert statement(
        "grade", one.copy().set_axis(one.index).combine_first(pd.Series({"prev_category": "SM"}))
    )
    special = one.copy()
    special["prev_grade"], special["prev_category"] = 4.0, "SM"
    assert statement("grade", special) == "previous grade Inadequate (special measures)"
    old = one.copy()
    old["_asof_prev"] = pd.Timestamp("2011-05-01")
    assert statement("grade", old) == "previous grade Satisfactory"
    assert roll_statement(one.copy().where(one.index != "ctx_pupils_change", -4.0)) is None


# ---- store and scoring ----


def test_store_round_trip_and_version_refusal(
    model: TrainedModel, frame: pd.DataFrame, tmp_path: Path
) -> None:
    store.save(model, {"backtests": []}, tmp_path)
    loaded = store.load_latest(tmp_path)
    assert loaded is not None
    sample = frame.tail(50)
    assert np.allclose(loaded[0].predict(sample), model.predict(sample))
    meta_file = next(tmp_path.glob("risk-*.json"))
    meta = json.loads(meta_file.read_text())
    assert meta["versions"]["scikit-learn"] == sklearn.__version__
    meta["versions"]["scikit-learn"] = "0.0.1"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(store.ModelVersionError, match="scikit-learn 0.0.1"):
        store.load_latest(tmp_path)
    assert store.load_latest(tmp_path / "empty") is None


def test_every_open_school_with_a_grade_is_scored(model: TrainedModel, inputs: Inputs) -> None:
    now = current(inputs, date(2025, 9, 1))
    open_schools = inputs.schools.loc[inputs.schools["is_open"].astype(bool)]
    assert now["urn"].is_unique and set(now["urn"]) <= set(open_schools["urn"])
    assert len(now) > 0.95 * len(open_schools)
    for column in asof_columns(now):
        assert (now[column].dropna() < pd.Timestamp("2025-09-01")).all()
    scored = score_frame(model, now.head(300))
    assert scored["risk"].between(0, 1).all() and scored["drivers"].str.len().gt(10).all()
    assert scored["risk"].is_monotonic_decreasing


# ---- pages, with and without a trained model ----


@pytest.fixture
def trained_dir(model: TrainedModel, inputs: Inputs, tmp_path: Path) -> Path:
    scores = score_frame(model, current(inputs, date(2025, 9, 1)))
    store.save(
        model,
        {
            "backtests": [],
            "logit_coefficients": model.logit.coefficients().to_dict("records"),
            "n_examples": 1,
            "first_example": "2005-09-01",
            "last_example": "2025-07-15",
            "scored_on": "2025-09-01",
        },
        tmp_path,
        scores=scores,
    )
    return tmp_path


@pytest.fixture
def with_backtest(trained_dir: Path, backtest: tuple[dict, pd.DataFrame], frame: pd.DataFrame) -> Path:
    """Put a real backtest (curves included) into the stored metadata, as `train` does."""
    from analytics.risk.backtest import curves

    metrics, scored = backtest
    scored = scored.assign(adverse=(scored["grade"] >= 3).astype(float))
    meta_file = next(trained_dir.glob("risk-*.json"))
    meta = json.loads(meta_file.read_text())
    meta["backtests"] = [{**metrics, **curves(scored)}]
    meta_file.write_text(json.dumps(meta, default=str))
    return trained_dir


def _run(page: str, monkeypatch: pytest.MonkeyPatch, folder: Path) -> AppTest:
    monkeypatch.setenv("RISK_MODEL_DIR", str(folder))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page(page)
    return at.run()


@pytest.mark.parametrize("page", ["pages/risk_register.py", "pages/model_card.py"])
def test_pages_without_a_model_say_how_to_train(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, page: str
) -> None:
    at = _run(page, monkeypatch, tmp_path / "none")
    assert not at.exception
    assert any("python -m analytics train" in info.value for info in at.info)


def test_risk_register_with_a_model(
    app_env: Path, monkeypatch: pytest.MonkeyPatch, trained_dir: Path
) -> None:
    at = _run("pages/risk_register.py", monkeypatch, trained_dir)
    assert not at.exception
    table = at.dataframe[0].value
    la = at.title[0].value.removeprefix("Risk register: ")
    engine = make_engine(f"sqlite:///{app_env}")
    expected = queries.schools(engine, queries.Scope.la(la))
    engine.dispose()
    not_scored = int(at.metric[3].value)
    assert len(table) == len(expected) - not_scored  # the default band filter leaves out unscored schools
    assert set(table["URN"]) <= set(expected["urn"])
    risks = table["Risk"].dropna()
    assert risks.is_monotonic_decreasing
    assert (table.loc[table["Band"] == "high", "Flag"] == "HIGH RISK").all()
    assert table["Link"].str.startswith("/school?urn=").all()
    assert len(at.get("download_button")) == 2


def test_model_card_with_a_model(app_env: Path, monkeypatch: pytest.MonkeyPatch, with_backtest: Path) -> None:
    at = _run("pages/model_card.py", monkeypatch, with_backtest)
    assert not at.exception
    backtests = at.dataframe[0].value
    assert backtests.loc[0, "Window"] == "2023-09-01 to 2024-08-31"
    assert len(at.get("plotly_chart")) == 2
    assert any("Selection" in m.value for m in at.markdown)
