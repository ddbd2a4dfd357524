"""Fetching an image by URL for inference, without opening a door to the network inside.

Rules: only ``http`` and ``https``; no credentials in the URL; the host is
resolved once and every address it resolves to must be public (private,
loopback, link-local - so the instance metadata service at 169.254.169.254 -,
reserved, multicast and shared ranges are refused); the connection goes to
that checked address (a second DNS answer cannot swap it, which is why this
uses http.client directly rather than urllib or requests); redirects are
followed by hand, at most 3, each checked again; the body is capped at
``INFERENCE_MAX_DOWNLOAD_BYTES`` (default 10 MiB, 413 past it) and the whole
download at ``INFERENCE_URL_TIMEOUT_SECONDS`` (default 10 s, 400 past it;
checked between packets, so a stalled server is cut off within about twice that).

``INFERENCE_ALLOW_PRIVATE_URLS=true`` lifts the address check. It exists for
local testing only (a test server on 127.0.0.1) and is off by default;
never set it on a real endpoint.
"""
from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import time
from urllib.parse import urljoin, urlsplit

from serving_errors import InferenceError

ALLOW_PRIVATE_ENV = "INFERENCE_ALLOW_PRIVATE_URLS"
MAX_BYTES_ENV = "INFERENCE_MAX_DOWNLOAD_BYTES"
TIMEOUT_ENV = "INFERENCE_URL_TIMEOUT_SECONDS"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT = 10.0
MAX_REDIRECTS = 3
CHUNK = 64 * 1024


def allow_private_urls() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


def _limit(env: str, default: float) -> float:
    try:
        return float(os.environ.get(env, default))
    except ValueError:
        return default


def check_address(host: str, address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        raise InferenceError(400, f"URL host {host!r} resolves to {ip}, a private, loopback, "
                                  f"link-local or reserved address; refused")


def resolve(host: str, port: int, allow_private: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InferenceError(400, f"cannot resolve URL host {host!r}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private:
        for address in addresses:
            check_address(host, address)
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def fetch(url: str, max_bytes: int | None = None, timeout: float | None = None,
          allow_private: bool | None = None) -> bytes:
    """The body of ``url`` under the rules above; InferenceError otherwise."""
    if max_bytes is None:
        max_bytes = int(_limit(MAX_BYTES_ENV, DEFAULT_MAX_BYTES))
    timeout = float(timeout if timeout is not None else _limit(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    allow = allow_private_urls() if allow_private is None else allow_private
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        try:
            status, location, body = _get_once(url, max_bytes, deadline, allow)
        except TimeoutError as exc:
            raise InferenceError(400, f"downloading {url} took longer than the "
                                      f"{timeout:g} s limit") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise InferenceError(400, f"cannot download {url}: {exc}") from exc
        if location is None:
            if status != 200:
                raise InferenceError(400, f"downloading {url} returned HTTP {status}")
            return body
        url = urljoin(url, location)
    raise InferenceError(400, f"more than {MAX_REDIRECTS} redirects from the image URL")


def _get_once(url: str, max_bytes: int, deadline: float, allow_private: bool
              ) -> tuple[int, str | None, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InferenceError(400, f"image URL must use http or https, got {parts.scheme!r}")
    if not parts.hostname:
        raise InferenceError(400, "image URL has no host")
    if parts.username or parts.password:
        raise InferenceError(400, "image URL must not carry credentials")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(parts.hostname, port, allow_private)
    remaining = _remaining(deadline, url)
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(parts.hostname, port, address, remaining)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path, headers={"User-Agent": "dog-breed-inference/1",
                                           "Accept": "image/*"})
        response = conn.getresponse()
        if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
            return response.status, response.getheader("Location"), b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise InferenceError(413, f"image at {url} is {int(length)} bytes, over the "
                                      f"{max_bytes}-byte limit")
        chunks, size = [], 0
        while True:
            # read1 returns after one receive, so the deadline is checked between
            # packets; each receive itself waits at most the time left at connect.
            _remaining(deadline, url)
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise InferenceError(413, f"image at {url} is over the {max_bytes}-byte limit")
            chunks.append(chunk)
        return response.status, None, b"".join(chunks)
    finally:
        conn.close()


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"time limit reached for {url}")
    return left
