"""ListObjectsV2 paging, ranges and conditions of the local S3, as pure functions."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from workflow.local.s3 import conditions, listing
from workflow.local.s3.errors import InvalidArgument, InvalidRange, NotModified, PreconditionFailed
from workflow.local.s3.records import StoredObject

KEYS = sorted([b"a", b"b/1", b"b/2", b"b/c/3", b"c", b"d/\xff", b"d/\xff\xff/x"])


def scan_of(keys: list[bytes], prefix: bytes):  # a listing.Scan
    def scan(start: bytes) -> Iterator[tuple[bytes, bytes]]:
        return ((k, k) for k in keys if k >= max(start, prefix) and k.startswith(prefix))
    return scan


def all_pages(prefix: bytes, delimiter: bytes | None, max_keys: int) -> list[listing.Page]:
    pages, start = [], b""
    while True:
        page = listing.list_page(scan_of(KEYS, prefix), prefix=prefix, delimiter=delimiter, start=start,
                                 max_keys=max_keys)
        pages.append(page)
        if not page.truncated:
            return pages
        start = listing.decode_token(page.next_token)


@pytest.mark.parametrize("max_keys", [1, 2, 3, 1000])
def test_pages_cover_every_key_and_prefix_once(max_keys: int) -> None:
    pages = all_pages(b"", b"/", max_keys)
    assert [k for p in pages for k, _ in p.entries] == [b"a", b"c"]
    assert [c for p in pages for c in p.prefixes] == [b"b/", b"d/"]
    assert all(p.count <= max_keys for p in pages)
    assert [k for p in all_pages(b"", None, max_keys) for k, _ in p.entries] == KEYS


def test_prefix_and_delimiter_inside_a_prefix() -> None:
    (page,) = all_pages(b"b/", b"/", 1000)
    assert [k for k, _ in page.entries] == [b"b/1", b"b/2"] and page.prefixes == [b"b/c/"]
    (page,) = all_pages(b"d/", b"/", 1000)
    assert [k for k, _ in page.entries] == [b"d/\xff"] and page.prefixes == [b"d/\xff\xff/"]


def test_past_prefix_and_a_bad_token() -> None:
    assert listing.past_prefix(b"b/") == b"b0"
    assert listing.past_prefix(b"a\xff") == b"b" and listing.past_prefix(b"\xff") is None
    with pytest.raises(InvalidArgument):
        listing.decode_token("not-a-token")


@pytest.mark.parametrize("header,size,expected", [
    ("bytes=0-4", 10, (0, 4)), ("bytes=5-", 10, (5, 9)), ("bytes=-3", 10, (7, 9)), ("bytes=-30", 10, (0, 9)),
    ("bytes=2-100", 10, (2, 9)), ("bytes=5-2", 10, None), ("items=0-1", 10, None), (None, 10, None),
    ("bytes=0-1,3-4", 10, None),
])
def test_byte_ranges(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert conditions.byte_range(header, size) == expected


@pytest.mark.parametrize("header,size", [("bytes=10-", 10), ("bytes=0-", 0), ("bytes=-0", 10)])
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(InvalidRange) as caught:
        conditions.byte_range(header, size)
    assert caught.value.fields["ActualObjectSize"] == str(size)


def test_read_conditions_follow_their_precedence() -> None:
    modified = datetime(2025, 1, 1, 12, 0, 0, 500000, tzinfo=timezone.utc)
    obj = StoredObject("b", "k", 1, '"abc"', modified, "blob")
    before, after = modified - timedelta(hours=1), modified + timedelta(hours=1)
    conditions.check_read(obj, {"IfMatch": '"abc"', "IfUnmodifiedSince": before})  # If-Match wins
    conditions.check_read(obj, {"IfModifiedSince": modified.replace(microsecond=0) - timedelta(seconds=1)})
    with pytest.raises(PreconditionFailed):
        conditions.check_read(obj, {"IfMatch": "other"})
    with pytest.raises(PreconditionFailed):
        conditions.check_read(obj, {"IfUnmodifiedSince": before})
    with pytest.raises(NotModified):
        conditions.check_read(obj, {"IfNoneMatch": "abc", "IfModifiedSince": before})
    with pytest.raises(NotModified):
        conditions.check_read(obj, {"IfModifiedSince": after})
    conditions.check_read(obj, {"IfNoneMatch": "other", "IfModifiedSince": after})  # If-None-Match wins
