"""The candidate models (two families, three candidates) and the time-split training procedure.

- Gradient boosting: one sklearn `Pipeline` (ColumnTransformer -> HistGradientBoostingClassifier), fixed seed,
  fitted twice: every example counting the same, and recent examples counting more (the selection of schools
  for graded inspections and the frameworks changed over the years).
- Logistic regression: statsmodels `smf.logit` on a small set of named terms, for coefficients with 95% CIs.

`fit_models` fits the candidates on training examples before a validation year (the last 12 months before
the cut-off), picks the one with the best validation AUC, learns a Platt calibration (a monotone map, so the
ranking is kept) from its validation-year scores, then refits the chosen model on all the training examples
and applies that calibration: probabilities reflect the most recent adverse rate, not the 2005-2015 one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from analytics.risk.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

RANDOM_STATE = 0
#: One OpenMP thread: on a small shared machine, gradient boosting's threads oversubscribe the cores and run
#: over ten times slower (measured: 61 s vs 5 s to train on the whole history).
THREADS = 1
MIN_NON_MISSING = 50
VALIDATION_DAYS = 365
HGB_PARAMS: dict[str, Any] = {
    "learning_rate": 0.03,
    "max_iter": 400,
    "max_leaf_nodes": 15,
    "l2_regularization": 1.0,
    "min_samples_leaf": 50,
    "random_state": RANDOM_STATE,
}
GRADIENT_BOOSTING = "gradient boosting"
GRADIENT_BOOSTING_RECENT = "gradient boosting, recent years weighted"
LOGISTIC = "logistic regression"
#: Half-life of the recency weight of the third candidate: an example six years older counts half as much.
RECENCY_HALF_LIFE_YEARS = 6.0

#: Terms of the interpretable model: name -> plain-words description.
LOGIT_TERMS: dict[str, str] = {
    "prev_outstanding": "previous grade Outstanding (vs Good)",
    "prev_ri": "previous grade RI/Satisfactory (vs Good)",
    "prev_inadequate": "previous grade Inadequate (vs Good)",
    "prev2_adverse": "grade before that RI/Satisfactory or Inadequate",
    "years_since_prev": "years since the previous graded inspection",
    "prev_inherited": "previous grade inherited from a predecessor school",
    "secondary": "secondary phase (vs primary)",
    "special_or_pru": "special school or PRU (vs primary)",
    "sponsor_led": "sponsored academy",
    "idaci_quintile": "IDACI quintile (1 least, 5 most deprived area)",
    "la_prior_adverse": "share of adverse inspections in the LA, previous 5 years",
    "attainment_z": "attainment (KS2 RWM expected / Attainment 8), standardised",
    "attainment_missing": "no attainment figure available",
    "absence_z": "overall absence, standardised",
    "fsm_z": "% FSM ever, standardised",
}


def usable_features(train: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Features with enough known values in the training data (others cannot be learnt)."""
    numeric = [c for c in NUMERIC_FEATURES if c in train and train[c].notna().sum() >= MIN_NON_MISSING]
    return numeric, list(CATEGORICAL_FEATURES)


def gradient_boosting(numeric: list[str], categorical: list[str]) -> Pipeline:
    """ColumnTransformer (numbers as they are, categories ordinal-encoded) -> gradient boosting."""
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
    )
    prepare = ColumnTransformer(
        [("numeric", "passthrough", numeric), ("categorical", encoder, categorical)],
        verbose_feature_names_out=False,
    )
    positions = list(range(len(numeric), len(numeric) + len(categorical)))
    model = HistGradientBoostingClassifier(categorical_features=positions, **HGB_PARAMS)
    return Pipeline([("prepare", prepare), ("model", model)])


def _zscore(values: pd.Series, stats: tuple[float, float]) -> pd.Series:
    mean, sd = stats
    return ((values - mean) / (sd or 1.0)).fillna(0.0)


