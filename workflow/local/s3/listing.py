"""One page of ListObjectsV2: keys in UTF-8 byte order, grouped by a delimiter.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html: MaxKeys counts
keys and common prefixes together (at most 1,000); a continuation token (opaque) resumes
after the last key or prefix of the page; StartAfter applies on the first page only.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from workflow.local.s3.errors import InvalidArgument

MAX_KEYS = 1000
T = TypeVar("T")
#: ``scan(start)``: entries whose key is >= start and begins with the listing's prefix.
Scan = Callable[[bytes], Iterator[tuple[bytes, T]]]


@dataclass
class Page(Generic[T]):
    entries: list[tuple[bytes, T]] = field(default_factory=list)
    prefixes: list[bytes] = field(default_factory=list)
    truncated: bool = False
    next_token: str | None = None

    @property
    def count(self) -> int:
        return len(self.entries) + len(self.prefixes)


def successor(key: bytes) -> bytes:
    """The smallest byte string after ``key``."""
    return key + b"\x00"


def past_prefix(prefix: bytes) -> bytes | None:
    """The smallest byte string after every string that begins with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


def encode_token(start: bytes) -> str:
    return base64.urlsafe_b64encode(b"v1:" + start).decode("ascii")


def decode_token(token: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    if not raw.startswith(b"v1:"):
        raise InvalidArgument("The continuation token provided is incorrect",
                              fields={"ArgumentName": "continuation-token"})
    return raw[3:]


def list_page(scan: Scan[T], *, prefix: bytes, delimiter: bytes | None, start: bytes,
              max_keys: int) -> Page[T]:
    page: Page[T] = Page()
    limit = min(max(max_keys, 0), MAX_KEYS)
    cursor: bytes | None = start
    while cursor is not None:
        restart: bytes | None = None
        for key, entry in scan(cursor):
            common = None
            if delimiter:
                found = key.find(delimiter, len(prefix))
                if found >= 0:
                    common = key[: found + len(delimiter)]
            if page.count >= limit:
                page.truncated = True
                page.next_token = encode_token(key if common is None else common)
                return page
            if common is None:
                page.entries.append((key, entry))
                continue
            page.prefixes.append(common)
            # Every key under this common prefix is one entry: skip them in the store.
            restart = past_prefix(common)
            break
        cursor = restart
    return page

