"""An object body read once from start to end, whoever sends it.

S3's backend takes its uploads as a ``Payload``: the protocol layer makes one from a
request (after undoing ``aws-chunked``), and other local services make one from a file.
Checksums a client sends after the body (HTTP trailers) are known only once it is read.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO


class Payload(io.RawIOBase):
    def __init__(
        self, raw: BinaryIO, *, length: int | None, content_sha256: str | None = None,
        trailing: Callable[[], dict[str, str]] | None = None, trailer_members: tuple[str, ...] = (),
    ) -> None:
        self._raw = raw
        #: The length the sender announced (None when it did not).
        self.length = length
        #: The SHA-256 (hex) the sender signed, to check against what arrives.
        self.content_sha256 = content_sha256
        self._trailing = trailing
        #: The checksum members the sender said it sends after the body.
        self.trailer_members = trailer_members

    @classmethod
    def of_bytes(cls, data: bytes) -> Payload:
        return cls(io.BytesIO(data), length=len(data))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._raw.readinto(buffer)  # type: ignore[attr-defined]

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def trailing_checksums(self) -> dict[str, str]:
        """Checksums sent after the body, keyed by request member (``ChecksumCRC32``)."""
        return self._trailing() if self._trailing is not None else {}
