"""IAM and STS on the local server, through boto3 over HTTP."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle, start_local_server
from tests.integration.iam_helpers import ACCOUNT, ROOT, refused, session_client, trust

pytestmark = pytest.mark.integration

def allow(actions: list[str], resources: list[str] | str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resources}]})


@pytest.fixture
def server(module_local_server: LocalServerHandle) -> LocalServerHandle:
    return module_local_server


@pytest.fixture
def iam(server: LocalServerHandle) -> Any:
    return server.client("iam")


@pytest.fixture
def sts(server: LocalServerHandle) -> Any:
    return server.client("sts")


def name() -> str:
    return f"role-{uuid.uuid4().hex[:8]}"


def test_roles_and_their_policies(iam: Any) -> None:
    role_name = name()
    created = iam.create_role(RoleName=role_name, Path="/service/", Description="the pipeline",
                              AssumeRolePolicyDocument=trust(Service="states.amazonaws.com"),
                              MaxSessionDuration=7200, Tags=[{"Key": "team", "Value": "ml"}])["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{role_name}"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}
    assert (role["Description"], role["MaxSessionDuration"], role["Tags"]) == (
        "the pipeline", 7200, [{"Key": "team", "Value": "ml"}])
    # Role names are unique whatever their case.
    assert refused(iam.create_role, RoleName=role_name.upper(), AssumeRolePolicyDocument=trust(AWS=ROOT)) == {
        "Type": "Sender", "Code": "EntityAlreadyExists", "Status": 409,
        "Message": f"Role with name {role_name.upper()} already exists."}

    iam.put_role_policy(RoleName=role_name, PolicyName="b", PolicyDocument=allow(["states:StartExecution"]))
    iam.put_role_policy(RoleName=role_name, PolicyName="a", PolicyDocument=allow(["states:DescribeExecution"]))
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == ["a", "b"]
    got = iam.get_role_policy(RoleName=role_name, PolicyName="a")
    assert got["PolicyDocument"]["Statement"][0]["Action"] == ["states:DescribeExecution"]
    assert refused(iam.delete_role, RoleName=role_name)["Code"] == "DeleteConflict"
    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=trust(AWS=ROOT))
    iam.update_role(RoleName=role_name, Description="changed")
    assert iam.get_role(RoleName=role_name)["Role"]["Description"] == "changed"
    for policy in ("a", "b"):
        iam.delete_role_policy(RoleName=role_name, PolicyName=policy)
    missing = refused(iam.get_role_policy, RoleName=role_name, PolicyName="a")
    assert (missing["Code"], missing["Status"]) == ("NoSuchEntity", 404)
    iam.delete_role(RoleName=role_name)
    assert refused(iam.get_role, RoleName=role_name)["Message"] == f"The role with name {role_name} cannot be found."


def test_list_roles_pages_and_filters_by_path(iam: Any) -> None:
    prefix = f"/list-{uuid.uuid4().hex[:6]}/"
    names = sorted(name() for _ in range(3))
    for role_name in names:
        iam.create_role(RoleName=role_name, Path=prefix, AssumeRolePolicyDocument=trust(AWS=ROOT))
    first = iam.list_roles(PathPrefix=prefix, MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == names[:2] and first["IsTruncated"]
    rest = iam.list_roles(PathPrefix=prefix, MaxItems=2, Marker=first["Marker"])
    assert [r["RoleName"] for r in rest["Roles"]] == names[2:] and not rest["IsTruncated"]
    paged = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PathPrefix=prefix,
                                                                                PaginationConfig={"PageSize": 1})
             for r in page["Roles"]]
    assert paged == names


def test_documents_are_checked_as_iam_checks_them(iam: Any) -> None:
    role_name = name()
    resource_in_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole", "Resource": "*"}]})
    assert refused(iam.create_role, RoleName=role_name, AssumeRolePolicyDocument=resource_in_trust) == {
        "Type": "Sender", "Code": "MalformedPolicyDocument", "Message": "Has prohibited field Resource", "Status": 400}
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(AWS=ROOT))
    principal = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})
    assert refused(iam.put_role_policy, RoleName=role_name, PolicyName="p", PolicyDocument=principal)["Message"] == \
        "Policy document should not specify a principal."
    big = allow([f"sagemaker:Describe{i:04d}" for i in range(500)])
    assert refused(iam.put_role_policy, RoleName=role_name, PolicyName="big", PolicyDocument=big)["Code"] == \
        "LimitExceeded"
    assert refused(iam.get_role, RoleName="spaces are not allowed")["Code"] == "ValidationError"


def test_assume_role_issues_temporary_credentials(iam: Any, sts: Any, server: LocalServerHandle) -> None:
    role_name = name()
    arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(AWS=ROOT),
                          MaxSessionDuration=43200)["Role"]["Arn"]
    before = datetime.now(timezone.utc)
    answer = sts.assume_role(RoleArn=arn, RoleSessionName="run-1", DurationSeconds=43200)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and len(credentials["SessionToken"]) > 100
    lifetime = (credentials["Expiration"] - before).total_seconds()
    assert 43190 < lifetime <= 43201
    role_id = iam.get_role(RoleName=role_name)["Role"]["RoleId"]
    assert answer["AssumedRoleUser"] == {"AssumedRoleId": f"{role_id}:run-1",
                                         "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/run-1"}
    identity = session_client(server.endpoint_url, credentials, "sts").get_caller_identity()
    assert identity | {"ResponseMetadata": None} == {
        "UserId": f"{role_id}:run-1", "Account": ACCOUNT, "ResponseMetadata": None,
        "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/run-1"}
    assert sts.get_caller_identity()["Arn"] == ROOT

    iam.update_role(RoleName=role_name, MaxSessionDuration=3600)
    assert refused(sts.assume_role, RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)["Message"] == \
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    unchecked = server.client("sts", parameter_validation=False)  # boto3 itself refuses under 900
    short = refused(unchecked.assume_role, RoleArn=arn, RoleSessionName="s1", DurationSeconds=899)
    assert short["Code"] == "ValidationError" and "DurationSeconds" in short["Message"]


def test_trust_policies_decide_who_may_assume(iam: Any, sts: Any, server: LocalServerHandle) -> None:
    lambda_role = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(Service="lambda.amazonaws.com"))
    arn = lambda_role["Role"]["Arn"]
    untrusted = refused(sts.assume_role, RoleArn=arn, RoleSessionName="s1")
    assert untrusted == {"Type": "Sender", "Code": "AccessDenied", "Status": 403,
                         "Message": f"User: {ROOT} is not authorized to perform: sts:AssumeRole on resource: {arn}"}
    missing = f"arn:aws:iam::{ACCOUNT}:role/no-such-role"
    assert refused(sts.assume_role, RoleArn=missing, RoleSessionName="s1")["Message"] == \
        f"User: {ROOT} is not authorized to perform: sts:AssumeRole on resource: {missing}"

    # A session of "first" assumes "named" (whose trust names first's ARN) on the trust alone,
    # and "delegated" (whose trust names the account) only once its own policy allows it.
    first = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]
    named = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(AWS=first["Arn"]))["Role"]
    delegated = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(AWS=ACCOUNT))["Role"]
    first_keys = sts.assume_role(RoleArn=first["Arn"], RoleSessionName="a1")["Credentials"]
    first_sts = session_client(server.endpoint_url, first_keys, "sts")
    assert first_sts.assume_role(RoleArn=named["Arn"], RoleSessionName="b1")["AssumedRoleUser"]["Arn"].endswith(
        f"assumed-role/{named['RoleName']}/b1")
    assert refused(first_sts.assume_role, RoleArn=delegated["Arn"], RoleSessionName="b1")["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{first['RoleName']}/a1 is not authorized to perform: "
        f"sts:AssumeRole on resource: {delegated['Arn']} because no identity-based policy allows the "
        "sts:AssumeRole action")
    iam.put_role_policy(RoleName=first["RoleName"], PolicyName="chain",
                        PolicyDocument=allow(["sts:AssumeRole"], delegated["Arn"]))
    first_sts.assume_role(RoleArn=delegated["Arn"], RoleSessionName="b1")
    # Role chaining: at most an hour.
    assert refused(first_sts.assume_role, RoleArn=named["Arn"], RoleSessionName="c1", DurationSeconds=3601)[
        "Message"] == "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    # Session tags need sts:TagSession in the trust policy.
    assert refused(sts.assume_role, RoleArn=first["Arn"], RoleSessionName="t1",
                 Tags=[{"Key": "k", "Value": "v"}])["Message"].endswith(f"sts:TagSession on resource: {first['Arn']}")


def test_a_session_policy_narrows_the_session(iam: Any, sts: Any, server: LocalServerHandle) -> None:
    role = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=allow(["iam:GetRole", "iam:ListRoles"]))
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1",
                                  Policy=allow(["iam:GetRole"]))["Credentials"]
    session_iam = session_client(server.endpoint_url, credentials, "iam")
    assert session_iam.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]
    assert refused(session_iam.list_roles)["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/s1 is not authorized to perform: "
        "iam:ListRoles on resource: * because no session policy allows the iam:ListRoles action")


def test_iam_authorizes_a_session_on_the_roles_real_arn(iam: Any, sts: Any, server: LocalServerHandle) -> None:
    reader = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]
    target = iam.create_role(RoleName=name(), Path="/team/", AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]
    other = iam.create_role(RoleName=name(), AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]
    iam.put_role_policy(RoleName=reader["RoleName"], PolicyName="p",
                        PolicyDocument=allow(["iam:GetRole"], f"arn:aws:iam::{ACCOUNT}:role/team/*"))
    session_iam = session_client(
        server.endpoint_url, sts.assume_role(RoleArn=reader["Arn"], RoleSessionName="s1")["Credentials"], "iam")
    assert session_iam.get_role(RoleName=target["RoleName"])["Role"]["Path"] == "/team/"
    denied = refused(session_iam.get_role, RoleName=other["RoleName"])
    assert (denied["Code"], denied["Status"]) == ("AccessDenied", 403)
    assert denied["Message"].endswith(f"iam:GetRole on resource: {other['Arn']} because no identity-based policy "
                                      "allows the iam:GetRole action")


def test_roles_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    handle = start_local_server(tmp_path / "server")
    try:
        arn = handle.client("iam").create_role(RoleName="kept", AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]["Arn"]
        credentials = handle.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    finally:
        handle.stop()
    handle = start_local_server(tmp_path / "server")
    try:
        assert handle.client("iam").get_role(RoleName="kept")["Role"]["Arn"] == arn
        identity = session_client(handle.endpoint_url, credentials, "sts").get_caller_identity()
        assert identity["Arn"].endswith("assumed-role/kept/s1")
    finally:
        handle.stop()
