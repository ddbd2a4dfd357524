"""What `run` shows while a training job runs: epoch n/N, the latest metrics and the time
left, from a real job on the real local server."""
from __future__ import annotations

import io
import json
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.s3_helpers import Staging
from tests.integration.test_training_jobs import job_request, source_tar, wait_for
from workflow.pipeline.progress import ProgressPrinter

pytestmark = pytest.mark.integration

# Prints train.py's metric lines, one epoch a second, for --epochs epochs.
EPOCHS = textwrap.dedent('''
    import argparse, time
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int)
    args, _ = p.parse_known_args()
    for epoch in range(1, args.epochs + 1):
        time.sleep(1.0)
        print(f"epoch={epoch} train_loss={1 / epoch:.4f} train_accuracy=0.5000 "
              f"valid_loss={1.5 / epoch:.4f} valid_accuracy=0.{epoch}000", flush=True)
''')


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _scheduled(name: str) -> dict[str, Any]:
    return {"type": "TaskScheduled", "timestamp": None, "taskScheduledEventDetails": {
        "resourceType": "sagemaker", "resource": "createTrainingJob.sync",
        "parameters": json.dumps({"TrainingJobName": name})}}


def _wait_for_epoch(sagemaker: Any, name: str, epoch: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        metrics = {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])}
        if metrics.get("epoch", 0) >= epoch:
            assert job["TrainingJobStatus"] == "InProgress"
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} printed no epoch {epoch} within {timeout} s")


def test_progress_of_a_running_training_job(local_server: LocalServerHandle, tmp_path: Path) -> None:
    sagemaker = local_server.client("sagemaker")
    name = f"progress-{int(time.time())}"
    source = source_tar(tmp_path / "src", {"entry.py": EPOCHS})
    staging = Staging(local_server.endpoint_url, tmp_path)
    sagemaker.create_training_job(**job_request(name, staging, source, {"epochs": "8"}))
    try:
        _wait_for_epoch(sagemaker, name, 2)
        plain = io.StringIO()
        printer = ProgressPrinter(sagemaker, plain)
        printer.event(_scheduled(name))
        printer.idle()
        line = plain.getvalue().strip()
        assert line.startswith(f"· training {name}: epoch ")
        epoch = int(line.split("epoch ")[1].split("/")[0])
        assert 2 <= epoch < 8 and f"epoch {epoch}/8" in line
        assert "valid:loss=" in line and "train:loss=" in line
        assert line.endswith(" left") and "about " in line
        printer.idle()  # nothing changed: nothing printed again
        assert plain.getvalue().count("\n") in (1, 2)

        screen = Terminal()
        live = ProgressPrinter(sagemaker, screen)
        live.event(_scheduled(name))
        live.idle()
        _wait_for_epoch(sagemaker, name, epoch + 1)
        live.idle()
        # The second block moved the cursor up over the first and rewrote it in place.
        assert screen.getvalue().count("\x1b[1F") == 1 and screen.getvalue().count("\x1b[2K") == 2
    finally:
        sagemaker.stop_training_job(TrainingJobName=name)
        wait_for(sagemaker, name)
