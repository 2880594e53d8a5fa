"""Time the early-warning model: training on the whole history and scoring every open school in England.

Targets (issue 5): training < 60 s, scoring all of England < 2 s on the 2-core machine.
Run: DATABASE_URL=... python benchmarks/model_benchmark.py
"""

from __future__ import annotations

import time
from datetime import date

import pandas as pd

from analytics.risk.data import current, examples, load_inputs
from analytics.risk.model import fit_models
from analytics.risk.scoring import score_frame
from analytics.store import get_engine


def timed(label: str, work):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = work()
    print(f"{label:<52} {time.perf_counter() - began:7.2f} s")
    return result


def main() -> None:
    inputs = timed("load inspections, schools, links, context", lambda: load_inputs(get_engine()))
    frame = timed("feature frame (all graded inspections)", lambda: examples(inputs))
    print(f"{'examples':<52} {len(frame):7,}")
    model = timed(
        "train on the whole history (fit, choose, calibrate)",
        lambda: fit_models(frame, frame["start_date"].max() + pd.Timedelta(days=1)),
    )
    now = timed("features of every open school (as at today)", lambda: current(inputs, date.today()))
    timed("score all of England (no drivers)", lambda: score_frame(model, now, explain=False))
    scored = timed("score all of England with drivers in words", lambda: score_frame(model, now))
    print(f"{'schools scored':<52} {len(scored):7,}")


if __name__ == "__main__":
    main()
