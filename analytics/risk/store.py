"""The trained early-warning model in the database, shared by all replicas (tables risk_model, risk_score).

Each training run stores one `risk_model` row: the fitted model serialized with joblib, the sha256 of those
bytes, the scikit-learn version, the data version it was trained on (`analytics.store.data_version`) and its
metadata as JSON (backtests, coefficients, reliability of the scores, cautions); plus one `risk_score` row per
scored open school. Loading a model checks the scikit-learn version and the sha256 before unpickling: a model
saved by another version, or whose bytes changed since training, is refused with a clear message. Metadata
and scores are plain data: pages read them without unpickling anything. Only the newest KEEP_MODELS runs are
kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import platform
from datetime import UTC, datetime
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
import statsmodels
from sqlalchemy import Engine, Table, delete, func, insert, select

from analytics.queries import rows_frame
from analytics.risk.model import TrainedModel
from analytics.store.engine import as_utc
from analytics.store.models import RiskModel, RiskScore

KEEP_MODELS = 3
MODELS: Table = RiskModel.__table__  # type: ignore[attr-defined]
SCORES: Table = RiskScore.__table__  # type: ignore[attr-defined]
RETRAIN = "Retrain it with `python -m analytics train` (or `python -m analytics init-demo`)."
SCORE_COLUMNS = [
    "urn",
    "risk",
    "risk_low",
    "risk_high",
    "band",
    "national_share",
    "drivers",
    "caution",
    "prev_grade",
    "years_since_prev",
]


class StoredModelError(RuntimeError):
    """The stored model cannot be used."""


class ModelVersionError(StoredModelError):
    """The stored model was saved by a different scikit-learn version."""


class ModelIntegrityError(StoredModelError):
    """The stored model's bytes do not match the sha256 recorded at training time."""


def library_versions() -> dict[str, str]:
    return {
        "scikit-learn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
    }


def serialize(model: TrainedModel) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def _json_safe(value: Any) -> Any:
    """Metadata as strict JSON: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def save(engine: Engine, model: TrainedModel, metadata: dict[str, Any], scores: pd.DataFrame) -> int:
    """Store a trained model, its metadata and its scores in one transaction; returns the model's id."""
    blob = serialize(model)
    trained_at = datetime.now(UTC)
    meta = _json_safe(
        {
            "versions": library_versions(),
            "kind": model.kind,
            "n_train": model.n_train,
            "train_until": model.train_until,
            "validation_auc": model.validation,
            "calibration": {
                "method": model.calibration.method,
                "fitted_from": model.calibration.fitted_from,
                "fitted_to": model.calibration.fitted_to,
                "n": model.calibration.n,
                "validation_brier": model.calibration_validation,
            },
            "features": model.numeric + model.categorical,
            **metadata,
        }
    )
    rows = _score_rows(scores)
    with engine.begin() as connection:
        model_id = int(
            connection.execute(
                insert(MODELS).returning(MODELS.c.id),
                {
                    "trained_at": trained_at,
                    "data_version": int(metadata.get("data_version", 0)),
                    "sklearn_version": sklearn.__version__,
                    "kind": model.kind,
                    "sha256": hashlib.sha256(blob).hexdigest(),
                    "model": blob,
                    "meta_json": json.dumps(meta, allow_nan=False),
                },
            ).scalar_one()
        )
        if rows:
            connection.execute(insert(SCORES), [{**row, "model_id": model_id} for row in rows])
        _prune(connection)
    return model_id


def _score_rows(scores: pd.DataFrame) -> list[dict[str, Any]]:
    frame = scores.reindex(columns=SCORE_COLUMNS).astype(object)
    frame = frame.where(frame.notna(), None)
    rows: list[dict[str, Any]] = frame.to_dict(orient="records")  # type: ignore[assignment]
    for row in rows:
        row["urn"] = int(row["urn"])
        for column in ("risk", "risk_low", "risk_high", "national_share", "prev_grade", "years_since_prev"):
            if row[column] is not None:
                row[column] = float(row[column])
        row["drivers"] = str(row["drivers"] or "")
    return rows


