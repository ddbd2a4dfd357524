"""Which HTTP requests the server answers at all: loopback hosts, and its own pages.

The server listens on 127.0.0.1, but a web page the user visits can still reach it: through
DNS rebinding (the page's own name made to resolve to 127.0.0.1, so the browser sends
``Host: evil.example``) or by sending a cross-site request outright (a ``text/plain`` POST
needs no CORS preflight and would invoke a Lambda function). So a request is refused with 403
unless its ``Host`` is a loopback name or address (``localhost``, ``*.localhost`` as S3's
virtual-hosted buckets use, ``127.0.0.0/8``, ``[::1]``), and, when a browser sent it, unless it
comes from this server's own origin: an ``Origin`` header naming another origin is refused,
and so is a ``Sec-Fetch-Site`` other than ``same-origin`` or ``none`` (the user's own
navigation), except a plain link to the read-only console opened from another site.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

_LOOPBACK_NAMES = ("localhost",)


def _split_host(host: str) -> tuple[str, int | None] | None:
    """``name:port`` -> (name, port); None when it is not a host."""
    try:
        parts = urlsplit(f"//{host}")
        return (parts.hostname or ""), parts.port
    except ValueError:
        return None


def loopback_host(name: str) -> bool:
    name = name.rstrip(".").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refusal(headers: Mapping[str, str], method: str, path: str, port: int) -> str | None:
    """Why the request is refused (the 403's message), or None to answer it.

    ``headers`` are looked up by lower-case name."""
    host = headers.get("host")
    split = _split_host(host) if host else None
    if split is None or not loopback_host(split[0]) or split[1] not in (None, port):
        return (f"The local server answers requests for 127.0.0.1:{port} and localhost:{port} only "
                f"(Host {host!r} is refused: a page resolving its name to this machine is not let in)")
    origin = headers.get("origin")
    if origin is not None:
        own = _split_host(urlsplit(origin).netloc) if origin.startswith("http://") else None
        if own is None or not loopback_host(own[0]) or own[1] != port:
            return (f"Cross-origin requests are refused: Origin {origin!r} is not this server's "
                    f"(http://127.0.0.1:{port})")
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        navigation = headers.get("sec-fetch-mode") == "navigate" and method in ("GET", "HEAD")
        if not (navigation and (path == "/console" or path.startswith("/console/"))):
            return f"Cross-site requests are refused (Sec-Fetch-Site: {site})"
    return None
