"""The HTTP exchange as plain data, so protocol code is testable without sockets."""
from __future__ import annotations

from dataclasses import dataclass, field


class Headers(dict):
    """Case-insensitive header lookup (HTTP header names are case-insensitive)."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        super().__init__()
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

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


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
