"""Step Functions through boto3 against the real local server process."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.sfn_helpers import (
    PASS,
    ROLE,
    create_machine,
    wait_definition,
    wait_done,
    wait_for_event,
)
from workflow.local.lambda_ import zip_directory

BROKEN = {"StartAt": "Missing", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.fixture
def sfn(local_server: Any) -> Any:
    return local_server.client("stepfunctions")


def test_state_machine_lifecycle(sfn: Any) -> None:
    name = f"life-{uuid.uuid4().hex[:6]}"
    arn = create_machine(sfn, name=name)
    assert arn == f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["status"], described["type"]) == (name, "ACTIVE", "STANDARD")
    assert json.loads(described["definition"]) == PASS
    assert described["roleArn"] == ROLE
    # Creating the same machine again is idempotent.
    assert create_machine(sfn, name=name) == arn
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        create_machine(sfn, definition=wait_definition(1), name=name)

    update = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(wait_definition(1)))
    assert update["updateDate"] >= described["creationDate"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == wait_definition(1)
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(BROKEN))
    with pytest.raises(sfn.exceptions.MissingRequiredParameter):
        sfn.update_state_machine(stateMachineArn=arn)
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == wait_definition(1)

    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS))
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.list_executions(stateMachineArn=arn)


def test_list_state_machines_pages(sfn: Any) -> None:
    created = {create_machine(sfn) for _ in range(3)}
    pages = list(sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2}))
    assert all(len(page["stateMachines"]) <= 2 for page in pages)
    seen = [m["stateMachineArn"] for page in pages for m in page["stateMachines"]]
    assert created <= set(seen) and len(seen) == len(set(seen))


def test_create_errors(sfn: Any) -> None:
    with pytest.raises(sfn.exceptions.InvalidDefinition) as caught:
        create_machine(sfn, definition=BROKEN)
    assert "Missing" in caught.value.response["Error"]["Message"]
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.create_state_machine(name="notjson", definition="{nope", roleArn=ROLE)
    with pytest.raises(sfn.exceptions.InvalidName):
        create_machine(sfn, name="has space")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.create_state_machine(name="badrole", definition=json.dumps(PASS), roleArn="role")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine(stateMachineArn="arn:aws:states:us-east-1:123456789012:execution:a:b")


def test_validate_definition_returns_diagnostics(sfn: Any) -> None:
    ok = sfn.validate_state_machine_definition(definition=json.dumps(PASS))
    assert (ok["result"], ok["diagnostics"]) == ("OK", [])
    failed = sfn.validate_state_machine_definition(definition=json.dumps(BROKEN))
    assert failed["result"] == "FAIL"
    assert failed["diagnostics"][0]["severity"] == "ERROR"
    assert failed["diagnostics"][0]["code"]
    assert failed["diagnostics"][0]["location"].startswith("/")


def test_jsonata_and_variables_through_the_server(sfn: Any) -> None:
    # ValidateStateMachineDefinition reports AWS's codes for JSONata mistakes ...
    mixed = {"QueryLanguage": "JSONata", "StartAt": "Pass",
             "States": {"Pass": {"Type": "Pass", "QueryLanguage": "JSONPath", "InputPath": "$.a", "End": True}}}
    answer = sfn.validate_state_machine_definition(definition=json.dumps(mixed))
    assert answer["result"] == "FAIL"
    assert {"code": "SCHEMA_VALIDATION_FAILED", "location": "/States/Pass", "severity": "ERROR",
            "message": "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine "
                       "at /States/Pass"} in answer["diagnostics"]
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        create_machine(sfn, mixed)
    # ... and a JSONata execution's history carries assignedVariables and EvaluationFailed.
    definition = {"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"greeting": "{% 'hello ' & $states.input.name %}"}, "Next": "Fail"},
        "Fail": {"Type": "Pass", "Output": "{% $missing %}", "End": True}}}
    started = sfn.start_execution(stateMachineArn=create_machine(sfn, definition), input='{"name": "Rex"}')
    done = wait_done(sfn, started["executionArn"])
    assert (done["status"], done["error"]) == ("FAILED", "States.QueryEvaluationError")
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    exited = next(e for e in events if e["type"] == "PassStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"greeting": '"hello Rex"'}
    assert exited["stateExitedEventDetails"]["assignedVariablesDetails"] == {"truncated": False}
    failed = next(e for e in events if e["type"] == "EvaluationFailed")
    assert failed["evaluationFailedEventDetails"]["location"] == "Output"


def test_execution_succeeds_with_output_and_history(sfn: Any) -> None:
    machine = create_machine(sfn)
    started = sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"k": 1}')
    done = wait_done(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"done": True}
    assert json.loads(done["input"]) == {"k": 1}
    assert done["stopDate"] >= done["startDate"]
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == [1, 2, 3, 4]


def test_start_execution_name_is_an_idempotency_key(sfn: Any) -> None:
    machine = create_machine(sfn, definition=wait_definition(600))
    first = sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    assert again["startDate"] == first["startDate"]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 2}')
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1
    sfn.stop_execution(executionArn=first["executionArn"])
    # Once closed, the name is taken even with the same input (AWS StartExecution semantics).
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="once", input='{"a": 1}')


def test_start_execution_errors(sfn: Any) -> None:
    machine = create_machine(sfn)
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=machine, input="{not json")
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.start_execution(stateMachineArn=machine, name="a/b")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.start_execution(stateMachineArn="not-an-arn")
    missing = machine.replace("stateMachine:", "execution:") + ":nope"
    for call in (sfn.describe_execution, sfn.stop_execution, sfn.get_execution_history):
        with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
            call(executionArn=missing)
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []


def test_failed_execution_reports_error_and_cause(sfn: Any) -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Dog.Lost",
                                                    "Cause": "no breed matched"}}}
    machine = create_machine(sfn, definition=definition)
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=machine)["executionArn"])
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "Dog.Lost", "no breed matched")


def test_stop_execution_aborts(sfn: Any) -> None:
    machine = create_machine(sfn, definition=wait_definition(600))
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_for_event(sfn, arn, "WaitStateEntered")
    stopped = sfn.stop_execution(executionArn=arn, error="User.Stop", cause="changed my mind")
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stopped["stopDate"]
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"][0]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "User.Stop", "cause": "changed my mind"}


def test_list_executions_filters_and_pages(sfn: Any) -> None:
    machine = create_machine(sfn)
    arns = [sfn.start_execution(stateMachineArn=machine)["executionArn"] for _ in range(5)]
    for arn in arns:
        wait_done(sfn, arn)
    pages = list(sfn.get_paginator("list_executions").paginate(stateMachineArn=machine,
                                                                 PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3 and all(len(page["executions"]) <= 2 for page in pages)
    seen = [e["executionArn"] for page in pages for e in page["executions"]]
    assert seen == list(reversed(arns))  # newest first, each once
    succeeded = sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")
    assert len(succeeded["executions"]) == 5
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"] == []
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.list_executions(stateMachineArn=machine, nextToken="garbage!!")


def test_history_pages_in_both_orders(sfn: Any) -> None:
    machine = create_machine(sfn)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"secret": 1}')["executionArn"]
    wait_done(sfn, arn)

    def collect(**kwargs: Any) -> list[int]:
        ids: list[int] = []
        while True:
            page = sfn.get_execution_history(executionArn=arn, maxResults=3, **kwargs)
            ids += [e["id"] for e in page["events"]]
            if "nextToken" not in page:
                return ids
            kwargs["nextToken"] = page["nextToken"]

    assert collect() == [1, 2, 3, 4]
    assert collect(reverseOrder=True) == [4, 3, 2, 1]
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.get_execution_history(executionArn=arn, nextToken="garbage!!")


def test_server_side_validation_names_the_field(local_server: Any) -> None:
    raw = local_server.client("stepfunctions", parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        raw.list_executions(stateMachineArn=create_machine(raw), maxResults="ten")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "maxResults" in caught.value.response["Error"]["Message"]
    with pytest.raises(raw.exceptions.ValidationException) as caught:
        raw.start_execution(input="{}")
    assert "stateMachineArn" in caught.value.response["Error"]["Message"]


def test_task_state_invokes_lambda_through_the_server(sfn: Any, local_server: Any,
                                                      tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    lam = local_server.client("lambda")
    name = f"double-{uuid.uuid4().hex[:6]}"
    function_arn = lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_directory(tmp_path)})["FunctionArn"]
    definition = {"StartAt": "Double", "States": {"Double": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "OutputPath": "$.Payload", "End": True}}}
    machine = create_machine(sfn, definition=definition)
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=machine, input='{"n": 21}')["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"doubled": 42}
    lam.delete_function(FunctionName=name)


def test_executions_outlive_their_state_machine(sfn: Any) -> None:
    machine = create_machine(sfn)
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_done(sfn, arn)
    sfn.delete_state_machine(stateMachineArn=machine)
    sfn.delete_state_machine(stateMachineArn=machine)  # idempotent
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert json.loads(sfn.describe_state_machine_for_execution(executionArn=arn)["definition"]) == PASS
