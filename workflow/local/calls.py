"""Who made the request being served, and where: for backends whose answer depends on it.

The protocol layer sets it from the request's credential scope before it calls a backend
(each request runs on its own thread, so a context variable holds it).
"""
from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_SCOPE = re.compile(r"^(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request$")


@dataclass(frozen=True)
class Call:
    #: The region the request was signed for (the endpoint's region on AWS); None unsigned.
    region: str | None = None
    access_key: str | None = None
    #: The service name in the signature's scope (``s3``, ``states``, ...).
    service: str | None = None

    @classmethod
    def from_credential(cls, credential: str | None) -> Call:
        """``AKID/20250101/us-west-2/s3/aws4_request`` -> its key, region and service."""
        found = _SCOPE.match(credential or "")
        if found is None:
            return cls()
        return cls(found["region"], found["key"], found["service"])


_current: contextvars.ContextVar[Call] = contextvars.ContextVar("call", default=Call())  # noqa: B039 - Call is frozen


def current() -> Call:
    return _current.get()


@contextmanager
def serving(call: Call) -> Iterator[None]:
    token = _current.set(call)
    try:
        yield
    finally:
        _current.reset(token)
