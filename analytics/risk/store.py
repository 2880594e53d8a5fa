"""Versioned storage of trained models: joblib file + JSON metadata under data/models/ (git-ignored).

`RISK_MODEL_DIR` overrides the folder. A model saved with another scikit-learn version is refused (pickles are
not portable across versions): retrain with `python -m analytics train`.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
import statsmodels

from analytics.config import DATA_DIR
from analytics.risk.model import TrainedModel

PREFIX = "risk-"


class ModelVersionError(RuntimeError):
    """The stored model was saved by different library versions."""


def model_dir() -> Path:
    return Path(os.environ.get("RISK_MODEL_DIR", DATA_DIR / "models"))


def library_versions() -> dict[str, str]:
    return {
        "scikit-learn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
    }


def save(
    model: TrainedModel,
    metadata: dict[str, Any],
    folder: Path | None = None,
    scores: pd.DataFrame | None = None,
) -> Path:
    """Write `risk-<timestamp>.joblib`, `.json` (and `.scores.parquet`, every open school's score at training
    time, for the pages); returns the joblib path."""
    folder = folder or model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    trained_at = datetime.now(UTC)
    stem = PREFIX + trained_at.strftime("%Y%m%dT%H%M%S%fZ")
    meta = {
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "versions": library_versions(),
        "kind": model.kind,
        "n_train": model.n_train,
        "train_until": model.train_until,
        "validation_auc": model.validation,
        "features": model.numeric + model.categorical,
        **metadata,
    }
    path = folder / f"{stem}.joblib"
    joblib.dump(model, path)
    if scores is not None:
        scores.to_parquet(folder / f"{stem}.scores.parquet", index=False)
    (folder / f"{stem}.json").write_text(json.dumps(meta, indent=1, default=str))
    return path


def latest_scores(folder: Path | None = None) -> pd.DataFrame | None:
    """Scores of every open school saved with the newest model (None when no model has been trained)."""
    meta = latest_metadata(folder)
    if meta is None:
        return None
    path = Path(meta["path"]).with_suffix(".scores.parquet")
    return pd.read_parquet(path) if path.exists() else None


def latest_metadata(folder: Path | None = None) -> dict[str, Any] | None:
    """Metadata of the newest stored model, or None when none has been trained."""
    folder = folder or model_dir()
    files = sorted(folder.glob(f"{PREFIX}*.json")) if folder.exists() else []
    if not files:
        return None
    meta: dict[str, Any] = json.loads(files[-1].read_text())
    meta["path"] = str(files[-1].with_suffix(".joblib"))
    return meta


def load_latest(folder: Path | None = None) -> tuple[TrainedModel, dict[str, Any]] | None:
    """The newest stored model and its metadata; None if none; ModelVersionError if saved by other
    versions.
    """
    meta = latest_metadata(folder)
    if meta is None:
        return None
    saved = meta.get("versions", {}).get("scikit-learn")
    if saved != sklearn.__version__:
        raise ModelVersionError(
            f"The stored model was trained with scikit-learn {saved}; this is {sklearn.__version__}. "
            "Retrain it with `python -m analytics train`."
        )
    model = joblib.load(meta["path"])
    if not isinstance(model, TrainedModel):
        raise ModelVersionError(f"{meta['path']} is not a risk model")
    return model, meta
