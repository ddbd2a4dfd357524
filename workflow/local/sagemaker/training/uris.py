"""Turning the URIs a job names (file://, plain paths, s3://) into local paths."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from workflow.local.errors import ValidationException


def local_path(uri: str, field: str) -> Path:
    """The local path a ``file://`` URI or absolute path names; anything else is refused.

    ``field`` names the request member in the error, so the user knows which one to fix.
    """
    if uri.startswith("s3://"):
        raise ValidationException(
            f"{field}: {uri} is an S3 URI, and the local server has no S3. Use a file:// URI "
            "(or an absolute path) for local runs, or run the job against AWS "
            "(deploy_workflow.py deploy, then start) to read from S3."
        )
    if uri.startswith("file://"):
        parsed = urlparse(uri)
        if parsed.netloc not in ("", "localhost"):
            raise ValidationException(f"{field}: {uri} names a remote host; use file:///path")
        path = unquote(parsed.path)
    elif "://" in uri:
        scheme = uri.split("://", 1)[0]
        raise ValidationException(
            f"{field}: the {scheme}:// scheme is not supported locally; use file:// or a path"
        )
    else:
        path = uri
    if not os.path.isabs(path):
        raise ValidationException(f"{field}: {uri} is not an absolute path or file:// URI")
    return Path(path)


def join_uri(base: str, *parts: str) -> str:
    """``base`` (a URI or path) with ``parts`` appended, keeping its scheme."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
