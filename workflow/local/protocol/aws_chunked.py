"""``Content-Encoding: aws-chunked``: S3 uploads framed in chunks, checksums in trailers.

Each chunk is ``<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n``; a zero-size chunk
ends the data and trailer lines (``x-amz-checksum-crc32:<base64>``) follow, then an empty
line. Framing per https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
and .../sigv4-streaming-trailers.html. Chunk signatures are not checked here (signature
checks belong to request authentication); the trailing checksums are, by S3's backend.
"""
from __future__ import annotations

import io
from typing import BinaryIO

from workflow.local.s3.errors import IncompleteBody

MAX_LINE = 4096


class AwsChunkedReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._left = 0
        self._done = False
        #: Trailer headers (lower-case names), complete once the body is read.
        self.trailers: dict[str, str] = {}

    def readable(self) -> bool:
        return True

    def _line(self) -> bytes:
        line = b""
        while not line.endswith(b"\n"):
            byte = self._raw.read(1)
            if not byte:
                raise IncompleteBody("The request body ended inside an aws-chunked frame.")
            line += byte
            if len(line) > MAX_LINE:
                raise IncompleteBody("An aws-chunked frame line is too long.")
        return line.rstrip(b"\r\n")

    def _next_chunk(self) -> None:
        header = self._line()
        try:
            size = int(header.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise IncompleteBody(f"Bad aws-chunked chunk size {header[:40]!r}.") from None
        if size < 0:
            raise IncompleteBody("Bad aws-chunked chunk size.")
        if size == 0:
            while line := self._line():
                name, sep, value = line.decode("latin-1").partition(":")
                if not sep:
                    raise IncompleteBody(f"Bad aws-chunked trailer line {line[:40]!r}.")
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
            raise IncompleteBody("The request body ended inside an aws-chunked chunk.")
        self._left -= got
        if self._left == 0 and self._line() != b"":
            raise IncompleteBody("An aws-chunked chunk is longer than its size says.")
        return got

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            out = bytearray()
            while chunk := self.read(1 << 20):
                out += chunk
            return bytes(out)
        buffer = bytearray(size)
        got = self.readinto(memoryview(buffer))
        return bytes(buffer[:got])
