"""The query protocol (IAM, STS) through the dispatcher, checked with botocore's serialiser and parser."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import pytest

from tests.unit.protocol_helpers import RecordingBackend, botocore_request, call
from workflow.local.errors import ClientError
from workflow.local.iam.errors import NoSuchEntity
from workflow.local.protocol import query as query_protocol
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request
from workflow.local.protocol.models import operation_model

pytestmark = pytest.mark.unit


@pytest.fixture
def iam() -> RecordingBackend:
    return RecordingBackend("iam")


@pytest.fixture
def sts() -> RecordingBackend:
    return RecordingBackend("sts")


@pytest.fixture
def dispatcher(iam: RecordingBackend, sts: RecordingBackend) -> Dispatcher:
    return Dispatcher({"iam": iam, "sts": sts, "stepfunctions": RecordingBackend("stepfunctions")})


def test_structures_lists_and_scalars_reach_the_backend(dispatcher: Dispatcher, sts: RecordingBackend) -> None:
    sts.result = {"Credentials": {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t",
                                  "Expiration": datetime(2026, 1, 1, 12, tzinfo=timezone.utc)},
                  "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:run", "Arn": "arn:aws:sts::1:assumed-role/r/run"},
                  "PackedPolicySize": 6}
    params = {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "run", "DurationSeconds": 900,
              "Tags": [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev & test"}],
              "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}], "TransitiveTagKeys": []}
    response, parsed = call(dispatcher, "sts", "AssumeRole", params)
    assert sts.calls == [("AssumeRole", params)]
    assert response.status == 200 and response.headers["Content-Type"] == "text/xml"
    assert parsed["Credentials"]["Expiration"] == datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    assert parsed["AssumedRoleUser"]["Arn"] == "arn:aws:sts::1:assumed-role/r/run"
    assert parsed["PackedPolicySize"] == 6
    assert parsed["ResponseMetadata"]["RequestId"] == response.headers["x-amzn-RequestId"]


def test_lists_in_answers_and_url_encoded_policies(dispatcher: Dispatcher, iam: RecordingBackend) -> None:
    created = datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    document = '{"Version":"2012-10-17","Statement":[]}'
    iam.result = {"Roles": [{"Path": "/", "RoleName": n, "RoleId": "AROA" + "X" * 17, "CreateDate": created,
                             "Arn": f"arn:aws:iam::123456789012:role/{n}",
                             "AssumeRolePolicyDocument": quote(document, safe="")} for n in ("a", "b<c")],
                  "IsTruncated": True, "Marker": "b<c"}
    _, parsed = call(dispatcher, "iam", "ListRoles", {"MaxItems": 2, "PathPrefix": "/"})
    assert iam.calls == [("ListRoles", {"MaxItems": 2, "PathPrefix": "/"})]
    assert [r["RoleName"] for r in parsed["Roles"]] == ["a", "b<c"]
    assert parsed["IsTruncated"] is True and parsed["Marker"] == "b<c"
    assert parsed["Roles"][0]["CreateDate"] == created
    # botocore decodes IAM's URL-encoded policy documents only after the call (a handler):
    # on the wire they are URL-encoded text.
    assert parsed["Roles"][0]["AssumeRolePolicyDocument"] == quote(document, safe="")


def test_maps_and_empty_lists_parse() -> None:
    # SNS's Publish has a map of structures (MessageAttributes.entry.N.Name/Value).
    operation = operation_model("sns", "Publish")
    request = botocore_request("sns", "Publish", {
        "Message": "m", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "1"},
                                              "b": {"DataType": "Number", "StringValue": "2"}}})
    fields = query_protocol.form(request)
    assert fields is not None and fields["Action"] == "Publish"
    assert query_protocol.parse_request(operation, fields) == {
        "Message": "m", "MessageAttributes": {"a": {"DataType": "String", "StringValue": "1"},
                                              "b": {"DataType": "Number", "StringValue": "2"}}}
    tags = query_protocol.parse_request(operation_model("iam", "TagRole"),
                                        {"Action": "TagRole", "Version": "2010-05-08", "RoleName": "r", "Tags": ""})
    assert tags == {"RoleName": "r", "Tags": []}


def test_errors_in_the_query_shape_with_the_modelled_status(dispatcher: Dispatcher, iam: RecordingBackend) -> None:
    iam.error = NoSuchEntity("The role with name x cannot be found.")
    response, parsed = call(dispatcher, "iam", "GetRole", {"RoleName": "x"})
    assert response.status == 404
    assert parsed["Error"] == {"Type": "Sender", "Code": "NoSuchEntity", "Message": "The role with name x cannot be found."}
    assert parsed["ResponseMetadata"]["RequestId"] == response.headers["x-amzn-RequestId"]


def test_validation_errors_name_the_member_as_aws_does(dispatcher: Dispatcher, iam: RecordingBackend) -> None:
    response, parsed = call(dispatcher, "iam", "GetRole", {"RoleName": "no spaces"})
    assert response.status == 400 and iam.calls == []
    assert parsed["Error"]["Code"] == "ValidationError"
    assert parsed["Error"]["Message"] == ("1 validation error detected: Value 'no spaces' at 'roleName' failed to "
                                          "satisfy constraint: Member must satisfy regular expression pattern: "
                                          r"[\w+=,.@-]+")
    _, parsed = call(dispatcher, "iam", "CreateRole", {"RoleName": "r"})
    assert parsed["Error"]["Code"] == "ValidationError"
    assert "AssumeRolePolicyDocument" in parsed["Error"]["Message"]


def test_get_requests_and_unknown_actions(dispatcher: Dispatcher, sts: RecordingBackend) -> None:
    sts.result = {"UserId": "123456789012", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root"}
    response = dispatcher.dispatch(Request("GET", "/?Action=GetCallerIdentity&Version=2011-06-15", Headers({}), b""))
    assert response.status == 200 and b"<GetCallerIdentityResult><UserId>123456789012</UserId>" in response.body
    response = dispatcher.dispatch(Request(
        "POST", "/", Headers({"Content-Type": "application/x-www-form-urlencoded"}),
        b"Action=MakeMeAdmin&Version=2010-05-08"))
    assert response.status == 400 and b"<Code>InvalidAction</Code>" in response.body


def test_a_plain_client_error_keeps_its_own_status() -> None:
    answer = query_protocol.serialize_error(operation_model("iam", "GetRole").service_model,
                                            ClientError("nope", code="AccessDenied", status=403), "rid")
    assert answer.status == 403 and b"<Code>AccessDenied</Code>" in answer.body
