"""What a tuning job's record says about its children: summaries, counters, the best job.

Pure functions of the tuning record and its children's training-job records, used
by DescribeHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob and
the tuning run alike.
"""
from __future__ import annotations

from datetime import datetime

from workflow.local.sagemaker.records import (
    ObjectiveMetric,
    TrainingJob,
    TrainingJobSummary,
    TuningChild,
    TuningJobRecord,
    TuningObjective,
    TuningProgress,
)
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus

OBJECTIVE = "FinalHyperParameterTuningJobObjectiveMetric"


def objective_of(doc: TuningJobRecord) -> TuningObjective:
    """HyperParameterTuningJobObjective, as the request gave it."""
    return doc["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]


def objective_value(job: TrainingJob, metric: str) -> float | None:
    """The job's last value of the objective metric (None when it printed none)."""
    for entry in job.get("FinalMetricDataList", []):
        if entry["MetricName"] == metric:
            return float(entry["Value"])
    return None


def summary(doc: TuningJobRecord, child: TuningChild, job: TrainingJob | None, arn: str) -> TrainingJobSummary:
    """The HyperParameterTrainingJobSummary of ``child`` (``job``: its record, if any)."""
    objective = objective_of(doc)
    status = job["TrainingJobStatus"] if job else JobStatus.FAILED
    value = objective_value(job, objective["MetricName"]) if job else None
    scored = status in TERMINAL and value is not None
    out: TrainingJobSummary = {
        "TrainingJobName": child["name"],
        "TrainingJobArn": job["TrainingJobArn"] if job else arn,
        "TuningJobName": doc["HyperParameterTuningJobName"],
        "CreationTime": job["CreationTime"] if job else doc["CreationTime"],
        "TrainingJobStatus": status,
        "TunedHyperParameters": child["tuned"],
        "ObjectiveStatus": "Succeeded" if scored else "Failed" if status in TERMINAL else "Pending",
    }
    if job and "TrainingStartTime" in job:
        out["TrainingStartTime"] = job["TrainingStartTime"]
    if job and "TrainingEndTime" in job:
        out["TrainingEndTime"] = job["TrainingEndTime"]
    if job and "FailureReason" in job:
        out["FailureReason"] = job["FailureReason"]
    if "error" in child:
        out["FailureReason"] = child["error"]
    if scored and value is not None:
        out["FinalHyperParameterTuningJobObjectiveMetric"] = ObjectiveMetric(
            Type=objective["Type"], MetricName=objective["MetricName"], Value=value)
    return out


def best(summaries: list[TrainingJobSummary], minimize: bool) -> TrainingJobSummary | None:
    scored = [s for s in summaries if OBJECTIVE in s]
    if not scored:
        return None
    return (min if minimize else max)(scored, key=score)


def score(job: TrainingJobSummary) -> float:
    """The objective value of a child that reported one."""
    return job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]


def best_value(summaries: list[TrainingJobSummary], minimize: bool) -> float | None:
    top = best(summaries, minimize)
    return None if top is None else score(top)


def counters(summaries: list[TrainingJobSummary]) -> TuningProgress:
    """TrainingJobStatusCounters and ObjectiveStatusCounters."""
    statuses = [s["TrainingJobStatus"] for s in summaries]
    objectives = [s["ObjectiveStatus"] for s in summaries]
    return {
        "TrainingJobStatusCounters": {
            "Completed": statuses.count(JobStatus.COMPLETED),
            "InProgress": statuses.count(JobStatus.IN_PROGRESS) + statuses.count(JobStatus.STOPPING),
            "RetryableError": 0, "NonRetryableError": statuses.count(JobStatus.FAILED),
            "Stopped": statuses.count(JobStatus.STOPPED)},
        "ObjectiveStatusCounters": {"Succeeded": objectives.count("Succeeded"),
                                    "Pending": objectives.count("Pending"),
                                    "Failed": objectives.count("Failed")},
    }


def refreshed(doc: TuningJobRecord, summaries: list[TrainingJobSummary]) -> TuningProgress:
    """The fields of ``doc`` that change with its children (counters, BestTrainingJob)."""
    now = counters(summaries)
    top = best(summaries, objective_of(doc)["Type"] == "Minimize")
    changed: TuningProgress = {}
    if doc.get("TrainingJobStatusCounters") != now["TrainingJobStatusCounters"]:
        changed["TrainingJobStatusCounters"] = now["TrainingJobStatusCounters"]
    if doc.get("ObjectiveStatusCounters") != now["ObjectiveStatusCounters"]:
        changed["ObjectiveStatusCounters"] = now["ObjectiveStatusCounters"]
    if top is not None and doc.get("BestTrainingJob") != top:
        changed["BestTrainingJob"] = top
    return changed


def close(doc: TuningJobRecord, summaries: list[TrainingJobSummary] | None, status: JobStatus,
          reason: str | None, when: datetime) -> None:
    """Write the tuning job's end: its status, end time and reason, and the counters of
    ``summaries`` (its children as they ended) when given."""
    if summaries is not None:
        doc.update(refreshed(doc, summaries))
    doc["HyperParameterTuningJobStatus"] = status
    doc["HyperParameterTuningEndTime"] = when
    doc["LastModifiedTime"] = when
    if reason:
        doc["FailureReason"] = reason
