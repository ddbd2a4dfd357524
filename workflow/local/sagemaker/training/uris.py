"""The S3 URIs a training job names: channels, output, checkpoints, source code."""
from __future__ import annotations

import re

from workflow.local.errors import ValidationException

#: SageMaker's pattern for S3Uri and S3OutputPath (botocore's sagemaker model).
S3_URI = re.compile(r"^(https|s3)://([^/]+)/?(.*)$")


def s3_uri(uri: str, field: str) -> str:
    """``uri`` when it is an ``s3://bucket/key`` URI, as SageMaker reads them; else
    ValidationException naming ``field``."""
    if not S3_URI.match(uri):
        raise ValidationException(
            f"1 validation error detected: Value '{uri}' at '{field}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {S3_URI.pattern}")
    if uri.startswith("https://"):
        raise ValidationException(f"{field}: {uri}: the local server reads its S3 through s3:// URIs; "
                                  "name the object as s3://bucket/key")
    return uri


def join_uri(base: str, *parts: str) -> str:
    """``base`` with ``parts`` appended, one slash between each."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
