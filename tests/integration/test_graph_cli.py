"""``deploy_workflow.py graph --execution`` against the real local server."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.sfn_helpers import create_machine, wait_done
from workflow.cli.main import main
from workflow.graph.styles import STATUS_COLOURS

SVG = "{http://www.w3.org/2000/svg}"
FLAKY = {"StartAt": "Try", "States": {
    "Try": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd(1, 1)"}, "Next": "Boom"},
    "Boom": {"Type": "Fail", "Error": "Kaboom", "Cause": "it went off"},
}}


def fills(svg: bytes) -> dict[str, str]:
    root = ET.fromstring(svg)
    out = {}
    for group in root.iter(SVG + "g"):
        if (group.get("id") or "").startswith("state-"):
            shape = next(el for el in group.iter() if el.tag in (SVG + "path", SVG + "polygon"))
            out[group.get("id")[len("state-"):]] = shape.get("fill")
    return out


def test_graph_of_an_execution_by_arn_name_and_server_state(
        local_server: LocalServerHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    sfn = local_server.client("stepfunctions")
    arn = create_machine(sfn, FLAKY)
    name = f"boom-{tmp_path.name[-6:]}"
    execution = sfn.start_execution(stateMachineArn=arn, name=name)["executionArn"]
    assert wait_done(sfn, execution)["status"] == "FAILED"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SFN", raising=False)

    out = tmp_path / "by-arn.svg"
    assert main(["graph", "--execution", execution, "--endpoint-url", local_server.endpoint_url,
                 "--out", str(out)]) == 0
    assert fills(out.read_bytes()) == {"Try": STATUS_COLOURS["succeeded"][0], "Boom": STATUS_COLOURS["failed"][0]}

    # By name, with the endpoint found from the running server's state file.
    out = tmp_path / "by-name.mmd"
    assert main(["graph", "--execution", name, "--data-dir", str(local_server.data_dir), "--out", str(out)]) == 0
    text = out.read_text()
    assert "classDef failed" in text and "FAILED" in text.splitlines()[1]

    # AWS_ENDPOINT_URL, as every AWS SDK reads it.
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_server.endpoint_url)
    out = tmp_path / "by-env.dot"
    assert main(["graph", "--execution", execution, "--out", str(out)]) == 0
    assert "failed · " in out.read_text()

    capsys.readouterr()
    assert main(["graph", "--execution", "no-such-run", "--out", str(tmp_path / "x.svg")]) == 2
    assert "no execution named 'no-such-run'" in capsys.readouterr().err
    missing = execution.rsplit(":", 1)[0] + ":absent"
    assert main(["graph", "--execution", missing, "--out", str(tmp_path / "x.svg")]) == 1
    assert "ExecutionDoesNotExist" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()


def test_graph_without_a_server_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SFN", raising=False)
    code = main(["graph", "--execution", "x", "--data-dir", str(tmp_path), "--out", str(tmp_path / "g.svg")])
    assert code == 2 and "no local server is running" in capsys.readouterr().err