class LogitModel(ClassifierMixin, BaseEstimator):
    """statsmodels logistic regression on named, plain-words terms (missing values filled from
    training data).
    """

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> LogitModel:
        self.stats_ = self._stats(X)
        design = self._design(X).assign(adverse=np.asarray(y, dtype=float))
        formula = "adverse ~ " + " + ".join(LOGIT_TERMS)
        self.result_ = smf.logit(formula, data=design).fit(disp=0, maxiter=200)
        self.classes_ = np.array([0.0, 1.0])
        return self

    @staticmethod
    def _stats(X: pd.DataFrame) -> dict[str, tuple[float, float]]:
        out = {}
        for name, column in (
            ("attainment", "_attainment"),
            ("absence", "ctx_pct_absence"),
            ("fsm", "ctx_pct_fsm_ever"),
            ("la", "la_prior_adverse"),
        ):
            values = _attainment(X) if column == "_attainment" else X.get(column, pd.Series(dtype=float))
            out[name] = (
                float(np.nanmean(values)) if values.notna().any() else 0.0,
                float(np.nanstd(values)) if values.notna().any() else 1.0,
            )
        return out

    def _design(self, X: pd.DataFrame) -> pd.DataFrame:
        prev = X["prev_grade"]
        phase = X["phase"].astype(str)
        attainment = _attainment(X)
        design = pd.DataFrame(
            {
                "prev_outstanding": (prev == 1).astype(float),
                "prev_ri": (prev == 3).astype(float),
                "prev_inadequate": (prev == 4).astype(float),
                "prev2_adverse": (X["prev2_grade"] >= 3).astype(float),
                "years_since_prev": X["years_since_prev"].clip(0, 15).fillna(5).astype(float),
                "prev_inherited": X["prev_inherited"].fillna(0).astype(float),
                "secondary": (phase == "Secondary").astype(float),
                "special_or_pru": phase.isin(["Special", "PRU"]).astype(float),
                "sponsor_led": X["type_group"].astype(str).str.contains("sponsor").astype(float),
                "idaci_quintile": X["idaci_quintile"].fillna(3).astype(float),
                "la_prior_adverse": X["la_prior_adverse"].fillna(self.stats_["la"][0]).astype(float),
                "attainment_z": _zscore(attainment, self.stats_["attainment"]),
                "attainment_missing": attainment.isna().astype(float),
                "absence_z": _zscore(
                    X.get("ctx_pct_absence", pd.Series(np.nan, index=X.index)), self.stats_["absence"]
                ),
                "fsm_z": _zscore(
                    X.get("ctx_pct_fsm_ever", pd.Series(np.nan, index=X.index)), self.stats_["fsm"]
                ),
            },
            index=X.index,
        )
        return design

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = np.asarray(self.result_.predict(self._design(X)), dtype=float)
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each term's contribution to the log-odds relative to an average training example."""
        design = self._design(X)
        params = self.result_.params.drop("Intercept")
        reference = pd.Series(self.result_.model.exog.mean(axis=0), index=self.result_.model.exog_names)
        return (design[params.index] - reference.drop("Intercept")) * params

    def coefficients(self) -> pd.DataFrame:
        """Coefficients (log-odds), odds ratios and 95% confidence intervals, with plain-words term names."""
        ci = self.result_.conf_int()
        table = pd.DataFrame(
            {
                "term": self.result_.params.index,
                "coefficient": self.result_.params.to_numpy(),
                "ci_low": ci[0].to_numpy(),
                "ci_high": ci[1].to_numpy(),
                "p_value": self.result_.pvalues.to_numpy(),
            }
        )
        table["odds_ratio"] = np.exp(table["coefficient"])
        table["meaning"] = table["term"].map(LOGIT_TERMS).fillna("intercept")
        return table


def _attainment(X: pd.DataFrame) -> pd.Series:
    """One attainment figure per school: KS2 RWM expected (primary) or Attainment 8 scaled to a
    similar range.
    """
    ks2 = X.get("ctx_ks2_rwm_expected", pd.Series(np.nan, index=X.index))
    ks4 = X.get("ctx_ks4_attainment8", pd.Series(np.nan, index=X.index))
    return ks2.where(ks2.notna(), ks4 * 1.4)


