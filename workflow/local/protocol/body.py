"""A request body read from the connection as it arrives: Content-Length or chunked.

The server hands this to the protocol layer unread, so S3 can stream an upload to disk
while the other services read their (small) bodies whole.
"""
from __future__ import annotations

import io
from typing import BinaryIO

#: Bytes of an unread body the server reads and drops to keep a connection; past that it
#: closes the connection instead (an error answered before a large upload was read).
DRAIN_LIMIT = 1 << 20


class IncompleteBody(Exception):
    """The client sent fewer bytes than it announced, or broke the chunked framing."""


class BodyReader(io.RawIOBase):
    def __init__(self, rfile: BinaryIO, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._chunked = chunked
        self._left = 0 if chunked else (length or 0)
        self._done = not chunked and not length
        #: Bytes of the HTTP body read so far (after chunked decoding).
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        line = self._rfile.readline(1024)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise IncompleteBody(f"bad chunk size line {line[:40]!r}") from None
        if size == 0:
            while self._rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                pass  # HTTP trailers: none of the services reads them
            self._done = True
        self._left = size

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._done:
            return 0
        if self._left == 0:
            if not self._chunked:
                self._done = True
                return 0
            self._next_chunk()
            if self._done:
                return 0
        want = min(len(buffer), self._left)
        got = self._rfile.readinto(memoryview(buffer)[:want])  # type: ignore[attr-defined]
        if not got:
            raise IncompleteBody("the connection closed before the whole body arrived")
        self._left -= got
        self.consumed += got
        if self._chunked and self._left == 0:
            self._rfile.readline(16)  # the CRLF after a chunk's data
        return got

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        buffer = bytearray(size)
        got = self.readinto(memoryview(buffer))
        return bytes(buffer[:got])

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(1 << 20):
            parts.append(chunk)
        return b"".join(parts)

    @property
    def finished(self) -> bool:
        return self._done

    def drain(self, limit: int = DRAIN_LIMIT) -> bool:
        """Read and drop what is left; False when more than ``limit`` bytes remain."""
        dropped = 0
        try:
            while not self._done:
                chunk = self.read(min(1 << 16, limit - dropped + 1))
                if not chunk:
                    break
                dropped += len(chunk)
                if dropped > limit:
                    return False
        except (IncompleteBody, OSError):
            return False
        return True
