"""State survives a restart; an execution cut off by a stop or a crash goes on when the server is back,
and one the server cannot continue ends FAILED, saying so."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from tests.integration.conftest import start_local_server
from tests.integration.sfn_helpers import (
    ROLE,
    create_machine,
    wait_definition,
    wait_done,
    wait_for_event,
)
from workflow.local.lambda_ import zip_directory
from workflow.local.server import STORE_FILE
from workflow.local.stepfunctions.journal import EXECUTION, LANE
from workflow.local.stepfunctions.runner import SERVER_STOPPED
from workflow.local.store import Store

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "deploy_workflow.py"), "local", *args],
                          capture_output=True, text=True, timeout=120, cwd=REPO)


def _assert_resumed(sfn, arn: str) -> None:
    described = wait_done(sfn, arn, timeout=60)
    assert described["status"] == "SUCCEEDED", described
    events = sfn.get_execution_history(executionArn=arn)["events"]
    types = [e["type"] for e in events]
    assert types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    assert events[2]["previousEventId"] == 2


def test_state_survives_local_down_and_up(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    up = cli("up", "--port", "0", "--data-dir", str(data_dir), "--time-scale", "10")
    assert up.returncode == 0, up.stdout + up.stderr
    endpoint = next(line.split(": ", 1)[1] for line in up.stdout.splitlines()
                    if line.startswith("endpoint_url: "))
    assert endpoint.startswith("http://127.0.0.1:")
    assert str(data_dir.resolve()) in up.stdout
    try:
        status = cli("status", "--data-dir", str(data_dir))
        assert status.returncode == 0 and endpoint in status.stdout

        import boto3

        sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        code = tmp_path / "code"
        code.mkdir()
        (code / "app.py").write_text("def handler(event, context):\n    return 'still here'\n")
        lam.create_function(FunctionName="keeper", Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": zip_directory(code)})
        lam.put_function_concurrency(FunctionName="keeper", ReservedConcurrentExecutions=3)
        machine = create_machine(sfn)
        finished = sfn.start_execution(stateMachineArn=machine, name="finished")["executionArn"]
        wait_done(sfn, finished)
        history = sfn.get_execution_history(executionArn=finished)["events"]
        slow = create_machine(sfn, definition=wait_definition(40))
        cut = sfn.start_execution(stateMachineArn=slow, name="cut")["executionArn"]
        wait_for_event(sfn, cut, "WaitStateEntered")

        down = cli("down", "--data-dir", str(data_dir))
        assert down.returncode == 0, down.stdout + down.stderr
        assert cli("status", "--data-dir", str(data_dir)).returncode == 1

    finally:
        cli("down", "--data-dir", str(data_dir))

    server = start_local_server(data_dir)
    try:
        sfn = server.client("stepfunctions")
        lam = server.client("lambda")
        assert sfn.describe_execution(executionArn=finished)["status"] == "SUCCEEDED"
        assert sfn.get_execution_history(executionArn=finished)["events"] == history
        assert {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]} == {
            machine, slow}
        _assert_resumed(sfn, cut)
        assert lam.get_function_concurrency(FunctionName="keeper")["ReservedConcurrentExecutions"] == 3
        answer = lam.invoke(FunctionName="keeper", Payload=b"{}")
        assert json.loads(answer["Payload"].read()) == "still here"
    finally:
        server.stop()


def test_an_execution_the_server_cannot_continue_ends_failed_saying_why(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    server = start_local_server(data_dir, time_scale=10)
    sfn = server.client("stepfunctions")
    machine = create_machine(sfn, definition=wait_definition(3600))
    arn = sfn.start_execution(stateMachineArn=machine, name=f"crash-{uuid.uuid4().hex[:4]}")[
        "executionArn"]
    wait_for_event(sfn, arn, "WaitStateEntered")
    server.kill()
    # What a server that kept no record of where the states stood left behind.
    store = Store(data_dir / STORE_FILE)
    store.update(EXECUTION, arn, lambda doc: doc.pop("_journaled"))
    for key, _ in store.items(LANE, arn):
        store.delete(LANE, key)

    server = start_local_server(data_dir, time_scale=10)
    try:
        sfn = server.client("stepfunctions")
        described = sfn.describe_execution(executionArn=arn)
        assert described["status"] == "FAILED"
        assert described["error"] == SERVER_STOPPED
        assert "local server stopped" in described["cause"] and "kept no record" in described["cause"]
        events = sfn.get_execution_history(executionArn=arn)["events"]
        assert events[-1]["type"] == "ExecutionFailed" and events[-1]["id"] == len(events)
        # The machine still works after the crash.
        again = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        assert sfn.describe_execution(executionArn=again)["status"] == "RUNNING"
        sfn.stop_execution(executionArn=again)
    finally:
        server.stop()
