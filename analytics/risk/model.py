"""The candidate models (two families, three candidates) and the time-split training procedure.

- Gradient boosting: one sklearn `Pipeline` (ColumnTransformer -> HistGradientBoostingClassifier), fixed seed,
  fitted twice: every example counting the same, and recent examples counting more (the selection of schools
  for graded inspections and the frameworks changed over the years).
- Logistic regression: statsmodels `smf.logit` on a small set of named terms, for coefficients with 95% CIs.

`fit_models(examples, before)` uses examples that started before `before` only:
1. fits the candidates on all but the last academic year (the validation year, see `validation_start`) and
   picks the one with the best validation AUC;
2. chooses a calibration by rolling-origin validation over the last few academic years (`CALIBRATIONS`,
   `choose_calibration`): the lowest pooled Brier score wins ("none" unless another is strictly better);
3. refits the chosen candidate on every example (the most recent year matters most for ranking) and learns
   the chosen calibration from the validation-year scores of step 1 (scikit-learn's `CalibratedClassifierCV`
   on a `FrozenEstimator`: out-of-time scores, so calibration and fitting data never overlap).
A calibration map is monotone within each group, so it keeps the ranking of schools in a group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from analytics.risk.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

RANDOM_STATE = 0
#: One OpenMP thread: on a small shared machine, gradient boosting's threads oversubscribe the cores and run
#: over ten times slower (measured: 61 s vs 5 s to train on the whole history).
THREADS = 1
MIN_NON_MISSING = 50
#: The validation period is at least this long (see `validation_start`).
MIN_VALIDATION_DAYS = 182
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
    training data). Keeps only the fitted figures (coefficients, intervals, reference means), not the data.
    """

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray) -> LogitModel:
        # Imported here: only training needs statsmodels (over a second to import); scoring and the pages
        # read the fitted figures kept below.
        import statsmodels.formula.api as smf

        self.stats_ = self._stats(X)
        design = self._design(X).assign(adverse=np.asarray(y, dtype=float))
        formula = "adverse ~ " + " + ".join(LOGIT_TERMS)
        result = smf.logit(formula, data=design).fit(disp=0, maxiter=200)
        self.params_ = result.params.astype(float)
        ci = result.conf_int()
        self.ci_low_, self.ci_high_ = ci[0].astype(float), ci[1].astype(float)
        self.pvalues_ = result.pvalues.astype(float)
        self.reference_ = design[list(LOGIT_TERMS)].mean()
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

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of an adverse outcome."""
        terms = self.params_.drop("Intercept")
        design = self._design(X)[terms.index].to_numpy(dtype=float)
        return np.asarray(design @ terms.to_numpy() + self.params_["Intercept"], dtype=float)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = probability(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each term's contribution to the log-odds relative to an average training example."""
        params = self.params_.drop("Intercept")
        design = self._design(X)[params.index]
        return (design - self.reference_[params.index]) * params

    def coefficients(self) -> pd.DataFrame:
        """Coefficients (log-odds), odds ratios and 95% confidence intervals, with plain-words term names."""
        table = pd.DataFrame(
            {
                "term": self.params_.index,
                "coefficient": self.params_.to_numpy(),
                "ci_low": self.ci_low_.to_numpy(),
                "ci_high": self.ci_high_.to_numpy(),
                "p_value": self.pvalues_.to_numpy(),
            }
        )
        table["odds_ratio"] = np.exp(table["coefficient"])
        table["meaning"] = table["term"].map(LOGIT_TERMS).fillna("baseline odds (intercept)")
        return table


def _attainment(X: pd.DataFrame) -> pd.Series:
    """One attainment figure per school: KS2 RWM expected (primary) or Attainment 8 scaled to a
    similar range.
    """
    ks2 = X.get("ctx_ks2_rwm_expected", pd.Series(np.nan, index=X.index))
    ks4 = X.get("ctx_ks4_attainment8", pd.Series(np.nan, index=X.index))
    return ks2.where(ks2.notna(), ks4 * 1.4)


def log_odds(p: Any) -> np.ndarray:
    """log(p / (1 - p)), with p kept away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=float)


def probability(log_odds_values: Any) -> np.ndarray:
    """The inverse of `log_odds`."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(log_odds_values, dtype=float))), dtype=float)


NO_CALIBRATION = "none"
SIGMOID = "sigmoid (Platt)"
SIGMOID_BY_QUINTILE = "sigmoid (Platt) within each IDACI quintile"
CALIBRATIONS = (NO_CALIBRATION, SIGMOID, SIGMOID_BY_QUINTILE)
ALL = "all"
#: A group's own calibration map needs at least this many examples and 20 of each outcome; else the
#: map learnt on all examples applies.
MIN_GROUP_CALIBRATION = 200
#: Years of rolling-origin validation behind the choice of calibration; a year needs this many examples.
CALIBRATION_YEARS = 3
MIN_CALIBRATION_YEAR = 500


