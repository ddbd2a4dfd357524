"""The TuningJobs part: Create/Describe/List/Stop HyperParameterTuningJob and its children."""
from __future__ import annotations

import copy
import logging
import re
import threading
from typing import Any

from workflow.local.context import ServerContext
from workflow.local.errors import ResourceInUse, ResourceNotFound, ServiceError, ValidationException
from workflow.local.sagemaker.finished import FinishedListeners
from workflow.local.sagemaker.training import TrainingJobs, staging
from workflow.local.sagemaker.training.listing import page
from workflow.local.sagemaker.training.metrics import compile_definitions
from workflow.local.sagemaker.training.status import TERMINAL as TRAINING_TERMINAL
from workflow.local.sagemaker.training.status import now
from workflow.local.sagemaker.tuning.runner import TuningRun
from workflow.local.sagemaker.tuning.space import parse_ranges

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
SUMMARY_KEYS = ("HyperParameterTuningJobName", "HyperParameterTuningJobArn",
                "HyperParameterTuningJobStatus", "CreationTime", "HyperParameterTuningEndTime",
                "LastModifiedTime", "TrainingJobStatusCounters", "ObjectiveStatusCounters")
SHUTDOWN_WAIT_SECONDS = 5.0


def _objective(summary: dict[str, Any]) -> float:
    return summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]


