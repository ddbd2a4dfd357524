"""Range and conditional requests on an object, as S3 answers them.

Ranges: https://www.rfc-editor.org/rfc/rfc9110#name-range (one range; S3 ignores a
malformed header and answers 416 InvalidRange for one that starts past the end).
Conditions: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
(If-Match wins over If-Unmodified-Since; If-None-Match over If-Modified-Since).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from workflow.local.s3.errors import InvalidRange, NoSuchKey, NotModified, PreconditionFailed
from workflow.local.s3.records import StoredObject

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte a Range header asks for; None for the whole object."""
    found = _RANGE.match((header or "").strip())
    if found is None or found[1] == found[2] == "":
        return None
    if found[1] == "":
        suffix = int(found[2])
        if suffix == 0 or size == 0:
            raise _unsatisfiable(header, size)
        return max(0, size - suffix), size - 1
    first = int(found[1])
    last = int(found[2]) if found[2] else None
    if last is not None and last < first:
        return None
    if first >= size:
        raise _unsatisfiable(header, size)
    last = size - 1 if last is None else last
    return first, min(last, size - 1)


def _unsatisfiable(header: str | None, size: int) -> InvalidRange:
    return InvalidRange("The requested range is not satisfiable",
                        fields={"RangeRequested": header, "ActualObjectSize": str(size)})


def _etag_matches(condition: str, etag: str) -> bool:
    wanted = [tag.strip() for tag in condition.split(",")]
    return "*" in wanted or any(tag.strip('"') == etag.strip('"') for tag in wanted)


def _seconds(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def check_read(obj: StoredObject, params: dict[str, Any]) -> None:
    """GET and HEAD: 412 PreconditionFailed or 304 NotModified when a condition says so."""
    modified = _seconds(obj.last_modified)
    if_match = params.get("IfMatch")
    if if_match is not None:
        if not _etag_matches(if_match, obj.etag):
            raise PreconditionFailed("At least one of the pre-conditions you specified did not hold",
                                     fields={"Condition": "If-Match"})
    elif params.get("IfUnmodifiedSince") is not None and modified > params["IfUnmodifiedSince"]:
        raise PreconditionFailed("At least one of the pre-conditions you specified did not hold",
                                 fields={"Condition": "If-Unmodified-Since"})
    if_none_match = params.get("IfNoneMatch")
    if if_none_match is not None:
        if _etag_matches(if_none_match, obj.etag):
            raise NotModified("Not Modified")
    elif params.get("IfModifiedSince") is not None and modified <= params["IfModifiedSince"]:
        raise NotModified("Not Modified")


def check_write(existing: StoredObject | None, params: dict[str, Any], key: str) -> None:
    """Conditional writes (PutObject, CompleteMultipartUpload): ``If-None-Match: *`` refuses
    to replace an object; ``If-Match`` replaces only the object with that ETag."""
    if params.get("IfNoneMatch") is not None and existing is not None:
        raise PreconditionFailed("At least one of the pre-conditions you specified did not hold",
                                 fields={"Condition": "If-None-Match"})
    if params.get("IfMatch") is not None:
        if existing is None:
            raise NoSuchKey("The specified key does not exist.", fields={"Key": key})
        if not _etag_matches(params["IfMatch"], existing.etag):
            raise PreconditionFailed("At least one of the pre-conditions you specified did not hold",
                                     fields={"Condition": "If-Match"})
