"""Feature frame for the early-warning model: one row per graded inspection with an earlier graded inspection.

Every feature describes what was known before the inspection's start date. Each dated source keeps its
provenance date in an `_asof_*` column (the leakage test asserts they are all before `start_date`). A few
school attributes are taken from the latest Ofsted file for the open school the example belongs to and
treated as static (`STATIC_FEATURES`): phase, region, LA and the IDACI quintile of the school's area (the
2025 value, a stated limitation). The school's type (and so whether it was an academy) is the type at the
time of the inspection: recorded on official rows, the current type on the open URN's own rows (a conversion
opens a new URN, so a URN's type does not change), otherwise unknown.

Examples include inspections at URNs that have since closed (a maintained school before it became an academy,
an academy before it was re-brokered) whenever they lead to an open school. Leaving them out would drop the
inspections that led to forced academisation, the outcomes an LA most needs to see coming. No feature may
reveal that the URN later closed, so nothing is taken from the URN's later record: no trust (a school's
trust at the time is not recorded), no open date of the current URN, and the LA and phase come from the open
successor.

School history is followed across URNs (academy conversions) with GIAS links when present, and with
Ofsted's own
"latest/previous graded" pointers, which already name the predecessor URN for inherited grades.

Recent adverse rates (`RATE_FEATURES`: England, the school's IDACI quintile, its phase; the 12 months before
the start date) let the model follow a changing rate. Mainstream attainment and progress measures are left
unknown for special schools and PRUs (`MAINSTREAM_PHASES_ONLY`).

Dated ungraded inspections (their outcome in either wording) and report cards (derived adverse flag, areas
below the expected standard) since the previous graded inspection are features (`OUTCOME_FEATURES`) from the
date they were known: their start date, or the as-at date of the Ofsted release that first recorded them if
that is later. A release is a snapshot ("latest ungraded inspection"): an earlier ungraded inspection that a
later file no longer lists is missing for reasons that depend on what came after, so only what a release had
recorded before an inspection may describe it. Each monthly import therefore adds usable history; the
August 2025 file's ungraded inspections describe only inspections after 31 August 2025.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analytics.grades import (
    REPORT_CARD,
    REPORT_CARD_AREAS,
    framework_for,
    report_card_adverse,
    ungraded_signal,
)

KEY_JUDGEMENT_FEATURES = {
    "quality_of_education": "prev_quality_of_education",
    "behaviour_and_attitudes": "prev_behaviour_and_attitudes",
    "personal_development": "prev_personal_development",
    "leadership_and_management": "prev_leadership_and_management",
}
CATEGORICAL_FEATURES = ["era", "phase", "type_group", "region"]
#: Coarse school type from Ofsted's detailed type (on official rows): first matching pattern wins.
TYPE_GROUP_PATTERNS = [
    ("Sponsor", "Academy sponsor led"),
    ("Converter", "Academy converter"),
    ("Free|Technical|Studio", "Free school"),
]
MAINTAINED = "Maintained school"
UNKNOWN = "unknown"
#: Kept in the frame (and shown in explanations) but not model inputs: they are recorded only for
#: inspections in
#: the official file, and whether an inspection is there (latest or previous graded) depends on what
#: happened after
#: it (an RI school is re-inspected and its inspection becomes "previous"), so they would leak the outcome.
DESCRIPTIVE_ONLY = ["prev_category", "prev_in_category", *KEY_JUDGEMENT_FEATURES.values()]
#: Context measures used as features: latest value published before the start date (and its change).
CONTEXT_FEATURES = [
    "pupils",
    "pct_fsm_ever",
    "pct_sen_support",
    "pct_ehcp",
    "pct_eal",
    "pct_disadvantaged",
    "pct_absence",
    "pct_persistent_absence",
    "ks2_rwm_expected",
    "ks2_rwm_higher",
    "ks2_reading_progress",
    "ks2_writing_progress",
    "ks2_maths_progress",
    "ks4_attainment8",
    "ks4_progress8",
    "ks4_eng_maths_grade5",
    "ks4_ebacc_entry",
    "balance_pct_income",
]
TREND_FEATURES = ["pupils", "ks2_rwm_expected", "ks4_attainment8", "balance_pct_income"]
GROUP_FEATURES = ["la_prior_adverse"]
GROUP_WINDOW_YEARS = 5
#: Share of adverse outcomes among all recorded graded inspections in the 12 months before the start date:
#: in England, in the school's IDACI quintile and in its phase. They let the model follow a changing adverse
#: rate (it fell after 2022, least in deprived areas) instead of the 2005-2020 average.
RATE_FEATURES = ["recent_adverse_england", "recent_adverse_idaci", "recent_adverse_phase"]
RATE_GROUPS = {
    "recent_adverse_england": None,
    "recent_adverse_idaci": "idaci_quintile",
    "recent_adverse_phase": "phase",
}
RATE_WINDOW_YEARS = 1
#: A rate from fewer inspections than this is left unknown.
RATE_MIN_INSPECTIONS = 20
#: Mainstream attainment and progress measures (KS2, KS4) do not describe special schools or pupil referral
#: units (their pupils' starting points differ): for them these features are left unknown.
MAINSTREAM_PHASES_ONLY = ("Special", "PRU")
#: Estimated publication date of a context value for academic year Y, by source: (years after Y, month, day).
#: Conservative: a value counts as known only after its final publication.
PUBLICATION_LAG = {
    "dfe-census": (0, 6, 30),
    "dfe-absence": (1, 3, 31),
    "dfe-ks2": (0, 12, 15),
    "dfe-ks4": (1, 1, 31),
    "dfe-ks4-info": (1, 2, 28),
    "dfe-finance": (1, 6, 30),
}
DEFAULT_LAG = (1, 12, 31)
#: Ungraded inspections and report cards since the previous graded inspection (see the module docstring).
OUTCOME_FEATURES = ["ungraded_signal", "years_since_ungraded", "rc_adverse", "rc_areas_below_expected"]
NUMERIC_FEATURES = [
    "prev_grade",
    "prev2_grade",
    "worst_last_two",
    "grade_change",
    "n_prev_graded",
    "share_prev_adverse",
    "years_since_prev",
    "years_between_prev",
    "prev_inherited",
    "prev_satisfactory_era",
    "idaci_quintile",
    "is_academy",
    *GROUP_FEATURES,
    *RATE_FEATURES,
    "context_age_years",
    *(f"ctx_{m}" for m in CONTEXT_FEATURES),
    *(f"ctx_{m}_change" for m in TREND_FEATURES),
    *OUTCOME_FEATURES,
]
STATIC_FEATURES = ["phase", "region", "idaci_quintile"]
SCHOOL_COLUMNS = ["urn", "phase", "type_group", "la_name", "region", "idaci_quintile"]
ID_COLUMNS = ["school_key", "urn", "start_date", "grade", "adverse"]


def lineage_map(
    inspections: pd.DataFrame, schools: pd.DataFrame, links: pd.DataFrame | None = None
) -> pd.Series:
    """Map past URNs to the URN of the open school they became (URNs absent map to themselves)."""
    mapping: dict[int, int] = {}
    if links is not None and not links.empty:
        from analytics.lineage import current_urn_map

        current = current_urn_map(links)
        mapping.update(zip(current.index.astype(int).tolist(), current.astype(int).tolist(), strict=True))
    numbered = inspections.dropna(subset=["inspection_number"]).set_index("inspection_number")["urn"]
    for column in ("previous_graded_number", "latest_graded_number"):
        pointed = schools[["urn", column]].dropna()
        past = numbered.reindex(pointed[column]).to_numpy()
        for school, was in zip(pointed["urn"].to_numpy(), past, strict=True):
            if not pd.isna(was) and int(was) != int(school):
                mapping[int(was)] = int(school)
    return pd.Series(mapping, dtype="int64")


def _graded(inspections: pd.DataFrame, mapping: pd.Series) -> pd.DataFrame:
    graded = inspections.loc[inspections["is_graded"].astype(bool) & inspections["grade"].notna()].copy()
    graded["start_date"] = pd.to_datetime(graded["start_date"]).astype("datetime64[ns]")
    graded["publication_date"] = pd.to_datetime(graded["publication_date"]).astype("datetime64[ns]")
    graded["grade"] = graded["grade"].astype(float)
    urn = graded["urn"].astype("int64")
    graded["school_key"] = urn.map(mapping).fillna(urn).astype("int64")
    return graded


HISTORY_COLUMNS = ["grade", "start_date", "urn", "category_of_concern", *KEY_JUDGEMENT_FEATURES]


def _timeline(rows: pd.DataFrame) -> pd.DataFrame:
    """One entry per school and inspection date, with the entry before it and running counts.

    Two schools later merged into one can be inspected on the same day; that day counts once, with the worse
    grade, and neither inspection is "previous" to the other.
    """
    graded = rows.loc[~rows["pending"].astype(bool)].sort_values(
        ["school_key", "start_date", "grade"], ascending=[True, True, False], kind="stable"
    )
    line = graded.drop_duplicates(["school_key", "start_date"])[["school_key", *HISTORY_COLUMNS]]
    line = line.reset_index(drop=True)
    by_school = line.groupby("school_key", sort=False)
    before = by_school[["grade", "start_date"]].shift(1)
    line["prev2_grade"], line["prev2_start"] = before["grade"], before["start_date"]
    line["count"] = by_school.cumcount() + 1.0
    line["adverse_count"] = (line["grade"] >= 3).astype(float).groupby(line["school_key"]).cumsum()
    return line


def _history_features(rows: pd.DataFrame) -> pd.DataFrame:
    """For every row, the school's graded history strictly before its start date (as-of timeline join)."""
    rows = rows.sort_values(["school_key", "start_date", "pending"], kind="stable").reset_index(drop=True)
    line = _timeline(rows).rename(columns={c: f"p_{c}" for c in HISTORY_COLUMNS if c != "start_date"})
    line = line.rename(columns={"start_date": "p_start"}).sort_values("p_start", kind="stable")
    prev = (
        pd.merge_asof(
            rows[["school_key", "start_date"]].reset_index().sort_values("start_date", kind="stable"),
            line,
            left_on="start_date",
            right_on="p_start",
            by="school_key",
            allow_exact_matches=False,
        )
        .set_index("index")
        .reindex(rows.index)
    )
    out = rows[["school_key", "urn", "start_date", "grade", "pending", "school_type"]].copy()
    out["prev_grade"] = prev["p_grade"]
    out["prev2_grade"] = prev["prev2_grade"]
    out["worst_last_two"] = np.fmax(prev["p_grade"], prev["prev2_grade"])
    out["grade_change"] = prev["p_grade"] - prev["prev2_grade"]
    count = prev["count"].fillna(0.0)
    out["n_prev_graded"] = count
    out["share_prev_adverse"] = prev["adverse_count"] / count.where(count > 0)
    out["years_since_prev"] = (rows["start_date"] - prev["p_start"]).dt.days / 365.25
    out["years_between_prev"] = (prev["p_start"] - prev["prev2_start"]).dt.days / 365.25
    out["prev_inherited"] = (prev["p_urn"] != rows["urn"]).astype(float).where(prev["p_urn"].notna())
    category = prev["p_category_of_concern"].astype(object)
    out["prev_category"] = category.where(category.notna() & (category != ""), "none")
    out["prev_in_category"] = (out["prev_category"] != "none").astype(float)
    out["prev_satisfactory_era"] = (prev["p_start"] < pd.Timestamp("2012-09-01")).astype(float)
    for source, name in KEY_JUDGEMENT_FEATURES.items():
        out[name] = pd.to_numeric(prev[f"p_{source}"], errors="coerce")
    # The outcome is known to the school and its LA when the inspection ends, before the report is published.
    out["_asof_prev"] = prev["p_start"]
    out["_asof_prev2"] = prev["prev2_start"]
    return out


