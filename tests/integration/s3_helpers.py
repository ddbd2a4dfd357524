"""Small helpers of the S3 tests: clients, unique bucket names, raw requests."""
from __future__ import annotations

import http.client
import uuid
from pathlib import Path
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


class Staging:
    """Test inputs in a bucket of the local server, named by s3:// URIs, as a job on AWS
    names them; outputs read back the same way."""

    def __init__(self, endpoint_url: str, tmp: Path) -> None:
        self.s3 = s3_client(endpoint_url)
        self.tmp = tmp
        self.bucket = bucket_name("jobs")
        self.s3.create_bucket(Bucket=self.bucket)

    def prefix(self, name: str) -> str:
        """A fresh, empty prefix (an output path)."""
        return f"s3://{self.bucket}/{uuid.uuid4().hex[:8]}/{name}"

    def upload(self, path: Path) -> str:
        """A file becomes one object, a folder a prefix of objects; the URI of either."""
        base = self.prefix(path.name)
        _, _, root = base.removeprefix("s3://").partition("/")
        if path.is_file():
            self.s3.upload_file(str(path), self.bucket, root)
            return base
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            self.s3.upload_file(str(item), self.bucket, f"{root}/{item.relative_to(path).as_posix()}")
        return base + "/"

    def sample_data(self) -> str:
        data = self.tmp / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "sample.txt").write_text("x")
        return self.upload(data)

    def keys(self, uri: str) -> list[str]:
        """Keys under a prefix, relative to it."""
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/"
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"][len(prefix):] for page in pages for o in page.get("Contents", []))

    def read(self, uri: str) -> bytes:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def download(self, uri: str) -> Path:
        target = self.tmp / "downloads" / uuid.uuid4().hex / uri.rsplit("/", 1)[-1]
        target.parent.mkdir(parents=True)
        target.write_bytes(self.read(uri))
        return target
