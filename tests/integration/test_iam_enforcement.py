"""A role session's calls are authorized as AWS authorizes them, end to end through boto3.

A role with a narrow policy is assumed; with its credentials Step Functions and SageMaker
answer what the policy allows and refuse the rest with AWS's AccessDeniedException and
message; forged, replayed and expired signatures are refused; ``--iam off`` lets all in.
"""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.integration.conftest import REGION, LocalServerHandle, start_local_server
from tests.integration.iam_helpers import ACCOUNT, ROOT, admin_client, refused, session_client, trust
from workflow.local import lifecycle

pytestmark = pytest.mark.integration

ROOT_DIR = Path(__file__).resolve().parents[2]
STATES = f"arn:aws:states:{REGION}:{ACCOUNT}"
SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
TRUST = trust(AWS=ROOT)


def narrow_policy(suffix: str, model_role: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "states:DescribeExecution", "Resource": f"{STATES}:execution:allowed-{suffix}:*"},
        {"Effect": "Deny", "Action": "states:DescribeExecution", "Resource": f"{STATES}:execution:allowed-{suffix}:secret"},
        {"Effect": "Allow", "Action": ["sagemaker:DescribeEndpoint", "sagemaker:CreateEndpoint", "sagemaker:CreateModel"],
         "Resource": [f"{SAGEMAKER}:endpoint/dogs-*", f"{SAGEMAKER}:model/dogs-*"]},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": model_role,
         "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
    ]})


class Scene:
    """A role with the narrow policy, two state machines with executions, and a session."""

    def __init__(self, server: LocalServerHandle) -> None:
        self.server = server
        self.suffix = uuid.uuid4().hex[:6]
        iam, sfn = server.client("iam"), server.client("stepfunctions")
        self.role_name = f"narrow-{self.suffix}"
        self.model_role = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-{self.suffix}"
        role = iam.create_role(RoleName=self.role_name, AssumeRolePolicyDocument=TRUST)["Role"]
        iam.put_role_policy(RoleName=self.role_name, PolicyName="narrow",
                            PolicyDocument=narrow_policy(self.suffix, self.model_role))
        self.executions = {}
        for machine in (f"allowed-{self.suffix}", f"other-{self.suffix}"):
            arn = sfn.create_state_machine(name=machine, definition=PASS,
                                           roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn")["stateMachineArn"]
            for run in ("run", "secret"):
                self.executions[(machine.split("-")[0], run)] = sfn.start_execution(
                    stateMachineArn=arn, name=run)["executionArn"]
        self.credentials = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="test")["Credentials"]
        self.user = f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.role_name}/test"

    def client(self, service: str, *, secret: str | None = None, token: str | None = None) -> Any:
        credentials = {**self.credentials, "SecretAccessKey": secret or self.credentials["SecretAccessKey"],
                       "SessionToken": token or self.credentials["SessionToken"]}
        return session_client(self.server.endpoint_url, credentials, service)


@pytest.fixture
def scene(module_local_server: LocalServerHandle) -> Scene:
    return Scene(module_local_server)


def test_allowed_calls_succeed_and_the_rest_are_denied_as_aws_denies_them(scene: Scene) -> None:
    sfn = scene.client("stepfunctions")
    allowed = scene.executions[("allowed", "run")]
    assert sfn.describe_execution(executionArn=allowed)["executionArn"] == allowed
    other = scene.executions[("other", "run")]
    denied = refused(sfn.describe_execution, executionArn=other)
    assert denied["Code"] == "AccessDeniedException"
    assert denied["Message"] == (f"User: {scene.user} is not authorized to perform: states:DescribeExecution on "
                                 f"resource: {other} because no identity-based policy allows the "
                                 "states:DescribeExecution action")
    secret = scene.executions[("allowed", "secret")]
    assert refused(sfn.describe_execution, executionArn=secret)["Message"] == (
        f"User: {scene.user} is not authorized to perform: states:DescribeExecution on resource: {secret} "
        "with an explicit deny in an identity-based policy")
    assert refused(sfn.list_state_machines)["Message"].endswith(
        "states:ListStateMachines on resource: * because no identity-based policy allows the "
        "states:ListStateMachines action")
    # The account's own credentials are the administrator's, as before.
    assert scene.server.client("stepfunctions").describe_execution(executionArn=other)["executionArn"] == other


def test_sagemaker_calls_are_authorized_on_every_resource_they_name(scene: Scene) -> None:
    sagemaker = scene.client("sagemaker")
    # Allowed: the call reaches SageMaker, which answers that there is no such endpoint.
    assert refused(sagemaker.describe_endpoint, EndpointName="dogs-missing")["Code"] == "ValidationException"
    assert refused(sagemaker.describe_endpoint, EndpointName="cats-missing")["Message"] == (
        f"User: {scene.user} is not authorized to perform: sagemaker:DescribeEndpoint on resource: "
        f"{SAGEMAKER}:endpoint/cats-missing because no identity-based policy allows the "
        "sagemaker:DescribeEndpoint action")
    # CreateEndpoint is authorized on the endpoint and on the endpoint config; the policy
    # grants the endpoint only.
    assert refused(sagemaker.create_endpoint, EndpointName="dogs-e", EndpointConfigName="dogs-c")["Message"] == (
        f"User: {scene.user} is not authorized to perform: sagemaker:CreateEndpoint on resource: "
        f"{SAGEMAKER}:endpoint-config/dogs-c because no identity-based policy allows the "
        "sagemaker:CreateEndpoint action")
    # CreateModel passes its execution role: iam:PassRole, to sagemaker.amazonaws.com only.
    model = sagemaker.create_model(ModelName=f"dogs-{scene.suffix}", PrimaryContainer={"Image": "local/x"},
                                   ExecutionRoleArn=scene.model_role)
    assert model["ModelArn"] == f"{SAGEMAKER}:model/dogs-{scene.suffix}"
    other_role = f"arn:aws:iam::{ACCOUNT}:role/admin"
    assert refused(sagemaker.create_model, ModelName=f"dogs-{scene.suffix}-2", PrimaryContainer={"Image": "x"},
                   ExecutionRoleArn=other_role)["Message"] == (
        f"User: {scene.user} is not authorized to perform: iam:PassRole on resource: {other_role} because no "
        "identity-based policy allows the iam:PassRole action")