class PlattCalibrated:
    """A fitted classifier whose scores go through a Platt map learnt on held-out (later) examples."""

    def __init__(self, estimator: Any, raw: np.ndarray, y: np.ndarray) -> None:
        self.estimator = estimator
        self.platt = LogisticRegression(C=1e6).fit(_logit(raw).reshape(-1, 1), y)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        raw = self.estimator.predict_proba(X)[:, 1]
        return np.asarray(self.platt.predict_proba(_logit(raw).reshape(-1, 1)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass
class TrainedModel:
    """The chosen calibrated estimator plus both candidates' validation scores and the logit coefficients."""

    estimator: Any
    kind: str
    numeric: list[str]
    categorical: list[str]
    logit: LogitModel
    validation: dict[str, float] = field(default_factory=dict)
    n_train: int = 0
    train_until: str = ""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(THREADS, user_api="openmp"):
            return np.asarray(
                self.estimator.predict_proba(_inputs(frame, self.numeric, self.categorical))[:, 1]
            )


_LOGIT_INPUTS = ["prev_grade", "prev2_grade", "type_group"]


def _inputs(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    columns = list(dict.fromkeys(numeric + categorical + _LOGIT_INPUTS + NUMERIC_FEATURES))
    return frame[[c for c in columns if c in frame]]


def fit_models(examples: pd.DataFrame, before: pd.Timestamp) -> TrainedModel:
    """Fit on examples starting before `before`: choose by validation on the last year, calibrate on it."""
    with threadpool_limits(THREADS, user_api="openmp"):
        return _fit_models(examples, before)


def recency_weights(starts: pd.Series) -> np.ndarray:
    """Sample weights halving every RECENCY_HALF_LIFE_YEARS before the newest example."""
    age_years = (starts.max() - starts).dt.days.to_numpy() / 365.25
    return np.asarray(0.5 ** (age_years / RECENCY_HALF_LIFE_YEARS), dtype=float)


def _fit_candidate(name: str, frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> Any:
    """A new estimator of the named candidate, fitted on `frame` (with recency weights where named so)."""
    if name == LOGISTIC:
        return LogitModel().fit(_inputs(frame, numeric, categorical), frame["adverse"].to_numpy())
    fit_params = {}
    if name == GRADIENT_BOOSTING_RECENT:
        fit_params["model__sample_weight"] = recency_weights(frame["start_date"])
    return gradient_boosting(numeric, categorical).fit(
        _inputs(frame, numeric, categorical), frame["adverse"].to_numpy(), **fit_params
    )


def _fit_models(examples: pd.DataFrame, before: pd.Timestamp) -> TrainedModel:
    train = examples.loc[examples["start_date"] < before]
    split = before - pd.Timedelta(days=VALIDATION_DAYS)
    fit, validation = train.loc[train["start_date"] < split], train.loc[train["start_date"] >= split]
    numeric, categorical = usable_features(fit)
    scores, predicted = {}, {}
    y_val = validation["adverse"].to_numpy()
    for name in (GRADIENT_BOOSTING, GRADIENT_BOOSTING_RECENT, LOGISTIC):
        estimator = _fit_candidate(name, fit, numeric, categorical)
        predicted[name] = estimator.predict_proba(_inputs(validation, numeric, categorical))[:, 1]
        scores[name] = float(roc_auc_score(y_val, predicted[name]))
    kind = max(scores, key=lambda name: scores[name])
    numeric, categorical = usable_features(train)
    final = _fit_candidate(kind, train, numeric, categorical)
    logit = (
        final
        if isinstance(final, LogitModel)
        else LogitModel().fit(_inputs(train, numeric, categorical), train["adverse"].to_numpy())
    )
    return TrainedModel(
        estimator=PlattCalibrated(final, predicted[kind], y_val),
        kind=kind,
        numeric=numeric,
        categorical=categorical,
        logit=logit,
        validation=scores,
        n_train=len(train),
        train_until=str(before.date()),
    )
