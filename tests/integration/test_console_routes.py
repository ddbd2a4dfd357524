"""The console's own HTTP routes on the real server: pages, graphs, job files, errors."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.sfn_helpers import create_machine, wait_done

TIMEOUT_S = 30


def get(server: LocalServerHandle, path: str, method: str = "GET") -> tuple[int, str, bytes]:
    request = urllib.request.Request(server.endpoint_url + path, method=method,
                                     data=b"{}" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


def test_pages_and_static_files(local_server: LocalServerHandle) -> None:
    status, kind, body = get(local_server, "/console")
    assert (status, kind) == (200, "text/html; charset=utf-8") and b"/console/static/app.js" in body
    status, kind, _ = get(local_server, "/console/static/app.js")
    assert status == 200 and "javascript" in kind
    status, _, body = get(local_server, "/console/static/../handler.py")
    assert status == 404
    status, _, body = get(local_server, "/console/pipeline.json")
    document = json.loads(body)
    assert document["schema"]["title"].startswith("Execution input") and "WaitForEndpoint" in document["state_names"]
    assert get(local_server, "/console/graph.svg", "POST")[0] == 405
    # The AWS APIs on the same server are untouched by the console routes.
    assert get(local_server, "/health")[0] == 200


def test_graph_and_status_of_an_execution(local_server: LocalServerHandle) -> None:
    sfn = local_server.client("stepfunctions")
    arn = create_machine(sfn)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_done(sfn, execution)
    status, kind, body = get(local_server, f"/console/graph.svg?execution={execution}")
    assert (status, kind) == (200, "image/svg+xml")
    assert ET.fromstring(body).find(".//{http://www.w3.org/2000/svg}g[@id='state-P']") is not None
    status, _, body = get(local_server, f"/console/status.json?execution={execution}")
    assert json.loads(body)["states"]["P"]["status"] == "succeeded"
    assert get(local_server, f"/console/graph.svg?stateMachine={arn}")[0] == 200
    missing = execution.rsplit(":", 1)[0] + ":nope"
    status, _, body = get(local_server, f"/console/graph.svg?execution={missing}")
    assert status == 400 and json.loads(body)["__type"] == "ExecutionDoesNotExist"
    assert get(local_server, "/console/status.json")[0] == 400


@pytest.mark.parametrize("path", ["/console/jobs/..", "/console/jobs/a_b/log", "/console/jobs/" + "x" * 64])
def test_job_files_reject_bad_names(local_server: LocalServerHandle, path: str) -> None:
    status, _, body = get(local_server, path)
    assert status == 400 and json.loads(body)["__type"] == "ValidationException"


def test_job_files_are_served_when_present(local_server: LocalServerHandle) -> None:
    folder = local_server.data_dir / "training-jobs" / "console-job-1"
    (folder / "rule-output").mkdir(parents=True)
    (folder / "training.log").write_text("epoch 1 loss 0.5\n")
    status, _, body = get(local_server, "/console/jobs/console-job-1")
    files = json.loads(body)["files"]
    assert status == 200 and files["log"] and not files["loss-curve"]
    status, kind, body = get(local_server, "/console/jobs/console-job-1/log")
    assert (status, body) == (200, b"epoch 1 loss 0.5\n") and kind.startswith("text/plain")
    assert get(local_server, "/console/jobs/console-job-1/loss-curve")[0] == 404
    assert get(local_server, "/console/jobs/console-job-1/secret")[0] == 404


def test_a_jobs_checks_and_profile_are_served_from_its_output_data(local_server: LocalServerHandle) -> None:
    data = local_server.data_dir / "training-jobs" / "console-job-2" / "output" / "data"
    data.mkdir(parents=True)
    (data / "diagnostics.json").write_text('{"rules": []}')
    (data / "profile-summary.json").write_text('{"verdict": "compute-bound"}')
    files = json.loads(get(local_server, "/console/jobs/console-job-2")[2])["files"]
    assert files["diagnostics"] and files["profile-summary"] and not files["debugger-loss-curve"]
    status, kind, body = get(local_server, "/console/jobs/console-job-2/profile-summary")
    assert status == 200 and kind.startswith("application/json") and json.loads(body)["verdict"] == "compute-bound"


def test_without_a_tracking_server_the_console_says_so(local_server: LocalServerHandle) -> None:
    status, _, body = get(local_server, "/console/mlflow.json?execution=arn:aws:states:us-east-1:1:execution:m:e")
    assert status == 200 and json.loads(body) == {"tracking_url": None, "run_url": None}
