"""awsJson1_0 / awsJson1_1 through the dispatcher, checked with botocore's serialiser and parser."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.unit.protocol_helpers import RecordingBackend, botocore_request, call
from workflow.local.errors import ServiceError
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request
from workflow.local.stepfunctions.errors import ExecutionDoesNotExist

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:demo"


@pytest.fixture
def sfn() -> RecordingBackend:
    return RecordingBackend("stepfunctions")


@pytest.fixture
def dispatcher(sfn: RecordingBackend) -> Dispatcher:
    return Dispatcher({"stepfunctions": sfn, "sagemaker": RecordingBackend("sagemaker")})


def test_request_members_reach_the_backend(dispatcher: Dispatcher, sfn: RecordingBackend) -> None:
    started = datetime(2025, 3, 1, 12, 30, 15, 250000, tzinfo=timezone.utc)
    sfn.result = {"executionArn": ARN.replace("stateMachine", "execution") + ":run",
                  "startDate": started, "notInTheShape": "dropped"}
    response, parsed = call(dispatcher, "stepfunctions", "StartExecution",
                            {"stateMachineArn": ARN, "name": "run", "input": '{"a": 1}'})
    assert sfn.calls == [("StartExecution",
                          {"stateMachineArn": ARN, "name": "run", "input": '{"a": 1}'})]
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert parsed["startDate"] == started
    assert parsed["executionArn"].endswith(":run")
    assert "notInTheShape" not in response.body.decode()


def test_nested_output_and_json_1_1(dispatcher: Dispatcher) -> None:
    sagemaker = dispatcher.backends["sagemaker"]
    created = datetime(2025, 1, 2, tzinfo=timezone.utc)
    sagemaker.result = {  # type: ignore[attr-defined]
        "TrainingJobName": "job", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/job",
        "TrainingJobStatus": "InProgress", "SecondaryStatus": "Starting",
        "CreationTime": created, "AlgorithmSpecification": {"TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {}, "ModelArtifacts": {"S3ModelArtifacts": "file:///m.tar.gz"},
        "HyperParameters": {"lr": "0.1"},
        "FinalMetricDataList": [{"MetricName": "acc", "Value": 0.5, "Timestamp": created}],
    }
    response, parsed = call(dispatcher, "sagemaker", "DescribeTrainingJob", {"TrainingJobName": "job"})
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert parsed["FinalMetricDataList"][0]["Timestamp"] == created
    assert parsed["HyperParameters"] == {"lr": "0.1"}
    assert parsed["ModelArtifacts"]["S3ModelArtifacts"] == "file:///m.tar.gz"


def test_modelled_error_keeps_its_code(dispatcher: Dispatcher, sfn: RecordingBackend) -> None:
    sfn.error = ExecutionDoesNotExist("Execution Does Not Exist: 'x'")
    response, parsed = call(dispatcher, "stepfunctions", "DescribeExecution",
                            {"executionArn": ARN})
    assert response.status == 400
    assert parsed["Error"] == {"Code": "ExecutionDoesNotExist",
                               "Message": "Execution Does Not Exist: 'x'"}


def test_missing_required_member_is_named(dispatcher: Dispatcher, sfn: RecordingBackend) -> None:
    response, parsed = call(dispatcher, "stepfunctions", "StartExecution", {"name": "x"})
    assert response.status == 400
    assert parsed["Error"]["Code"] == "ValidationException"
    assert "stateMachineArn" in parsed["Error"]["Message"]
    assert sfn.calls == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stateMachineArn": ARN, "maxResults": "ten"}, "maxResults"),
        ({"stateMachineArn": ARN, "maxResults": 5000}, "maxResults"),
        ({"stateMachineArn": ARN, "statusFilter": "SLEEPING"}, "statusFilter"),
        ({"stateMachineArn": 42}, "stateMachineArn"),
    ],
)
def test_invalid_members_are_named(dispatcher: Dispatcher, params: dict, field: str) -> None:
    response, parsed = call(dispatcher, "stepfunctions", "ListExecutions", params)
    assert parsed["Error"]["Code"] == "ValidationException"
    assert field in parsed["Error"]["Message"]


def test_unknown_operation(dispatcher: Dispatcher) -> None:
    request = Request("POST", "/", Headers({"X-Amz-Target": "AWSStepFunctions.FlyToTheMoon",
                                            "Content-Type": "application/x-amz-json-1.0"}), b"{}")
    response = dispatcher.dispatch(request)
    assert response.status == 400
    assert b"UnknownOperationException" in response.body


def test_unknown_target_prefix(dispatcher: Dispatcher) -> None:
    request = Request("POST", "/", Headers({"X-Amz-Target": "DynamoDB_20120810.GetItem"}), b"{}")
    response = dispatcher.dispatch(request)
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_malformed_json_body(dispatcher: Dispatcher) -> None:
    request = botocore_request("stepfunctions", "ListStateMachines", {})
    request.body = b"{not json"
    response = dispatcher.dispatch(request)
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"


def test_a_bug_is_an_internal_failure_without_traceback(dispatcher: Dispatcher,
                                                        sfn: RecordingBackend) -> None:
    sfn.error = KeyError("secret internals")
    response, parsed = call(dispatcher, "stepfunctions", "ListStateMachines", {})
    assert response.status == 500
    assert parsed["Error"]["Code"] == "InternalFailure"
    assert "secret internals" not in response.body.decode()
    assert "Traceback" not in response.body.decode()


def test_unmodelled_error_keeps_status_and_code(dispatcher: Dispatcher, sfn: RecordingBackend) -> None:
    sfn.error = ServiceError("slow down", code="ThrottlingException", status=400)
    response, parsed = call(dispatcher, "stepfunctions", "ListStateMachines", {})
    assert (response.status, parsed["Error"]["Code"]) == (400, "ThrottlingException")
