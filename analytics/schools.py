"""Facts about a school derived from its record: sector (maintained or academy) and falling roll.

One home for each rule, used by the county pages, the school profile, the register and the risk model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

MAINTAINED = "Maintained"
ACADEMY = "Academy"
SECTORS = (MAINTAINED, ACADEMY)
#: Ofsted's type groups that are academies (free schools included); "Not inspected in current form" is
#: Ofsted's group for new academies whose grade is a predecessor's.
ACADEMY_GROUPS = {"Academy converter", "Academy sponsor led", "Free school", "Not inspected in current form"}
ACADEMY_WORDS = ("academy", "free school", "studio school", "university technical college")

FALLING_ROLL_DROP = 0.10
FALLING_ROLL_YEARS = 3


def sector_of(schools: pd.DataFrame) -> pd.Series:
    """'Academy' (incl. free schools) or 'Maintained': Ofsted's type group, else the school type's words."""
    by_type = (
        schools["school_type"]
        .fillna("")
        .astype(str)
        .str.lower()
        .map(lambda t: ACADEMY if any(w in t for w in ACADEMY_WORDS) else MAINTAINED)
    )
    by_group = (
        schools["type_group"]
        .astype(object)
        .map(lambda g: ACADEMY if g in ACADEMY_GROUPS else (MAINTAINED if isinstance(g, str) else None))
    )
    return by_group.fillna(by_type).astype(str)


@dataclass(frozen=True)
class RollChange:
    """Change in pupils on roll between two census years, and whether it is a falling roll."""

    falling: bool
    text: str
    change: float | None = None
    from_year: int | None = None
    to_year: int | None = None


def roll_change(pupils_by_year: pd.Series) -> RollChange:
    """Falling roll: the latest recorded roll more than 10% below the roll at least three years earlier.

    `pupils_by_year` maps year -> pupils on roll. The earlier figure is the one exactly three years before the
    latest where recorded, else the most recent one more than three years before (DfE files are not published
    every year), and the text says which years were compared.
    """
    series = pd.to_numeric(pupils_by_year, errors="coerce").dropna()
    series = series[series > 0].sort_index()
    if series.empty:
        return RollChange(False, "No pupil numbers by year recorded.")
    latest = int(series.index.max())
    earlier = [int(y) for y in series.index if int(y) <= latest - FALLING_ROLL_YEARS]
    if not earlier:
        return RollChange(
            False,
            f"Pupils on roll recorded only from {int(series.index.min())} to {latest}: "
            f"a change over {FALLING_ROLL_YEARS} years cannot be measured.",
        )
    base = max(earlier)
    change = float(series[latest] / series[base] - 1)
    falling = change < -FALLING_ROLL_DROP
    text = _roll_text(change, int(series[base]), base, int(series[latest]), latest, falling)
    return RollChange(bool(falling), text, change, base, latest)


def falling_rolls(pupils: pd.DataFrame) -> pd.DataFrame:
    """`roll_change` for many schools at once: `pupils` has urn, year, value; one row per URN."""
    rows = []
    for urn, group in pupils.dropna(subset=["value"]).groupby("urn", sort=True):
        found = roll_change(group.set_index("year")["value"])
        rows.append(
            {
                "urn": int(cast(int, urn)),
                "falling_roll": found.falling,
                "roll_change": found.change,
                "roll_text": found.text,
            }
        )
    return pd.DataFrame(rows, columns=["urn", "falling_roll", "roll_change", "roll_text"])


ROLL_CHANGE_COLUMNS = ["urn", "falling", "text", "change", "from_year", "to_year"]


def roll_changes(pupils: pd.DataFrame) -> pd.DataFrame:
    """`roll_change` for every school at once, vectorised: `pupils` has urn, year, value (one row per URN and
    year); one row per URN whose change over FALLING_ROLL_YEARS can be measured (ROLL_CHANGE_COLUMNS, by URN).
    Schools without such a change (no figures, or too short a run) are left out."""
    rows = pupils[["urn", "year", "value"]].assign(value=pd.to_numeric(pupils["value"], errors="coerce"))
    rows = rows.loc[rows["value"].notna() & (rows["value"] > 0)].astype({"urn": "int64", "year": "int64"})
    if rows.empty:
        return pd.DataFrame(columns=ROLL_CHANGE_COLUMNS)
    latest = rows.loc[rows["year"] == rows.groupby("urn")["year"].transform("max"), ["urn", "year", "value"]]
    latest = latest.set_index("urn")
    limit = rows["urn"].map(latest["year"]) - FALLING_ROLL_YEARS
    earlier = rows.loc[rows["year"] <= limit]
    base = earlier.loc[earlier["year"] == earlier.groupby("urn")["year"].transform("max")].set_index("urn")
    base = base.sort_index()
    now = latest.reindex(base.index)
    change = now["value"].to_numpy() / base["value"].to_numpy() - 1
    falling = change < -FALLING_ROLL_DROP
    texts = [
        _roll_text(float(c), int(b), int(by), int(n), int(ny), bool(f))
        for c, b, by, n, ny, f in zip(
            change, base["value"], base["year"], now["value"], now["year"], falling, strict=True
        )
    ]
    return pd.DataFrame(
        {
            "urn": base.index.to_numpy(),
            "falling": falling,
            "text": texts,
            "change": change,
            "from_year": base["year"].to_numpy(),
            "to_year": now["year"].to_numpy(),
        },
        columns=ROLL_CHANGE_COLUMNS,
    )


def _roll_text(change: float, base: int, base_year: int, latest: int, latest_year: int, falling: bool) -> str:
    """`roll_change`'s sentence for a measured change."""
    direction = "down" if change < 0 else "up"
    text = (
        f"Pupils on roll {direction} {abs(change):.1%} from {base:,} ({base_year}) to "
        f"{latest:,} ({latest_year})"
    )
    rule = f"down more than {FALLING_ROLL_DROP:.0%} over {latest_year - base_year} years"
    return text + (f" - falling roll: {rule}." if falling else ".")
