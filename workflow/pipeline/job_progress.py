"""How far a training job has come: epoch n of N, its latest metrics and the time left,
read from DescribeTrainingJob alone (the same on the local server and on AWS).

The time left is the mean epoch time so far (from the job's start to the time the latest
epoch's metrics were emitted, over the epochs done) times the epochs still to run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EPOCH_METRIC = "epoch"
#: Metrics a person follows, in the order shown.
SHOWN = ("train:loss", "valid:loss", "valid:accuracy")


@dataclass(frozen=True)
class JobProgress:
    name: str
    status: str
    secondary: str
    epoch: int | None = None
    epochs: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    seconds_left: float | None = None


def _epochs(job: dict[str, Any]) -> int | None:
    value = (job.get("HyperParameters") or {}).get("epochs")
    try:
        return int(str(value).strip('"')) if value is not None else None
    except ValueError:
        return None


def training_progress(job: dict[str, Any]) -> JobProgress:
    """``job`` is a DescribeTrainingJob answer."""
    latest = {m["MetricName"]: m for m in job.get("FinalMetricDataList") or []}
    epoch_metric = latest.get(EPOCH_METRIC)
    epoch = int(epoch_metric["Value"]) if epoch_metric else None
    epochs = _epochs(job)
    seconds_left = None
    start: datetime | None = job.get("TrainingStartTime")
    if epoch and epochs and epoch_metric and start is not None and job.get("TrainingJobStatus") == "InProgress":
        per_epoch = (epoch_metric["Timestamp"] - start).total_seconds() / epoch
        seconds_left = max(per_epoch * (epochs - epoch), 0.0)
    return JobProgress(job["TrainingJobName"], job.get("TrainingJobStatus", ""), job.get("SecondaryStatus", ""),
                       epoch, epochs, {k: latest[k]["Value"] for k in SHOWN if k in latest}, seconds_left)


def duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_line(progress: JobProgress) -> str:
    """``training NAME: epoch 2/4, train:loss=0.41 valid:loss=0.52, about 1 min 20 s left``."""
    parts = [f"{progress.status} / {progress.secondary}" if progress.epoch is None
             else f"epoch {progress.epoch}/{progress.epochs or '?'}"]
    if progress.metrics:
        parts.append(" ".join(f"{k}={v:.4f}" for k, v in progress.metrics.items()))
    if progress.seconds_left is not None:
        parts.append(f"about {duration_text(progress.seconds_left)} left")
    return f"training {progress.name}: " + ", ".join(parts)


def tuning_jobs_in_progress(sagemaker: Any, tuning_job: str) -> list[JobProgress]:
    """The progress of each training job a tuning job is running now."""
    page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning_job, StatusEquals="InProgress", MaxResults=100)
    return [training_progress(sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"]))
            for summary in page["TrainingJobSummaries"]]
