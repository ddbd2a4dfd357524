"""rest-json (Lambda, SageMaker Runtime): URI routing, header members, blob payloads, errors."""
from __future__ import annotations

import json

import pytest

from tests.unit.protocol_helpers import RecordingBackend, botocore_request, call
from workflow.local.errors import ServiceError
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request


@pytest.fixture
def lam() -> RecordingBackend:
    return RecordingBackend("lambda")


@pytest.fixture
def runtime() -> RecordingBackend:
    return RecordingBackend("sagemaker-runtime")


@pytest.fixture
def dispatcher(lam: RecordingBackend, runtime: RecordingBackend) -> Dispatcher:
    return Dispatcher({"lambda": lam, "sagemaker-runtime": runtime})


def test_invoke_headers_query_and_blob_payload(dispatcher: Dispatcher, lam: RecordingBackend) -> None:
    lam.result = {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": b'{"errorMessage":"x"}',
                  "ExecutedVersion": "$LATEST", "LogResult": "bG9n"}
    response, parsed = call(dispatcher, "lambda", "Invoke", {
        "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "InvocationType": "RequestResponse", "LogType": "Tail", "Qualifier": "$LATEST",
        "Payload": b'{"k": [1, 2]}',
    })
    operation, params = lam.calls[0]
    assert operation == "Invoke"
    assert params == {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f",
                      "InvocationType": "RequestResponse", "LogType": "Tail",
                      "Qualifier": "$LATEST", "Payload": b'{"k": [1, 2]}'}
    assert parsed["FunctionError"] == "Unhandled"
    assert parsed["LogResult"] == "bG9n"
    assert parsed["Payload"].read() == b'{"errorMessage":"x"}'


def test_status_code_member_sets_http_status(dispatcher: Dispatcher, lam: RecordingBackend) -> None:
    lam.result = {"StatusCode": 202}
    response, parsed = call(dispatcher, "lambda", "Invoke",
                            {"FunctionName": "f", "InvocationType": "Event", "Payload": b"{}"})
    assert response.status == 202
    assert parsed["StatusCode"] == 202


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("GetFunction", {"FunctionName": "f"}),
        ("GetFunctionConcurrency", {"FunctionName": "f"}),
        ("PutFunctionConcurrency", {"FunctionName": "f", "ReservedConcurrentExecutions": 2}),
        ("DeleteFunctionConcurrency", {"FunctionName": "f"}),
        ("UpdateFunctionCode", {"FunctionName": "f", "ZipFile": b"PK"}),
        ("UpdateFunctionConfiguration", {"FunctionName": "f", "Timeout": 9}),
        ("DeleteFunction", {"FunctionName": "f"}),
        ("CreateFunction", {"FunctionName": "f", "Role": "r", "Code": {"ZipFile": b"PK\x03"},
                            "Runtime": "python3.11", "Handler": "app.handler"}),
    ],
)
def test_routing_by_method_and_uri(dispatcher: Dispatcher, lam: RecordingBackend,
                                   operation: str, params: dict) -> None:
    call(dispatcher, "lambda", operation, params)
    assert lam.calls == [(operation, params)]


def test_uri_labels_are_url_decoded(dispatcher: Dispatcher, lam: RecordingBackend) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST"
    call(dispatcher, "lambda", "GetFunction", {"FunctionName": arn})
    assert lam.calls[0][1]["FunctionName"] == arn


def test_sagemaker_runtime_header_members(dispatcher: Dispatcher, runtime: RecordingBackend) -> None:
    runtime.result = {"Body": b"\x89PNG-ish", "ContentType": "application/json",
                      "InvokedProductionVariant": "AllTraffic", "CustomAttributes": "c=1"}
    response, parsed = call(dispatcher, "sagemaker-runtime", "InvokeEndpoint", {
        "EndpointName": "dogs", "Body": b"\xff\xd8jpeg", "ContentType": "image/jpeg",
        "Accept": "application/json", "CustomAttributes": "trace=1",
    })
    assert runtime.calls == [("InvokeEndpoint", {
        "EndpointName": "dogs", "Body": b"\xff\xd8jpeg", "ContentType": "image/jpeg",
        "Accept": "application/json", "CustomAttributes": "trace=1"})]
    assert parsed["Body"].read() == b"\x89PNG-ish"
    assert parsed["ContentType"] == "application/json"
    assert parsed["InvokedProductionVariant"] == "AllTraffic"
    assert parsed["CustomAttributes"] == "c=1"


def test_modelled_status_and_header_members_of_errors(dispatcher: Dispatcher,
                                                     lam: RecordingBackend) -> None:
    lam.error = ServiceError("Rate Exceeded.", code="TooManyRequestsException", fields={
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "retryAfterSeconds": "1"})
    response, parsed = call(dispatcher, "lambda", "Invoke", {"FunctionName": "f", "Payload": b"{}"})
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert parsed["Error"]["Code"] == "TooManyRequestsException"
    assert parsed["Error"]["Message"] == "Rate Exceeded."
    assert json.loads(response.body)["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_not_found_uses_the_modelled_404(dispatcher: Dispatcher, lam: RecordingBackend) -> None:
    lam.error = ServiceError("Function not found: f", code="ResourceNotFoundException")
    response, parsed = call(dispatcher, "lambda", "GetFunction", {"FunctionName": "f"})
    assert (response.status, parsed["Error"]["Code"]) == (404, "ResourceNotFoundException")


def test_validation_of_uri_and_body_members(dispatcher: Dispatcher, lam: RecordingBackend) -> None:
    request = botocore_request("lambda", "PutFunctionConcurrency",
                               {"FunctionName": "f", "ReservedConcurrentExecutions": 1})
    request.body = b'{"ReservedConcurrentExecutions": "many"}'
    response = dispatcher.dispatch(request)
    assert response.status == 400
    assert b"ReservedConcurrentExecutions" in response.body
    assert lam.calls == []


def test_unknown_path_is_404(dispatcher: Dispatcher) -> None:
    response = dispatcher.dispatch(Request("GET", "/nothing/here", Headers(), b""))
    assert response.status == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_model_error_members_reach_the_client(dispatcher: Dispatcher,
                                              runtime: RecordingBackend) -> None:
    runtime.error = ServiceError("the model failed", code="ModelError", fields={
        "OriginalStatusCode": 500, "OriginalMessage": "bad tensor",
        "LogStreamArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/dogs"})
    response, parsed = call(dispatcher, "sagemaker-runtime", "InvokeEndpoint",
                            {"EndpointName": "dogs", "Body": b"x", "ContentType": "image/jpeg"})
    assert response.status == 424
    assert parsed["Error"]["Code"] == "ModelError"
    assert parsed["OriginalStatusCode"] == 500
    assert parsed["OriginalMessage"] == "bad tensor"
