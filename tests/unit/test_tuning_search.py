"""Search spaces, strategies and the early-stopping rule of local tuning jobs."""
from __future__ import annotations

import re

import pytest

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.tuning import strategy
from workflow.local.sagemaker.tuning.early_stopping import should_stop
from workflow.local.sagemaker.tuning.runner import child_name
from workflow.local.sagemaker.tuning.space import grid_size, parse_ranges


def sample(ranges: dict, n: int = 200, kind: str = "Random") -> list[dict[str, str]]:
    params = parse_ranges(ranges, kind)
    study = strategy.make_study(kind, params, direction="Minimize", seed=0, max_jobs=n)
    out = []
    for _ in range(n):
        trial, values = strategy.ask(study, params)
        strategy.tell(study, trial, 0.0)
        out.append(values)
    return out


def test_scaling_types_shape_where_values_fall():
    lin = [float(v["x"]) for v in sample({"ContinuousParameterRanges": [
        {"Name": "x", "MinValue": "0.001", "MaxValue": "1", "ScalingType": "Linear"}]})]
    log = [float(v["x"]) for v in sample({"ContinuousParameterRanges": [
        {"Name": "x", "MinValue": "0.001", "MaxValue": "1", "ScalingType": "Logarithmic"}]})]
    rev = [float(v["x"]) for v in sample({"ContinuousParameterRanges": [
        {"Name": "x", "MinValue": "0", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"}]})]
    assert all(0.001 <= v <= 1 for v in lin + log) and all(0 <= v <= 0.999 for v in rev)
    below = lambda values: sum(v < 0.1 for v in values) / len(values)  # noqa: E731
    assert below(lin) < 0.2 and below(log) > 0.5  # log spreads over decades
    assert sum(v > 0.9 for v in rev) / len(rev) > 0.5  # reverse-log crowds near the top


def test_integer_and_categorical_values_are_passed_as_strings():
    values = sample({"IntegerParameterRanges": [{"Name": "n", "MinValue": "2", "MaxValue": "5"}],
                     "CategoricalParameterRanges": [{"Name": "opt", "Values": ["sgd", "adam"]}]},
                    n=40, kind="Bayesian")
    assert {v["n"] for v in values} <= {"2", "3", "4", "5"}
    assert {v["opt"] for v in values} == {"sgd", "adam"}


@pytest.mark.parametrize("ranges, strategy_name, message", [
    ({"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1",
                                     "ScalingType": "Logarithmic"}]}, "Random", "MinValue > 0"),
    ({"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1",
                                     "ScalingType": "ReverseLogarithmic"}]}, "Random", "< 1"),
    ({"ContinuousParameterRanges": [{"Name": "x", "MinValue": "2", "MaxValue": "1"}]}, "Random",
     "greater than MaxValue"),
    ({"IntegerParameterRanges": [{"Name": "n", "MinValue": "1", "MaxValue": "3"}]}, "Grid",
     "only CategoricalParameterRanges"),
    ({}, "Random", "at least one range"),
])
def test_bad_ranges_are_rejected_naming_the_field(ranges, strategy_name, message):
    with pytest.raises(ValidationException, match=message):
        parse_ranges(ranges, strategy_name)


def test_grid_size_is_the_product_of_the_choices():
    params = parse_ranges({"CategoricalParameterRanges": [{"Name": "a", "Values": ["1", "2", "3"]},
                                                          {"Name": "b", "Values": ["x", "y"]}]}, "Grid")
    assert grid_size(params) == 6
    combos = {tuple(sorted(v.items())) for v in sample(
        {"CategoricalParameterRanges": [{"Name": "a", "Values": ["1", "2", "3"]},
                                        {"Name": "b", "Values": ["x", "y"]}]}, n=6, kind="Grid")}
    assert len(combos) == 6


def test_median_rule_stops_only_jobs_worse_than_the_median_of_earlier_ones():
    history = [[1.0, 0.8, 0.6], [1.2, 0.9, 0.7], [0.9, 0.7, 0.5]]
    assert should_stop([2.0], history, minimize=True)
    assert not should_stop([0.95], history, minimize=True)
    assert not should_stop([2.0], history[:1], minimize=True)  # too little history
    assert should_stop([0.1, 0.2], [[0.5, 0.6], [0.6, 0.7]], minimize=False)
    assert not should_stop([], history, minimize=True)


def test_child_jobs_are_named_like_sagemaker_names_them():
    name = child_name("dog-tune", 3, {"lr": "0.1"})
    assert re.fullmatch(r"dog-tune-003-[0-9a-f]{8}", name)
    assert name != child_name("dog-tune", 3, {"lr": "0.2"})
