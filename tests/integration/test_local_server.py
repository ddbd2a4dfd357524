"""The server process itself: health, loopback only, one server per data directory,
foreground mode, unknown operations, keep-alive, and the AWS CLI round trip."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sfn_helpers import create_machine, wait_done
from workflow.local import lifecycle


def test_health_and_loopback_only(local_server: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", local_server.port, timeout=10)
    conn.request("GET", "/health")
    answer = conn.getresponse()
    assert answer.status == 200
    assert {"stepfunctions", "lambda"} <= set(json.loads(answer.read())["services"])
    # HTTP/1.1 keep-alive: the same connection serves the next request.
    conn.request("GET", "/")
    assert conn.getresponse().status == 200
    conn.close()
    listening = [line.split()[1] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A"]
    ours = [addr for addr in listening if int(addr.split(":")[1], 16) == local_server.port]
    assert ours == ["0100007F:" + f"{local_server.port:04X}"]


def test_unknown_operations(local_server: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", local_server.port, timeout=10)
    conn.request("POST", "/", body=b"{}", headers={
        "X-Amz-Target": "AWSStepFunctions.TeleportExecution",
        "Content-Type": "application/x-amz-json-1.0"})
    answer = conn.getresponse()
    body = json.loads(answer.read())
    assert answer.status == 400 and body["__type"] == "UnknownOperationException"
    # Signed for a service that has no such route: that service's error shape.
    scope = "Credential=local/20250101/us-east-1/lambda/aws4_request"
    conn.request("GET", "/no/such/route", headers={"Authorization": f"AWS4-HMAC-SHA256 {scope}, Signature=0"})
    answer = conn.getresponse()
    assert answer.status == 404
    assert json.loads(answer.read())["__type"] == "UnknownOperationException"
    # Unsigned, a path is S3's (path-style GetObject), as on S3's endpoint: NoSuchBucket.
    conn.request("GET", "/no/such/route")
    answer = conn.getresponse()
    assert answer.status == 404 and b"<Code>NoSuchBucket</Code>" in answer.read()
    conn.close()


def test_one_server_per_data_directory(local_server: Any) -> None:
    with pytest.raises(lifecycle.StartError, match="another local server"):
        lifecycle.start(local_server.data_dir, timeout=30)
    # Even started by hand, bypassing the state file, a second server refuses the directory.
    second = subprocess.run(
        [sys.executable, "-m", "workflow.local", "--port", "0", "--data-dir",
         str(local_server.data_dir)], capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert "another local server is running" in second.stderr
    assert lifecycle.healthy(local_server.endpoint_url)
    assert lifecycle.read_state(local_server.data_dir).pid == local_server.process.pid


def test_foreground_module_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "workflow.local", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        deadline = time.monotonic() + 30
        while not lifecycle.healthy(f"http://127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.05)
        state = lifecycle.read_state(tmp_path)
        assert state is not None and state.pid == process.pid and state.port == port
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert lifecycle.read_state(tmp_path) is None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli_start_and_describe(local_server: Any, tmp_path: Path) -> None:
    machine = create_machine(local_server.client("stepfunctions"))
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_PAGER": ""}

    def aws(*args: str) -> dict[str, Any]:
        done = subprocess.run(["aws", "stepfunctions", "--endpoint-url", local_server.endpoint_url,
                               "--output", "json", *args],
                              capture_output=True, text=True, env=env, timeout=120)
        if "No module named" in done.stderr or "command not found" in done.stderr:
            pytest.skip(f"the AWS CLI on PATH does not run: {done.stderr.strip()[:200]}")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    started = aws("start-execution", "--state-machine-arn", machine, "--name", "from-cli",
                  "--input", '{"via": "aws-cli"}')
    assert started["executionArn"].endswith(":from-cli")
    wait_done(local_server.client("stepfunctions"), started["executionArn"])
    described = aws("describe-execution", "--execution-arn", started["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == {"via": "aws-cli"}
