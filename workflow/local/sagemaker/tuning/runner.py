"""One tuning job: propose, launch child training jobs in parallel, learn, pick the best."""
from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any

from workflow.local.errors import ServiceError
from workflow.local.sagemaker.training.status import TERMINAL
from workflow.local.sagemaker.training.toolkit_env import cpu_count
from workflow.local.sagemaker.tuning import early_stopping, strategy
from workflow.local.sagemaker.tuning.space import Param, grid_size

if TYPE_CHECKING:
    from workflow.local.sagemaker.tuning.jobs import TuningJobs

POLL_SECONDS = 0.2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child_name(tuning_name: str, index: int, tuned: dict[str, str]) -> str:
    """``<tuning-job>-<nnn>-<hash>``, the way SageMaker names a tuning job's training jobs."""
    digest = hashlib.sha1(f"{tuning_name}/{index}/{sorted(tuned.items())}".encode(),
                          usedforsecurity=False).hexdigest()
    return f"{tuning_name}-{index:03d}-{digest[:8]}"


class TuningRun(threading.Thread):
    def __init__(self, part: TuningJobs, name: str, request: dict[str, Any],
                 params: list[Param]) -> None:
        super().__init__(name=f"tuning-{name}", daemon=True)
        self.part, self.tuning_name, self.request, self.params = part, name, request, params
        config = request["HyperParameterTuningJobConfig"]
        self.objective = config["HyperParameterTuningJobObjective"]
        self.minimize = self.objective["Type"] == "Minimize"
        limits = config["ResourceLimits"]
        self.parallel = limits["MaxParallelTrainingJobs"]
        self.max_jobs = limits.get("MaxNumberOfTrainingJobs", 10**6)
        if config.get("Strategy", "Bayesian") == "Grid":
            self.max_jobs = min(self.max_jobs, grid_size(params))
        self.early_stopping = config.get("TrainingJobEarlyStoppingType", "Off") == "Auto"
        self.target = config.get("TuningJobCompletionCriteria", {}).get("TargetObjectiveMetricValue")
        self.study = strategy.make_study(config.get("Strategy", "Bayesian"), params,
                                         direction=self.objective["Type"],
                                         seed=config.get("RandomSeed"), max_jobs=self.max_jobs)
        self.running: dict[str, Any] = {}  # child name -> optuna trial
        self.stop_requested = threading.Event()
        #: Set when a child job ends or a stop is requested: the loop looks at once.
        self.wake = threading.Event()
        self.abandoned = False
        self.launched = 0

    def restore(self, children: list[dict[str, Any]]) -> None:
        """Take up the children an earlier server launched: the ended ones are told to the
        study again, the running ones (their scripts outlived that server) are waited for."""
        for child in children:
            self.launched += 1
            trial = strategy.replay(self.study, self.params, child["tuned"])
            job = None if "error" in child else self.part.training.job(child["name"])
            if job is None:
                strategy.tell(self.study, trial, state=_fail_state())
            elif job["TrainingJobStatus"] not in TERMINAL:
                self.running[child["name"]] = trial
            else:
                value = self._objective(job)
                if value is None:
                    strategy.tell(self.study, trial, state=_fail_state())
                else:
                    strategy.tell(self.study, trial, value)

    # -- child jobs -----------------------------------------------------------
    def _child_request(self, name: str, tuned: dict[str, str]) -> dict[str, Any]:
        definition = self.request["TrainingJobDefinition"]
        env = dict(definition.get("Environment", {}))
        # Parallel jobs share the machine: give each its share of the cores so their
        # thread pools do not fight over them.
        threads = str(max(1, cpu_count() // self.parallel))
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

    def _launch(self) -> bool:
        trial, tuned = strategy.ask(self.study, self.params)
        self.launched += 1
        name = child_name(self.tuning_name, self.launched, tuned)
        try:
            self.part.training.create_training_job(self._child_request(name, tuned),
                                                   tuning_job_arn=self.part.arn(self.tuning_name))
        except ServiceError as err:
            strategy.tell(self.study, trial, state=_fail_state())
            self.part.record_child(self.tuning_name, {"name": name, "tuned": tuned,
                                                      "error": err.message})
            return False
        self.running[name] = trial
        self.part.record_child(self.tuning_name, {"name": name, "tuned": tuned})
        return True

    def _objective(self, job: dict[str, Any]) -> float | None:
        for metric in job.get("FinalMetricDataList", []):
            if metric["MetricName"] == self.objective["MetricName"]:
                return float(metric["Value"])
        return None

    def _reap(self) -> None:
        for name in list(self.running):
            job = self.part.training.job(name)
            if job is None or job["TrainingJobStatus"] not in TERMINAL:
                continue
            trial = self.running.pop(name)
            value = self._objective(job)
            if value is not None:
                strategy.tell(self.study, trial, value)
            else:
                strategy.tell(self.study, trial, state=_fail_state())

    def _series(self, name: str) -> list[float]:
        return self.part.training.metric_series(name).get(self.objective["MetricName"], [])

    def _stop_hopeless(self) -> None:
        history = [self._series(c["TrainingJobName"]) for c in self.part.children(self.tuning_name)
                   if c["TrainingJobStatus"] == "Completed"]
        for name in list(self.running):
            if early_stopping.should_stop(self._series(name), history, self.minimize):
                self.part.stop_child(name)

    def _target_reached(self) -> bool:
        if self.target is None:
            return False
        best = self.part.best_value(self.tuning_name)
        return best is not None and (best <= self.target if self.minimize else best >= self.target)

    # -- the loop ---------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        except Exception as err:  # noqa: BLE001 - a tuning job must end, never stay InProgress
            for name in self.running:
                self.part.stop_child(name)
            self.part.finish(self.tuning_name, "Failed",
                             f"InternalServerError: {type(err).__name__}: {err}")

    def _loop(self) -> None:
        while True:
            # Cleared before looking: a child that ends while the loop looks wakes the next wait.
            self.wake.clear()
            if self.abandoned:
                self.part.finish(self.tuning_name, "Failed", "InternalServerError: the local server "
                                 "shut down while the tuning job ran; its training jobs were ended.")
                return
            self._reap()
            if self.stop_requested.is_set():
                for name in self.running:
                    self.part.stop_child(name)
                if not self.running:
                    self.part.finish(self.tuning_name, "Stopped", None)
                    return
            else:
                if self.early_stopping:
                    self._stop_hopeless()
                done = self._target_reached()
                while not done and len(self.running) < self.parallel and self.launched < self.max_jobs:
                    self._launch()
                if not self.running and (done or self.launched >= self.max_jobs):
                    self._complete()
                    return
            self.part.refresh(self.tuning_name)
            self.wake.wait(POLL_SECONDS)

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()

    def _complete(self) -> None:
        self.part.refresh(self.tuning_name)
        if self.part.best_value(self.tuning_name) is None:
            self.part.finish(self.tuning_name, "Failed",
                             "No training job reported the objective metric "
                             f"{self.objective['MetricName']}; see the training jobs' FailureReason "
                             "and check the MetricDefinitions regex against their logs.")
        else:
            self.part.finish(self.tuning_name, "Completed", None)


def _fail_state() -> Any:
    from optuna.trial import TrialState

    return TrialState.FAIL