def _prune(connection: Any) -> None:
    """Keep the newest KEEP_MODELS models (their scores go with them)."""
    newest_first = select(MODELS.c.id).order_by(MODELS.c.id.desc())
    old = list(connection.execute(newest_first).scalars())[KEEP_MODELS:]
    if old:
        connection.execute(delete(SCORES).where(SCORES.c.model_id.in_(old)))
        connection.execute(delete(MODELS).where(MODELS.c.id.in_(old)))


def latest_id(engine: Engine) -> int | None:
    """Id of the newest stored model (a cheap query: cache keys use it), None when none is stored."""
    with engine.connect() as connection:
        found = connection.execute(select(func.max(MODELS.c.id))).scalar_one()
    return None if found is None else int(found)


def latest_metadata(engine: Engine) -> dict[str, Any] | None:
    """Metadata of the newest stored model (with id, trained_at, data_version, sklearn_version), or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(
                MODELS.c.id,
                MODELS.c.trained_at,
                MODELS.c.data_version,
                MODELS.c.sklearn_version,
                MODELS.c.meta_json,
            )
            .order_by(MODELS.c.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    meta: dict[str, Any] = json.loads(row.meta_json)
    trained_at = as_utc(row.trained_at)
    meta.update(
        id=int(row.id),
        trained_at=trained_at.isoformat(timespec="seconds"),
        data_version=int(row.data_version),
        sklearn_version=row.sklearn_version,
    )
    return meta


def latest_scores(engine: Engine, urns: list[int] | None = None) -> pd.DataFrame | None:
    """Scores of every open school (or of `urns` only) from the newest stored model (None when no model is
    stored)."""
    model_id = latest_id(engine)
    return None if model_id is None else scores_of(engine, model_id, urns)


def scores_of(engine: Engine, model_id: int, urns: list[int] | None = None) -> pd.DataFrame:
    """Scores stored with one model (optionally of some schools only), riskiest first."""
    columns = [SCORES.c[c] for c in SCORE_COLUMNS]
    query = select(*columns).where(SCORES.c.model_id == model_id)
    if urns is not None:
        query = query.where(SCORES.c.urn.in_([int(u) for u in urns]))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = rows_frame(rows, SCORE_COLUMNS)
    return frame.sort_values(["risk", "urn"], ascending=[False, True], kind="stable").reset_index(drop=True)


def is_current(engine: Engine, data_version: int) -> bool:
    """Whether the newest stored model was trained on `data_version` with this scikit-learn version."""
    meta = latest_metadata(engine)
    return (
        meta is not None
        and meta["data_version"] == data_version
        and meta["sklearn_version"] == sklearn.__version__
    )


def load_latest(engine: Engine) -> tuple[TrainedModel, dict[str, Any]] | None:
    """The newest stored model and its metadata; None if none is stored.

    Raises ModelVersionError when it was saved by another scikit-learn version and ModelIntegrityError when
    its bytes do not match the sha256 recorded at training time; both before anything is unpickled.
    """
    meta = latest_metadata(engine)
    if meta is None:
        return None
    if meta["sklearn_version"] != sklearn.__version__:
        raise ModelVersionError(
            f"The stored early-warning model (id {meta['id']}) was trained with scikit-learn "
            f"{meta['sklearn_version']}; this installation has scikit-learn {sklearn.__version__}, which "
            f"cannot load it safely. {RETRAIN}"
        )
    with engine.connect() as connection:
        row = connection.execute(
            select(MODELS.c.model, MODELS.c.sha256).where(MODELS.c.id == meta["id"])
        ).one()
    blob = bytes(row.model)
    if hashlib.sha256(blob).hexdigest() != row.sha256:
        raise ModelIntegrityError(
            f"The stored early-warning model (id {meta['id']}) does not match the sha256 recorded when it "
            f"was trained: it has been altered or damaged and will not be loaded. {RETRAIN}"
        )
    model = joblib.load(io.BytesIO(blob))
    if not isinstance(model, TrainedModel):
        raise ModelIntegrityError(f"The stored object (id {meta['id']}) is not an early-warning model.")
    return model, meta
