"""Differential tests: the engine and moto's Step Functions interpreter on the task-free table.

Each case of tests/unit/engine/cases/task_free.json runs in both; status, output and error
must agree. Where moto is wrong against the ASL specification the case says so in its
"moto" entry ("differs": why) and the test asserts that moto still differs while the
engine follows the specification, so the note cannot silently go stale.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.unit.engine.helpers import load_cases, run

CASES = [case for case in load_cases("task_free.json") if "skip" not in case.get("moto", {})]
ROLE = "arn:aws:iam::123456789012:role/states"
POLL_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def sfn():
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


def run_in_moto(sfn: Any, index: int, case: dict) -> dict:
    arn = sfn.create_state_machine(
        name=f"case-{index}", definition=json.dumps(case["definition"]), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(case["input"]))["executionArn"]
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            pytest.fail(f"moto's execution of {case['name']!r} did not finish in {POLL_TIMEOUT_S}s")
        time.sleep(0.01)
    raw = described.get("output")
    try:
        output = json.loads(raw) if raw is not None else None
    except ValueError:
        output = ("not JSON", raw)
    return {"status": described["status"], "output": output, "error": described.get("error")}


def comparable(status: str, output: Any, error: str | None) -> dict:
    return {"status": status, "output": output if status == "SUCCEEDED" else None,
            "error": error if status != "SUCCEEDED" else None}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case["name"] for case in CASES])
def test_same_result_as_moto(sfn: Any, index: int) -> None:
    case = CASES[index]
    ours = run(case["definition"], case["input"])
    moto = run_in_moto(sfn, index, case)
    mine = comparable(ours.status, ours.output, ours.error)
    theirs = comparable(moto["status"], moto["output"], moto["error"])
    if "differs" in case.get("moto", {}):
        # moto is wrong here (see the reason); the engine follows the specification.
        assert theirs != mine, f"moto now agrees; drop the note: {case['moto']['differs']}"
        assert mine["status"] == case["expected"]["status"]
    else:
        assert theirs == mine


PASS_END = {"Type": "Pass", "End": True}
HISTORIES = {
    "pass-succeed": ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}, {}),
    "choice": ({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
        {"Variable": "$.x", "NumericEquals": 1, "Next": "A"}], "Default": "A"}, "A": PASS_END}}, {"x": 1}),
    "fail": ({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}}, {}),
    "parallel": ({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "B1", "States": {"B1": PASS_END}}]}}}, {}),
    "map": ({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 1, "ItemProcessor": {
        "StartAt": "I", "States": {"I": PASS_END}}}}}, [1, 2]),
    "catch": ({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "H", "Branches": [
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "X"}}}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]}, "H": PASS_END}}, {}),
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_same_history_as_moto(sfn: Any, name: str) -> None:
    """Event types, ids, previousEventId links and details agree with moto's interpreter."""
    definition, data = HISTORIES[name]
    arn = sfn.create_state_machine(name=f"history-{name}", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(data))["executionArn"]
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING":
        assert time.monotonic() < deadline, "moto's execution did not finish"
        time.sleep(0.01)
    theirs = sfn.get_execution_history(executionArn=execution)["events"]
    mine: list[dict] = []
    run(definition, data, events=mine)

    def comparable(event: dict) -> tuple:
        details = {key: value for key, value in event.items() if key.endswith("EventDetails")}
        details.pop("executionStartedEventDetails", None)  # carries each side's own role ARN
        return event["id"], event["previousEventId"], event["type"], details

    assert [comparable(e) for e in mine] == [comparable(e) for e in theirs]
