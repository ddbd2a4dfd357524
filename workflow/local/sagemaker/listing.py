"""What every SageMaker List* operation shares: filters, sorting, paging, public fields."""
from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from workflow.local.errors import ValidationException

#: MaxResults when the request has none (ListTrainingJobs, ListHyperParameterTuningJobs).
DEFAULT_PAGE = 10

Record = dict[str, Any]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _modified(doc: Record) -> datetime:
    modified: datetime = doc["LastModifiedTime"] if "LastModifiedTime" in doc else doc["CreationTime"]
    return modified


def _sort_key(sort_by: str, name_key: str, status_key: str | None) -> Callable[[Record], Any]:
    if sort_by == "Name":
        return lambda d: d[name_key]
    if sort_by == "Status" and status_key:
        return lambda d: d[status_key]
    return lambda d: d["CreationTime"]


def page(docs: list[Record], params: Record, *, name_key: str, status_key: str | None = None,
         sort_key: Callable[[Record], Any] | None = None,
         default_size: int = DEFAULT_PAGE) -> tuple[list[Record], str | None]:
    """Apply NameContains, StatusEquals, the time filters, SortBy/SortOrder and
    MaxResults/NextToken; the page and the token of the next one (None on the last)."""
    if params.get("NameContains"):
        docs = [d for d in docs if params["NameContains"].lower() in d[name_key].lower()]
    if status_key and params.get("StatusEquals"):
        docs = [d for d in docs if d[status_key] == params["StatusEquals"]]
    for field, read, after in (("CreationTimeAfter", lambda d: d["CreationTime"], True),
                               ("CreationTimeBefore", lambda d: d["CreationTime"], False),
                               ("LastModifiedTimeAfter", _modified, True),
                               ("LastModifiedTimeBefore", _modified, False)):
        if params.get(field) is not None:
            bound = _aware(params[field])
            docs = [d for d in docs
                    if (_aware(read(d)) > bound if after else _aware(read(d)) < bound)]
    key = sort_key or _sort_key(params.get("SortBy", "CreationTime"), name_key, status_key)
    docs = sorted(docs, key=key, reverse=params.get("SortOrder", "Descending") == "Descending")
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError as err:
        raise ValidationException(f"NextToken: {token!r} is not a token this service issued") from err
    size = params.get("MaxResults") or default_size
    items = docs[start:start + size]
    return items, (str(start + size) if start + size < len(docs) else None)


def with_token(out: Record, token: str | None) -> Record:
    """A List* answer with its NextToken when there is a next page."""
    if token:
        out["NextToken"] = token
    return out


def public(doc: Record) -> Record:
    """A stored record as Describe* returns it: a copy without its private (underscore) fields."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}
