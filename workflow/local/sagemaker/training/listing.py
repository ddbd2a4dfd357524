"""Filtering, sorting and paging of List* operations, shared by training and tuning jobs."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from workflow.local.errors import ValidationException

DEFAULT_PAGE = 10


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _sort_key(sort_by: str, name_key: str, status_key: str):
    if sort_by == "Name":
        return lambda d: d[name_key]
    if sort_by == "Status":
        return lambda d: d[status_key]
    return lambda d: d["CreationTime"]


def page(docs: list[dict[str, Any]], params: dict[str, Any], *, status_key: str,
         name_key: str, sort_key: Any = None) -> tuple[list[dict[str, Any]], str | None]:
    """Apply NameContains, StatusEquals, time filters, SortBy/SortOrder, MaxResults/NextToken."""
    if "NameContains" in params:
        docs = [d for d in docs if params["NameContains"].lower() in d[name_key].lower()]
    if "StatusEquals" in params:
        docs = [d for d in docs if d[status_key] == params["StatusEquals"]]
    for field, key, after in (("CreationTimeAfter", "CreationTime", True),
                              ("CreationTimeBefore", "CreationTime", False),
                              ("LastModifiedTimeAfter", "LastModifiedTime", True),
                              ("LastModifiedTimeBefore", "LastModifiedTime", False)):
        if field in params:
            bound = _aware(params[field])
            docs = [d for d in docs
                    if (_aware(d[key]) > bound if after else _aware(d[key]) < bound)]
    key = sort_key or _sort_key(params.get("SortBy", "CreationTime"), name_key, status_key)
    docs = sorted(docs, key=key, reverse=params.get("SortOrder", "Descending") == "Descending")
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError as err:
        raise ValidationException(f"NextToken: {token!r} is not a token this service issued") from err
    size = params.get("MaxResults", DEFAULT_PAGE)
    items = docs[start:start + size]
    return items, (str(start + size) if start + size < len(docs) else None)
