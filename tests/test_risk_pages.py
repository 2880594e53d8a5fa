"""Risk register and model card (AppTest) on the demo database built by `init-demo` alone (which trains and
stores the model: no separate `train` step), a copy without a model, and a copy retrained mid-session."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from signin import signed_in_app
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from analytics import queries
from analytics.risk import store
from analytics.store.engine import make_engine

APP = Path(__file__).resolve().parents[1] / "app.py"
GOOD_OR_NONE = re.compile(r"^(Outstanding|Good|Not inspected)\b")
LA = "Kent"  # large, with special schools, PRUs and nursery schools


def _page(page: str, **params: str) -> AppTest:
    at = signed_in_app(timeout=300, query_params=params)  # the link's parameters from the start
    at.switch_page(page)
    return at.run()


def _la_truth(database: Path, la: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The LA's open schools with their headline grade, and the stored scores (straight from the store)."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        headlines = queries.school_headlines(engine, queries.Scope.la(la))
        scores = store.latest_scores(engine)
    finally:
        engine.dispose()
    assert scores is not None
    return headlines, scores


def test_after_init_demo_alone_the_register_lists_scored_schools(app_env: Path) -> None:
    at = _page("views/risk_register.py", la=LA)
    assert not at.exception, at.exception
    assert not at.info, "a model is stored: no 'train it' hint"
    table = at.dataframe[0].value
    headlines, scores = _la_truth(app_env, LA)
    scored = headlines.merge(scores, on="urn")
    good_or_none = scored.loc[scored["grade"].isna() | (scored["grade"] <= 2)]
    assert len(table) > 300
    assert set(table["URN"]) == set(good_or_none["urn"]), "default: Good/Outstanding or no grade, scored"
    assert table["Current grade"].str.match(GOOD_OR_NONE).all()
    assert table["Risk"].notna().all() and table["Risk"].is_monotonic_decreasing
    assert (table["Likely range"].str.fullmatch(r"\d+% to \d+%")).all()
    # Rank within the LA: 1 + the LA's scored schools (all grades) with a strictly higher risk.
    risks = scored.set_index("urn")["risk"]
    for _, row in table.sample(40, random_state=0).iterrows():
        assert row["Rank in LA"] == 1 + int((risks > risks[row["URN"]]).sum())


def test_register_filter_adds_the_schools_below_good(app_env: Path) -> None:
    at = _page("views/risk_register.py", la=LA)
    default = at.dataframe[0].value
    grades = at.multiselect(key="risk_grades")
    at = grades.select("Requires improvement or Inadequate").run()
    assert not at.exception
    everything = at.dataframe[0].value
    below = everything.loc[everything["Current grade"].str.match(r"^(Requires improvement|Inadequate)")]
    assert len(below) > 20 and len(everything) == len(default) + len(below)


def test_register_cautions_groups_the_model_ranks_poorly(app_env: Path) -> None:
    at = _page("views/risk_register.py", la=LA)
    table = at.dataframe[0].value
    flagged = table.loc[table["Reliability"] == "use with caution"]
    assert len(flagged) > 5
    weak_phases = _weak_groups(app_env, "auc_by_phase")
    assert {"Special", "PRU"} & weak_phases, "the backtests judged special schools or PRUs weak"
    # A school is flagged for its phase or for its IDACI quintile (the two groups the backtests judge).
    by_phase = flagged["Phase"].isin(weak_phases)
    by_quintile = flagged["Caution"].str.contains("IDACI quintile")
    assert (by_phase | by_quintile).all(), "every caution names a group the backtests judged weak"
    assert (flagged["Caution"].str.contains("poorly|too few")).all()
    unflagged = table.loc[table["Reliability"] == ""]
    assert not unflagged["Phase"].isin(weak_phases).any(), "every school of a weak phase is flagged"
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "special schools" in warning and "AUC" in warning


def _weak_groups(database: Path, key: str) -> set[str]:
    """Groups the stored backtests judge weak by issue 16's rule, recomputed from the stored metadata: AUC
    below 0.65 in a window with at least 40 inspections, or never 40 inspections in any window."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        metadata = store.latest_metadata(engine)
    finally:
        engine.dispose()
    assert metadata is not None
    groups: dict[str, list[dict[str, float]]] = {}
    for backtest in metadata["backtests"]:
        for name, result in backtest.get(key, {}).items():
            groups.setdefault(name, []).append(result)
    weak = set()
    for name, results in groups.items():
        judged = [r for r in results if r["n"] >= 40]
        if not judged or any(r["auc"] is None or r["auc"] < 0.65 for r in judged):
            weak.add(name)
    return weak


