"""Small helpers of the S3 tests: clients, unique bucket names, raw requests."""
from __future__ import annotations

import http.client
import uuid
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
from botocore.config import Config


def s3_client(endpoint_url: str, region: str = "us-east-1", **config: Any) -> Any:
    settings: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 1}}
    settings.update(config)
    return boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                 region_name=region).client("s3", endpoint_url=endpoint_url,
                                                            config=Config(**settings))


def bucket_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def raw(endpoint_url: str, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None, chunked: bool = False) -> tuple[int, dict[str, str], bytes]:
    """One request over a fresh connection, exactly as given (no SDK in between)."""
    parts = urlsplit(endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def error_of(body: bytes) -> dict[str, str]:
    """S3's XML error as a dict: ``{"Code": ..., "Message": ..., ...}``."""
    root = ElementTree.fromstring(body)
    assert root.tag == "Error", body
    return {child.tag: child.text or "" for child in root}
