"""What a tuning job's record says about its children: summaries, counters, the best job.

Pure functions of the tuning record and its children's training-job records, used
by DescribeHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob and
the tuning run alike.
"""
from __future__ import annotations

from typing import Any

from workflow.local.sagemaker.records import Record, TuningChild
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus

OBJECTIVE = "FinalHyperParameterTuningJobObjectiveMetric"


def objective_of(doc: Record) -> Record:
    return doc["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]


def objective_value(job: Record, metric: str) -> float | None:
    """The job's last value of the objective metric (None when it printed none)."""
    for entry in job.get("FinalMetricDataList", []):
        if entry["MetricName"] == metric:
            return float(entry["Value"])
    return None


def summary(doc: Record, child: TuningChild, job: Record | None, arn: str) -> Record:
    """The HyperParameterTrainingJobSummary of ``child`` (``job``: its record, if any)."""
    objective = objective_of(doc)
    job = job or {}
    status = job.get("TrainingJobStatus", JobStatus.FAILED)
    out: Record = {
        "TrainingJobName": child["name"],
        "TrainingJobArn": job.get("TrainingJobArn", arn),
        "TuningJobName": doc["HyperParameterTuningJobName"],
        "CreationTime": job.get("CreationTime", doc["CreationTime"]),
        "TrainingJobStatus": status,
        "TunedHyperParameters": child["tuned"],
    }
    for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason"):
        if key in job:
            out[key] = job[key]
    if "error" in child:
        out["FailureReason"] = child["error"]
    value = objective_value(job, objective["MetricName"])
    if status in TERMINAL and value is not None:
        out[OBJECTIVE] = {"Type": objective["Type"], "MetricName": objective["MetricName"],
                          "Value": value}
        out["ObjectiveStatus"] = "Succeeded"
    else:
        out["ObjectiveStatus"] = "Failed" if status in TERMINAL else "Pending"
    return out


def best(summaries: list[Record], minimize: bool) -> Record | None:
    scored = [s for s in summaries if OBJECTIVE in s]
    if not scored:
        return None
    return (min if minimize else max)(scored, key=lambda s: s[OBJECTIVE]["Value"])


def best_value(summaries: list[Record], minimize: bool) -> float | None:
    top = best(summaries, minimize)
    return None if top is None else top[OBJECTIVE]["Value"]


def counters(summaries: list[Record]) -> Record:
    """TrainingJobStatusCounters and ObjectiveStatusCounters."""
    statuses = [s["TrainingJobStatus"] for s in summaries]
    objectives = [s["ObjectiveStatus"] for s in summaries]
    return {
        "TrainingJobStatusCounters": {
            "Completed": statuses.count(JobStatus.COMPLETED),
            "InProgress": statuses.count(JobStatus.IN_PROGRESS) + statuses.count(JobStatus.STOPPING),
            "RetryableError": 0, "NonRetryableError": statuses.count(JobStatus.FAILED),
            "Stopped": statuses.count(JobStatus.STOPPED)},
        "ObjectiveStatusCounters": {k: objectives.count(k) for k in ("Succeeded", "Pending", "Failed")},
    }


def refreshed(doc: Record, summaries: list[Record]) -> Record:
    """The fields of ``doc`` that change with its children (counters, BestTrainingJob)."""
    fields = counters(summaries)
    top = best(summaries, objective_of(doc)["Type"] == "Minimize")
    if top is not None:
        fields["BestTrainingJob"] = top
    return {k: v for k, v in fields.items() if doc.get(k) != v}


def close(doc: Record, fields: Record, status: str, reason: str | None, when: Any) -> None:
    """Write the tuning job's end: its final counters, status, end time and reason."""
    doc.update(fields)
    doc["HyperParameterTuningJobStatus"] = status
    doc["HyperParameterTuningEndTime"] = when
    doc["LastModifiedTime"] = when
    if reason:
        doc["FailureReason"] = reason