def merged_school_keys(graded: pd.DataFrame) -> set[int]:
    """Schools whose history holds URNs that were open at the same time (e.g. an infant and a junior school
    later merged into one primary), as opposed to one school's chain of URNs (academy conversions)."""
    spans = graded.groupby(["school_key", "urn"])["start_date"].agg(["min", "max"]).reset_index()
    spans = spans.sort_values(["school_key", "min", "max"], kind="stable")
    latest_before = spans.groupby("school_key")["max"].cummax().groupby(spans["school_key"]).shift(1)
    return set(spans.loc[spans["min"] <= latest_before, "school_key"].astype(int))


def type_group_at_time(school_type: pd.Series, current_type: pd.Series, same_urn: pd.Series) -> pd.Series:
    """Coarse type when inspected: from the recorded type, else the open URN's own type, else unknown."""
    text = school_type.astype(object).where(school_type.notna(), "").astype(str)
    recorded = pd.Series(
        np.select(
            [text.str.contains(pattern, regex=True) for pattern, _ in TYPE_GROUP_PATTERNS],
            [group for _, group in TYPE_GROUP_PATTERNS],
            MAINTAINED,
        ),
        index=school_type.index,
    )
    fallback = current_type.astype(object).where(
        same_urn.to_numpy() & current_type.notna().to_numpy(), UNKNOWN
    )
    return recorded.where(text != "", fallback)


