"""What a tuning job does next, decided from what its children did: pure functions.

The run (``runner.py``) reads the children's records once a tick and acts on these
answers: how many training jobs to launch, which to stop early, whether it is done.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workflow.local.sagemaker.statuses import JobStatus
from workflow.local.sagemaker.tuning import early_stopping


@dataclass(frozen=True)
class Limits:
    parallel: int
    max_jobs: int
    minimize: bool
    #: TuningJobCompletionCriteria.TargetObjectiveMetricValue.
    target: float | None = None


def target_reached(best: float | None, limits: Limits) -> bool:
    """The best objective so far meets TargetObjectiveMetricValue: launch no more jobs."""
    if limits.target is None or best is None:
        return False
    return best <= limits.target if limits.minimize else best >= limits.target


def may_launch(running: int, launched: int, done: bool, limits: Limits) -> bool:
    """Whether a slot is free for one more training job."""
    return not done and running < limits.parallel and launched < limits.max_jobs


def complete(running: int, launched: int, done: bool, limits: Limits) -> bool:
    """No child runs, and no more will: the target was reached or the budget is spent."""
    return running == 0 and (done or launched >= limits.max_jobs)


def to_stop_early(running: Mapping[str, list[float]], history: list[list[float]],
                  minimize: bool) -> list[str]:
    """Running jobs the median rule stops (``history``: completed jobs' objective series)."""
    return [name for name, series in running.items()
            if early_stopping.should_stop(series, history, minimize)]


def final_status(best: float | None, metric: str) -> tuple[JobStatus, str | None]:
    """The tuning job's status once its children are done, and its FailureReason."""
    if best is None:
        return JobStatus.FAILED, (
            f"No training job reported the objective metric {metric}; see the training jobs' "
            "FailureReason and check the MetricDefinitions regex against their logs.")
    return JobStatus.COMPLETED, None
