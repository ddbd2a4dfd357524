"""One tuning job: propose, launch child training jobs in parallel, learn, pick the best.

A run touches only what it is given: its record, the training jobs (through
``ChildJobs``), a clock and ``on_finished``. Each tick it reads every child's
record once; what to do with them is decided in ``decisions.py`` and what the
record then says in ``summary.py``.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from workflow.local import background
from workflow.local.background import failure_reason
from workflow.local.errors import ServiceError
from workflow.local.sagemaker.record_table import RecordHandle
from workflow.local.sagemaker.records import (
    TrainingJob,
    TrainingJobSummary,
    TuningChild,
    TuningJobRecord,
    TuningObjective,
)
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus
from workflow.local.sagemaker.training.status import now
from workflow.local.sagemaker.training.toolkit_env import cpu_count
from workflow.local.sagemaker.tuning import decisions, strategy, summary
from workflow.local.sagemaker.tuning.space import Param, grid_size

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
STATUS = "HyperParameterTuningJobStatus"
SHUTDOWN_REASON = ("InternalServerError: the local server shut down while the tuning job ran; "
                   "its training jobs were ended.")


class ChildJobs(Protocol):
    """What a tuning job asks of the training jobs it launches."""

    def create(self, request: dict[str, Any], tuning_job_arn: str) -> None: ...

    def describe(self, name: str) -> TrainingJob | None: ...

    def stop(self, name: str) -> None: ...

    def series(self, name: str) -> dict[str, list[float]]: ...

    def arn(self, name: str) -> str: ...


def child_name(tuning_name: str, index: int, tuned: dict[str, str]) -> str:
    """``<tuning-job>-<nnn>-<hash>``, the way SageMaker names a tuning job's training jobs."""
    digest = hashlib.sha1(f"{tuning_name}/{index}/{sorted(tuned.items())}".encode(),
                          usedforsecurity=False).hexdigest()
    return f"{tuning_name}-{index:03d}-{digest[:8]}"


