"""One small storage interface over ``s3://`` and ``file://`` URIs.

The same handler code then stages data and reads manifests on AWS (S3) and on
the local server (a directory). boto3 clients honour ``AWS_ENDPOINT_URL``, so
nothing here knows which one it talks to.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

_s3 = None


def _s3_client():  # boto3 clients have no public type
    global _s3
    if _s3 is None:
        import boto3

        _s3 = boto3.client("s3")
    return _s3


def _split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def _local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise ValueError(f"file URI must be absolute (file:///...): {uri}")
    return Path(unquote(parsed.path))


def scheme(uri: str) -> str:
    value = urlparse(uri).scheme
    if value not in ("s3", "file"):
        raise ValueError(f"unsupported storage URI {uri!r}: use s3:// or file://")
    return value


def join(prefix: str, *parts: str) -> str:
    """``join("s3://b/data", "x", "y.json")`` -> ``s3://b/data/x/y.json``."""
    out = prefix.rstrip("/")
    for part in parts:
        out += "/" + part.strip("/")
    return out


def exists(uri: str) -> bool:
    if scheme(uri) == "file":
        return _local_path(uri).exists()
    # Listed, not HEAD: S3 answers HeadObject on a missing key with 403, not 404, unless the
    # caller may s3:ListBucket the bucket (HeadObject, S3 API Reference), and the functions'
    # ListBucket is limited by an s3:prefix condition that only a listing request carries.
    # Keys are listed in byte order, so the key itself comes first if it exists.
    bucket, key = _split_s3(uri)
    listing = _s3_client().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(item["Key"] == key for item in listing.get("Contents", []))


def read_bytes(uri: str) -> bytes:
    if scheme(uri) == "file":
        return _local_path(uri).read_bytes()
    bucket, key = _split_s3(uri)
    return _s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()


def write_bytes(uri: str, data: bytes, content_type: str = "application/octet-stream") -> None:
    if scheme(uri) == "file":
        path = _local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
        return
    bucket, key = _split_s3(uri)
    _s3_client().put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)


def download(uri: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if scheme(uri) == "file":
        shutil.copyfile(_local_path(uri), dest)
        return
    bucket, key = _split_s3(uri)
    _s3_client().download_file(bucket, key, str(dest))


def upload(src: Path, uri: str) -> None:
    if scheme(uri) == "file":
        path = _local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, path)
        return
    bucket, key = _split_s3(uri)
    _s3_client().upload_file(str(src), bucket, key)


def list_uris(prefix: str) -> Iterator[str]:
    """Every object under ``prefix`` (recursively), sorted by key."""
    if scheme(prefix) == "file":
        root = _local_path(prefix)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                yield path.as_uri()
        return
    bucket, key = _split_s3(prefix)
    key = key.rstrip("/") + "/" if key else ""
    paginator = _s3_client().get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for obj in page.get("Contents", []):
            yield f"s3://{bucket}/{obj['Key']}"
