"""LA benchmarking: % schools good or outstanding for every LA, an LA against its statistical neighbours."""

from __future__ import annotations

import pandas as pd

from analytics.grades import good_or_better
from analytics.metrics import county_kpis, uninspected_count


def la_good_or_outstanding(headlines: pd.DataFrame) -> pd.DataFrame:
    """Per LA: schools with a grade, good-or-outstanding count and % (rule of `metrics.county_kpis`)."""
    graded = headlines[headlines["grade"].notna()]
    out = (
        graded.assign(good=good_or_better(graded["grade"]))
        .groupby("la_name")
        .agg(schools_with_grade=("good", "size"), schools_good_or_outstanding=("good", "sum"))
    )
    out["pct_schools_good_or_outstanding"] = (
        100.0 * out["schools_good_or_outstanding"] / out["schools_with_grade"]
    ).round(1)
    return out.reset_index()


def neighbour_table(
    by_la: pd.DataFrame, la: str, neighbours: list[str], england_pct: float | None
) -> pd.DataFrame:
    """The LA, its neighbours (those found) and England, ranked by % good or outstanding."""
    wanted = [la, *[n for n in neighbours if n != la]]
    rows = by_la[by_la["la_name"].isin(wanted)].copy()
    rows["role"] = ["selected" if n == la else "neighbour" for n in rows["la_name"]]
    england = pd.DataFrame(
        [{"la_name": "England", "pct_schools_good_or_outstanding": england_pct, "role": "England"}]
    )
    out = pd.concat([rows, england], ignore_index=True)
    out = out.sort_values("pct_schools_good_or_outstanding", ascending=False, kind="stable").reset_index(
        drop=True
    )
    ranked = out["role"] != "England"
    out["rank"] = pd.Series(range(1, int(ranked.sum()) + 1), index=out.index[ranked]).astype("Int64")
    out["label"] = [
        f"{n} (selected)" if r == "selected" else n for n, r in zip(out["la_name"], out["role"], strict=True)
    ]
    return out[
        [
            "rank",
            "la_name",
            "role",
            "schools_with_grade",
            "schools_good_or_outstanding",
            "pct_schools_good_or_outstanding",
            "label",
        ]
    ]


def district_kpis(headlines: pd.DataFrame, district: pd.Series) -> pd.DataFrame:
    """`metrics.county_kpis` plus school and uninspected counts per district (`district` aligned by index)."""
    frame = headlines.assign(district=district.reindex(headlines.index).fillna("(no district)").to_numpy())
    rows = []
    for name, group in frame.groupby("district", sort=True):
        kpis = county_kpis(group)
        rows.append(
            {"district": name, "schools": len(group), **kpis, "schools_uninspected": uninspected_count(group)}
        )
    out = pd.DataFrame(rows)
    graded = frame[frame["grade"].notna()]
    good = graded.assign(good=good_or_better(graded["grade"])).groupby("district")["good"].sum()
    out["schools_good_or_outstanding"] = out["district"].map(good).fillna(0).astype(int)
    return out
