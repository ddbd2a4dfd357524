"""A training job's script outlives a crash of the server; the next server watches it again."""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from tests.integration.conftest import LocalServerHandle, start_local_server
from tests.integration.s3_helpers import Staging
from tests.integration.test_training_jobs import SCRIPT, _child_pid, _gone, job_request, source_tar, wait_for
from workflow.local.sagemaker.training.layout import JobPaths


def _until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _crash_during(tmp_path: Path, name: str, seconds: str) -> tuple[Path, int, int]:
    """A job whose script sleeps ``seconds``, its server SIGKILLed while the script runs:
    (data directory, the script's process, the process the script started)."""
    script = source_tar(tmp_path / "src", {"entry.py": SCRIPT})
    server = start_local_server(tmp_path / "server")
    try:
        staging = Staging(server.endpoint_url, tmp_path)
        server.client("sagemaker").create_training_job(
            **job_request(name, staging, script, {"mode": '"sleep"', "seconds": seconds}))
        grandchild = _child_pid(server, name)
        return server.data_dir, psutil.Process(grandchild).ppid(), grandchild
    finally:
        server.kill()


@contextmanager
def _restarted(data: Path, grandchild: int) -> Iterator[LocalServerHandle]:
    """The next server on ``data``; whatever the job left running is ended afterwards."""
    server = start_local_server(data)
    try:
        yield server
    finally:
        server.stop()
        if psutil.pid_exists(grandchild):
            os.kill(grandchild, signal.SIGKILL)


def test_a_job_outlives_a_crashed_server_and_the_next_server_sees_it_to_its_end(tmp_path: Path) -> None:
    data, script_pid, grandchild = _crash_during(tmp_path, "outlives", "6")
    assert psutil.pid_exists(script_pid) and not _gone(script_pid, timeout=0.5), \
        "the script must survive its server's crash"
    with _restarted(data, grandchild) as server:
        sm = server.client("sagemaker")
        assert sm.describe_training_job(TrainingJobName="outlives")["TrainingJobStatus"] == "InProgress"
        job = wait_for(sm, "outlives")
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        # What the script printed before the crash counts: the log is read again from its start.
        assert {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["train:loss"] == 0.9
        assert Staging(server.endpoint_url, tmp_path).read(job["ModelArtifacts"]["S3ModelArtifacts"])
        assert _gone(grandchild), "what the script left behind is ended with it"


def test_a_job_that_ended_while_no_server_watched_ends_from_its_exit_status(tmp_path: Path) -> None:
    data, _, grandchild = _crash_during(tmp_path, "unwatched", "1")
    exit_file = JobPaths.of(data, "unwatched").exit_code
    _until(exit_file.exists)
    assert exit_file.read_text() == "0"
    with _restarted(data, grandchild) as server:
        job = wait_for(server.client("sagemaker"), "unwatched")
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        assert _gone(grandchild)


def test_a_job_whose_process_died_with_the_server_fails_saying_so(tmp_path: Path) -> None:
    data, script_pid, grandchild = _crash_during(tmp_path, "died", "300")
    os.killpg(psutil.Process(script_pid).ppid(), signal.SIGKILL)  # the whole job, shell included
    assert _gone(script_pid) and _gone(grandchild)
    with _restarted(data, grandchild) as server:
        job = server.client("sagemaker").describe_training_job(TrainingJobName="died")
        assert job["TrainingJobStatus"] == "Failed"
        assert "local server stopped while this job was running" in job["FailureReason"]
        assert "did not survive" in job["FailureReason"]
