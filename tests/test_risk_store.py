"""The early-warning model in the database, on SQLite and PostgreSQL: round trip, the refusals before anything
is unpickled (another scikit-learn version, altered bytes), pruning, and the CLI's clear exit on a refusal."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn
from sqlalchemy import Engine, text
from store_checks import fresh_database

from analytics.risk import store
from analytics.risk.data import current, load_inputs
from analytics.risk.model import TrainedModel
from analytics.store import data_version
from analytics.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(demo_sqlite: Path) -> tuple[TrainedModel, dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The model init-demo stored, its metadata, its scores and a feature frame of 300 open schools."""
    engine = make_engine(f"sqlite:///{demo_sqlite}")
    try:
        loaded = store.load_latest(engine)
        assert loaded is not None
        scores = store.latest_scores(engine)
        frame = current(load_inputs(engine), date(2025, 9, 1)).head(300)
    finally:
        engine.dispose()
    assert scores is not None
    return loaded[0], loaded[1], scores, frame


def _save(engine: Engine, trained: tuple[TrainedModel, dict[str, Any], pd.DataFrame, pd.DataFrame]) -> int:
    model, meta, scores, _ = trained
    metadata = {key: meta[key] for key in ("backtests", "reliability", "cautions", "scored_on")}
    return store.save(engine, model, {**metadata, "data_version": data_version(engine)}, scores.head(500))


def test_round_trip(empty_store: Engine, trained: tuple) -> None:
    model, meta, scores, frame = trained
    assert store.latest_id(empty_store) is None
    assert store.latest_metadata(empty_store) is None and store.latest_scores(empty_store) is None
    assert store.load_latest(empty_store) is None
    assert not store.is_current(empty_store, data_version(empty_store))
    model_id = _save(empty_store, trained)
    assert store.latest_id(empty_store) == model_id
    loaded = store.load_latest(empty_store)
    assert loaded is not None
    assert np.array_equal(loaded[0].predict(frame), model.predict(frame))
    saved = loaded[1]
    assert saved["sklearn_version"] == sklearn.__version__ and saved["data_version"] == 0
    assert saved["backtests"][0]["auc_by_phase"] == meta["backtests"][0]["auc_by_phase"]
    assert saved["reliability"] == meta["reliability"]
    back = store.latest_scores(empty_store)
    assert back is not None
    expected = scores.head(500).set_index("urn")
    assert set(back["urn"]) == set(expected.index)
    risks = expected.loc[back["urn"], "risk"].to_numpy()
    assert back["risk"].to_numpy() == pytest.approx(risks)
    assert back["risk"].is_monotonic_decreasing
    one = store.scores_of(empty_store, model_id, [int(back["urn"].iloc[3])])
    assert len(one) == 1 and one["drivers"].iloc[0] == back["drivers"].iloc[3]
    assert store.is_current(empty_store, 0) and not store.is_current(empty_store, 1)


def test_refuses_a_model_saved_by_another_scikit_learn(empty_store: Engine, trained: tuple) -> None:
    model_id = _save(empty_store, trained)
    with empty_store.begin() as connection:
        connection.execute(
            text("UPDATE risk_model SET sklearn_version = '0.0.1' WHERE id = :id"), {"id": model_id}
        )
    with pytest.raises(store.ModelVersionError, match=r"scikit-learn 0\.0\.1.*python -m analytics train"):
        store.load_latest(empty_store)
    assert store.latest_metadata(empty_store) is not None, "metadata and scores stay readable (plain data)"
    assert not store.is_current(empty_store, data_version(empty_store))


@pytest.mark.parametrize("damage", ["bytes", "hash"])
def test_refuses_a_model_that_does_not_match_its_sha256(
    empty_store: Engine, trained: tuple, damage: str
) -> None:
    model_id = _save(empty_store, trained)
    with empty_store.begin() as connection:
        if damage == "hash":
            connection.execute(
                text("UPDATE risk_model SET sha256 = :h WHERE id = :id"), {"h": "0" * 64, "id": model_id}
            )
        else:
            blob = bytearray(connection.execute(text("SELECT model FROM risk_model")).scalar_one())
            blob[len(blob) // 2] ^= 0xFF
            connection.execute(
                text("UPDATE risk_model SET model = :m WHERE id = :id"), {"m": bytes(blob), "id": model_id}
            )
    with pytest.raises(store.ModelIntegrityError, match="sha256"):
        store.load_latest(empty_store)


def test_keeps_the_newest_models_only(empty_store: Engine, trained: tuple) -> None:
    ids = [_save(empty_store, trained) for _ in range(store.KEEP_MODELS + 1)]
    with empty_store.connect() as connection:
        kept = sorted(connection.execute(text("SELECT id FROM risk_model")).scalars())
        scored = sorted(connection.execute(text("SELECT DISTINCT model_id FROM risk_score")).scalars())
    assert kept == scored == ids[1:]


def test_score_cli_refuses_an_altered_model(trained: tuple, tmp_path: Path) -> None:
    for engine in fresh_database("sqlite", tmp_path):
        _save(engine, trained)
        with engine.begin() as connection:
            connection.execute(text("UPDATE risk_model SET sha256 = :h"), {"h": "f" * 64})
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    done = subprocess.run([sys.executable, "-m", "analytics", "score"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 3, done.stderr
    assert "sha256" in done.stderr and "Traceback" not in done.stderr
    bad = subprocess.run([sys.executable, "-m", "analytics", "score", "--format", "xml"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert bad.returncode == 2 and "Unknown format" in bad.stderr


def test_postgres_and_sqlite_read_back_the_same_scores(trained: tuple, tmp_path: Path) -> None:
    """Both backends store the same figures (floats, text, nulls) for the same model."""
    read: list[pd.DataFrame] = []
    for backend in ("sqlite", "postgresql"):
        for engine in fresh_database(backend, tmp_path / backend):
            _save(engine, trained)
            found = store.latest_scores(engine)
            assert found is not None
            read.append(found)
    pd.testing.assert_frame_equal(read[0], read[1])
