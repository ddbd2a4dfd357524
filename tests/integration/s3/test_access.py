"""S3 calls of a role session: signatures checked (payloads streamed, not held), each call
authorized on the bucket or object it names, refusals in S3's XML shape."""
from __future__ import annotations

import json
import os
import urllib.request
import uuid
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from tests.integration.iam_helpers import ROOT, refused, session_client, trust

MiB = 1 << 20


def role_session(server: Any, bucket: str, *, may_list: bool) -> dict[str, Any]:
    """A session of a role that may write and read ``allowed/`` in the bucket (and list it)."""
    iam = server.client("iam")
    name = f"s3-writer-{uuid.uuid4().hex[:6]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(AWS=ROOT))["Role"]
    statements = [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
                   "Resource": f"arn:aws:s3:::{bucket}/allowed/*"}]
    if may_list:
        statements.append({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"})
    iam.put_role_policy(RoleName=name, PolicyName="allowed-prefix",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s3-test")["Credentials"]


@pytest.fixture
def credentials(local_server: Any, bucket: str) -> dict[str, Any]:
    return role_session(local_server, bucket, may_list=True)


def test_a_role_session_writes_where_its_policy_allows_and_nowhere_else(local_server, bucket, credentials) -> None:
    s3 = session_client(local_server.endpoint_url, credentials, "s3")
    s3.put_object(Bucket=bucket, Key="allowed/a.txt", Body=b"signed payload")
    assert s3.get_object(Bucket=bucket, Key="allowed/a.txt")["Body"].read() == b"signed payload"
    data = os.urandom(12 * MiB)
    path = local_server.data_dir.parent / f"upload-{uuid.uuid4().hex}.bin"
    path.write_bytes(data)
    try:
        s3.upload_file(str(path), bucket, "allowed/big.bin",
                       Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    finally:
        path.unlink()
    assert s3.get_object(Bucket=bucket, Key="allowed/big.bin")["Body"].read() == data
    denied = refused(s3.put_object, Bucket=bucket, Key="elsewhere/a.txt", Body=b"x")
    assert (denied["Code"], denied["Status"]) == ("AccessDenied", 403)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "allowed/a.txt"})
    with urllib.request.urlopen(url) as answer:  # presigned by the session, checked as the session
        assert answer.read() == b"signed payload"


def test_a_forged_signature_is_refused_in_s3s_shape(local_server, s3, bucket, credentials) -> None:
    forged = session_client(local_server.endpoint_url,
                            {**credentials, "SecretAccessKey": credentials["SecretAccessKey"][::-1]}, "s3")
    denied = refused(forged.put_object, Bucket=bucket, Key="allowed/forged.txt", Body=b"x")
    assert (denied["Code"], denied["Status"]) == ("SignatureDoesNotMatch", 403)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # nothing was stored


def test_a_missing_key_is_404_only_to_a_caller_who_may_list_the_bucket(local_server, bucket, credentials) -> None:
    lister = session_client(local_server.endpoint_url, credentials, "s3")
    missing = refused(lister.get_object, Bucket=bucket, Key="allowed/missing")
    assert (missing["Code"], missing["Status"]) == ("NoSuchKey", 404)
    blind = session_client(local_server.endpoint_url, role_session(local_server, bucket, may_list=False), "s3")
    hidden = refused(blind.get_object, Bucket=bucket, Key="allowed/missing")
    assert (hidden["Code"], hidden["Status"]) == ("AccessDenied", 403)
    assert refused(blind.head_object, Bucket=bucket, Key="allowed/missing")["Status"] == 403
