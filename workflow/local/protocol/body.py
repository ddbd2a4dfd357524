"""A request body read from the connection as it arrives: Content-Length or chunked.

The server hands this to the protocol layer unread, so S3 can stream an upload to disk
while the other services read their (small) bodies whole. ``ChunkedReader`` undoes the
chunked framing HTTP/1.1 and S3's ``aws-chunked`` share.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO, cast

#: Bytes of an unread body the server reads and drops to keep a connection; past that it
#: closes the connection instead (an error answered before a large upload was read).
DRAIN_LIMIT = 1 << 20
MAX_LINE = 8192


class IncompleteBody(Exception):
    """The client sent fewer bytes than it announced, or broke the chunked framing."""


class ChunkedReader(io.RawIOBase):
    """``<hex size>[;extension]\\r\\n<data>\\r\\n`` ..., a zero-size chunk, trailer lines
    (``name:value``), an empty line. ``error(message)`` makes the exception to raise."""

    def __init__(self, raw: BinaryIO, error: Callable[[str], Exception] = IncompleteBody) -> None:
        self._raw = raw
        self._error = error
        self._left = 0
        self._done = False
        #: Trailer headers (lower-case names), complete once the body is read.
        self.trailers: dict[str, str] = {}

    def readable(self) -> bool:
        return True

    def _line(self) -> bytes:
        line = self._raw.readline(MAX_LINE + 1)
        if not line.endswith(b"\n"):
            raise self._error("The body ended inside a chunk's framing, or a framing line is too long.")
        return line.rstrip(b"\r\n")

    def _next_chunk(self) -> None:
        header = self._line()
        try:
            size = int(header.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise self._error(f"Bad chunk size {header[:40]!r}.") from None
        if size < 0:
            raise self._error("Bad chunk size.")
        if size == 0:
            while line := self._line():
                name, sep, value = line.decode("latin-1").partition(":")
                if not sep:
                    raise self._error(f"Bad trailer line {line[:40]!r}.")
                self.trailers[name.strip().lower()] = value.strip()
            self._done = True
        self._left = size

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._done:
            return 0
        if self._left == 0:
            self._next_chunk()
            if self._done:
                return 0
        view = memoryview(buffer)[: min(len(buffer), self._left)]
        got = self._raw.readinto(view)  # type: ignore[attr-defined]
        if not got:
            raise self._error("The body ended inside a chunk.")
        self._left -= got
        if self._left == 0 and self._line() != b"":
            raise self._error("A chunk is longer than its size says.")
        return cast("int", got)

    @property
    def finished(self) -> bool:
        return self._done


class _Sized(io.RawIOBase):
    """Exactly ``length`` bytes of ``raw`` (a Content-Length body)."""

    def __init__(self, raw: BinaryIO, length: int) -> None:
        self._raw = raw
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left <= 0:
            return 0
        got = self._raw.readinto(memoryview(buffer)[: min(len(buffer), self._left)])  # type: ignore[attr-defined]
        if not got:
            raise IncompleteBody("the connection closed before the whole body arrived")
        self._left -= got
        return cast("int", got)

    @property
    def finished(self) -> bool:
        return self._left <= 0


class BodyReader(io.RawIOBase):
    """The body of one HTTP request, framed by Content-Length or chunked.

    ``on_first_read`` runs before the first byte is read: the server sends ``100 Continue``
    there to a client that asked for it, so an upload answered with an error first (a
    missing bucket) is never sent at all, as with S3.
    """

    def __init__(self, rfile: BinaryIO, length: int | None, chunked: bool,
                 on_first_read: Callable[[], None] | None = None) -> None:
        self._body: ChunkedReader | _Sized = ChunkedReader(rfile) if chunked else _Sized(rfile, length or 0)
        self._on_first_read = on_first_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._on_first_read is not None:
            start, self._on_first_read = self._on_first_read, None
            start()
        return self._body.readinto(buffer)

    def drain(self, limit: int = DRAIN_LIMIT) -> bool:
        """Read and drop what is left; False when more than ``limit`` bytes remain, or when
        the client still waits for ``100 Continue`` (it may or may not send the body)."""
        if self._on_first_read is not None and not self._body.finished:
            return False
        dropped = 0
        try:
            while not self._body.finished:
                chunk = self.read(min(1 << 16, limit - dropped + 1))
                if not chunk:
                    break
                dropped += len(chunk)
                if dropped > limit:
                    return False
        except (IncompleteBody, OSError):
            return False
        return True
