"""Early-warning model: risk that a school's next graded inspection is RI or Inadequate (issue 5).

features -> model (fit, choose, calibrate) -> backtest (time-split metrics) -> store (versioned model files)
-> explain (drivers in plain words) -> scoring of every open school.
"""
