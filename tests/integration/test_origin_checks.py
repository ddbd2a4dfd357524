"""The server answers loopback hosts and its own pages only, over real HTTP and in a real browser.

A page the user visits must not drive the server: neither by DNS rebinding (its name resolved
to 127.0.0.1, so the browser sends ``Host: evil.example``) nor by a cross-site ``text/plain``
POST to a Lambda invoke, which needs no CORS preflight.
"""
from __future__ import annotations

import http.client
import json
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle, start_local_server
from tests.integration.console_browser import launch
from tests.integration.test_local_lambda import package

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/lambda"


def request(server: LocalServerHandle, method: str, path: str, body: bytes = b"",
            **headers: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers)
        for name, value in headers.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture
def toucher(local_server: LocalServerHandle, tmp_path: Path) -> Iterator[str]:
    """A function that writes a file: whether it ran is visible outside the server."""
    lam = local_server.client("lambda")
    name = f"touch-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": package(tmp_path)}, Timeout=10)
    yield name
    lam.delete_function(FunctionName=name)


def invocation(name: str, marker: Path) -> tuple[str, bytes]:
    return f"/2015-03-31/functions/{name}/invocations", json.dumps({"action": "touch", "path": str(marker)}).encode()


def test_cross_site_text_plain_invoke_is_refused(local_server: LocalServerHandle, toucher: str, tmp_path: Path) -> None:
    marker = tmp_path / "invoked"
    path, body = invocation(toucher, marker)
    status, answer = request(local_server, "POST", path, body, Content_Type="text/plain",
                             Origin="http://evil.example")
    assert status == 403, answer
    assert json.loads(answer)["__type"] == "AccessDenied"
    assert not marker.exists()
    # The same request from no browser (curl, boto3) still invokes the function.
    status, _ = request(local_server, "POST", path, body, Content_Type="text/plain")
    assert status == 200 and marker.exists()


def test_dns_rebinding_hosts_are_refused(local_server: LocalServerHandle) -> None:
    port = local_server.port
    assert request(local_server, "GET", "/console", Host=f"evil.example:{port}")[0] == 403
    assert request(local_server, "GET", "/health", Host="evil.example")[0] == 403
    status, body = request(local_server, "GET", "/console", Host=f"localhost:{port}")
    assert status == 200 and b"<html" in body.lower()
    assert request(local_server, "GET", "/health", Host=f"127.0.0.1:{port}")[0] == 200
    # S3's virtual-hosted style (bucket.localhost:PORT) is a loopback host: let in, and S3
    # answers (GetObject "health" of a bucket that does not exist).
    status, body = request(local_server, "GET", "/health", Host=f"my-bucket.localhost:{port}")
    assert status == 404 and b"<Code>NoSuchBucket</Code>" in body


def test_same_origin_requests_are_answered(local_server: LocalServerHandle) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
    own = f"http://127.0.0.1:{local_server.port}"
    assert request(local_server, "POST", "/", b"{}", Origin=own, Sec_Fetch_Site="same-origin", **headers)[0] == 200
    status, body = request(local_server, "POST", "/", b"{}", Origin="http://localhost:1", **headers)
    assert status == 403 and b"Cross-origin" in body
    # An <img src=...> GET from another site carries no Origin, but says it is cross-site.
    status, _ = request(local_server, "GET", "/?Action=ListRoles&Version=2010-05-08", Sec_Fetch_Site="cross-site",
                        Sec_Fetch_Mode="no-cors")
    assert status == 403


def test_the_data_directory_is_its_owners_only(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    server = start_local_server(shared)
    try:
        assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    finally:
        server.stop()
    server = start_local_server(tmp_path / "new" / "server")
    try:
        assert stat.S_IMODE((tmp_path / "new" / "server").stat().st_mode) == 0o700
    finally:
        server.stop()


class _Page(BaseHTTPRequestHandler):
    """Another site on this machine: a page that posts to the local server from its script."""

    target = ""
    payload = ""

    def do_GET(self) -> None:
        page = (f"<html><body><script>fetch({json.dumps(self.target)}, {{method: 'POST', mode: 'no-cors', "
                f"headers: {{'Content-Type': 'text/plain'}}, body: {json.dumps(self.payload)}}})"
                ".then(() => document.title = 'sent', () => document.title = 'failed');</script></body></html>")
        data = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_page_on_another_origin_cannot_invoke_a_function(local_server: LocalServerHandle, toucher: str,
                                                           tmp_path: Path) -> None:
    marker = tmp_path / "invoked-by-page"
    path, body = invocation(toucher, marker)
    _Page.target = f"{local_server.endpoint_url}{path}"
    _Page.payload = body.decode()
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        for browser in launch():
            page = browser.new_page()
            page.goto(f"http://localhost:{site.server_address[1]}/")
            page.wait_for_function("document.title !== ''", timeout=30_000)
            assert page.title() == "sent"  # the browser sent it (no-cors: the answer is opaque)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not marker.exists():
                time.sleep(0.1)
            assert not marker.exists()
    finally:
        site.shutdown()
        site.server_close()
