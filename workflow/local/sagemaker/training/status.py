"""Training job status and secondary-status transitions, with AWS's messages."""
from __future__ import annotations

from datetime import datetime, timezone

from workflow.local.sagemaker.records import SecondaryStatusTransition, TrainingJobRecord
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus

#: The secondary status of a job stopped for running past MaxRuntimeInSeconds.
MAX_RUNTIME_EXCEEDED = "MaxRuntimeExceeded"

MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job stopped because it exceeded the MaxRuntimeInSeconds",
}

#: The primary status each secondary status implies.
PRIMARY = {
    "Completed": JobStatus.COMPLETED,
    "Failed": JobStatus.FAILED,
    "Stopping": JobStatus.STOPPING,
    "Stopped": JobStatus.STOPPED,
    MAX_RUNTIME_EXCEEDED: JobStatus.STOPPED,
}


def now() -> datetime:
    return datetime.now(timezone.utc)


def transition(doc: TrainingJobRecord, secondary: str, message: str | None = None,
               when: datetime | None = None) -> TrainingJobRecord:
    """Close the current secondary status and open ``secondary``; returns ``doc``."""
    when = when or now()
    transitions = doc.setdefault("SecondaryStatusTransitions", [])
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = when
    entry = SecondaryStatusTransition(Status=secondary, StartTime=when,
                                      StatusMessage=message or MESSAGES.get(secondary, secondary))
    if secondary in TERMINAL or secondary == MAX_RUNTIME_EXCEEDED:
        entry["EndTime"] = when
    transitions.append(entry)
    doc["SecondaryStatus"] = secondary
    doc["TrainingJobStatus"] = PRIMARY.get(secondary, JobStatus.IN_PROGRESS)
    doc["LastModifiedTime"] = when
    return doc


def finish_times(doc: TrainingJobRecord, when: datetime) -> None:
    doc["TrainingEndTime"] = when
    start = doc.get("TrainingStartTime")
    if start is not None:
        seconds = max(1, int(round((when - start).total_seconds())))
        doc["TrainingTimeInSeconds"] = seconds
        doc["BillableTimeInSeconds"] = seconds
