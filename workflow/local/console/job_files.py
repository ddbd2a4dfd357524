"""Files a local training job leaves in the data directory: log, loss curve, reports.

On AWS these are CloudWatch Logs and S3 objects; locally they sit under
``<data_dir>/training-jobs/<name>/``. Only the files named here are served,
and only for names that match SageMaker's job name pattern.
"""
from __future__ import annotations

import re
from pathlib import Path

JOBS_FOLDER = "training-jobs"
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

#: kind -> (path inside the job folder, content type)
FILES: dict[str, tuple[str, str]] = {
    "log": ("training.log", "text/plain; charset=utf-8"),
    "metrics": ("metrics.jsonl", "text/plain; charset=utf-8"),
    "failure": ("output/failure", "text/plain; charset=utf-8"),
    # What train.py writes into its output data (output.tar.gz on AWS), for every job.
    "loss-curve": ("output/data/loss-curve.png", "image/png"),
    "diagnostics": ("output/data/diagnostics.json", "application/json"),
    "profile-summary": ("output/data/profile-summary.json", "application/json"),
    # What the Debugger rules and profiler leave, for jobs that ran with Debugger.
    "debugger-loss-curve": ("rule-output/loss-curve.png", "image/png"),
    "rule-summary": ("rule-output/rule-summary.json", "application/json"),
    "profiler-report": ("rule-output/ProfilerReport/profiler-output/profiler-report.html",
                        "text/html; charset=utf-8"),
}


def job_folder(data_dir: Path, name: str) -> Path | None:
    if not NAME.match(name):
        return None
    return Path(data_dir) / JOBS_FOLDER / name


def available(data_dir: Path, name: str) -> dict[str, bool]:
    folder = job_folder(data_dir, name)
    return {kind: bool(folder and (folder / rel).is_file()) for kind, (rel, _) in FILES.items()}


def read(data_dir: Path, name: str, kind: str) -> tuple[bytes, str] | None:
    folder = job_folder(data_dir, name)
    if folder is None or kind not in FILES:
        return None
    rel, content_type = FILES[kind]
    path = folder / rel
    if not path.is_file():
        return None
    return path.read_bytes(), content_type
