"""Helpers the hosting operations share: ARNs, name checks, list filtering and paging."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.protocol.models import service_model


def now() -> datetime:
    return datetime.now(timezone.utc)


@lru_cache(maxsize=None)
def _pattern(shape: str) -> str | None:
    return service_model("sagemaker").shape_for(shape).metadata.get("pattern")


def check_name(value: str, shape: str, field: str) -> None:
    """Enforce the name pattern of the botocore shape (botocore's validator skips patterns)."""
    pattern = _pattern(shape)
    if pattern and not re.fullmatch(pattern, value):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {pattern}"
        )


def page(
    docs: list[dict[str, Any]], params: dict[str, Any], *, name_key: str,
    status_key: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The List* filters every hosting resource has: name, time, status, sort, pagination."""
    contains = params.get("NameContains")
    if contains:
        docs = [d for d in docs if contains.lower() in d[name_key].lower()]
    for key, keep in (
        ("CreationTimeBefore", lambda d, t: d["CreationTime"] < t),
        ("CreationTimeAfter", lambda d, t: d["CreationTime"] > t),
        ("LastModifiedTimeBefore", lambda d, t: d.get("LastModifiedTime", d["CreationTime"]) < t),
        ("LastModifiedTimeAfter", lambda d, t: d.get("LastModifiedTime", d["CreationTime"]) > t),
    ):
        if params.get(key) is not None:
            docs = [d for d in docs if keep(d, params[key])]
    if status_key and params.get("StatusEquals"):
        docs = [d for d in docs if d[status_key] == params["StatusEquals"]]
    sort_key = name_key if params.get("SortBy") == "Name" else "CreationTime"
    descending = params.get("SortOrder", "Descending") == "Descending"
    docs = sorted(docs, key=lambda d: d[sort_key], reverse=descending)
    try:
        start = int(params.get("NextToken") or 0)
    except ValueError:
        raise ValidationException("NextToken is not valid") from None
    size = params.get("MaxResults") or 100
    chunk = docs[start:start + size]
    token = str(start + size) if start + size < len(docs) else None
    return chunk, token


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without its private (underscore) fields."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