def test_forged_signatures_and_tokens_are_refused_in_each_protocols_shape(scene: Scene) -> None:
    allowed = scene.executions[("allowed", "run")]
    forged = refused(scene.client("stepfunctions", secret="forged" * 6).describe_execution, executionArn=allowed)
    assert (forged["Code"], forged["Status"]) == ("InvalidSignatureException", 403)
    assert forged["Message"].startswith("The request signature we calculated does not match")
    assert refused(scene.client("sts", secret="forged" * 6).get_caller_identity)["Code"] == "SignatureDoesNotMatch"
    assert refused(scene.client("lambda", secret="forged" * 6).list_functions)["Code"] == "InvalidSignatureException"
    token = refused(scene.client("stepfunctions", token="not-the-token").describe_execution, executionArn=allowed)
    assert token == {"Code": "UnrecognizedClientException", "Status": 403,
                     "Message": "The security token included in the request is invalid."}
    assert refused(scene.client("sts", token="not-the-token").get_caller_identity)["Code"] == "InvalidClientTokenId"


def signed_at(scene: Scene, when: datetime, body: bytes) -> tuple[int, dict[str, Any]]:
    """A DescribeExecution signed correctly, but at ``when`` (a replayed request)."""
    request = AWSRequest("POST", f"{scene.server.endpoint_url}/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.DescribeExecution"})
    credentials = Credentials(scene.credentials["AccessKeyId"], scene.credentials["SecretAccessKey"],
                              scene.credentials["SessionToken"])
    signer = SigV4Auth(credentials, "states", REGION)
    request.context["timestamp"] = when.strftime(SIGV4_TIMESTAMP)
    signer._modify_request_before_signing(request)
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    signer._inject_signature_to_request(request, signature)
    connection = http.client.HTTPConnection("127.0.0.1", scene.server.port, timeout=30)
    try:
        connection.request("POST", "/", body, dict(request.headers.items()))
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_a_replayed_signature_is_refused(scene: Scene) -> None:
    body = json.dumps({"executionArn": scene.executions[("allowed", "run")]}).encode()
    assert signed_at(scene, datetime.now(timezone.utc), body)[0] == 200
    status, answer = signed_at(scene, datetime.now(timezone.utc) - timedelta(minutes=6), body)
    assert status == 403 and answer["__type"] == "InvalidSignatureException"
    assert answer["message"].startswith("Signature expired:")


def test_expired_credentials_are_refused(tmp_path: Path) -> None:
    # At time scale 600 an hour's session lasts six seconds.
    handle = start_local_server(tmp_path / "server", time_scale=600)
    try:
        arn = handle.client("iam").create_role(RoleName="short", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        credentials = handle.client("sts").assume_role(RoleArn=arn, RoleSessionName="s1",
                                                       DurationSeconds=3600)["Credentials"]
        sts = session_client(handle.endpoint_url, credentials, "sts")
        assert sts.get_caller_identity()["Arn"].endswith("assumed-role/short/s1")
        time.sleep(max(0.0, (credentials["Expiration"] - datetime.now(timezone.utc)).total_seconds()) + 0.2)
        assert refused(sts.get_caller_identity) == {"Type": "Sender", "Code": "ExpiredToken", "Status": 403,
                                                    "Message": "The security token included in the request is expired"}
        sfn = session_client(handle.endpoint_url, credentials, "stepfunctions")
        assert refused(sfn.list_state_machines)["Code"] == "ExpiredTokenException"
    finally:
        handle.stop()


def local(*args: str) -> str:
    done = subprocess.run([sys.executable, "deploy_workflow.py", "local", *args], cwd=ROOT_DIR,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_iam_off_authorizes_nothing_and_is_kept_across_restarts(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "server")
    assert "iam: off" in local("up", "--iam", "off", "--port", "0", "--data-dir", data_dir)
    state = lifecycle.read_state(data_dir)
    assert state is not None and state.iam == "off"
    try:
        iam = admin_client(state.endpoint_url, "iam")
        arn = iam.create_role(RoleName="none", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        credentials = admin_client(state.endpoint_url, "sts").assume_role(RoleArn=arn, RoleSessionName="s1")
        sfn = session_client(state.endpoint_url, credentials["Credentials"], "stepfunctions")
        assert sfn.list_state_machines()["stateMachines"] == []  # the role has no policy at all
        sts = session_client(state.endpoint_url, credentials["Credentials"], "sts")
        assert sts.get_caller_identity()["Arn"].endswith("assumed-role/none/s1")
    finally:
        local("down", "--data-dir", data_dir)
    # Without --iam, the data directory's last setting.
    assert "iam: off" in local("up", "--port", "0", "--data-dir", data_dir)
    local("down", "--data-dir", data_dir)
