"""Per-school drivers of the risk score in plain words.

The drivers are the terms of the interpretable (logistic) model that raise this school's log-odds most
compared with an average school, written with the school's own values, e.g. "previous grade Requires
improvement; 4.5 years since last graded inspection; roll down 14% since the previous census". A fall in the
roll since the previous census is always mentioned when it reaches the falling-roll threshold of
`analytics.schools` (10%): organisational change is an evidence strand in LA frameworks. Whether a school
*has* a falling roll (the flag on the school page and in the register) is `analytics.schools.roll_change`, the
one rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.grades import grade_label
from analytics.risk.features import MAINSTREAM_PHASES_ONLY
from analytics.risk.model import LogitModel
from analytics.schools import FALLING_ROLL_DROP

MAX_DRIVERS = 3
ROLL_FALL_PCT = -100.0 * FALLING_ROLL_DROP
#: Driver groups: the logit terms whose contributions add up to one statement.
GROUPS = {
    "grade": ["prev_outstanding", "prev_ri", "prev_inadequate"],
    "years": ["years_since_prev"],
    "before": ["prev2_adverse"],
    "inherited": ["prev_inherited"],
    "phase": ["secondary", "special_or_pru"],
    "sponsor": ["sponsor_led"],
    "idaci": ["idaci_quintile"],
    "la": ["la_prior_adverse"],
    "attainment": ["attainment_z", "attainment_missing"],
    "absence": ["absence_z"],
    "fsm": ["fsm_z"],
}
CATEGORY_WORDS = {"SM": "special measures", "SWK": "serious weaknesses", "NTI": "notice to improve"}


def _label(grade: float, start: pd.Timestamp | None) -> str:
    return grade_label(
        grade, start.date() if isinstance(start, pd.Timestamp) and not pd.isna(start) else None
    )


def statement(group: str, row: pd.Series) -> str | None:
    """One driver in words from the school's own values (None when there is nothing to say)."""
    if group == "grade":
        text = f"previous grade {_label(row['prev_grade'], row.get('_asof_prev'))}"
        category = CATEGORY_WORDS.get(str(row.get("prev_category")))
        return f"{text} ({category})" if category else text
    if group == "years" and pd.notna(row.get("years_since_prev")):
        return f"{row['years_since_prev']:.1f} years since last graded inspection"
    if group == "before" and pd.notna(row.get("prev2_grade")) and row["prev2_grade"] >= 3:
        return f"{_label(row['prev2_grade'], row.get('_asof_prev2'))} at the inspection before that too"
    if group == "inherited" and row.get("prev_inherited") == 1:
        return "grade inherited from a predecessor school (not yet inspected in its current form)"
    if group == "phase" and row.get("phase") in ("Secondary", "Special", "PRU"):
        return {"Secondary": "secondary school", "Special": "special school", "PRU": "pupil referral unit"}[
            str(row["phase"])
        ]
    if group == "sponsor" and "sponsor" in str(row.get("type_group", "")):
        return "sponsored academy"
    if group == "idaci" and pd.notna(row.get("idaci_quintile")):
        return f"deprived area (IDACI quintile {int(row['idaci_quintile'])} of 5)"
    if group == "la" and pd.notna(row.get("la_prior_adverse")):
        return f"{row['la_prior_adverse']:.0%} of the LA's other recent inspections were RI or Inadequate"
    if group == "attainment":
        # Mainstream attainment is not used for special schools and PRUs: its absence says nothing there.
        return None if row.get("phase") in MAINSTREAM_PHASES_ONLY else _attainment_statement(row)
    if group == "absence" and pd.notna(row.get("ctx_pct_absence")):
        return f"overall absence {row['ctx_pct_absence']:.1f}%"
    if group == "fsm" and pd.notna(row.get("ctx_pct_fsm_ever")):
        return f"{row['ctx_pct_fsm_ever']:.0f}% of pupils ever eligible for free school meals"
    return None


def _attainment_statement(row: pd.Series) -> str:
    if pd.notna(row.get("ctx_ks2_rwm_expected")):
        return (
            f"{row['ctx_ks2_rwm_expected']:.0f}% met the KS2 expected standard in reading, writing and maths"
        )
    if pd.notna(row.get("ctx_ks4_attainment8")):
        progress = row.get("ctx_ks4_progress8")
        extra = f", Progress 8 {progress:+.2f}" if pd.notna(progress) else ""
        return f"Attainment 8 {row['ctx_ks4_attainment8']:.1f}{extra}"
    return "no published attainment figures"


def roll_statement(row: pd.Series) -> str | None:
    change = row.get("ctx_pupils_change")
    if change is not None and pd.notna(change) and change <= ROLL_FALL_PCT:
        return f"roll down {abs(change):.0f}% since the previous census"
    return None


def drivers(frame: pd.DataFrame, logit: LogitModel, limit: int = MAX_DRIVERS) -> pd.Series:
    """Plain-words drivers for each row of a feature frame ("; "-separated, strongest first)."""
    contributions = logit.contributions(frame)
    grouped = pd.DataFrame(
        {
            g: contributions[[t for t in terms if t in contributions]].sum(axis=1)
            for g, terms in GROUPS.items()
        },
        index=frame.index,
    )
    texts = []
    values = grouped.to_numpy()
    names = np.array(grouped.columns)
    for position, (_, row) in enumerate(frame.iterrows()):
        order = np.argsort(-values[position], kind="stable")
        parts: list[str] = []
        for index in order:
            if values[position, index] <= 0 or len(parts) >= limit:
                break
            text = statement(str(names[index]), row)
            if text:
                parts.append(text)
        if not parts:
            parts.append(statement("grade", row) or "")
            parts.append("no strong risk factors")
        roll = roll_statement(row)
        if roll:
            parts.append(roll)
        texts.append("; ".join(parts))
    return pd.Series(texts, index=frame.index, name="drivers")