class LogOddsScore(ClassifierMixin, BaseEstimator):
    """A fixed scoring function whose decision function is its single input column (a model's log-odds).

    Wrapped in `FrozenEstimator`, it lets scikit-learn's `CalibratedClassifierCV` learn a calibration map from
    out-of-time scores: the scores of a model fitted before the calibration year, applied to the refitted
    model's scores.
    """

    def fit(self, X: Any = None, y: Any = None) -> LogOddsScore:
        self.classes_ = np.array([0.0, 1.0])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=float)[:, 0]

    def predict(self, X: Any) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(float)


def _calibration_map(scores: np.ndarray, y: np.ndarray) -> CalibratedClassifierCV:
    """scikit-learn's sigmoid calibration of log-odds `scores` (a frozen, already fitted scoring function)."""
    frozen = FrozenEstimator(LogOddsScore().fit())
    return CalibratedClassifierCV(frozen, method="sigmoid").fit(scores.reshape(-1, 1), y)


def _quintile_key(values: Any) -> np.ndarray:
    quintile = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce")
    return np.asarray([str(int(q)) if pd.notna(q) else ALL for q in quintile], dtype=object)


@dataclass
class Calibration:
    """A calibration map (one per group where the method has groups), learnt on dated examples."""

    method: str = NO_CALIBRATION
    maps: dict[str, Any] = field(default_factory=dict)
    fitted_from: str = ""
    fitted_to: str = ""
    n: int = 0

    def apply(self, risk: np.ndarray, idaci_quintile: Any) -> np.ndarray:
        """Calibrated probabilities for the model's own probabilities `risk`."""
        risk = np.asarray(risk, dtype=float)
        if self.method == NO_CALIBRATION or not self.maps:
            return risk
        scores = log_odds(risk).reshape(-1, 1)
        out = np.asarray(self.maps[ALL].predict_proba(scores)[:, 1], dtype=float)
        if self.method == SIGMOID_BY_QUINTILE:
            keys = _quintile_key(idaci_quintile)
            for key, mapping in self.maps.items():
                inside = keys == key
                if key != ALL and inside.any():
                    out[inside] = mapping.predict_proba(scores[inside])[:, 1]
        return out


def fit_calibration(method: str, risk: np.ndarray, examples: pd.DataFrame) -> Calibration:
    """Learn `method` from out-of-time probabilities of `examples` (columns adverse, idaci_quintile,
    start_date)."""
    calibration = Calibration(
        method=method,
        fitted_from=str(examples["start_date"].min().date()),
        fitted_to=str(examples["start_date"].max().date()),
        n=len(examples),
    )
    if method == NO_CALIBRATION:
        return calibration
    y = examples["adverse"].to_numpy(dtype=float)
    scores = log_odds(risk)
    calibration.maps[ALL] = _calibration_map(scores, y)
    if method == SIGMOID_BY_QUINTILE:
        keys = _quintile_key(examples["idaci_quintile"])
        for key in sorted(set(keys) - {ALL}):
            inside = keys == key
            positives = int(y[inside].sum())
            if inside.sum() >= MIN_GROUP_CALIBRATION and min(positives, int(inside.sum()) - positives) >= 20:
                calibration.maps[key] = _calibration_map(scores[inside], y[inside])
    return calibration


