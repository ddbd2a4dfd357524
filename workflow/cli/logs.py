"""``deploy_workflow.py logs JOB [--follow]``: a local training job's log."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from workflow.local.lifecycle import DEFAULT_DATA_DIR
from workflow.local.sagemaker.statuses import TERMINAL

POLL_SECONDS = 0.5


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("logs", help="print a training job's log",
                                   description="Print the log of a local training job.")
    parser.add_argument("job", metavar="JOB", help="training job name")
    parser.add_argument("--follow", "-f", action="store_true",
                        help="keep printing until the job ends")
    parser.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR),
                        help=f"the local server's data directory (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--timeout", type=float, default=24 * 3600,
                        help="with --follow, stop waiting after this many seconds")
    parser.set_defaults(func=run)


def _job_status(data_dir: Path, job: str) -> str | None:
    """The job's status from the running server, or None when no server answers."""
    from workflow.local import lifecycle

    state = lifecycle.read_state(data_dir)
    if state is None:
        return None
    import boto3  # deferred: only --follow needs it

    client = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                   region_name="us-east-1").client(
        "sagemaker", endpoint_url=state.endpoint_url)
    try:
        return client.describe_training_job(TrainingJobName=job)["TrainingJobStatus"]
    except client.exceptions.ResourceNotFound:
        return None


def _copy(path: Path, offset: int) -> int:
    with path.open("rb") as log:
        log.seek(offset)
        chunk = log.read()
    if chunk:
        sys.stdout.write(chunk.decode("utf-8", errors="replace"))
        sys.stdout.flush()
    return offset + len(chunk)


def run(args: argparse.Namespace) -> int:
    # Deferred: the training package loads the whole local SageMaker service.
    from workflow.local.sagemaker.training.layout import JOBS_FOLDER, log_path

    path = log_path(args.data_dir, args.job)
    if not path.parent.is_dir():
        print(f"no training job {args.job} in {args.data_dir / JOBS_FOLDER}", file=sys.stderr)
        return 1
    offset = _copy(path, 0) if path.exists() else 0
    deadline = time.monotonic() + args.timeout
    while args.follow and time.monotonic() < deadline:
        status = _job_status(args.data_dir, args.job)
        if path.exists():
            offset = _copy(path, offset)
        if status is None or status in TERMINAL:
            if path.exists():
                _copy(path, offset)
            break
        time.sleep(POLL_SECONDS)
    return 0
