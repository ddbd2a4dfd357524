"""The graph command and the console's graph on a machine without Graphviz's ``dot``:
the pip-installed engine draws them."""
from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.sfn_helpers import create_machine, wait_done
from tests.integration.test_console_routes import get
from workflow.cli.main import main
from workflow.local import lifecycle

pytestmark = pytest.mark.integration
SVG = "{http://www.w3.org/2000/svg}"
#: Three states catch into one clean-up: the graph collapses their catch edges.
TASKS = {"StartAt": "T1", "States": {
    "T1": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "CleanUp"}], "Next": "T2"},
    "T2": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "CleanUp"}], "Next": "T3"},
    "T3": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "CleanUp"}], "End": True},
    "CleanUp": {"Type": "Fail", "Error": "Failed"},
}}


@pytest.fixture
def empty_path(tmp_path: Path) -> str:
    folder = tmp_path / "bin-without-dot"
    folder.mkdir()
    return str(folder)


@pytest.fixture
def server_without_dot(tmp_path: Path, empty_path: str) -> Iterator[LocalServerHandle]:
    env = {**os.environ, "PATH": empty_path}
    env.pop("WORKFLOW_GRAPH_ENGINE", None)
    state, process = lifecycle.start(tmp_path / "server", env=env)
    server = LocalServerHandle(state, process)
    yield server
    server.stop()


def test_console_graph_and_graph_command_without_dot(server_without_dot: LocalServerHandle, tmp_path: Path,
                                                     empty_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sfn = server_without_dot.client("stepfunctions")
    machine = create_machine(sfn, TASKS)
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    assert wait_done(sfn, execution)["status"] == "FAILED"  # no function f: T1 is caught

    status, kind, body = get(server_without_dot, f"/console/graph.svg?execution={execution}")
    assert (status, kind) == (200, "image/svg+xml"), body[:300]
    texts = [t.text for t in ET.fromstring(body).iter(SVG + "text")]
    assert texts.count("on error → CleanUp") == 3 and "caught from 3 states" in texts
    status, _, body = get(server_without_dot, f"/console/graph.svg?execution={execution}&catchEdges=all")
    assert status == 200 and "on error → CleanUp" not in [t.text for t in ET.fromstring(body).iter(SVG + "text")]
    status, _, body = get(server_without_dot, f"/console/graph.svg?execution={execution}&catchEdges=some")
    assert status == 400 and json.loads(body)["__type"] == "ValidationException"

    monkeypatch.setenv("PATH", empty_path)
    monkeypatch.delenv("WORKFLOW_GRAPH_ENGINE", raising=False)
    assert shutil.which("dot") is None
    for suffix in (".svg", ".png"):
        out = tmp_path / f"run{suffix}"
        assert main(["graph", "--execution", execution, "--endpoint-url", server_without_dot.endpoint_url,
                     "--out", str(out)]) == 0
        assert out.stat().st_size > 1000
    ids = {g.get("id") for g in ET.fromstring((tmp_path / "run.svg").read_bytes()).iter(SVG + "g")}
    assert {"state-T1", "state-T2", "state-T3", "state-CleanUp"} <= ids