def _school_features(frame: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    attrs = schools[SCHOOL_COLUMNS].drop_duplicates("urn").set_index("urn")
    joined = attrs.reindex(frame["school_key"].to_numpy())
    out = frame.copy()
    for column in ("phase", "region", "la_name"):
        out[column] = joined[column].astype(object).fillna(UNKNOWN).to_numpy()
    out["idaci_quintile"] = pd.to_numeric(joined["idaci_quintile"], errors="coerce").to_numpy()
    same_urn = out["urn"] == out["school_key"]
    current_type = pd.Series(joined["type_group"].to_numpy(), index=out.index)
    out["type_group"] = type_group_at_time(out["school_type"], current_type, same_urn)
    academy = out["type_group"].astype(str).str.contains("Academ|Free", regex=True).astype(float)
    out["is_academy"] = academy.where(out["type_group"] != UNKNOWN)
    out["era"] = out["start_date"].map(lambda d: framework_for(d.date()))
    return out.drop(columns="school_type")


def publication_dates(context: pd.DataFrame) -> pd.Series:
    """Estimated date each context value was published (see PUBLICATION_LAG)."""
    lags = context["source"].map(lambda s: PUBLICATION_LAG.get(str(s), DEFAULT_LAG))
    years = context["year"].astype(int) + lags.map(lambda lag: lag[0])
    return pd.to_datetime(
        pd.DataFrame(
            {
                "year": years,
                "month": lags.map(lambda lag: lag[1]),
                "day": lags.map(lambda lag: lag[2]),
            }
        )
    ).astype("datetime64[ns]")


def context_long(context: pd.DataFrame, mapping: pd.Series) -> pd.DataFrame:
    """Context values keyed by school (current URN), with derived measures, changes and publication dates."""
    if context.empty:
        return pd.DataFrame(columns=["school_key", "measure", "year", "value", "change", "published"])
    ctx = context.dropna(subset=["value"]).copy()
    ctx["published"] = publication_dates(ctx)
    wide = ctx.pivot_table(index=["urn", "year"], columns="measure", values="value", aggfunc="first")
    derived = pd.DataFrame(index=wide.index)
    if {"balance", "income"} <= set(wide.columns):
        income = wide["income"].where(wide["income"] > 0)
        derived["value"] = 100 * wide["balance"] / income
        derived = derived.dropna().reset_index().assign(measure="balance_pct_income")
        published = ctx.loc[ctx["measure"] == "balance"].drop_duplicates(["urn", "year"])
        derived = derived.merge(published[["urn", "year", "published"]], on=["urn", "year"])
        ctx = pd.concat([ctx, derived], ignore_index=True)
    ctx = ctx.loc[ctx["measure"].isin(CONTEXT_FEATURES)]
    urn = ctx["urn"].astype("int64")
    ctx["school_key"] = urn.map(mapping).fillna(urn).astype("int64")
    ctx = ctx.sort_values(["school_key", "measure", "year", "urn"]).drop_duplicates(
        ["school_key", "measure", "year"], keep="last"
    )
    previous = ctx.groupby(["school_key", "measure"])["value"].shift(1)
    ratio_measures = ctx["measure"] == "pupils"
    change = ctx["value"] - previous
    ctx["change"] = change.where(~ratio_measures, 100 * change / previous.where(previous > 0))
    return ctx[["school_key", "measure", "year", "value", "change", "published"]]


def _context_features(frame: pd.DataFrame, ctx: pd.DataFrame) -> pd.DataFrame:
    """Latest value of each measure published strictly before the start date (as-of join per measure)."""
    out = frame.copy()
    order = out.sort_values("start_date", kind="stable")
    for measure in CONTEXT_FEATURES:
        part = ctx.loc[ctx["measure"] == measure].sort_values("published")
        columns = [f"ctx_{measure}", f"_asof_ctx_{measure}"]
        if measure in TREND_FEATURES:
            columns.append(f"ctx_{measure}_change")
        if part.empty:
            for column in columns:
                out[column] = pd.NaT if column.startswith("_asof") else np.nan
            continue
        right = part.rename(
            columns={"value": columns[0], "published": columns[1], "change": f"ctx_{measure}_change"}
        )
        joined = pd.merge_asof(
            order[["start_date", "school_key"]].reset_index(),
            right[["school_key", *columns]],
            left_on="start_date",
            right_on=columns[1],
            by="school_key",
            allow_exact_matches=False,
        ).set_index("index")
        for column in columns:
            out[column] = joined[column].reindex(out.index)
    return out


def _windowed_sum(events: pd.DataFrame, key: str, queries: pd.DataFrame, years: int) -> pd.DataFrame:
    """Per query row: adverse count and inspections count of `events` with the same key in
    [start-years, start).
    """
    daily = events.groupby([key, "start_date"], as_index=False)[["adverse", "n"]].sum()
    daily = daily.sort_values([key, "start_date"])
    daily[["cum_adverse", "cum_n"]] = daily.groupby(key)[["adverse", "n"]].cumsum()
    right = daily[[key, "start_date", "cum_adverse", "cum_n"]].rename(columns={"start_date": "when"})
    right = right.sort_values("when")
    result = pd.DataFrame(0.0, index=queries.index, columns=["adverse", "n"])
    valid = queries.loc[queries[key].notna()]
    for sign, shift in ((1, 0), (-1, years)):
        left = valid[[key, "start_date"]].assign(when=valid["start_date"] - pd.DateOffset(years=shift))
        left = left.sort_values("when").reset_index()
        joined = pd.merge_asof(left, right, on="when", by=key, allow_exact_matches=False).set_index("index")
        result.loc[joined.index, "adverse"] += sign * joined["cum_adverse"].fillna(0).to_numpy()
        result.loc[joined.index, "n"] += sign * joined["cum_n"].fillna(0).to_numpy()
    return result


def _group_features(frame: pd.DataFrame, graded: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Share of adverse graded inspections of the LA's other schools in the previous five years."""
    la_of = schools[["urn", "la_name"]].drop_duplicates("urn").set_index("urn")["la_name"]
    events = graded[["school_key", "start_date", "grade"]].copy()
    events["adverse"] = (events["grade"] >= 3).astype(float)
    events["n"] = 1.0
    events["la_name"] = la_of.reindex(events["school_key"]).to_numpy()
    out = frame.copy()
    queries = out[["school_key", "start_date", "la_name"]].copy()
    queries["la_name"] = queries["la_name"].where(queries["la_name"] != UNKNOWN)
    own = _windowed_sum(events, "school_key", queries, GROUP_WINDOW_YEARS)
    group = _windowed_sum(events.dropna(subset=["la_name"]), "la_name", queries, GROUP_WINDOW_YEARS)
    in_group = queries["la_name"].notna()
    others_n = (group["n"] - own["n"]).where(in_group)
    others_adverse = (group["adverse"] - own["adverse"]).where(in_group)
    out["la_prior_adverse"] = others_adverse / others_n.where(others_n > 0)
    out["_asof_groups"] = out["start_date"] - pd.Timedelta(days=1)
    return out


def _label(values: pd.Series) -> pd.Series:
    """Group values as text keys (missing stays missing), one dtype on both sides of an as-of join."""
    return values.map(lambda v: None if pd.isna(v) else str(v)).astype("str")


def _rate_features(frame: pd.DataFrame, graded: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Adverse share of the graded inspections recorded in the 12 months before each start date (RATE_GROUPS).

    The window ends at the start date, or just after the latest recorded graded inspection when the start
    date lies beyond the data (scoring today's schools): a rate over months with no recorded outcomes yet
    would rest on too few inspections.
    """
    attrs = schools[SCHOOL_COLUMNS].drop_duplicates("urn").set_index("urn")
    events = graded[["school_key", "start_date", "grade"]].copy()
    events["adverse"] = (events["grade"] >= 3).astype(float)
    events["n"] = 1.0
    out = frame.copy()
    anchor = out["start_date"].clip(upper=events["start_date"].max() + pd.Timedelta(days=1))
    for feature, group in RATE_GROUPS.items():
        if group is None:
            event_group = pd.Series("England", index=events.index)
            query_group = pd.Series("England", index=out.index)
        elif group == "idaci_quintile":
            event_group = pd.to_numeric(attrs[group], errors="coerce").reindex(events["school_key"])
            query_group = out[group]
        else:
            event_group = attrs[group].reindex(events["school_key"])
            query_group = out[group].where(out[group] != UNKNOWN)
        events["_group"] = _label(event_group).to_numpy()
        queries = pd.DataFrame({"_group": _label(query_group)}, index=out.index)
        queries["start_date"] = anchor
        counts = _windowed_sum(events.dropna(subset=["_group"]), "_group", queries, RATE_WINDOW_YEARS)
        out[feature] = counts["adverse"] / counts["n"].where(counts["n"] >= RATE_MIN_INSPECTIONS)
    out["_asof_recent_rates"] = anchor - pd.Timedelta(days=1)
    return out


def _known_events(inspections: pd.DataFrame, mapping: pd.Series) -> pd.DataFrame:
    """Ungraded inspections and report cards with the date from which each was known (`known`): the later
    of its start date and the as-at date of the release that first recorded it (`first_release_as_at`);
    rows with no such release date (not from a dated release) are left out."""
    graded = inspections["is_graded"].astype(bool)
    card = graded & (inspections["grade_source"] == REPORT_CARD)
    events = inspections.loc[card | ~graded].copy()
    events["is_card"] = card.loc[events.index].to_numpy()
    start = pd.to_datetime(events["start_date"]).astype("datetime64[ns]")
    recorded = events.get("first_release_as_at", pd.Series(pd.NaT, index=events.index))
    first = pd.to_datetime(recorded).astype("datetime64[ns]")
    events["start_date"] = start
    events["known"] = first.where(first > start, start).where(first.notna())
    urn = events["urn"].astype("int64")
    events["school_key"] = urn.map(mapping).fillna(urn).astype("int64")
    return events.dropna(subset=["known"])


def _latest_known(frame: pd.DataFrame, events: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """For each frame row, the school's latest event known strictly before its start date and begun after
    its previous graded inspection (as-of join on `known`)."""
    left = frame[["school_key", "start_date"]].reset_index().sort_values("start_date", kind="stable")
    right = events[["school_key", "known", "start_date", *columns]]
    right = right.rename(columns={"start_date": "event_start"})
    joined = pd.merge_asof(
        left, right.sort_values("known", kind="stable"), left_on="start_date", right_on="known",
        by="school_key", allow_exact_matches=False,
    ).set_index("index").reindex(frame.index)
    stale = joined["event_start"] <= frame["_asof_prev"]
    return joined.mask(stale)


def _outcome_features(frame: pd.DataFrame, inspections: pd.DataFrame, mapping: pd.Series) -> pd.DataFrame:
    """OUTCOME_FEATURES: the latest ungraded inspection and report card since the previous graded one."""
    out = frame.copy()
    events = _known_events(inspections, mapping)
    ungraded = events.loc[~events["is_card"]].copy()
    ungraded["signal"] = ungraded["ungraded_outcome"].map(ungraded_signal)
    found = _latest_known(out, ungraded, ["signal"])
    out["ungraded_signal"] = pd.to_numeric(found["signal"], errors="coerce")
    out["years_since_ungraded"] = (out["start_date"] - found["event_start"]).dt.days / 365.25
    out["_asof_ungraded"] = found["known"]
    cards = events.loc[events["is_card"]].copy()
    cards["adverse_flag"] = [float(bool(report_card_adverse(r))) for _, r in cards.iterrows()]
    below = cards[list(REPORT_CARD_AREAS)].isin(("needs attention", "urgent improvement"))
    cards["below"] = below.sum(axis=1).astype(float)
    found = _latest_known(out, cards, ["adverse_flag", "below"])
    out["rc_adverse"] = pd.to_numeric(found["adverse_flag"], errors="coerce")
    out["rc_areas_below_expected"] = pd.to_numeric(found["below"], errors="coerce")
    out["_asof_report_card"] = found["known"]
    return out


def _mainstream_measures_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Leave KS2/KS4 attainment and progress unknown for special schools and PRUs (MAINSTREAM_PHASES_ONLY)."""
    out = frame.copy()
    columns = [c for c in out.columns if c.startswith(("ctx_ks2_", "ctx_ks4_"))]
    out.loc[out["phase"].isin(MAINSTREAM_PHASES_ONLY), columns] = np.nan
    return out


def _feature_frame(
    rows: pd.DataFrame,
    schools: pd.DataFrame,
    ctx: pd.DataFrame,
    graded: pd.DataFrame,
    inspections: pd.DataFrame,
    mapping: pd.Series,
) -> pd.DataFrame:
    frame = _school_features(_history_features(rows), schools)
    frame = _outcome_features(frame, inspections, mapping)
    frame = _group_features(frame, graded, schools)
    frame = _rate_features(frame, graded, schools)
    frame = _mainstream_measures_only(_context_features(frame, ctx))
    newest = frame[[f"_asof_ctx_{m}" for m in CONTEXT_FEATURES]].max(axis=1)
    frame["context_age_years"] = (frame["start_date"] - newest).dt.days / 365.25
    frame["adverse"] = (frame["grade"] >= 3).astype(float).where(frame["grade"].notna())
    return frame


def build_examples(
    inspections: pd.DataFrame,
    schools: pd.DataFrame,
    links: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Training/evaluation examples: graded inspections with an earlier graded inspection, at schools that
    lead to an open school (the URN itself or, through the lineage, its successor).

    `inspections` comes from `analytics.queries.inspections` (headline `grade` added); `schools` from
    `analytics.queries.schools(..., open_only=False)`.
    """
    mapping = lineage_map(inspections, schools, links)
    graded = _graded(inspections, mapping)
    rows = graded.assign(pending=False)
    ctx = context_long(context if context is not None else pd.DataFrame(), mapping)
    frame = _feature_frame(rows, schools, ctx, graded, inspections, mapping)
    open_urns = set(schools.loc[schools["is_open"].astype(bool), "urn"].astype(int))
    # A merged school's history mixes its predecessors' timelines: only its own URN's rows are examples.
    own_chain = (frame["urn"] == frame["school_key"]) | ~frame["school_key"].isin(merged_school_keys(graded))
    keep = frame["prev_grade"].notna() & frame["school_key"].isin(open_urns) & own_chain & ~frame["pending"]
    return frame.loc[keep].drop(columns="pending").reset_index(drop=True)


def build_current(
    inspections: pd.DataFrame,
    schools: pd.DataFrame,
    as_at: date,
    links: pd.DataFrame | None = None,
    context: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per open school describing its next graded inspection as if it started on `as_at`.

    Schools never graded (in any form) get no row: the model needs a previous graded inspection.
    """
    mapping = lineage_map(inspections, schools, links)
    graded = _graded(inspections, mapping)
    graded = graded.loc[graded["start_date"] < pd.Timestamp(as_at)]
    open_schools = schools.loc[schools["is_open"].astype(bool)]
    pending = pd.DataFrame(
        {
            "urn": open_schools["urn"].astype("int64").to_numpy(),
            "school_key": open_schools["urn"].astype("int64").to_numpy(),
            "start_date": pd.Timestamp(as_at),
            "grade": np.nan,
            "pending": True,
            "school_type": None,
        }
    )
    pending["start_date"] = pending["start_date"].astype("datetime64[ns]")
    rows = pd.concat([graded.assign(pending=False), pending], ignore_index=True)
    ctx = context_long(context if context is not None else pd.DataFrame(), mapping)
    frame = _feature_frame(rows, schools, ctx, graded, inspections, mapping)
    keep = frame["pending"] & frame["prev_grade"].notna()
    return frame.loc[keep].drop(columns=["pending", "adverse"]).reset_index(drop=True)


def asof_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("_asof")]


#: Every model input in plain words (the model card and any explanation use these, never the column names).
FEATURE_WORDS: dict[str, str] = {
    "prev_grade": "grade at the previous graded inspection",
    "prev2_grade": "grade at the graded inspection before that",
    "worst_last_two": "worse of the last two grades",
    "grade_change": "change in grade between the last two graded inspections",
    "n_prev_graded": "number of earlier graded inspections",
    "share_prev_adverse": "share of earlier graded inspections that were RI/Satisfactory or Inadequate",
    "years_since_prev": "years since the previous graded inspection",
    "years_between_prev": "years between the last two graded inspections",
    "prev_inherited": "previous grade inherited from a predecessor school",
    "prev_satisfactory_era": "previous grade given before September 2012 (Satisfactory era)",
    "idaci_quintile": "deprivation of the school's area (IDACI quintile)",
    "is_academy": "academy or free school when inspected",
    "la_prior_adverse": "share of the LA's other inspections in the last five years that were RI or worse",
    "recent_adverse_england": "share of graded inspections in England in the previous 12 months that were RI "
    "or worse",
    "recent_adverse_idaci": "the same share among schools in the same IDACI quintile",
    "recent_adverse_phase": "the same share among schools of the same phase",
    "context_age_years": "age of the newest published school data (years)",
    "ctx_pupils": "pupils on roll (census)",
    "ctx_pct_fsm_ever": "% of pupils ever eligible for free school meals",
    "ctx_pct_sen_support": "% of pupils with SEN support",
    "ctx_pct_ehcp": "% of pupils with an education, health and care plan",
    "ctx_pct_eal": "% of pupils with English as an additional language",
    "ctx_pct_disadvantaged": "% of disadvantaged pupils",
    "ctx_pct_absence": "overall absence rate",
    "ctx_pct_persistent_absence": "persistent absence rate",
    "ctx_ks2_rwm_expected": "% meeting the KS2 expected standard in reading, writing and maths (mainstream)",
    "ctx_ks2_rwm_higher": "% reaching the higher KS2 standard (mainstream)",
    "ctx_ks2_reading_progress": "KS2 reading progress (mainstream)",
    "ctx_ks2_writing_progress": "KS2 writing progress (mainstream)",
    "ctx_ks2_maths_progress": "KS2 maths progress (mainstream)",
    "ctx_ks4_attainment8": "Attainment 8 (mainstream)",
    "ctx_ks4_progress8": "Progress 8 (mainstream)",
    "ctx_ks4_eng_maths_grade5": "% with grade 5 or above in English and maths (mainstream)",
    "ctx_ks4_ebacc_entry": "% entered for the EBacc (mainstream)",
    "ctx_balance_pct_income": "revenue balance as a % of income",
    "ctx_pupils_change": "change in pupils on roll since the previous census (%)",
    "ctx_ks2_rwm_expected_change": "change in the % meeting the KS2 expected standard",
    "ctx_ks4_attainment8_change": "change in Attainment 8",
    "ctx_balance_pct_income_change": "change in the revenue balance as a % of income",
    "ungraded_signal": "outcome of the latest ungraded inspection since the previous graded one (1 concerns, "
    "0 maintained, -1 improving)",
    "years_since_ungraded": "years since that ungraded inspection",
    "rc_adverse": "latest report card since the previous graded inspection adverse (derived flag)",
    "rc_areas_below_expected": "areas of that report card at 'needs attention' or 'urgent improvement'",
    "era": "inspection framework in force",
    "phase": "phase (primary, secondary, special, PRU, nursery)",
    "type_group": "type of school when inspected (maintained, converter or sponsored academy, free school)",
    "region": "region",
}


def feature_words(name: str) -> str:
    """A model input in plain words (falls back to the name with spaces, never a raw column name)."""
    return FEATURE_WORDS.get(name, name.removeprefix("ctx_").replace("_", " "))
