"""The pipeline, failed at endpoint creation and then at its smoke test, redriven each time,
deploys without tuning or training again.

The first run meets an instance quota at CreateEndpoint (the server is started with no
endpoint instances allowed); after a restart with the quota raised, a redrive creates the
endpoint and meets a throttled smoke-test function; once the function's concurrency is
back, ``deploy_workflow.py redrive`` finishes the run.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import start_local_server
from tests.integration.sfn_helpers import wait_done
from tests.integration.test_pipeline import ROOT, cheap_input, history, latest_execution, run_cli
from workflow.pipeline.local_run import ensure_synthetic
from workflow.pipeline.local_setup import function_name

# One pipeline run, two restarts and two redrives: minutes on a quiet 2-core machine, more
# than the default 10-minute limit on a busy one.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
TIME_SCALE = 10.0


def scheduled_states(events: list[dict[str, Any]], since: int) -> list[str]:
    """The state of each TaskScheduled event after the first ``since`` events (the Entered
    event its lane links back to)."""
    by_id = {e["id"]: e for e in events}
    names = []
    for event in events[since:]:
        if event["type"] != "TaskScheduled":
            continue
        previous = by_id.get(event["previousEventId"])
        while previous is not None and "stateEnteredEventDetails" not in previous:
            previous = by_id.get(previous["previousEventId"])
        names.append(previous["stateEnteredEventDetails"]["name"] if previous else "?")
    return names


def test_a_run_failed_at_endpoint_creation_and_smoke_test_redrives_without_training_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "pipeline"
    ensure_synthetic(workdir, io.StringIO())
    endpoint = "dog-breed-pipeline-redriven"
    # Waits are ten times shorter on this server: the endpoint gets as many more checks.
    document = cheap_input(workdir, endpoint_name=endpoint, endpoint__max_checks=1200)
    monkeypatch.setenv("LOCAL_SAGEMAKER_MAX_INSTANCES", "0")
    server = start_local_server(workdir / "server", time_scale=TIME_SCALE)
    try:
        done = run_cli(workdir, "--input", str(document))
        assert done.returncode == 1, done.stdout + done.stderr
        assert "state CreateEndpoint failed" in done.stdout
        assert "python deploy_workflow.py redrive run-" in done.stdout
        execution = latest_execution(server)
        assert execution["error"] == "SageMaker.ResourceLimitExceededException", execution
        assert execution["redriveStatus"] == "REDRIVABLE"
        sm = server.client("sagemaker")
        trained = sm.list_training_jobs()["TrainingJobSummaries"]
        tuned = sm.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
        assert len(tuned) == 1 and len(trained) == 2  # the tuning job's child and the final training job
    finally:
        server.stop()

    monkeypatch.delenv("LOCAL_SAGEMAKER_MAX_INSTANCES")
    server = start_local_server(workdir / "server", time_scale=TIME_SCALE)
    try:
        sfn, sm, lam = (server.client(s) for s in ("stepfunctions", "sagemaker", "lambda"))
        arn = execution["executionArn"]
        closed = len(history(server, arn))
        lam.put_function_concurrency(FunctionName=function_name("smoke_test"), ReservedConcurrentExecutions=0)
        sfn.redrive_execution(executionArn=arn)
        again = wait_done(sfn, arn, timeout=300)
        assert (again["status"], again["error"]) == ("FAILED", "Lambda.TooManyRequestsException"), again
        assert sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"

        lam.delete_function_concurrency(FunctionName=function_name("smoke_test"))
        redrive = subprocess.run(
            [sys.executable, str(ROOT / "deploy_workflow.py"), "redrive", execution["name"], "--wait",
             "--endpoint-url", server.endpoint_url],
            capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert redrive.returncode == 0, redrive.stdout + redrive.stderr
        assert "(redrive 2)" in redrive.stdout and "execution succeeded" in redrive.stdout
        final = sfn.describe_execution(executionArn=arn)
        assert final["status"] == "SUCCEEDED" and final["redriveCount"] == 2
        output = json.loads(final["output"])
        assert output["smoke_test"]["passed"] and output["endpoint_action"] == "create"
        # Nothing tuned or trained again: the same jobs, and the redrives scheduled deployment tasks only.
        assert sm.list_training_jobs()["TrainingJobSummaries"] == trained
        assert sm.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"] == tuned
        events = history(server, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        redriven = scheduled_states(events, closed)
        assert redriven[0] == "CreateEndpoint" and "SmokeTest" in redriven
        assert not {"Tune", "Train", "StageData"} & set(redriven), redriven
        assert [e["type"] for e in events].count("ExecutionRedriven") == 2
    finally:
        server.stop()