class TuningJobs:
    KIND = "sagemaker.tuning-job"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.runs: dict[str, TuningRun] = {}
        self._lock = threading.Lock()
        self.finished_listeners = FinishedListeners()

    @property
    def training(self) -> TrainingJobs:
        return self.ctx.backend("sagemaker").part(TrainingJobs)  # type: ignore[attr-defined]  # the SageMaker backend's part

    def arn(self, name: str) -> str:
        return self.ctx.arn("sagemaker", f"hyper-parameter-tuning-job/{name.lower()}")

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        """Take up the tuning jobs an earlier server left running (the training part has
        watched their children again by now); fail those it cannot."""
        self.training.finished_listeners.add(self._child_finished)
        for doc in self.ctx.store.list(self.KIND):
            if doc["HyperParameterTuningJobStatus"] not in TERMINAL and not self._take_up(doc):
                self.finish(doc["HyperParameterTuningJobName"], "Failed",
                            "InternalServerError: the local server stopped while this tuning job "
                            "was running, so it was ended. Start it again under a new name.")

    def _take_up(self, doc: dict[str, Any]) -> bool:
        request = doc.get("_local", {}).get("request")
        if request is None:
            return False
        config = request["HyperParameterTuningJobConfig"]
        try:
            run = TuningRun(self, doc["HyperParameterTuningJobName"], request,
                            parse_ranges(config.get("ParameterRanges", {}), config.get("Strategy", "Bayesian")))
            run.restore(doc["_local"].get("children", []))
        except Exception:
            log.exception("cannot take up the tuning job %s", doc["HyperParameterTuningJobName"])
            return False
        with self._lock:
            self.runs[run.tuning_name] = run
        if doc["HyperParameterTuningJobStatus"] == "Stopping":
            run.request_stop()
        run.start()
        return True

    def shutdown(self) -> None:
        with self._lock:
            runs = list(self.runs.values())
        for run in runs:
            run.abandoned = True
            run.request_stop()
        for run in runs:
            run.join(SHUTDOWN_WAIT_SECONDS)

    def _child_finished(self, name: str) -> None:
        with self._lock:
            runs = list(self.runs.values())
        for run in runs:
            if name in run.running:
                run.wake.set()

    # -- used by TuningRun ------------------------------------------------------------
    def record_child(self, name: str, child: dict[str, Any]) -> None:
        self.ctx.store.update(self.KIND, name,
                              lambda d: d["_local"].setdefault("children", []).append(child))

    def stop_child(self, name: str) -> None:
        try:
            self.training.stop_training_job({"TrainingJobName": name})
        except ServiceError:
            pass  # it ended on its own meanwhile

    def _summary(self, doc: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
        objective = doc["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
        job = self.training.job(child["name"]) or {}
        status = job.get("TrainingJobStatus", "Failed")
        summary: dict[str, Any] = {
            "TrainingJobName": child["name"],
            "TrainingJobArn": job.get("TrainingJobArn", self.ctx.arn(
                "sagemaker", f"training-job/{child['name'].lower()}")),
            "TuningJobName": doc["HyperParameterTuningJobName"],
            "CreationTime": job.get("CreationTime", doc["CreationTime"]),
            "TrainingJobStatus": status,
            "TunedHyperParameters": child["tuned"],
        }
        for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason"):
            if key in job:
                summary[key] = job[key]
        if "error" in child:
            summary["FailureReason"] = child["error"]
        value = next((m["Value"] for m in job.get("FinalMetricDataList", [])
                      if m["MetricName"] == objective["MetricName"]), None)
        if status in TRAINING_TERMINAL and value is not None:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": objective["Type"], "MetricName": objective["MetricName"], "Value": value}
            summary["ObjectiveStatus"] = "Succeeded"
        else:
            summary["ObjectiveStatus"] = "Failed" if status in TRAINING_TERMINAL else "Pending"
        return summary

    def children(self, name: str) -> list[dict[str, Any]]:
        doc = self._get(name)
        return [self._summary(doc, c) for c in doc["_local"].get("children", [])]

    def _best(self, doc: dict[str, Any], summaries: list[dict[str, Any]]) -> dict[str, Any] | None:
        scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
        if not scored:
            return None
        minimize = doc["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"][
            "Type"] == "Minimize"
        return min(scored, key=_objective) if minimize else max(scored, key=_objective)

    def best_value(self, name: str) -> float | None:
        best = self._best(self._get(name), self.children(name))
        return None if best is None else best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]

    def refresh(self, name: str) -> None:
        """Recompute the counters and the best job from the children's current state."""
        summaries = self.children(name)
        statuses = [s["TrainingJobStatus"] for s in summaries]
        objectives = [s["ObjectiveStatus"] for s in summaries]
        fields: dict[str, Any] = {
            "TrainingJobStatusCounters": {
                "Completed": statuses.count("Completed"),
                "InProgress": statuses.count("InProgress") + statuses.count("Stopping"),
                "RetryableError": 0, "NonRetryableError": statuses.count("Failed"),
                "Stopped": statuses.count("Stopped")},
            "ObjectiveStatusCounters": {k: objectives.count(k) for k in ("Succeeded", "Pending", "Failed")},
        }

        def change(doc: dict[str, Any]) -> None:
            best = self._best(doc, summaries)
            if best is not None:
                fields["BestTrainingJob"] = best
            if any(doc.get(k) != v for k, v in fields.items()):
                doc.update(fields)
                doc["LastModifiedTime"] = now()

        self.ctx.store.update(self.KIND, name, change)

    def finish(self, name: str, status: str, reason: str | None) -> None:
        self.refresh(name)  # the counters must show the children's final status

        def change(doc: dict[str, Any]) -> None:
            when = now()
            doc["HyperParameterTuningJobStatus"] = status
            doc["HyperParameterTuningEndTime"] = when
            doc["LastModifiedTime"] = when
            if reason:
                doc["FailureReason"] = reason

        self.ctx.store.update(self.KIND, name, change)
        with self._lock:
            self.runs.pop(name, None)
        self.finished_listeners.notify(name)

    # -- operations -----------------------------------------------------------------------
    def create_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["HyperParameterTuningJobName"]
        if not NAME.match(name):
            raise ValidationException(f"Value '{name}' at 'hyperParameterTuningJobName' failed to "
                                      f"satisfy constraint: Member must satisfy regular expression "
                                      f"pattern: {NAME.pattern}")
        definition = params.get("TrainingJobDefinition")
        if definition is None:
            raise ValidationException("TrainingJobDefinition is required locally (TrainingJobDefinitions "
                                      "with several definitions is not supported)")
        config = params["HyperParameterTuningJobConfig"]
        objective = config.get("HyperParameterTuningJobObjective")
        if objective is None:
            raise ValidationException("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective "
                                      "is required")
        metric_names = [m["Name"] for m in definition["AlgorithmSpecification"].get("MetricDefinitions", [])]
        compile_definitions(definition["AlgorithmSpecification"].get("MetricDefinitions", []),
                            "TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions")
        if objective["MetricName"] not in metric_names:
            raise ValidationException(
                f"HyperParameterTuningJobObjective.MetricName: {objective['MetricName']} has no "
                f"regex in TrainingJobDefinition.AlgorithmSpecification.MetricDefinitions "
                f"({', '.join(metric_names) or 'none'})")
        limits = config["ResourceLimits"]
        if limits["MaxParallelTrainingJobs"] < 1 or limits.get("MaxNumberOfTrainingJobs", 1) < 1:
            raise ValidationException("ResourceLimits: MaxParallelTrainingJobs and "
                                      "MaxNumberOfTrainingJobs must be at least 1")
        ranges = parse_ranges(config.get("ParameterRanges", {}), config.get("Strategy", "Bayesian"))
        static = definition.get("StaticHyperParameters", {})
        clash = sorted(set(static) & {p.name for p in ranges})
        if clash:
            raise ValidationException(f"StaticHyperParameters: {', '.join(clash)} also tuned in "
                                      "ParameterRanges")
        # A definition every child would fail on is refused now, not after N failed jobs.
        staging.validate({**definition, "HyperParameters": static})
        when = now()
        doc = {"HyperParameterTuningJobName": name, "HyperParameterTuningJobArn": self.arn(name),
               "HyperParameterTuningJobConfig": copy.deepcopy(config),
               "TrainingJobDefinition": copy.deepcopy(definition),
               "HyperParameterTuningJobStatus": "InProgress", "CreationTime": when,
               "LastModifiedTime": when,
               "TrainingJobStatusCounters": {"Completed": 0, "InProgress": 0, "RetryableError": 0,
                                             "NonRetryableError": 0, "Stopped": 0},
               "ObjectiveStatusCounters": {"Succeeded": 0, "Pending": 0, "Failed": 0},
               "_local": {"children": [], "tags": params.get("Tags", []),
                          # What a server that restarts takes the tuning job up again with.
                          "request": copy.deepcopy(params)}}
        run = TuningRun(self, name, params, ranges)  # validates the strategy before storing
        if not self.ctx.store.insert(self.KIND, name, doc):
            raise ResourceInUse(f"Hyperparameter tuning job {name} already exists")
        with self._lock:
            self.runs[name] = run
        run.start()
        return {"HyperParameterTuningJobArn": doc["HyperParameterTuningJobArn"]}

    def _get(self, name: str) -> dict[str, Any]:
        doc = self.ctx.store.get(self.KIND, name)
        if doc is None:
            raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")
        return doc

    def describe_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        doc = self._get(params["HyperParameterTuningJobName"])
        return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_")}

    def list_hyper_parameter_tuning_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        items, token = page(self.ctx.store.list(self.KIND), params,
                            status_key="HyperParameterTuningJobStatus",
                            name_key="HyperParameterTuningJobName")
        summaries = [{**{k: d[k] for k in SUMMARY_KEYS if k in d},
                      "Strategy": d["HyperParameterTuningJobConfig"].get("Strategy", "Bayesian"),
                      "ResourceLimits": d["HyperParameterTuningJobConfig"]["ResourceLimits"]}
                     for d in items]
        return {"HyperParameterTuningJobSummaries": summaries, **({"NextToken": token} if token else {})}

    def list_training_jobs_for_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        summaries = self.children(params["HyperParameterTuningJobName"])
        if params.get("SortBy") == "FinalObjectiveMetricValue":
            summaries = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
            key = _objective
        else:
            key = None
        items, token = page(summaries, params, status_key="TrainingJobStatus",
                            name_key="TrainingJobName", sort_key=key)
        return {"TrainingJobSummaries": items, **({"NextToken": token} if token else {})}

    def stop_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["HyperParameterTuningJobName"]
        doc = self._get(name)
        if doc["HyperParameterTuningJobStatus"] != "InProgress":
            raise ValidationException(f"The tuning job {name} is {doc['HyperParameterTuningJobStatus']} "
                                      "and cannot be stopped")
        self.ctx.store.update(self.KIND, name, lambda d: d.update(
            HyperParameterTuningJobStatus="Stopping", LastModifiedTime=now()))
        with self._lock:
            run = self.runs.get(name)
        if run is not None:
            run.request_stop()
        return {}
