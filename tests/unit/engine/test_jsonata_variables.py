"""JSONata states and Assign variables: the case table (cases/jsonata_variables.json),
the history's assignedVariables and EvaluationFailed events, and Map iterations' scopes."""
from __future__ import annotations

import json

import pytest

from .helpers import check_result, load_cases, run
from .shapes import shape_errors

CASES = load_cases("jsonata_variables.json")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case: dict) -> None:
    check_result(run(case["definition"], case["input"]), case["expected"])


def exited(events: list[dict]) -> list[dict]:
    return [e["stateExitedEventDetails"] for e in events if e["type"].endswith("StateExited")]


def test_assigned_variables_in_the_history_are_json_text() -> None:
    # As recorded on AWS: each value is its JSON text, strings quoted, and only states
    # that assign carry assignedVariables.
    events: list[dict] = []
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"constant_int": 0, "constant_str": "s", "constant_obj": {"a": [1, None]},
                                         "path.$": "$.v"}, "Next": "B"},
        "B": {"Type": "Pass", "End": True}}}
    run(definition, {"v": "input_value"}, events=events)
    first, second = exited(events)
    assert first["assignedVariables"] == {"constant_int": "0", "constant_str": '"s"',
                                          "constant_obj": '{"a":[1,null]}', "path": '"input_value"'}
    assert first["assignedVariablesDetails"] == {"truncated": False}
    assert "assignedVariables" not in second
    assert all(shape_errors(e) == [] for e in events)


def test_a_failed_expression_records_evaluation_failed() -> None:
    events: list[dict] = []
    run({"QueryLanguage": "JSONata", "StartAt": "State0",
         "States": {"State0": {"Type": "Pass", "Output": {"result": "{% $doesNotExist %}"}, "End": True}}}, events=events)
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    details = events[2]["evaluationFailedEventDetails"]
    assert details["error"] == "States.QueryEvaluationError"
    assert details["location"] == "Output/result" and details["state"] == "State0"
    assert details["cause"] == events[3]["executionFailedEventDetails"]["cause"]
    assert all(shape_errors(e) == [] for e in events)


def test_each_map_iteration_has_its_own_scope() -> None:
    # Iterations run side by side and assign the same name without seeing each other.
    events: list[dict] = []
    definition = {"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"bias": 4}, "Next": "M"},
        "M": {"Type": "Map", "Items": "{% [1, 2, 3, 4, 5, 6] %}", "MaxConcurrency": 0, "ItemProcessor": {"StartAt": "Mine", "States": {
            "Mine": {"Type": "Pass", "Assign": {"mine": "{% $states.input %}"}, "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Read"},
            "Read": {"Type": "Pass", "Output": "{% $mine * 10 + $bias %}", "End": True}}}, "End": True}}}
    result = run(definition, events=events)
    assert result.output == [14, 24, 34, 44, 54, 64]
    assigned = [d["assignedVariables"] for d in exited(events) if d["name"] == "Mine"]
    assert sorted(json.loads(a["mine"]) for a in assigned) == [1, 2, 3, 4, 5, 6]


def test_a_state_that_fails_assigns_nothing_and_the_catcher_assigns() -> None:
    events: list[dict] = []
    definition = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Assign": {"result": "SUCCESS"},
              "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "Exception", "Cause": "boom"}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"result": "{% $states.errorOutput %}"}, "Next": "F"}],
              "End": True},
        "F": {"Type": "Pass", "Output": "{% $result %}", "End": True}}}
    result = run(definition, events=events)
    assert result.output == {"Error": "Exception", "Cause": "boom"}
    parallel_exit = next(d for d in exited(events) if d["name"] == "P")
    assert parallel_exit["assignedVariables"] == {"result": '{"Error":"Exception","Cause":"boom"}'}
