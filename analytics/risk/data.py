"""Load what the risk model needs from the store (through analytics.queries) and build its frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from analytics import queries
from analytics.risk.features import CONTEXT_FEATURES, build_current, build_examples

CONTEXT_MEASURES = sorted({*CONTEXT_FEATURES, "balance", "income"} - {"balance_pct_income"})


@dataclass
class Inputs:
    inspections: pd.DataFrame
    schools: pd.DataFrame
    links: pd.DataFrame
    context: pd.DataFrame


def load_inputs(engine: Engine) -> Inputs:
    return Inputs(
        inspections=queries.inspections(engine),
        schools=queries.schools(engine, queries.Scope.england(), open_only=False),
        links=queries.school_links(engine),
        context=queries.context_values(engine, measures=CONTEXT_MEASURES),
    )


def examples(inputs: Inputs) -> pd.DataFrame:
    return build_examples(inputs.inspections, inputs.schools, inputs.links, inputs.context)


def current(inputs: Inputs, as_at: date) -> pd.DataFrame:
    return build_current(inputs.inspections, inputs.schools, as_at, inputs.links, inputs.context)
