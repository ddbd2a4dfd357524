"""TrainingJobEarlyStoppingType Auto: the median stopping rule AWS describes.

A running job is stopped when its best objective value so far is worse than
the median of the running averages of the objective of earlier completed jobs
over the same number of reports.
"""
from __future__ import annotations

from statistics import mean, median

#: Completed jobs needed before any job is judged (too few make the median noise).
MIN_HISTORY = 2


def should_stop(current: list[float], history: list[list[float]], minimize: bool,
                min_history: int = MIN_HISTORY) -> bool:
    n = len(current)
    if n == 0:
        return False
    peers = [series for series in history if len(series) >= n]
    if len(peers) < min_history:
        return False
    threshold = median(mean(series[:n]) for series in peers)
    best = min(current) if minimize else max(current)
    return best > threshold if minimize else best < threshold