RAW_NAME = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _texts(at: AppTest) -> list[str]:
    texts = [e.value for e in [*at.markdown, *at.caption, *at.success, *at.error, *at.title, *at.subheader]]
    for frame in at.dataframe:
        texts += [str(c) for c in frame.value.columns]
        texts += [str(v) for v in frame.value.astype(str).to_numpy().ravel()]
    return [t.replace("\\", "") for t in texts]


def test_model_card_in_plain_words_with_targets_and_group_tables(app_env: Path) -> None:
    at = _page("views/model_card.py")
    assert not at.exception, at.exception
    raw = [t for t in _texts(at) if RAW_NAME.search(t)]
    assert raw == [], raw[:5]
    statements = [e.value.replace("\\", "") for e in [*at.success, *at.error]]
    assert any(s.startswith("Ranking within every phase") for s in statements)
    assert any("IDACI quintile" in s and "inspections" in s for s in statements)
    assert any(s.startswith("Overall AUC") for s in statements)
    tables = [d.value for d in at.dataframe]
    phase = next(t for t in tables if "Phase" in t.columns and "Inspections" in t.columns)
    assert {"Primary", "Secondary", "Special", "PRU"} <= set(phase["Phase"])
    assert (phase["Inspections"] > 0).all() and phase["Ranking within the group (AUC)"].notna().any()
    inputs = next(t for t in tables if "Model input" in t.columns)
    assert "years since the previous graded inspection" in set(inputs["Model input"])


@pytest.mark.parametrize("page", ["views/risk_register.py", "views/model_card.py"])
def test_pages_without_a_model_say_how_to_train(demo_copy: Path, page: str) -> None:
    engine = make_engine(f"sqlite:///{demo_copy}")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM risk_score"))
        connection.execute(text("DELETE FROM risk_model"))
    engine.dispose()
    at = _page(page)
    assert not at.exception
    hint = " ".join(info.value for info in at.info)
    assert "python -m analytics train" in hint and "init-demo" in hint


def test_a_retrained_model_shows_on_the_next_rerun_without_clearing_caches(demo_copy: Path) -> None:
    """Cache keys are the data version and the stored model's id (ordinary, hashed parameters)."""
    at = _page("views/risk_register.py", la=LA)
    before = at.dataframe[0].value.set_index("URN")["Risk"]
    engine = make_engine(f"sqlite:///{demo_copy}")
    loaded = store.load_latest(engine)
    scores = store.latest_scores(engine)
    assert loaded is not None and scores is not None
    halved = scores.assign(risk=scores["risk"] / 2)
    store.save(engine, loaded[0], {k: loaded[1][k] for k in ("backtests", "reliability", "cautions")}, halved)
    engine.dispose()
    after = at.run().dataframe[0].value.set_index("URN")["Risk"]
    assert after.reindex(before.index).to_numpy() == pytest.approx(before.to_numpy() / 2)


SMALL_LA = "Rutland"  # a small LA: the register page compares every school of it with the data


def _register_bands(at: AppTest) -> pd.Series:
    table = next(d.value for d in at.dataframe if {"URN", "Risk", "Level"} <= set(d.value.columns))
    return table.set_index("URN")["Risk"]


def _bands_of(scores: pd.DataFrame, urns: pd.Index) -> list[str]:
    return scores.set_index("urn")["band"].reindex(urns).fillna("not scored").tolist()


def test_the_scc_register_shows_the_newest_models_bands_without_clearing_caches(demo_copy: Path) -> None:
    """The SCC register reads the scores through the risk pages' one loader, keyed on the stored model's id:
    its bands are the stored ones, and a new model shows on the next rerun of the same session."""
    at = _page("views/register.py", la=SMALL_LA)
    at = at.toggle(key="register_everyone").set_value(True).run()
    assert not at.exception, at.exception
    shown = _register_bands(at)
    engine = make_engine(f"sqlite:///{demo_copy}")
    loaded = store.load_latest(engine)
    scores = store.latest_scores(engine)
    assert loaded is not None and scores is not None
    stored = scores.set_index("urn")["band"]
    scored = shown.index.isin(stored.index)
    assert scored.sum() > 10, "most of the LA's open schools are scored"
    assert shown.tolist() == _bands_of(scores, shown.index)
    rotate = {"high": "lower", "elevated": "high", "lower": "elevated"}
    rotated = scores.assign(band=scores["band"].map(rotate))
    extras = {k: loaded[1][k] for k in ("backtests", "reliability", "cautions")}
    store.save(engine, loaded[0], extras, rotated)
    engine.dispose()
    after = _register_bands(at.run())
    assert after.tolist() == _bands_of(rotated, after.index)
    assert (after.reindex(shown.index)[scored] != shown[scored]).all()
