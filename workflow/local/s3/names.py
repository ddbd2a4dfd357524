"""Bucket names and object keys as S3 accepts them.

Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
Keys: any UTF-8 up to 1,024 bytes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
"""
from __future__ import annotations

import re

from workflow.local.s3.errors import InvalidBucketName, KeyTooLongError

MAX_KEY_BYTES = 1024
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    if (not _BUCKET.match(name) or ".." in name or _IP.match(name)
            or name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES)):
        raise InvalidBucketName("The specified bucket is not valid.", fields={"BucketName": name})


def check_key(key: str) -> bytes:
    """The key's UTF-8 bytes (how it is stored and ordered), or KeyTooLongError."""
    raw = key.encode("utf-8", errors="surrogatepass")
    if len(raw) > MAX_KEY_BYTES:
        raise KeyTooLongError("Your key is too long", fields={
            "Size": str(len(raw)), "MaxSizeAllowed": str(MAX_KEY_BYTES)})
    return raw
