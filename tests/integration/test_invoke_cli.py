"""``deploy_workflow.py invoke`` and ``load`` as a user runs them, against the real server."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

from PIL import Image

from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    ROOT,
    Endpoints,
    echo_archive,
    endpoints,
    trained_model,
)


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "deploy_workflow.py"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_invoke_prints_the_top_breeds(endpoints: Endpoints, trained_model: Path, tmp_path: Path) -> None:
    name = endpoints.deploy(trained_model)
    image = tmp_path / "dog.png"
    Image.new("RGB", (40, 40), (30, 160, 90)).save(image)
    result = _cli("invoke", "--endpoint", name, "--image", str(image), "--top-k", "2",
                  "--endpoint-url", endpoints.server.endpoint_url)
    assert result.returncode == 0, result.stderr
    with tarfile.open(trained_model) as tar:
        breeds = {label.split(".", 1)[1].replace("_", " ")
                  for label in json.load(tar.extractfile("classes.json")).values()}
    ranked = re.findall(r"^ *(\d)\. (.+?) +([\d.]+)%$", result.stdout, re.MULTILINE)
    assert [r[0] for r in ranked] == ["1", "2"]
    assert {r[1].replace("_", " ") for r in ranked} <= breeds, result.stdout
    assert float(ranked[0][2]) >= float(ranked[1][2])

    missing = _cli("invoke", "--endpoint", "no-such", "--image", str(image),
                   "--endpoint-url", endpoints.server.endpoint_url)
    assert missing.returncode == 1
    assert "ValidationError: Endpoint no-such of account 123456789012 not found." in missing.stderr
    unreadable = _cli("invoke", "--endpoint", name, "--image", str(tmp_path / "none.jpg"),
                      "--endpoint-url", endpoints.server.endpoint_url)
    assert unreadable.returncode == 2 and "none.jpg" in unreadable.stderr


def test_load_reports_rate_latency_and_instances(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive, count=2)
    result = _cli("load", "--endpoint", name, "--rps", "20", "--duration", "2",
                  "--endpoint-url", endpoints.server.endpoint_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done: 40 ok, 0 failed" in result.stdout
    progress = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert progress and all("instances 2" in line and "p99" in line for line in progress)

    remote = _cli("load", "--endpoint", name, "--rps", "5", "--duration", "1",
                  "--endpoint-url", "http://10.1.2.3:4566")
    assert remote.returncode == 2 and "only sent to an endpoint on this machine" in remote.stderr
    too_much = _cli("load", "--endpoint", name, "--rps", "100000", "--duration", "1",
                    "--endpoint-url", endpoints.server.endpoint_url)
    assert too_much.returncode == 2 and "--rps" in too_much.stderr
