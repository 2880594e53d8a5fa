"""A DSIM's district profile: the district against the county and England, its schools in detail."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics import comparison
from analytics.register import entries
from analytics.reports import charts
from analytics.reports.gather import (
    KPI_ROWS,
    Sources,
    due_of,
    fmt,
    headline_kpis,
    movement_counts,
    movement_of,
    school_rows,
)
from analytics.reports.model import Figure, Pack, Section, Table
from analytics.risk.store import latest_scores
from analytics.school_calendar import academic_year, academic_year_start
from analytics.scope import Scope


def build(src: Sources, la: str, district: str, scheme: str | None) -> Pack:
    schools = src.schools(la)
    districts = src.districts(schools, scheme)
    members = schools.loc[districts.reindex(schools.index).to_numpy() == district]
    scheme_text = scheme or "parliamentary constituencies"
    pack = Pack(
        kind="district",
        title="District profile",
        la_name=la,
        as_at=src.data_date,
        subtitle=f"{district}, {la}",
        cover_lines=[
            f"District: {district} ({len(members)} open schools; districts = {scheme_text}).",
            f"Local authority: {la}",
            f"Ofsted data as at {src.data_date:%d %B %Y}.",
        ],
    )
    here, county, england = headline_kpis(members), headline_kpis(schools), headline_kpis(src.headlines)
    table = pd.DataFrame(
        {
            "Measure": [label for _, label, _, _ in KPI_ROWS],
            district: [fmt(here[k], u) for k, _, u, _ in KPI_ROWS],
            f"{la} (county)": [fmt(county[k], u) for k, _, u, _ in KPI_ROWS],
            "England": [fmt(england[k], u) for k, _, u, _ in KPI_ROWS],
        }
    )
    per = comparison.district_kpis(schools, districts)
    figure = district_figure(per, district, la, county, england)
    pack.sections.append(
        Section(
            "The district against the county and England",
            [
                f"{district}: {fmt(here['pct_schools_good_or_outstanding'], '%')} of "
                f"{here['schools_with_grade']} "
                f"schools with a grade are good or outstanding; county "
                f"{fmt(county['pct_schools_good_or_outstanding'], '%')}, England "
                f"{fmt(england['pct_schools_good_or_outstanding'], '%')}."
            ],
            [Table("KPIs", "District, county and England", table)],
            [figure],
        )
    )
    year = academic_year(academic_year_start(src.data_date))
    moves = movement_of(src, members, year.start, min(year.end, src.data_date))
    pack.sections.append(
        Section(
            f"Movement, {year.label}",
            [
                f"Schools of the district with a graded inspection from {year.start:%d/%m/%Y} to "
                f"{min(year.end, src.data_date):%d/%m/%Y}."
            ],
            [Table("Movement", f"Movement, {year.label}", movement_counts(moves))],
        )
    )
    pack.sections.append(
        Section(
            "Schools in the district",
            [
                "Each school's headline grade with its inspection date, its approximate next inspection "
                "(rule shown "
                "on the school page), its LA register level and the early-warning band (a flag to discuss, "
                "not a "
                "judgement)."
            ],
            [Table("Schools", f"Schools in {district}", schools_table(src, la, members))],
        )
    )
    return pack


def district_figure(per: pd.DataFrame, district: str, la: str, county: dict, england: dict) -> Figure:
    rows = per.loc[per["schools_with_grade"] > 0, ["district", "pct_schools_good_or_outstanding"]]
    rows = pd.concat(
        [
            rows,
            pd.DataFrame(
                [
                    {
                        "district": f"{la} (county)",
                        "pct_schools_good_or_outstanding": county["pct_schools_good_or_outstanding"],
                    },
                    {
                        "district": "England",
                        "pct_schools_good_or_outstanding": england["pct_schools_good_or_outstanding"],
                    },
                ]
            ),
        ],
        ignore_index=True,
    ).sort_values("pct_schools_good_or_outstanding", ascending=False, kind="stable")
    roles = [
        "selected" if d == district else ("England" if d in ("England", f"{la} (county)") else "other")
        for d in rows["district"]
    ]
    values = list(rows["pct_schools_good_or_outstanding"])
    png = charts.ranked_bars(
        list(rows["district"]),
        values,
        roles,
        f"% schools good or outstanding by district, {la}",
        "% schools good or outstanding",
    )
    text = "; ".join(f"{d} {fmt(v, '%')}" for d, v in zip(rows["district"], values, strict=True))
    return Figure(
        png,
        f"Figure: % schools good or outstanding in each district of {la}, the county and England.",
        f"Bar chart, highest first; {district} hatched. {text}.",
    )


def schools_table(src: Sources, la: str, members: pd.DataFrame) -> pd.DataFrame:
    rows = school_rows(members)
    found = due_of(src.frame("due"), rows["URN"])
    rows["Next inspection due (approx.)"] = found["due"].to_numpy()
    rows["Overdue"] = found["overdue"].to_numpy()
    levels = entries.in_force(entries.entries(src.engine, Scope.la(la)), date.today())
    level = levels.set_index("urn")["level_label"] if not levels.empty else pd.Series(dtype=object)
    rows["Register level"] = [str(level.get(u, "")) if pd.notna(level.get(u)) else "" for u in rows["URN"]]
    scores = latest_scores(src.engine, [int(u) for u in rows["URN"]])
    band = (
        scores.set_index("urn")["band"]
        if scores is not None and "band" in scores
        else pd.Series(dtype=object)
    )
    rows["Early-warning band"] = [str(band.get(u, "")) if pd.notna(band.get(u)) else "" for u in rows["URN"]]
    return rows
