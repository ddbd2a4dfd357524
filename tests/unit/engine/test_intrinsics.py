"""Every intrinsic function of the specification: results, argument errors, the grammar."""
from __future__ import annotations

import hashlib
import random
import re

import pytest

from workflow.engine.errors import FailureError
from workflow.engine.intrinsic_functions import evaluate
from workflow.engine.intrinsic_parser import Call, IntrinsicSyntaxError, Literal, PathArg, parse_intrinsic

from .helpers import run

DATA = {"a": 1, "b": 2, "s": "a,b,,c", "arr": [1, 2, 2, "2", True, 1], "obj": {"k": "v", "n": 1},
        "other": {"n": 2, "m": 3}, "name": "Ada", "json": "{\"x\":[1,2]}", "neg": -5}
CONTEXT = {"Execution": {"Name": "run-1"}, "Map": {"Item": {"Index": 3}}}


def ev(text: str, data=DATA, seed: int = 1):
    return evaluate(parse_intrinsic(text), data, CONTEXT, random.Random(seed))


RESULTS = [
    ("States.Format('Hello, {}!', $.name)", "Hello, Ada!"),
    ("States.Format('{} + {} = {}', $.a, $.b, 3)", "1 + 2 = 3"),
    ("States.Format('{} {} {}', true, null, 1.5)", "true null 1.5"),
    ("States.Format('literal \\{\\} and {}', 'x')", "literal {} and x"),
    ("States.Format('it\\'s {}', $$.Execution.Name)", "it's run-1"),
    ("States.StringToJson($.json)", {"x": [1, 2]}),
    ("States.JsonToString($.obj)", '{"k":"v","n":1}'),
    ("States.Array(1, 'two', $.obj, States.Array())", [1, "two", {"k": "v", "n": 1}, []]),
    ("States.ArrayPartition(States.Array(1,2,3,4,5), 2)", [[1, 2], [3, 4], [5]]),
    ("States.ArrayContains($.arr, '2')", True),
    ("States.ArrayContains($.arr, 9)", False),
    ("States.ArrayContains(States.Array(true), 1)", False),
    ("States.ArrayContains(States.Array($.obj), $.obj)", True),
    ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
    ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
    ("States.ArrayGetItem($.arr, 3)", "2"),
    ("States.ArrayLength($.arr)", 6),
    ("States.ArrayUnique($.arr)", [1, 2, "2", True]),
    ("States.ArrayUnique(States.Array(1, 1.0, $.obj, $.obj))", [1, {"k": "v", "n": 1}]),
    ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
    ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
    ("States.Hash('input data', 'SHA-1')", hashlib.sha1(b"input data", usedforsecurity=False).hexdigest()),
    ("States.Hash('input data', 'MD5')", hashlib.md5(b"input data", usedforsecurity=False).hexdigest()),
    ("States.Hash('x', 'SHA-512')", hashlib.sha512(b"x").hexdigest()),
    ("States.JsonMerge($.obj, $.other, false)", {"k": "v", "n": 2, "m": 3}),
    ("States.MathAdd($.a, $.neg)", -4),
    ("States.MathAdd(111, -1)", 110),
    ("States.StringSplit($.s, ',')", ["a", "b", "c"]),
    ("States.StringSplit('This.is+a,test=string', '.+,=')", ["This", "is", "a", "test", "string"]),
    ("States.MathAdd(States.ArrayLength($.arr), $$.Map.Item.Index)", 9),
    ("States.Format('{}', $['obj']['k'])", "v"),
]


@pytest.mark.parametrize("text,expected", RESULTS, ids=[r[0] for r in RESULTS])
def test_result(text: str, expected) -> None:
    assert ev(text) == expected


FAILURES = [
    "States.Format('{} {}', 1)",
    "States.Format('{}', 1, 2)",
    "States.Format('{}', $.obj)",
    "States.StringToJson('{not json')",
    "States.ArrayPartition($.arr, 0)",
    "States.ArrayRange(1, 2, 0)",
    "States.ArrayRange(0, 2000, 1)",
    "States.ArrayGetItem($.arr, 6)",
    "States.ArrayLength($.obj)",
    "States.Base64Decode('***')",
    "States.Hash('x', 'SHA-3')",
    "States.JsonMerge($.obj, $.other, true)",
    "States.MathAdd(1.5, 1)",
    "States.MathRandom(5, 1)",
    "States.StringSplit($.a, ',')",
    "States.UUID(1)",
    "States.ArrayLength($.missing)",
    "States.Nope(1)",
]


@pytest.mark.parametrize("text", FAILURES)
def test_failure_is_intrinsic_failure(text: str) -> None:
    with pytest.raises(FailureError) as raised:
        ev(text)
    assert raised.value.error == "States.IntrinsicFailure"
    assert raised.value.cause


def test_math_random_is_in_range_and_seedable() -> None:
    values = {ev("States.MathRandom(1, 4)", seed=seed) for seed in range(50)}
    assert values <= {1, 2, 3} and len(values) == 3
    assert ev("States.MathRandom(0, 1000, 42)", seed=1) == ev("States.MathRandom(0, 1000, 42)", seed=2)


def test_uuid_is_a_version_4_uuid_from_the_engine_random_source() -> None:
    value = ev("States.UUID()", seed=3)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert value == ev("States.UUID()", seed=3) != ev("States.UUID()", seed=4)


def test_parser_builds_a_call_tree() -> None:
    tree = parse_intrinsic("States.Format('a,b', $.x[0], States.Array(-1.5e2, null))")
    assert tree == Call("States.Format", (
        Literal("a,b"), PathArg("$.x[0]"), Call("States.Array", (Literal(-150.0), Literal(None))),
    ))


def test_parser_keeps_commas_and_parentheses_inside_path_brackets() -> None:
    tree = parse_intrinsic("States.Array($['a,b'], $['c)'])")
    assert tree.args == (PathArg("$['a,b']"), PathArg("$['c)']"))


@pytest.mark.parametrize("text", [
    "States.Format('x'", "States.Format('x')extra", "Format('x')", "States.Array(1,,2)",
    "States.Array('unterminated)", "States.Array(@)", "States.Array($..[)",
])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(IntrinsicSyntaxError):
        parse_intrinsic(text)


def test_intrinsic_failure_can_be_caught_in_a_state_machine() -> None:
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "Next": "H"}],
              "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True,
                                                             "Parameters": {"v.$": "States.ArrayGetItem($.l, 5)"}}}}]},
        "H": {"Type": "Pass", "End": True}}}
    result = run(definition, {"l": []})
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "States.IntrinsicFailure"