@dataclass
class TrainedModel:
    """The chosen estimator and its calibration, the candidates' validation AUCs, the calibrations'
    validation Brier scores and the logistic model (coefficients and drivers)."""

    estimator: Any
    kind: str
    numeric: list[str]
    categorical: list[str]
    logit: LogitModel
    calibration: Calibration = field(default_factory=Calibration)
    validation: dict[str, float] = field(default_factory=dict)
    calibration_validation: dict[str, float] = field(default_factory=dict)
    n_train: int = 0
    train_until: str = ""

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of an adverse outcome for each row of a feature frame."""
        return self.calibration.apply(self.predict_uncalibrated(frame), frame["idaci_quintile"])

    def predict_uncalibrated(self, frame: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(THREADS, user_api="openmp"):
            return np.asarray(
                self.estimator.predict_proba(_inputs(frame, self.numeric, self.categorical))[:, 1]
            )


_LOGIT_INPUTS = ["prev_grade", "prev2_grade", "type_group"]


def _inputs(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    columns = list(dict.fromkeys(numeric + categorical + _LOGIT_INPUTS + NUMERIC_FEATURES))
    return frame[[c for c in columns if c in frame]]


def fit_models(examples: pd.DataFrame, before: pd.Timestamp, cache: FitCache | None = None) -> TrainedModel:
    """Fit on examples starting before `before`: choose the candidate and the calibration by validation."""
    if cache is None or cache.examples is not examples:
        cache = FitCache(examples)
    with threadpool_limits(THREADS, user_api="openmp"):
        return _fit_models(cache, before)


def validation_start(before: pd.Timestamp) -> pd.Timestamp:
    """Start of the validation period: the 1 September of the academic year before `before`, or the one
    before that when fewer than six months would remain (academic years are the unit of the data)."""
    last = before - pd.Timedelta(days=1)
    start = pd.Timestamp(year=last.year - (last.month < 9), month=9, day=1)
    return start if (before - start).days >= MIN_VALIDATION_DAYS else start - pd.DateOffset(years=1)


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


@dataclass
class Fitted:
    """A candidate fitted on the examples before a cut-off, with the features it was given."""

    estimator: Any
    numeric: list[str]
    categorical: list[str]

    def scores(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(
            self.estimator.predict_proba(_inputs(frame, self.numeric, self.categorical))[:, 1], dtype=float
        )


class FitCache:
    """Candidates fitted on `examples` before given cut-offs, reused within one training run: backtests and
    the final model share cut-offs on 1 September, and fits are deterministic, so a reuse is exact."""

    def __init__(self, examples: pd.DataFrame) -> None:
        self.examples = examples
        self._fitted: dict[tuple[str, pd.Timestamp], Fitted] = {}

    def before(self, cut: pd.Timestamp) -> pd.DataFrame:
        return self.examples.loc[self.examples["start_date"] < cut]

    def between(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        starts = self.examples["start_date"]
        return self.examples.loc[(starts >= start) & (starts < end)]

    def fitted(self, name: str, cut: pd.Timestamp) -> Fitted:
        key = (name, cut)
        if key not in self._fitted:
            train = self.before(cut)
            numeric, categorical = usable_features(train)
            self._fitted[key] = Fitted(
                _fit_candidate(name, train, numeric, categorical), numeric, categorical
            )
        return self._fitted[key]


def choose_calibration(
    cache: FitCache, kind: str, split: pd.Timestamp, before: pd.Timestamp
) -> dict[str, float]:
    """Pooled Brier score of each calibration method over up to CALIBRATION_YEARS years (lower is better).

    Rolling origin, one academic year at a time, the same set-up as the final model: the candidate fitted on
    the years before year t scores year t; each method is learnt from the scores the candidate fitted one
    year earlier gave year t-1. The last year is the validation year [split, before). Years with too few
    inspections (2020/21) are skipped.
    """
    ends = [before] + [split - pd.DateOffset(years=k) for k in range(CALIBRATION_YEARS + 1)]
    years = [(cache.between(start, end), start) for end, start in zip(ends, ends[1:], strict=False)]
    truth: list[np.ndarray] = []
    calibrated: dict[str, list[np.ndarray]] = {method: [] for method in CALIBRATIONS}
    for (year_t, start_t), (year_before, start_before) in zip(years, years[1:], strict=False):
        if min(len(year_t), len(year_before)) < MIN_CALIBRATION_YEAR or year_before["adverse"].nunique() < 2:
            continue
        scores_t = cache.fitted(kind, start_t).scores(year_t)
        scores_before = cache.fitted(kind, start_before).scores(year_before)
        truth.append(year_t["adverse"].to_numpy(dtype=float))
        for method in CALIBRATIONS:
            calibration = fit_calibration(method, scores_before, year_before)
            calibrated[method].append(calibration.apply(scores_t, year_t["idaci_quintile"]))
    if not truth:
        return {NO_CALIBRATION: float("nan")}
    y = np.concatenate(truth)
    return {method: float(brier_score_loss(y, np.concatenate(parts))) for method, parts in calibrated.items()}


def _best_calibration(briers: dict[str, float]) -> str:
    """The method with the lowest validation Brier score; no calibration unless another is strictly better."""
    if any(np.isnan(value) for value in briers.values()):
        return NO_CALIBRATION
    best = min(briers, key=lambda method: briers[method])
    return best if briers[best] < briers[NO_CALIBRATION] else NO_CALIBRATION


def _fit_models(cache: FitCache, before: pd.Timestamp) -> TrainedModel:
    split = validation_start(before)
    train, validation = cache.before(before), cache.between(split, before)
    scores, predicted = {}, {}
    y_val = validation["adverse"].to_numpy()
    for name in (GRADIENT_BOOSTING, GRADIENT_BOOSTING_RECENT, LOGISTIC):
        predicted[name] = cache.fitted(name, split).scores(validation)
        scores[name] = float(roc_auc_score(y_val, predicted[name]))
    kind = max(scores, key=lambda name: scores[name])
    briers = choose_calibration(cache, kind, split, before)
    calibration = fit_calibration(_best_calibration(briers), predicted[kind], validation)
    final = cache.fitted(kind, before)
    logit = (
        final.estimator
        if isinstance(final.estimator, LogitModel)
        else cache.fitted(LOGISTIC, before).estimator
    )
    return TrainedModel(
        estimator=final.estimator,
        kind=kind,
        numeric=final.numeric,
        categorical=final.categorical,
        logit=logit,
        calibration=calibration,
        validation=scores,
        calibration_validation=briers,
        n_train=len(train),
        train_until=str(before.date()),
    )
