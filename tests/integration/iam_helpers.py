"""What the IAM tests share: trust policies, clients signing as a role session, refusals."""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.conftest import REGION

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def trust(**principal: Any) -> str:
    """A trust policy letting ``principal`` (``AWS=...``, ``Service=...``) assume the role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def admin_client(endpoint_url: str, service: str) -> Any:
    """A boto3 client with credentials the server did not issue: the account's administrator."""
    return session_client(endpoint_url, {"AccessKeyId": "local", "SecretAccessKey": "local", "SessionToken": None},
                          service)


def session_client(endpoint_url: str, credentials: dict[str, Any], service: str, **config: Any) -> Any:
    """A boto3 client signing with AssumeRole's ``credentials``; no retries."""
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"], region_name=REGION,
    ).client(service, endpoint_url=endpoint_url,
             config=Config(retries={"mode": "standard", "max_attempts": 1}, **config))


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The error ``call`` answers, with its HTTP status."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return {**caught.value.response["Error"], "Status": caught.value.response["ResponseMetadata"]["HTTPStatusCode"]}
