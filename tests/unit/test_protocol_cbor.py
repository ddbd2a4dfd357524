"""Smithy RPC v2 CBOR (and CloudWatch's JSON) through the dispatcher, checked with
botocore's own serialiser and parser, as boto3 sends and reads them."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.model import DenormalizedStructureBuilder
from botocore.parsers import RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer

from tests.unit.protocol_helpers import RecordingBackend, botocore_parse, botocore_request, call
from workflow.local.cloudwatch.errors import InvalidParameterValue
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request
from workflow.local.protocol.rpcv2_cbor import match

START = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
END = datetime(2025, 3, 1, 12, 15, 30, 500000, tzinfo=timezone.utc)
QUERY = {
    "Id": "calls",
    "MetricStat": {
        "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations",
                   "Dimensions": [{"Name": "EndpointName", "Value": "ep"},
                                  {"Name": "VariantName", "Value": "AllTraffic"}]},
        "Period": 60, "Stat": "Sum"},
}


@pytest.fixture
def cloudwatch() -> RecordingBackend:
    return RecordingBackend("cloudwatch")


@pytest.fixture
def dispatcher(cloudwatch: RecordingBackend) -> Dispatcher:
    return Dispatcher({"cloudwatch": cloudwatch, "stepfunctions": RecordingBackend("stepfunctions")})


def test_cbor_request_is_decoded_with_the_input_shape(dispatcher: Dispatcher,
                                                      cloudwatch: RecordingBackend) -> None:
    response, parsed = call(dispatcher, "cloudwatch", "GetMetricData",
                            {"MetricDataQueries": [QUERY], "StartTime": START, "EndTime": END,
                             "MaxDatapoints": 300})
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/cbor"
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    [(operation, params)] = cloudwatch.calls
    assert operation == "GetMetricData"
    assert params["MetricDataQueries"] == [QUERY]
    assert params["StartTime"] == START and params["StartTime"].tzinfo == timezone.utc
    assert params["EndTime"] == END
    assert params["MaxDatapoints"] == 300


def test_output_shape_is_encoded_for_boto3(dispatcher: Dispatcher,
                                           cloudwatch: RecordingBackend) -> None:
    stamps = [datetime(2025, 3, 1, 12, m, tzinfo=timezone.utc) for m in (2, 1)]
    cloudwatch.result = {"MetricDataResults": [
        {"Id": "calls", "Label": "Invocations", "Timestamps": stamps, "Values": [7.0, 2.5],
         "StatusCode": "Complete"}]}
    _, parsed = call(dispatcher, "cloudwatch", "GetMetricData",
                     {"MetricDataQueries": [QUERY], "StartTime": START, "EndTime": END})
    [result] = parsed["MetricDataResults"]
    assert result["Timestamps"] == stamps
    assert result["Values"] == [7.0, 2.5]
    assert result["StatusCode"] == "Complete"


def test_modelled_error_reaches_boto3_by_its_code(dispatcher: Dispatcher,
                                                  cloudwatch: RecordingBackend) -> None:
    cloudwatch.error = InvalidParameterValue("The parameter Period must be ...")
    response, parsed = call(dispatcher, "cloudwatch", "GetMetricStatistics", {
        "Namespace": "AWS/SageMaker", "MetricName": "Invocations", "StartTime": START,
        "EndTime": END, "Period": 7, "Statistics": ["Sum"]})
    assert response.status == 400
    assert "x-amzn-query-error" not in {k.lower() for k in response.headers}
    assert parsed["Error"]["Code"] == "InvalidParameterValue"
    assert parsed["Error"]["Message"] == "The parameter Period must be ..."


def test_missing_member_is_missing_parameter(dispatcher: Dispatcher,
                                             cloudwatch: RecordingBackend) -> None:
    response, parsed = call(dispatcher, "cloudwatch", "GetMetricStatistics", {
        "Namespace": "AWS/SageMaker", "MetricName": "Invocations", "EndTime": END,
        "Period": 60, "Statistics": ["Sum"]})
    assert response.status == 400
    assert parsed["Error"]["Code"] == "MissingParameter"
    assert "StartTime" in parsed["Error"]["Message"]
    assert cloudwatch.calls == []


def test_wrong_member_type_is_invalid_parameter_value(dispatcher: Dispatcher,
                                                      cloudwatch: RecordingBackend) -> None:
    # boto3 would refuse to send this, so the body is encoded for a shape where Period is text.
    wrong = DenormalizedStructureBuilder().with_members({
        "Namespace": {"type": "string"}, "MetricName": {"type": "string"},
        "Period": {"type": "string"}, "StartTime": {"type": "timestamp"},
        "EndTime": {"type": "timestamp"},
        "Statistics": {"type": "list", "member": {"type": "string"}}}).build_model()
    request = botocore_request("cloudwatch", "ListMetrics", {})
    request.target = "/service/GraniteServiceVersion20100801/operation/GetMetricStatistics"
    body = bytearray()
    RpcV2CBORSerializer()._serialize_data_item(body, {
        "Namespace": "AWS/SageMaker", "MetricName": "Invocations", "StartTime": START,
        "EndTime": END, "Period": "sixty", "Statistics": ["Sum"]}, wrong)
    request.body = bytes(body)
    response = dispatcher.dispatch(request)
    parsed = botocore_parse("cloudwatch", "GetMetricStatistics", response)
    assert response.status == 400
    assert parsed["Error"]["Code"] == "InvalidParameterValue"
    assert "Period" in parsed["Error"]["Message"]
    assert cloudwatch.calls == []


def test_body_that_is_not_cbor_is_a_serialization_error(dispatcher: Dispatcher) -> None:
    request = botocore_request("cloudwatch", "ListMetrics", {"Namespace": "AWS/SageMaker"})
    request.body = b"\xff\x00{not cbor"
    response = dispatcher.dispatch(request)
    assert response.status == 400
    error = RpcV2CBORParser().parse(
        {"status_code": 400, "headers": response.headers, "body": response.body}, None)
    assert error["Error"]["Code"] == "SerializationException"


def test_unknown_operation(dispatcher: Dispatcher) -> None:
    request = botocore_request("cloudwatch", "ListMetrics", {})
    request.target = "/service/GraniteServiceVersion20100801/operation/NoSuchThing"
    response = dispatcher.dispatch(request)
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_json_protocol_reaches_the_same_backend(dispatcher: Dispatcher,
                                                cloudwatch: RecordingBackend) -> None:
    """What a browser sends: awsJson1_0 with X-Amz-Target, answered in JSON."""
    cloudwatch.result = {"MetricDataResults": [
        {"Id": "calls", "Timestamps": [START], "Values": [3.0], "StatusCode": "Complete"}]}
    body = json.dumps({"MetricDataQueries": [QUERY], "StartTime": START.timestamp(),
                       "EndTime": END.timestamp()}).encode()
    request = Request("POST", "/", Headers({
        "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricData",
        "Content-Type": "application/x-amz-json-1.0"}), body)
    response = dispatcher.dispatch(request)
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(response.body)["MetricDataResults"][0]["Timestamps"] == [START.timestamp()]
    assert cloudwatch.calls[0][1]["StartTime"] == START


def test_json_protocol_error_names_the_code(dispatcher: Dispatcher) -> None:
    request = Request("POST", "/", Headers({
        "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricStatistics",
        "Content-Type": "application/x-amz-json-1.0"}), b'{"Namespace": "AWS/SageMaker"}')
    response = dispatcher.dispatch(request)
    assert response.status == 400
    assert json.loads(response.body)["__type"] == "MissingParameter"


def test_match_needs_the_protocol_header() -> None:
    path = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
    assert match(Request("POST", path, Headers({"smithy-protocol": "rpc-v2-cbor"}))) == (
        "GraniteServiceVersion20100801", "ListMetrics")
    assert match(Request("POST", path, Headers({}))) is None
    assert match(Request("GET", path, Headers({"smithy-protocol": "rpc-v2-cbor"}))) is None
