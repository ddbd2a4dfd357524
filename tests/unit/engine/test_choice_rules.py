"""Every Choice comparison operator, true and false, and a check that none is left out."""
from __future__ import annotations

import pytest

from workflow.engine.choice_rules import COMPARISON_OPERATORS, TYPE_TESTS, compile_rule
from workflow.engine.errors import FailureError


class Sources:
    """The context object and the workflow variables a rule may read."""

    def __init__(self, context: dict | None = None, variables: dict | None = None) -> None:
        self._context = context or {}
        self._variables = variables or {}

    def context(self) -> dict:
        return self._context

    def variable(self, name: str):
        return self._variables[name]


NONE = Sources()

T1, T2 = "2024-01-01T00:00:00Z", "2024-06-01T12:30:00.250+02:00"
# operator -> (value of $.v, operand, expected); Path operators read the operand from $.w.
TABLE = [
    ("StringEquals", "abc", "abc", True), ("StringEquals", "abc", "abd", False),
    ("StringLessThan", "abc", "abd", True), ("StringLessThan", "b", "a", False),
    ("StringGreaterThan", "b", "a", True), ("StringGreaterThan", "a", "a", False),
    ("StringLessThanEquals", "a", "a", True), ("StringLessThanEquals", "b", "a", False),
    ("StringGreaterThanEquals", "a", "a", True), ("StringGreaterThanEquals", "a", "b", False),
    ("StringMatches", "model-v2.tar.gz", "model-*.tar.gz", True), ("StringMatches", "model.zip", "model-*", False),
    ("NumericEquals", 1, 1.0, True), ("NumericEquals", 1, 2, False),
    ("NumericLessThan", 1, 2, True), ("NumericLessThan", 2, 2, False),
    ("NumericGreaterThan", 3, 2, True), ("NumericGreaterThan", 2, 2, False),
    ("NumericLessThanEquals", 2, 2, True), ("NumericLessThanEquals", 3, 2, False),
    ("NumericGreaterThanEquals", 2, 2, True), ("NumericGreaterThanEquals", 1, 2, False),
    ("BooleanEquals", False, False, True), ("BooleanEquals", True, False, False),
    ("TimestampEquals", T1, T1, True), ("TimestampEquals", T1, T2, False),
    ("TimestampLessThan", T1, T2, True), ("TimestampLessThan", T2, T1, False),
    ("TimestampGreaterThan", T2, T1, True), ("TimestampGreaterThan", T1, T1, False),
    ("TimestampLessThanEquals", T1, T1, True), ("TimestampLessThanEquals", T2, T1, False),
    ("TimestampGreaterThanEquals", T1, T1, True), ("TimestampGreaterThanEquals", T1, T2, False),
]
TYPE_TABLE = [
    ("IsNull", None, True), ("IsNull", 0, False),
    ("IsPresent", 1, True), ("IsNumeric", 2.5, True), ("IsNumeric", True, False),
    ("IsString", "", True), ("IsString", 1, False), ("IsBoolean", True, True), ("IsBoolean", "true", False),
    ("IsTimestamp", T2, True), ("IsTimestamp", "2024-01-01T00:00:00", False),
]


def cases():
    for name, value, operand, expected in TABLE:
        yield name, {"v": value}, operand, expected
        if name != "StringMatches":
            yield name + "Path", {"v": value, "w": operand}, "$.w", expected


ALL = list(cases())


@pytest.mark.parametrize("name,data,operand,expected", ALL, ids=[f"{c[0]}-{c[3]}" for c in ALL])
def test_operator(name: str, data: dict, operand, expected: bool) -> None:
    assert compile_rule({"Variable": "$.v", name: operand})(data, NONE) is expected


@pytest.mark.parametrize("name,value,expected", TYPE_TABLE)
def test_type_tests(name: str, value, expected: bool) -> None:
    assert compile_rule({"Variable": "$.v", name: True})({"v": value}, NONE) is expected
    assert compile_rule({"Variable": "$.v", name: False})({"v": value}, NONE) is (not expected)


def test_every_operator_is_in_the_table() -> None:
    covered = {case[0] for case in ALL} | {row[0] for row in TYPE_TABLE}
    assert covered == COMPARISON_OPERATORS | TYPE_TESTS


def test_type_mismatch_is_false_for_every_kind() -> None:
    others = {"StringEquals": [1, True, None, [1], {"a": 1}], "NumericEquals": ["1", True, None, [1], {"a": 1}],
              "BooleanEquals": ["1", 1, None, [1], {"a": 1}], "TimestampEquals": [1, True, None, [T1], {"a": T1}]}
    operands = {"StringEquals": "1", "NumericEquals": 1, "BooleanEquals": True, "TimestampEquals": T1}
    for name, values in others.items():
        operand = operands[name]
        for value in values:
            assert compile_rule({"Variable": "$.v", name: operand})({"v": value}, NONE) is False, (name, value)


def test_missing_variable_is_a_runtime_error_but_not_for_is_present() -> None:
    with pytest.raises(FailureError) as raised:
        compile_rule({"Variable": "$.nope", "IsNull": True})({}, NONE)
    assert raised.value.error == "States.Runtime"
    assert compile_rule({"Variable": "$.nope", "IsPresent": False})({}, NONE) is True
    with pytest.raises(FailureError):
        compile_rule({"Variable": "$.v", "NumericEqualsPath": "$.nope"})({"v": 1}, NONE)


def test_context_variable() -> None:
    rule = compile_rule({"Variable": "$$.Execution.Name", "StringEquals": "nightly"})
    assert rule({}, Sources(context={"Execution": {"Name": "nightly"}})) is True


def test_variable_reference() -> None:
    rule = compile_rule({"Variable": "$limits.max", "NumericGreaterThanPath": "$floor"})
    assert rule({}, Sources(variables={"limits": {"max": 5}, "floor": 3})) is True
    assert rule({}, Sources(variables={"limits": {"max": 2}, "floor": 3})) is False
    with pytest.raises(FailureError):
        rule({}, Sources(variables={"floor": 3}))
