"""``arn:aws:states:::sagemaker:<api>[.sync]``, the optimized SageMaker integration.

Request-response returns the API's output. ``.sync`` (Run a Job) submits the job, then
polls the matching Describe call until the job is terminal: Completed returns the
Describe output; Failed or Stopped fail the task with States.TaskFailed and the
Describe output as the cause. When the execution is stopped or the task times out,
the job is stopped too (Stop* call), as Step Functions does for Run a Job tasks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from ..errors import FailureError, StatesError, runtime_error
from .invocation import TaskInterrupted, TaskInvocation
from .sdk_errors import describe_client_error, exception_name
from .serialize import strip_metadata, to_jsonable
from .service_names import modeled_errors


@dataclass(frozen=True)
class JobKind:
    name_field: str
    describe: str
    stop: str
    status_field: str

    @property
    def kind(self) -> str:
        """The job's resource kind, e.g. "TrainingJob" (what ``JobWatch`` is told)."""
        return self.name_field.removesuffix("Name")


# APIs that support the Run a Job (.sync) pattern.
SYNC_JOBS = {
    "createTrainingJob": JobKind("TrainingJobName", "DescribeTrainingJob", "StopTrainingJob", "TrainingJobStatus"),
    "createHyperParameterTuningJob": JobKind(
        "HyperParameterTuningJobName", "DescribeHyperParameterTuningJob",
        "StopHyperParameterTuningJob", "HyperParameterTuningJobStatus"),
    "createTransformJob": JobKind("TransformJobName", "DescribeTransformJob", "StopTransformJob", "TransformJobStatus"),
    "createProcessingJob": JobKind("ProcessingJobName", "DescribeProcessingJob", "StopProcessingJob",
                                   "ProcessingJobStatus"),
    "createLabelingJob": JobKind("LabelingJobName", "DescribeLabelingJob", "StopLabelingJob", "LabelingJobStatus"),
}
# APIs of the optimized integration (request-response), per the SageMaker integration page.
REQUEST_RESPONSE = set(SYNC_JOBS) | {
    "createEndpoint", "createEndpointConfig", "createModel", "updateEndpoint",
}
_FAILED = {"Failed", "Stopped"}


def _operation(api: str) -> str:
    return api[:1].upper() + api[1:]


def _failure(exc: Exception) -> FailureError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        # Errors the SageMaker model declares get their own name; anything else (for
        # instance ValidationException) is the SDK's generic AmazonSageMakerException
        # (the optimized integration runs on the AWS SDK for Java 1.x).
        name = exception_name(code) if code in modeled_errors("sagemaker") else "AmazonSageMakerException"
        return FailureError(f"SageMaker.{name}", describe_client_error(exc, "AmazonSageMaker"))
    if isinstance(exc, BotoCoreError):
        return FailureError(StatesError.TASK_FAILED.value, f"{type(exc).__name__}: {exc}")
    return FailureError(StatesError.TASK_FAILED.value, str(exc))


def _call(invocation: TaskInvocation, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    client = invocation.client("sagemaker")
    method = getattr(client, xform_name(operation))
    try:
        response = invocation.call(lambda: method(**params))
    except (ClientError, BotoCoreError) as exc:
        raise _failure(exc) from None
    return cast("dict[str, Any]", to_jsonable(strip_metadata(response), epoch_millis=True))


def invoke(invocation: TaskInvocation) -> Any:
    resource = invocation.resource
    if resource.api not in REQUEST_RESPONSE:
        raise runtime_error(f"The SageMaker API '{resource.api}' is not supported by the optimized integration")
    if resource.pattern == "sync" and invocation.job is not None:
        # Submitted before the host restarted: wait for the same job.
        return _wait(invocation, SYNC_JOBS[resource.api], invocation.job)
    params = invocation.parameters if "Parameters" in invocation.state_spec else {}
    if not isinstance(params, dict):
        raise runtime_error("Parameters of a SageMaker task must be a JSON object")
    created = _call(invocation, _operation(resource.api), params)
    if resource.pattern != "sync":
        return created
    job = SYNC_JOBS[resource.api]
    name = params.get(job.name_field)
    invocation.submitted(created, name)
    return _wait(invocation, job, name)


def _wait(invocation: TaskInvocation, job: JobKind, name: Any) -> Any:
    try:
        with invocation.job_changes(job.kind, name) as changed:
            while True:
                description = _call(invocation, job.describe, {job.name_field: name})
                status = description.get(job.status_field)
                if status == "Completed":
                    return description
                if status in _FAILED:
                    raise FailureError(StatesError.TASK_FAILED.value, json.dumps(description))
                invocation.sleep(invocation.execution.poll_interval, changed)
    except TaskInterrupted as interrupted:
        if not interrupted.suspended:
            _stop(invocation, job, name)
        raise


def _stop(invocation: TaskInvocation, job: JobKind, name: Any) -> None:
    client = invocation.client("sagemaker")
    try:
        getattr(client, xform_name(job.stop))(**{job.name_field: name})
    except (ClientError, BotoCoreError):
        pass  # already terminal: nothing left to stop
