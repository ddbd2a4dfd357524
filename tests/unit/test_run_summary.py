"""What the run summary says failed, from AWS-shaped execution histories."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from workflow.pipeline.summary import failing_state, print_failure

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def history(*steps: tuple[str, dict]) -> list[dict]:
    events = []
    for n, (kind, details) in enumerate(steps, start=1):
        event = {"id": n, "previousEventId": n - 1, "timestamp": T0 + timedelta(seconds=n), "type": kind}
        key = {"TaskStateEntered": "stateEnteredEventDetails", "PassStateEntered": "stateEnteredEventDetails",
               "ChoiceStateEntered": "stateEnteredEventDetails", "FailStateEntered": "stateEnteredEventDetails",
               "TaskFailed": "taskFailedEventDetails", "ExecutionFailed": "executionFailedEventDetails"}[kind]
        event[key] = details
        events.append(event)
    return events


def entered(name: str, kind: str = "TaskStateEntered") -> tuple[str, dict]:
    return kind, {"name": name}


def test_the_first_task_failure_behind_the_run_error_is_named() -> None:
    events = history(
        entered("StageData"), entered("Tune"),
        ("TaskFailed", {"error": "States.TaskFailed", "cause": '{"FailureReason": "AlgorithmError: boom"}'}),
        entered("CleanUp", "ChoiceStateEntered"), entered("DeleteModel"),
        ("TaskFailed", {"error": "SageMaker.SageMakerException", "cause": "Could not find model"}),
        entered("PipelineFailed", "FailStateEntered"),
        ("ExecutionFailed", {"error": "States.TaskFailed", "cause": '{"FailureReason": "AlgorithmError: boom"}'}),
    )
    assert failing_state(events) == {"state": "Tune", "error": "States.TaskFailed",
                                     "cause": '{"FailureReason": "AlgorithmError: boom"}'}
    out = io.StringIO()
    print_failure(events, "FAILED", None, out)
    assert "state Tune failed" in out.getvalue() and "cause: AlgorithmError: boom" in out.getvalue()


def test_a_failure_raised_by_the_definition_names_the_state_before_clean_up() -> None:
    events = history(
        entered("WaitForEndpoint"), entered("EndpointFailed", "PassStateEntered"),
        entered("CleanUp", "ChoiceStateEntered"), entered("DeregisterScalableTarget"),
        ("TaskFailed", {"error": "ApplicationAutoScaling.ObjectNotFoundException", "cause": "none"}),
        entered("PipelineFailed", "FailStateEntered"),
        ("ExecutionFailed", {"error": "EndpointFailed", "cause": "Endpoint e failed: no model"}),
    )
    assert failing_state(events) == {"state": "EndpointFailed", "error": "EndpointFailed",
                                     "cause": "Endpoint e failed: no model"}


def test_a_fail_state_without_clean_up_is_the_last_state() -> None:
    events = history(
        entered("QualityGate", "ChoiceStateEntered"), entered("QualityGateNotMet", "FailStateEntered"),
        ("ExecutionFailed", {"error": "QualityGateNotMet", "cause": "Test accuracy 0.2 is below 0.5"}),
    )
    assert failing_state(events)["state"] == "QualityGateNotMet"