class TuningRun:
    def __init__(self, name: str, request: dict[str, Any], params: list[Param], *,
                 record: RecordHandle[TuningJobRecord],
                 jobs: ChildJobs, arn: str, on_finished: Callable[[str], None],
                 clock: Callable[[], datetime] = now) -> None:
        self.tuning_name, self.request, self.params = name, request, params
        self.record, self.jobs, self.arn = record, jobs, arn
        self.on_finished, self.clock = on_finished, clock
        config = request["HyperParameterTuningJobConfig"]
        self.objective: TuningObjective = config["HyperParameterTuningJobObjective"]
        limits = config["ResourceLimits"]
        max_jobs = limits.get("MaxNumberOfTrainingJobs", 10**6)
        if config.get("Strategy", "Bayesian") == "Grid":
            max_jobs = min(max_jobs, grid_size(params))
        self.limits = decisions.Limits(
            parallel=limits["MaxParallelTrainingJobs"], max_jobs=max_jobs,
            minimize=self.objective["Type"] == "Minimize",
            target=config.get("TuningJobCompletionCriteria", {}).get("TargetObjectiveMetricValue"))
        self.early_stopping = config.get("TrainingJobEarlyStoppingType", "Off") == "Auto"
        self.study = strategy.make_study(config.get("Strategy", "Bayesian"), params,
                                         direction=self.objective["Type"],
                                         seed=config.get("RandomSeed"), max_jobs=max_jobs)
        self.children: list[TuningChild] = []
        self.running: dict[str, Any] = {}  # child name -> optuna trial
        self.stop_requested = threading.Event()
        #: Set when a child job ends or a stop is requested: the loop looks at once.
        self.wake = threading.Event()
        self.abandoned = False
        #: The children's summaries as the last tick saw them.
        self.last_summaries: list[TrainingJobSummary] | None = None
        self._task = background.BackgroundTask(f"tuning-{name}", self._loop, self._crashed)

    @property
    def launched(self) -> int:
        return len(self.children)

    def restore(self, children: list[TuningChild]) -> None:
        """Take up the children an earlier server launched: the ended ones are told to the
        study again, the running ones (their scripts outlived that server) are waited for."""
        for child in children:
            self.children.append(child)
            trial = strategy.replay(self.study, self.params, child["tuned"])
            job = None if "error" in child else self.jobs.describe(child["name"])
            if job is not None and job["TrainingJobStatus"] not in TERMINAL:
                self.running[child["name"]] = trial
            else:
                self._tell(trial, job)

    # -- called from other threads ----------------------------------------------
    def start(self) -> None:
        self._task.start()

    def join(self, timeout: float | None = None) -> None:
        self._task.join(timeout)

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()

    # -- child jobs -----------------------------------------------------------
    def _child_request(self, name: str, tuned: dict[str, str]) -> dict[str, Any]:
        definition = self.request["TrainingJobDefinition"]
        env = dict(definition.get("Environment", {}))
        # Parallel jobs share the machine: give each its share of the cores so their
        # thread pools do not fight over them.
        threads = str(max(1, cpu_count() // self.limits.parallel))
        for variable in THREAD_VARIABLES:
            env.setdefault(variable, threads)
        child = {k: definition[k] for k in (
            "RoleArn", "InputDataConfig", "OutputDataConfig", "ResourceConfig", "VpcConfig",
            "StoppingCondition", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
            "EnableManagedSpotTraining", "CheckpointConfig", "RetryStrategy") if k in definition}
        child.update(TrainingJobName=name,
                     AlgorithmSpecification=dict(definition["AlgorithmSpecification"]),
                     HyperParameters={**definition.get("StaticHyperParameters", {}), **tuned},
                     Environment=env)
        return child

    def _launch(self) -> None:
        trial, tuned = strategy.ask(self.study, self.params)
        name = child_name(self.tuning_name, self.launched + 1, tuned)
        child = TuningChild(name=name, tuned=tuned)
        try:
            self.jobs.create(self._child_request(name, tuned), self.arn)
        except ServiceError as err:
            strategy.tell(self.study, trial, state=_fail_state())
            child["error"] = err.message
        else:
            self.running[name] = trial
        self.children.append(child)
        self.record.update(lambda d: d["_local"].setdefault("children", []).append(child))

    def _tell(self, trial: Any, job: TrainingJob | None) -> None:
        value = None if job is None else summary.objective_value(job, self.objective["MetricName"])
        if value is None:
            strategy.tell(self.study, trial, state=_fail_state())
        else:
            strategy.tell(self.study, trial, value)

    def _read(self) -> dict[str, TrainingJob | None]:
        """Every child's record, read once for this tick."""
        return {c["name"]: None if "error" in c else self.jobs.describe(c["name"])
                for c in self.children}

    def _reap(self, records: dict[str, TrainingJob | None]) -> None:
        for name in list(self.running):
            job = records.get(name)
            if job is not None and job["TrainingJobStatus"] in TERMINAL:
                self._tell(self.running.pop(name), job)

    def _summaries(self, doc: TuningJobRecord, records: dict[str, TrainingJob | None]
                   ) -> list[TrainingJobSummary]:
        return [summary.summary(doc, c, records.get(c["name"]), self.jobs.arn(c["name"]))
                for c in self.children]

    def _stop_hopeless(self, summaries: list[TrainingJobSummary]) -> None:
        metric = self.objective["MetricName"]
        history = [self.jobs.series(s["TrainingJobName"]).get(metric, [])
                   for s in summaries if s["TrainingJobStatus"] == JobStatus.COMPLETED]
        running = {name: self.jobs.series(name).get(metric, []) for name in self.running}
        for name in decisions.to_stop_early(running, history, self.limits.minimize):
            self.jobs.stop(name)

    def _refresh(self, summaries: list[TrainingJobSummary]) -> None:
        def change(doc: TuningJobRecord) -> None:
            fields = summary.refreshed(doc, summaries)
            if fields:
                doc.update(fields)
                doc["LastModifiedTime"] = self.clock()

        self.record.update(change)

    # -- the loop ---------------------------------------------------------------
    def _crashed(self, err: Exception) -> None:
        """The server failed the tuning job: its children are stopped and it ends Failed,
        with the counters of the last tick (reading the children may be what broke)."""
        for name in self.running:
            try:
                self.jobs.stop(name)
            except Exception:
                log.exception("tuning job %s: cannot stop %s", self.tuning_name, name)
        self._finish(JobStatus.FAILED, failure_reason(err), self.last_summaries)

    def _loop(self) -> None:
        doc = self.record.get()
        assert doc is not None, f"the tuning job {self.tuning_name} has no record"
        while True:
            # Cleared before looking: a child that ends while the loop looks wakes the next wait.
            self.wake.clear()
            if self.abandoned:
                self._finish(JobStatus.FAILED, SHUTDOWN_REASON, self._summaries(doc, self._read()))
                return
            records = self._read()
            self._reap(records)
            summaries = self.last_summaries = self._summaries(doc, records)
            if self.stop_requested.is_set():
                for name in self.running:
                    self.jobs.stop(name)
                if not self.running:
                    self._finish(JobStatus.STOPPED, None, summaries)
                    return
            else:
                if self.early_stopping:
                    self._stop_hopeless(summaries)
                best = summary.best_value(summaries, self.limits.minimize)
                done = decisions.target_reached(best, self.limits)
                while decisions.may_launch(len(self.running), self.launched, done, self.limits):
                    self._launch()
                if len(summaries) < self.launched:  # the jobs launched this tick count now
                    records.update(self._read_new(records))
                    summaries = self.last_summaries = self._summaries(doc, records)
                if decisions.complete(len(self.running), self.launched, done, self.limits):
                    status, reason = decisions.final_status(best, self.objective["MetricName"])
                    self._finish(status, reason, summaries)
                    return
            self._refresh(summaries)
            self.wake.wait(POLL_SECONDS)

    def _read_new(self, records: dict[str, TrainingJob | None]) -> dict[str, TrainingJob | None]:
        return {c["name"]: None if "error" in c else self.jobs.describe(c["name"])
                for c in self.children if c["name"] not in records}

    def _finish(self, status: JobStatus, reason: str | None,
                summaries: list[TrainingJobSummary] | None = None) -> None:
        """End the tuning job once; its counters show ``summaries`` (the children's final
        status) when given."""
        when = self.clock()

        def close(doc: TuningJobRecord) -> None:
            summary.close(doc, summaries, status, reason, when)

        if self.record.settle(STATUS, close):
            self.on_finished(self.tuning_name)


def _fail_state() -> Any:
    from optuna.trial import TrialState  # deferred: optuna's import takes about 1.1 s (-X importtime)

    return TrialState.FAIL
