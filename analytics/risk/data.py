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


def with_first_release(inspections: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Add `first_release_as_at`: the as-at date of the import that first recorded each inspection (missing
    for imports without one), from which the model may use an ungraded inspection or report card."""
    released = log.dropna(subset=["as_at"]).set_index("id")["as_at"]
    first = pd.to_numeric(inspections["first_import_id"], errors="coerce")
    return inspections.assign(first_release_as_at=pd.to_datetime(first.map(released)))


def load_inputs(engine: Engine) -> Inputs:
    return Inputs(
        inspections=with_first_release(queries.inspections(engine), queries.import_log(engine)),
        schools=queries.schools(engine, queries.Scope.england(), open_only=False),
        links=queries.school_links(engine),
        context=queries.context_values(engine, measures=CONTEXT_MEASURES),
    )


def examples(inputs: Inputs) -> pd.DataFrame:
    return build_examples(inputs.inspections, inputs.schools, inputs.links, inputs.context)


def current(inputs: Inputs, as_at: date) -> pd.DataFrame:
    return build_current(inputs.inspections, inputs.schools, as_at, inputs.links, inputs.context)
