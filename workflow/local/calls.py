"""Who made the request being served, and where: for backends whose answer depends on it.

The protocol layer sets it from the request's credential scope before it calls a backend
(``serving``); a backend reads it with ``current()``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from workflow.local.request_local import RequestLocal

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


_CALL = RequestLocal("call", Call())
current = _CALL.current
serving = _CALL.serving
