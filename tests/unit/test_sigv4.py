"""SigV4 verification against requests botocore itself signs (the same signer boto3 uses)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from workflow.local.access.sigv4 import presigned_expired, signature_matches, signed, skew
from workflow.local.protocol.http import Headers, Request

pytestmark = pytest.mark.unit

KEY = Credentials("ASIAEXAMPLEEXAMPLE12", "the-secret", "the-token")


def arrive(aws: AWSRequest) -> Request:
    """The request as the server receives it."""
    prepared = aws.prepare()
    url = urlsplit(prepared.url)
    headers = Headers(dict(prepared.headers.items()))
    headers["Host"] = url.netloc
    body = prepared.body or b""
    return Request(prepared.method, url.path + (f"?{url.query}" if url.query else ""), headers,
                   body.encode() if isinstance(body, str) else body)


def sfn_request(body: bytes = b'{"executionArn":"arn"}', url: str = "http://127.0.0.1:4580/") -> Request:
    aws = AWSRequest("POST", url, headers={"Content-Type": "application/x-amz-json-1.0",
                                           "X-Amz-Target": "AWSStepFunctions.DescribeExecution"}, data=body)
    SigV4Auth(KEY, "states", "us-east-1").add_auth(aws)
    return arrive(aws)


def test_a_request_botocore_signed_verifies_and_a_tampered_one_does_not() -> None:
    request = sfn_request()
    claimed = signed(request)
    assert claimed is not None
    assert (claimed.access_key, claimed.region, claimed.service, claimed.token) == (
        "ASIAEXAMPLEEXAMPLE12", "us-east-1", "states", "the-token")
    assert "x-amz-target" in claimed.signed_headers and claimed.expires is None
    assert signature_matches(request, claimed, "the-secret")
    assert not signature_matches(request, claimed, "another-secret")
    request.body = b'{"executionArn":"other"}'
    assert not signature_matches(request, claimed, "the-secret")
    request = sfn_request()
    request.headers["X-Amz-Target"] = "AWSStepFunctions.StopExecution"
    assert not signature_matches(request, claimed, "the-secret")


def test_paths_and_query_strings_are_canonicalised_as_the_client_did() -> None:
    aws = AWSRequest("GET", "http://127.0.0.1:4580/2015-03-31/functions/my%20fn/invocations?Qualifier=live&b=%2F")
    SigV4Auth(KEY, "lambda", "us-east-1").add_auth(aws)
    request = arrive(aws)
    assert signature_matches(request, signed(request), "the-secret")  # type: ignore[arg-type]
    request.target = request.target.replace("live", "dead")
    assert not signature_matches(request, signed(request), "the-secret")  # type: ignore[arg-type]


def test_s3_signs_its_path_as_is_and_presigned_urls_verify() -> None:
    aws = AWSRequest("PUT", "http://bucket.localhost:4580/a%20key/with%2Fslash", data=b"object")
    S3SigV4Auth(KEY, "s3", "us-east-1").add_auth(aws)
    request = arrive(aws)
    assert signature_matches(request, signed(request), "the-secret")  # type: ignore[arg-type]

    aws = AWSRequest("GET", "http://127.0.0.1:4580/bucket/key?versionId=3")
    S3SigV4QueryAuth(KEY, "s3", "us-east-1", expires=60).add_auth(aws)
    request = arrive(aws)
    claimed = signed(request)
    assert claimed is not None and claimed.expires == 60 and claimed.token == "the-token"
    assert signature_matches(request, claimed, "the-secret")
    request.target = request.target.replace("versionId=3", "versionId=4")
    assert not signature_matches(request, claimed, "the-secret")


def test_unsigned_and_other_schemes_carry_no_signature() -> None:
    assert signed(Request("GET", "/health", Headers({}), b"")) is None
    assert signed(Request("GET", "/", Headers({"Authorization": "AWS AKID:sig"}), b"")) is None
    assert signed(Request("GET", "/", Headers({"Authorization": "AWS4-HMAC-SHA256 Credential=k/short"}), b"")) is None


def test_clock_skew_and_presigned_expiry() -> None:
    claimed = signed(sfn_request())
    assert claimed is not None
    when = claimed.signed_at()
    assert when is not None
    window = timedelta(minutes=5)
    assert skew(claimed, when + timedelta(minutes=4), window) is None
    late = skew(claimed, when + timedelta(minutes=6), window)
    assert late is not None and late.startswith(f"Signature expired: {claimed.timestamp} is now earlier than")
    early = skew(claimed, when - timedelta(minutes=6), window)
    assert early is not None and early.startswith("Signature not yet current")

    aws = AWSRequest("GET", "http://127.0.0.1:4580/bucket/key")
    S3SigV4QueryAuth(KEY, "s3", "us-east-1", expires=60).add_auth(aws)
    presigned = signed(arrive(aws))
    assert presigned is not None
    start = presigned.signed_at()
    assert start is not None
    assert not presigned_expired(presigned, start + timedelta(seconds=59))
    assert presigned_expired(presigned, start + timedelta(seconds=61))
    assert skew(presigned, start + timedelta(hours=1), window) is None  # its expiry governs, not the skew
    assert not presigned_expired(claimed, datetime.now(timezone.utc) + timedelta(days=1))
