"""An HTTP/1.1 request's head: the request line and the header block.

``http.server`` reads headers with the email package's MIME parser, which took a quarter of
the server's CPU on a small S3 upload (py-spy); HTTP header lines need none of MIME's
folding or charsets, so they are split here, with the limits and refusals of RFC 9112:
a header line of over 64 KiB or over 100 header lines is 431, a line without a colon,
whitespace before the colon or an obsolete folded line is 400, and so are two different
``Content-Length`` or ``Host`` values (a request two readers could frame differently).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import BinaryIO, cast

from workflow.local.protocol.http import Headers

#: The limits ``http.client`` applies to a header block.
MAX_LINE = 65536
MAX_HEADERS = 100
#: Headers that frame or address the request: one value each.
_SINGLE = ("content-length", "transfer-encoding", "host")
_VERSION = re.compile(r"HTTP/(\d{1,10})\.(\d{1,10})")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class HeadError(Exception):
    """A request the server answers with ``status`` and closes the connection on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RequestLine:
    method: str
    target: str
    version: str
    #: HTTP/1.1 keeps a connection open unless told otherwise; HTTP/1.0 closes it.
    persistent: bool


def request_line(raw: bytes) -> RequestLine | None:
    """``PUT /bucket/key HTTP/1.1``; None for an empty line (a client that closed)."""
    line = raw.decode("latin-1").rstrip("\r\n")
    words = line.split()
    if not words:
        return None
    if len(words) != 3:
        raise HeadError(400, f"Bad request syntax ({line[:200]!r})")
    method, target, version = words
    number = _VERSION.fullmatch(version)
    if number is None:
        raise HeadError(400, f"Bad request version ({version[:40]!r})")
    if int(number[1]) >= 2:
        raise HeadError(505, f"Invalid HTTP version ({version[5:]})")
    if target.startswith("//"):  # as http.server reads it (gh-87389)
        target = "/" + target.lstrip("/")
    return RequestLine(method, target, version, (int(number[1]), int(number[2])) >= (1, 1))


def read_headers(rfile: BinaryIO) -> Headers:
    """Header lines up to the empty line; a name sent twice gets its values joined with
    ``, `` (RFC 9110, 5.3), except the framing headers, refused when they differ."""
    headers = Headers()
    for _ in range(MAX_HEADERS + 1):
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise HeadError(431, "Line too long")
        if line in (b"\r\n", b"\n", b""):
            return headers
        text = line.decode("latin-1").rstrip("\r\n")
        name, colon, value = text.partition(":")
        if not colon or not _TOKEN.fullmatch(name):
            raise HeadError(400, f"Bad header line ({text[:80]!r})")
        key = name.lower()
        value = value.strip(" \t")
        seen = headers.get(key)
        if seen is None:
            headers[key] = value
        elif key in _SINGLE:
            if seen != value:
                raise HeadError(400, f"Conflicting {name} headers")
        else:
            headers[key] = f"{seen}, {value}"
    raise HeadError(431, "Too many headers")


class RequestHandler(BaseHTTPRequestHandler):
    """``http.server``'s handler reading the head with ``request_line`` and ``read_headers``
    (the local server's and each endpoint worker's)."""

    raw_requestline: bytes  # set by BaseHTTPRequestHandler.handle_one_request before parse_request

    def parse_request(self) -> bool:
        """The request line and headers (the stdlib's MIME header parser is slow);
        False after answering a malformed request."""
        self.command = None  # type: ignore[assignment]
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "latin-1").rstrip("\r\n")
        try:
            line = request_line(self.raw_requestline)
            if line is None:
                return False
            self.request_version = line.version
            self.command, self.path = line.method, line.target
            self.headers = read_headers(cast(BinaryIO, self.rfile))  # type: ignore[assignment]
        except HeadError as exc:
            self.send_error(exc.status, exc.message)
            return False
        connection = (self.headers.get("Connection") or "").lower()
        self.close_connection = connection == "close" or (not line.persistent and connection != "keep-alive")
        if (self.headers.get("Expect") or "").lower() == "100-continue" and line.persistent:
            return self.handle_expect_100()
        return True
