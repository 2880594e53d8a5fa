"""Time the early-warning model: the training `init-demo` runs (backtests, final fit, scoring, store) step by
step, and scoring all of England with a stored model.

Wall and CPU seconds are printed for each step (on a shared machine the CPU time is the steadier figure).
Targets (issue 5): training < 60 s, scoring all of England < 2 s on the 2-core machine.
Run: DATABASE_URL=... python benchmarks/model_benchmark.py   (stores a newly trained model, as `train` does)
"""

from __future__ import annotations

import time
from datetime import date

from analytics.risk import store
from analytics.risk.data import current, load_inputs
from analytics.risk.scoring import score_frame
from analytics.risk.training import train_and_store
from analytics.store import get_engine


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, label: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        print(f"{label:<70} {wall - self.wall:7.1f} s wall {cpu - self.cpu:7.1f} s CPU", flush=True)
        self.wall, self.cpu = wall, cpu


def main() -> None:
    engine = get_engine()
    began_wall, began_cpu = time.perf_counter(), time.process_time()
    clock = Clock()
    train_and_store(engine, progress=clock.lap)
    print(
        f"{'training as in init-demo, in all':<70} {time.perf_counter() - began_wall:7.1f} s wall "
        f"{time.process_time() - began_cpu:7.1f} s CPU"
    )
    loaded = store.load_latest(engine)
    assert loaded is not None
    model, meta = loaded
    inputs = load_inputs(engine)
    clock = Clock()
    now = current(inputs, date.today())
    clock.lap("features of every open school (as at today)")
    score_frame(model, now, explain=False, reliability=meta["reliability"], cautions=meta["cautions"])
    clock.lap("score all of England (no drivers)")
    scored = score_frame(model, now, reliability=meta["reliability"], cautions=meta["cautions"])
    clock.lap("score all of England with drivers in words")
    print(f"{'schools scored':<70} {len(scored):7,}")


if __name__ == "__main__":
    main()
