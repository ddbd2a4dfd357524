"""Small helpers shared by the Step Functions integration tests."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/states"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"done": True}, "End": True}}}


def wait_definition(seconds: int) -> dict[str, Any]:
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": seconds, "End": True}}}


def create_machine(sfn: Any, definition: dict[str, Any] | None = None, name: str | None = None) -> str:
    answer = sfn.create_state_machine(
        name=name or f"sm-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition or PASS),
        roleArn=ROLE)
    return answer["stateMachineArn"]


def wait_done(sfn: Any, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = sfn.describe_execution(executionArn=execution_arn)
        if answer["status"] != "RUNNING":
            return answer
        time.sleep(0.05)
    raise TimeoutError(f"{execution_arn} still RUNNING after {timeout} s")


def wait_for_event(sfn: Any, execution_arn: str, event_type: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        if any(e["type"] == event_type for e in events):
            return
        time.sleep(0.05)
    raise TimeoutError(f"no {event_type} in {execution_arn} after {timeout} s")
