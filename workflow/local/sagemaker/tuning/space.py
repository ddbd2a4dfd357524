"""ParameterRanges as Optuna distributions, with SageMaker's scaling types.

Auto is taken as Linear (AWS lets the service choose; linear is one of its
choices). ReverseLogarithmic samples ``1 - x`` on a log scale, so values crowd
towards the top of a [0, 1) range, as AWS describes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workflow.local.errors import ValidationException


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # Continuous | Integer | Categorical
    distribution: Any
    reverse: bool = False

    def value(self, internal: Any) -> Any:
        return 1.0 - internal if self.reverse else internal

    def internal(self, text: str) -> Any:
        """The distribution's value behind a hyperparameter string (``text``'s inverse)."""
        if self.kind == "Integer":
            return int(text)
        if self.kind == "Continuous":
            return self.value(float(text))  # 1 - x is its own inverse
        return text

    def text(self, internal: Any) -> str:
        """The hyperparameter string the training job receives."""
        value = self.value(internal)
        if self.kind == "Integer":
            return str(int(value))
        if self.kind == "Continuous":
            return repr(float(value))
        return str(value)


def _bounds(item: dict[str, Any], field: str, cast: type) -> tuple[Any, Any]:
    try:
        low, high = cast(item["MinValue"]), cast(item["MaxValue"])
    except ValueError as err:
        raise ValidationException(f"{field}: MinValue/MaxValue must be {cast.__name__}s") from err
    if low > high:
        raise ValidationException(f"{field}: MinValue {low} is greater than MaxValue {high}")
    return low, high


def parse_ranges(ranges: dict[str, Any], strategy: str) -> list[Param]:
    from optuna.distributions import (  # deferred: optuna's import is slow
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    params: list[Param] = []
    for i, item in enumerate(ranges.get("ContinuousParameterRanges", []), start=1):
        field = f"ParameterRanges.ContinuousParameterRanges.{i}"
        low, high = _bounds(item, field, float)
        scaling = item.get("ScalingType", "Auto")
        if scaling == "Logarithmic":
            if low <= 0:
                raise ValidationException(f"{field}: Logarithmic scaling needs MinValue > 0")
            params.append(Param(item["Name"], "Continuous", FloatDistribution(low, high, log=True)))
        elif scaling == "ReverseLogarithmic":
            if low < 0 or high >= 1:
                raise ValidationException(
                    f"{field}: ReverseLogarithmic scaling needs 0 <= MinValue <= MaxValue < 1")
            params.append(Param(item["Name"], "Continuous",
                                FloatDistribution(1 - high, 1 - low, log=True), reverse=True))
        else:
            params.append(Param(item["Name"], "Continuous", FloatDistribution(low, high)))
    for i, item in enumerate(ranges.get("IntegerParameterRanges", []), start=1):
        field = f"ParameterRanges.IntegerParameterRanges.{i}"
        low, high = _bounds(item, field, int)
        scaling = item.get("ScalingType", "Auto")
        if scaling == "ReverseLogarithmic":
            raise ValidationException(f"{field}: ReverseLogarithmic applies to continuous ranges only")
        if scaling == "Logarithmic" and low <= 0:
            raise ValidationException(f"{field}: Logarithmic scaling needs MinValue > 0")
        params.append(Param(item["Name"], "Integer",
                            IntDistribution(low, high, log=scaling == "Logarithmic")))
    for i, item in enumerate(ranges.get("CategoricalParameterRanges", []), start=1):
        values = list(dict.fromkeys(item["Values"]))
        if not values:
            raise ValidationException(f"ParameterRanges.CategoricalParameterRanges.{i}: no Values")
        params.append(Param(item["Name"], "Categorical", CategoricalDistribution(values)))
    if ranges.get("AutoParameters"):
        raise ValidationException("ParameterRanges.AutoParameters: not supported locally; "
                                  "give explicit ranges")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValidationException("ParameterRanges: a hyperparameter appears in more than one range")
    if not params:
        raise ValidationException("ParameterRanges: give at least one range to tune")
    if strategy == "Grid" and any(p.kind != "Categorical" for p in params):
        raise ValidationException("HyperParameterTuningJobConfig.Strategy: Grid search supports "
                                  "only CategoricalParameterRanges")
    return params


def grid_size(params: list[Param]) -> int:
    size = 1
    for param in params:
        size *= len(param.distribution.choices)
    return size
