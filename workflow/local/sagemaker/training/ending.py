"""How a training job ends, decided from what happened to it: pure functions of plain values.

The runner (``runner.py``) watches the script and does the uploads; what the job's
final status is, and what its record then says, is decided here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.local.background import MAX_REASON
from workflow.local.sagemaker.records import MetricData, RuleEvaluation, TrainingJobRecord
from workflow.local.sagemaker.statuses import JobStatus, RuleStatus
from workflow.local.sagemaker.training.status import MAX_RUNTIME_EXCEEDED, finish_times, transition

#: MaxRuntimeInSeconds when the request has none (StoppingCondition, SageMaker API Reference).
DEFAULT_MAX_RUNTIME = 86400
#: Why a run was asked to end before its script exited.
STOPPED, MAX_RUNTIME, SHUTDOWN = "Stopped", MAX_RUNTIME_EXCEEDED, "Shutdown"
SHUTDOWN_REASON = ("InternalServerError: the local server shut down while the job ran; the script "
                   "was stopped. Start the job again under a new name.")


@dataclass(frozen=True)
class Ending:
    #: The final secondary status (Completed, Failed, Stopped, MaxRuntimeExceeded).
    secondary: str
    #: FailureReason known without reading the job's files (None: none, or the script's own).
    reason: str | None
    #: Upload what the job produced (output, checkpoints, rule results) before ending.
    collect: bool
    #: Upload the model too: AWS keeps the model of a stopped job, not of a failed one.
    upload_model: bool
    #: The script failed: the reason is its failure file or its log's tail.
    script_failed: bool = False


def ending(stop_reason: str | None, exit_code: int) -> Ending:
    """The end of a job whose script exited with ``exit_code`` after ``stop_reason``."""
    if stop_reason == SHUTDOWN:
        return Ending(JobStatus.FAILED, SHUTDOWN_REASON, collect=False, upload_model=False)
    if stop_reason == MAX_RUNTIME:
        return Ending(MAX_RUNTIME, None, collect=True, upload_model=True)
    if stop_reason:
        return Ending(JobStatus.STOPPED, None, collect=True, upload_model=True)
    if exit_code == 0:
        return Ending(JobStatus.COMPLETED, None, collect=True, upload_model=True)
    return Ending(JobStatus.FAILED, None, collect=True, upload_model=False, script_failed=True)


def stop_status(stop_reason: str | None) -> str:
    """The secondary status a job stopped before its script ran ends in."""
    return MAX_RUNTIME if stop_reason == MAX_RUNTIME else JobStatus.STOPPED


def max_runtime(request: dict[str, Any]) -> int:
    return request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)


def past_max_runtime(elapsed: float, limit: float) -> bool:
    return elapsed > limit


def kill_due(stop_sent: float | None, now: float, grace: float) -> bool:
    """SIGKILL once a stopped script has had ``grace`` seconds since SIGTERM (as SageMaker)."""
    return stop_sent is not None and now - stop_sent > grace


def mark_rules(doc: TrainingJobRecord, status: RuleStatus, details: str, when: datetime) -> None:
    """Every rule of ``doc`` still InProgress ends in ``status`` with ``details``."""
    for rule in rules_in_progress(doc):
        rule.update({"RuleEvaluationStatus": status, "LastModifiedTime": when,
                     "StatusDetails": details[:MAX_REASON]})


def rules_in_progress(doc: TrainingJobRecord) -> list[RuleEvaluation]:
    """The rules of ``doc``, Debugger's then Profiler's, whose evaluation has not ended."""
    return [rule for rule in doc.get("DebugRuleEvaluationStatuses", [])
            + doc.get("ProfilerRuleEvaluationStatuses", [])
            if rule.get("RuleEvaluationStatus") == RuleStatus.IN_PROGRESS]


def close(doc: TrainingJobRecord, secondary: str, failure: str | None, *, when: datetime,
          final_metrics: list[MetricData], limit: int | None) -> None:
    """Write the job's end into its record: status, reason, metrics, times, rules.

    A Completed job's rules go on (they run beside the job on AWS); any other end
    stops the rules that had not run.
    """
    if secondary in (JobStatus.STOPPED, MAX_RUNTIME) and doc["SecondaryStatus"] != JobStatus.STOPPING:
        transition(doc, JobStatus.STOPPING, when=when)
    transition(doc, secondary, when=when)
    if secondary == MAX_RUNTIME:
        doc["FailureReason"] = (f"MaxRuntimeExceeded: Training job stopped because it exceeded "
                                f"MaxRuntimeInSeconds ({limit} s)")
    if failure:
        doc["FailureReason"] = failure[:MAX_REASON]
    if final_metrics:
        doc["FinalMetricDataList"] = final_metrics
    if secondary != JobStatus.COMPLETED:
        mark_rules(doc, RuleStatus.STOPPED, "The training job ended before the rule ran.", when)
    finish_times(doc, when)
