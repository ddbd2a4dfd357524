"""The HTTP exchange as plain data, so protocol code is testable without sockets.

Most services take and give whole bodies (``body``). S3 streams: its requests carry a
``stream`` to read the body from, and its responses a ``stream`` to send, so an object
never sits in memory whole.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, BinaryIO, Protocol, cast
from urllib.parse import parse_qs, urlsplit


class Headers(dict[str, Any]):
    """Case-insensitive header lookup (HTTP header names are case-insensitive)."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        super().__init__()
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return cast("str", super().__getitem__(key.lower()))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class Request:
    method: str
    #: Path and query string as sent, e.g. "/2015-03-31/functions/f/invocations?Qualifier=1".
    target: str
    headers: Headers
    body: bytes = b""
    #: The unread body, when the server hands it over as a stream (see ``load_body``).
    stream: BinaryIO | None = None

    @cached_property
    def parts(self) -> tuple[str, dict[str, list[str]]]:
        """The path and the query string's values by key (read once: routing, signature
        and parsing all ask)."""
        split = urlsplit(self.target)
        return split.path, parse_qs(split.query, keep_blank_values=True)

    def load_body(self, limit: int | None = None) -> bytes:
        """Read a streamed body into ``body`` (at most ``limit`` bytes; more raises ValueError)."""
        if self.stream is not None:
            stream, self.stream = self.stream, None
            parts, size = [], 0
            while chunk := stream.read(1 << 20):
                parts.append(chunk)
                size += len(chunk)
                if limit is not None and size > limit:
                    raise ValueError(f"the request body is over {limit} bytes")
            self.body = b"".join(parts)
        return self.body


class ResponseStream(Protocol):
    """A response body sent piece by piece; ``length`` bytes in all."""

    length: int

    def send(self, sock: socket.socket) -> None: ...

    def close(self) -> None: ...


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Sent instead of ``body`` when set; its ``length`` is the Content-Length.
    stream: ResponseStream | None = None
