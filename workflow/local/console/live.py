"""``progress.json`` (a running job's epoch, metrics and time left) and ``schedules.json``
(schedules, next firing times, the runs they started): the same text and numbers `run`
and ``schedule list`` print, read through the AWS APIs of the server."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workflow.local.console.aws import client
from workflow.pipeline.job_progress import progress_line, training_progress, tuning_jobs_in_progress
from workflow.schedule_status import schedule_statuses


def _first(query: Mapping[str, Any], key: str) -> str | None:
    value = query.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value or None


def progress_document(query: Mapping[str, Any], endpoint_url: str) -> tuple[int, dict[str, Any]]:
    training, tuning = _first(query, "training"), _first(query, "tuning")
    if not training and not tuning:
        return 400, {"__type": "ValidationException", "message": "give training=NAME or tuning=NAME"}
    sagemaker = client("sagemaker", endpoint_url)
    try:
        jobs = ([training_progress(sagemaker.describe_training_job(TrainingJobName=training))] if training
                else tuning_jobs_in_progress(sagemaker, str(tuning)))
    except ClientError as err:
        error = err.response.get("Error", {})
        return 400, {"__type": error.get("Code", "ServiceError"), "message": error.get("Message", "")}
    except BotoCoreError as err:
        return 502, {"__type": "ServiceError", "message": str(err)}
    return 200, {"jobs": [{**asdict(job), "line": progress_line(job)} for job in jobs]}


def schedules_document(endpoint_url: str) -> tuple[int, dict[str, Any]]:
    try:
        statuses = schedule_statuses(client("scheduler", endpoint_url), client("stepfunctions", endpoint_url))
    except (ClientError, BotoCoreError) as err:
        return 502, {"__type": "ServiceError", "message": str(err)}
    return 200, {"schedules": [asdict(s) for s in statuses]}
