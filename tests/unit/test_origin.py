"""Which requests the server answers at all (DNS rebinding and cross-site requests refused)."""
from __future__ import annotations

import pytest

from workflow.local.origin import loopback_host, refusal

pytestmark = pytest.mark.unit

PORT = 4580


def answered(**headers: str) -> bool:
    method = headers.pop("method", "POST")
    path = headers.pop("path", "/")
    return refusal({k.replace("_", "-"): v for k, v in headers.items()}, method, path, PORT) is None


def test_loopback_hosts() -> None:
    for name in ("localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "bucket.localhost", "localhost."):
        assert loopback_host(name), name
    for name in ("evil.example", "localhost.evil.example", "10.0.0.1", "0.0.0.0", "", "127.0.0.1.nip.io"):
        assert not loopback_host(name), name


def test_host_must_be_loopback_on_this_port() -> None:
    assert answered(host=f"127.0.0.1:{PORT}")
    assert answered(host=f"localhost:{PORT}")
    assert answered(host=f"[::1]:{PORT}")
    assert answered(host=f"my-bucket.localhost:{PORT}")  # S3 virtual-hosted style
    assert not answered(host=f"evil.example:{PORT}")  # DNS rebinding
    assert not answered(host="evil.example")
    assert not answered(host=f"127.0.0.1:{PORT + 1}")
    assert not answered()  # no Host at all
    assert not answered(host="[::1")


def test_browser_requests_from_other_origins() -> None:
    host = f"127.0.0.1:{PORT}"
    assert answered(host=host, origin=f"http://127.0.0.1:{PORT}")
    assert answered(host=host, origin=f"http://localhost:{PORT}")
    assert not answered(host=host, origin="http://evil.example")
    assert not answered(host=host, origin=f"http://localhost:{PORT + 1}")  # another local web app
    assert not answered(host=host, origin="null")  # a sandboxed frame or a file:// page
    assert not answered(host=host, origin=f"https://127.0.0.1:{PORT}")
    assert answered(host=host, sec_fetch_site="same-origin")
    assert answered(host=host, sec_fetch_site="none")  # typed in the address bar
    assert not answered(host=host, sec_fetch_site="cross-site", method="GET", path="/")  # an <img src> GET
    assert not answered(host=host, sec_fetch_site="same-site")
    # A link to the (read-only) console from another site opens it.
    assert answered(host=host, sec_fetch_site="cross-site", sec_fetch_mode="navigate", method="GET",
                    path="/console")
    assert not answered(host=host, sec_fetch_site="cross-site", sec_fetch_mode="navigate", method="POST",
                        path="/console")
