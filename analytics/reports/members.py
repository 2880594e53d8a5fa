"""The termly summary for elected members: plain English, headline figures and trends against England and the
statistical neighbours, movement, and figures by district. Small-number suppression (analytics.suppression)
is applied to every pupil-derived count; no school is named, so no school's risk or notes can appear."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics import comparison, suppression
from analytics.reports import charts
from analytics.reports.gather import (
    NEIGHBOURS,
    Sources,
    fmt,
    headline_kpis,
    movement_counts,
    movement_of,
)
from analytics.reports.model import Figure, Pack, Section, Table
from analytics.school_calendar import Period

TREND_YEARS = 5
COUNTY = "Whole county"
#: Series keys (trends.kpi_series) for the headline keys (metrics.county_kpis).
SERIES_KEYS = {"pupils_in_good_or_outstanding": "pupils_good_or_outstanding"}


def figures_at(src: Sources, las: list[str] | None, period: Period, latest: bool) -> dict[str, Any]:
    """Headline figures for some LAs (None: England): today's for the latest term, else at the term end."""
    if latest:
        frame = src.headlines if las is None else src.headlines.loc[src.headlines["la_name"].isin(las)]
        return headline_kpis(frame)
    series = src.series("term", las)
    rows = series.loc[series["as_at"] == pd.Timestamp(period.end)]
    if rows.empty:
        return {}
    row = rows.iloc[0]
    out = {
        key: row.get(SERIES_KEYS.get(key, key))
        for key in (
            "schools_with_grade",
            "pct_schools_good_or_outstanding",
            "pupils_in_good_or_outstanding",
            "pct_pupils_good_or_outstanding",
            "schools_requires_improvement",
            "schools_inadequate",
            "pct_schools_in_category",
            "schools_uninspected",
        )
    }
    out["schools_good_or_outstanding"] = row.get("schools_good_or_outstanding")
    return out


