"""CloudWatch statistics over the raw values of one period, and the period grid."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

from workflow.local.cloudwatch.errors import InvalidParameterValue

STANDARD = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
#: Periods CloudWatch accepts: high resolution 1/5/10/30 s, else whole minutes.
HIGH_RESOLUTION = (1, 5, 10, 30)
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)$")


def percentile_rank(stat: str) -> float | None:
    """``p99`` -> 99.0, ``p99.9`` -> 99.9; None for anything else."""
    found = _PERCENTILE.match(stat)
    return float(found[1]) if found else None


def check_stat(stat: str, field: str) -> None:
    if stat not in STANDARD and percentile_rank(stat) is None:
        raise InvalidParameterValue(
            f"The value {stat} for parameter {field} is not supported: use one of "
            f"{', '.join(STANDARD)} or a percentile pNN.NN")


def check_period(period: int, field: str = "Period") -> None:
    if period <= 0 or (period not in HIGH_RESOLUTION and period % 60):
        raise InvalidParameterValue(
            f"The parameter {field} must be 1, 5, 10, 30 or a multiple of 60 seconds, "
            f"got {period}.")


def compute(stat: str, values: Sequence[float]) -> float | None:
    """One statistic of a period's values; None when the period has none."""
    if not values:
        return None
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values)) / len(values)
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    rank = percentile_rank(stat)
    if rank is None:
        raise InvalidParameterValue(f"The statistic {stat} is not supported.")
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least rank% of the values at or below it.
    index = max(0, math.ceil(rank / 100 * len(ordered)) - 1)
    return float(ordered[min(index, len(ordered) - 1)])


def period_starts(start: float, end: float, period: int) -> list[float]:
    """Epoch-aligned starts of the periods that overlap [start, end)."""
    first = math.floor(start / period) * period
    return [float(t) for t in range(int(first), int(math.ceil(end)), period) if t < end]
