"""Helpers the hosting operations share: timestamps and name checks."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

from workflow.local.errors import ValidationException
from workflow.local.protocol.models import service_model

#: MaxResults of the hosting List* operations when the request has none.
HOSTING_PAGE = 100


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
