"""What every SageMaker List* operation shares: filters, sorting, paging, public fields."""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.record_table import R

#: MaxResults when the request has none (ListTrainingJobs, ListHyperParameterTuningJobs).
DEFAULT_PAGE = 10


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _modified(doc: Mapping[str, Any]) -> datetime:
    modified: datetime = doc["LastModifiedTime"] if "LastModifiedTime" in doc else doc["CreationTime"]
    return modified


def _sort_key(sort_by: str, name_key: str, status_key: str | None) -> Callable[[Mapping[str, Any]], Any]:
    if sort_by == "Name":
        return lambda d: d[name_key]
    if sort_by == "Status" and status_key:
        return lambda d: d[status_key]
    return lambda d: d["CreationTime"]


def page(docs: list[R], params: dict[str, Any], *, name_key: str, status_key: str | None = None,
         sort_key: Callable[[R], Any] | None = None,
         default_size: int = DEFAULT_PAGE) -> tuple[list[R], str | None]:
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


def with_token(out: dict[str, Any], token: str | None) -> dict[str, Any]:
    """A List* answer with its NextToken when there is a next page."""
    if token:
        out["NextToken"] = token
    return out


def list_entry(doc: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A List* entry: the record's ``keys`` that it has, in that order."""
    return {k: doc[k] for k in keys if k in doc}


def list_answer(field: str, docs: list[R], params: dict[str, Any], keys: tuple[str, ...], *,
                name_key: str, status_key: str | None = None,
                default_size: int = DEFAULT_PAGE) -> dict[str, Any]:
    """A List* answer: the page of ``docs`` the request asks for under ``field``, each entry
    the record's ``keys``, and the NextToken of the next page."""
    items, token = page(docs, params, name_key=name_key, status_key=status_key, default_size=default_size)
    return with_token({field: [list_entry(d, keys) for d in items]}, token)


def public(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored record as Describe* returns it: a copy without its private (underscore) fields."""
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}