def district_table(src: Sources, schools: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Per district and for the county: schools, grades and pupils in good or outstanding schools, with the
    pupil counts suppressed (primary and secondary against the county total) and their shares with them."""
    district = src.districts(schools, None)
    per = comparison.district_kpis(schools, district)
    graded = schools.loc[schools["grade"].notna()]
    pupils = pd.to_numeric(graded["pupils"], errors="coerce").fillna(0)
    with_grade = pupils.groupby(district.reindex(graded.index).to_numpy()).sum()
    frame = pd.DataFrame(
        {
            "District": per["district"].astype(str),
            "Schools": per["schools"].astype(int),
            "Schools with a grade": per["schools_with_grade"].astype(int),
            "Good or outstanding": per["schools_good_or_outstanding"].astype(int),
            "% good or outstanding": per["pct_schools_good_or_outstanding"],
            "Pupils in good or outstanding schools": per["pupils_in_good_or_outstanding"].astype(int),
            "Pupils in schools with a grade": per["district"]
            .map(with_grade)
            .fillna(0)
            .astype(int)
            .to_numpy(),
        }
    )
    total = {
        "District": COUNTY,
        "Schools": int(frame["Schools"].sum()),
        "Schools with a grade": int(frame["Schools with a grade"].sum()),
        "Good or outstanding": int(frame["Good or outstanding"].sum()),
        "% good or outstanding": headline_kpis(schools)["pct_schools_good_or_outstanding"],
        "Pupils in good or outstanding schools": int(frame["Pupils in good or outstanding schools"].sum()),
        "Pupils in schools with a grade": int(frame["Pupils in schools with a grade"].sum()),
    }
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    frame.index = [*range(len(frame) - 1), "total"]
    pupil_columns = ["Pupils in good or outstanding schools", "Pupils in schools with a grade"]
    shown = suppression.suppress_table(frame, pupil_columns, total_row="total", limit=limit)
    share = [
        suppression.SUPPRESSED if suppression.SUPPRESSED in (a, b) or not d else round(100.0 * a / d, 1)
        for a, b, d in zip(
            shown[pupil_columns[0]], shown[pupil_columns[1]], shown[pupil_columns[1]], strict=True
        )
    ]
    shown["% pupils in good or outstanding schools"] = share
    shown["% good or outstanding"] = [fmt(v, "%") for v in shown["% good or outstanding"]]
    shown["% pupils in good or outstanding schools"] = [fmt(v, "%") for v in share]
    for column in pupil_columns:
        shown[column] = [fmt(v) for v in shown[column]]
    return shown.reset_index(drop=True)


def build(src: Sources, la: str, period: Period) -> Pack:
    limit = suppression.threshold()
    schools = src.schools(la)
    latest = period.end >= src.data_date
    as_at = src.data_date if latest else period.end
    neighbours = src.neighbours(la)
    here = figures_at(src, [la], period, latest)
    england = figures_at(src, None, period, latest)
    near = figures_at(src, neighbours, period, latest) if neighbours else {}
    districts = district_table(src, schools, limit)
    county_row = districts.iloc[-1]
    if latest:  # the county's pupil figures as suppressed in the district table (one published value)
        here["pupils_in_good_or_outstanding"] = county_row["Pupils in good or outstanding schools"]
        here["pct_pupils_good_or_outstanding"] = (
            suppression.SUPPRESSED
            if county_row["Pupils in good or outstanding schools"] == suppression.SUPPRESSED
            else here["pct_pupils_good_or_outstanding"]
        )
    else:
        here["pupils_in_good_or_outstanding"] = suppression.suppress_value(
            here.get("pupils_in_good_or_outstanding"), limit=limit
        )
    pack = Pack(
        kind="members",
        title="Schools in our area: termly summary for members",
        la_name=la,
        as_at=as_at,
        subtitle=f"{la}, {period.label}",
        cover_lines=[
            f"Local authority: {la}",
            f"Term: {period.label} ({period.start:%d %B %Y} to {period.end:%d %B %Y}).",
            f"Figures as at {as_at:%d %B %Y}"
            + (" (the latest Ofsted data in the store)." if latest else "."),
            f"Small numbers: pupil counts of {limit} or fewer are shown as 'c', and so is any figure that "
            "would "
            "let a hidden one be worked out.",
        ],
    )
    pack.sections.append(headline_section(la, here, england, near, neighbours, as_at))
    pack.sections.append(trend_section(src, la, neighbours, as_at))
    pack.sections.append(movement_section(src, schools, period))
    pack.sections.append(
        Section(
            "Schools by district",
            [
                f"Districts are parliamentary constituencies. Grades as at {src.data_date:%d %B %Y}. "
                f"'c' means the number is {limit} or fewer pupils, or is hidden so that a small number "
                "cannot be "
                "worked out from the county total."
            ],
            [Table("By district", "Schools and pupils by district", districts)],
        )
    )
    return pack


def headline_section(
    la: str,
    here: dict[str, Any],
    england: dict[str, Any],
    near: dict[str, Any],
    neighbours: list[str],
    as_at: Any,
) -> Section:
    rows = [
        ("Schools with an inspection grade", "schools_with_grade", ""),
        ("Schools that are good or outstanding (%)", "pct_schools_good_or_outstanding", "%"),
        ("Pupils in good or outstanding schools", "pupils_in_good_or_outstanding", ""),
        ("Pupils in good or outstanding schools (%)", "pct_pupils_good_or_outstanding", "%"),
        ("Schools that require improvement", "schools_requires_improvement", ""),
        ("Schools judged inadequate", "schools_inadequate", ""),
        ("Schools in special measures or with serious weaknesses (%)", "pct_schools_in_category", "%"),
        ("Schools not yet inspected", "schools_uninspected", ""),
    ]
    table = pd.DataFrame(
        {
            "Measure": [r[0] for r in rows],
            la: [fmt(here.get(k), u) for _, k, u in rows],
            "England": [fmt(england.get(k), u) for _, k, u in rows],
            NEIGHBOURS: [fmt(near.get(k), u) if neighbours else "not loaded" for _, k, u in rows],
        }
    )
    good = here.get("pct_schools_good_or_outstanding")
    words = [
        f"On {as_at:%d %B %Y}, {fmt(good, '%')} of the {fmt(here.get('schools_with_grade'))} schools in {la} "
        f"that have an inspection grade were good or outstanding. Across England the figure was "
        f"{fmt(england.get('pct_schools_good_or_outstanding'), '%')}"
        + (
            f", and across similar areas (our statistical neighbours) "
            f"{fmt(near.get('pct_schools_good_or_outstanding'), '%')}."
            if neighbours
            else "."
        ),
        f"{fmt(here.get('schools_requires_improvement'))} schools require improvement and "
        f"{fmt(here.get('schools_inadequate'))} are judged inadequate.",
        "A school's grade is from its latest full inspection. Schools not yet inspected are left out and "
        "counted separately. Inspections from September 2024 give no single grade: we work one out from the "
        "inspection's main judgements.",
    ]
    return Section("Headline figures", words, [Table("Headline", "Headline figures", table)])


def trend_section(src: Sources, la: str, neighbours: list[str], as_at: Any) -> Section:
    start = pd.Timestamp(as_at) - pd.DateOffset(years=TREND_YEARS)

    def pct(las: list[str] | None) -> pd.Series:
        series = src.series("term", las)
        series = series.loc[(series["as_at"] >= start) & (series["as_at"] <= pd.Timestamp(as_at))]
        return series.set_index("as_at")["pct_schools_good_or_outstanding"]

    frame = pd.DataFrame({la: pct([la]), "England": pct(None)})
    if neighbours:
        frame[NEIGHBOURS] = pct(neighbours)
    frame = frame.reset_index().rename(columns={"as_at": "Term end"})
    png = charts.lines(
        frame,
        "Term end",
        [c for c in frame.columns if c != "Term end"],
        "% schools good or outstanding at each term end",
        "% good or outstanding",
    )
    first, last = frame.iloc[0], frame.iloc[-1]
    text = (
        f"Line chart. {la}: {fmt(first[la], '%')} on {first['Term end']:%d %B %Y}, {fmt(last[la], '%')} on "
        f"{last['Term end']:%d %B %Y}. England: {fmt(first['England'], '%')} then, "
        f"{fmt(last['England'], '%')} now."
    )
    table = frame.assign(**{"Term end": frame["Term end"].dt.date})
    for column in table.columns[1:]:
        table[column] = [fmt(v, "%") for v in table[column]]
    return Section(
        "How this has changed",
        [
            f"The share of schools that are good or outstanding at the end of each term over the last "
            f"{TREND_YEARS} years, rebuilt from every inspection on record."
        ],
        [Table("Trend", "% schools good or outstanding at each term end", table)],
        [Figure(png, "Figure: % schools good or outstanding at each term end.", text)],
    )


def movement_section(src: Sources, schools: pd.DataFrame, period: Period) -> Section:
    moves = movement_of(src, schools, period.start, period.end)
    counts = movement_counts(moves)
    summary = dict(zip(counts["Movement"], counts["Schools"], strict=True))
    if not summary["Schools inspected (graded)"]:
        words = "No school had a full (graded) inspection this term, as far as the data show."
    else:
        words = (
            f"{summary['Schools inspected (graded)']} schools had a full inspection this term: "
            f"{summary['Improved']} improved, {summary['Stayed the same']} stayed the same and "
            f"{summary['Declined']} declined; {summary['First graded inspection']} had their first full "
            "inspection."
        )
    return Section(
        f"Inspections this term ({period.label})",
        [words],
        [Table("Movement", f"Movement, {period.label}", counts)],
    )
