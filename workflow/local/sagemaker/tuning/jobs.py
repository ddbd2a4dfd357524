"""The TuningJobs part: Create/Describe/List/Stop HyperParameterTuningJob and its children."""
from __future__ import annotations

import copy
import logging
import re
from typing import TYPE_CHECKING, Any, cast

from workflow.local.context import ServerContext
from workflow.local.errors import ResourceInUse, ResourceNotFound, ServiceError, ValidationException
from workflow.local.sagemaker.finished import JobRuns
from workflow.local.sagemaker.listing import list_entry, page, public, with_token
from workflow.local.sagemaker.record_table import RecordTable
from workflow.local.sagemaker.records import TrainingJob, TrainingJobSummary, TuningJobRecord, TuningLocal
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus
from workflow.local.sagemaker.training import TrainingJobs, staging
from workflow.local.sagemaker.training.metrics import compile_definitions
from workflow.local.sagemaker.training.status import now
from workflow.local.sagemaker.tuning import summary
from workflow.local.sagemaker.tuning.runner import STATUS, TuningRun
from workflow.local.sagemaker.tuning.space import Param, parse_ranges

if TYPE_CHECKING:
    from workflow.local.sagemaker import SageMakerBackend

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
SUMMARY_KEYS = ("HyperParameterTuningJobName", "HyperParameterTuningJobArn",
                "HyperParameterTuningJobStatus", "CreationTime", "HyperParameterTuningEndTime",
                "LastModifiedTime", "TrainingJobStatusCounters", "ObjectiveStatusCounters")
SHUTDOWN_WAIT_SECONDS = 5.0
INTERRUPTED_REASON = ("InternalServerError: the local server stopped while this tuning job was "
                      "running, so it was ended. Start it again under a new name.")


class ChildJobs:
    """The training jobs a tuning job launches, as its run sees them."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    @property
    def training(self) -> TrainingJobs:
        # Training is a part of the same service: tuning starts its children there.
        return cast("SageMakerBackend", self.ctx.backend("sagemaker")).part(TrainingJobs)

    def create(self, request: dict[str, Any], tuning_job_arn: str) -> None:
        self.training.create_training_job(request, tuning_job_arn=tuning_job_arn)

    def describe(self, name: str) -> TrainingJob | None:
        return self.training.job(name)

    def stop(self, name: str) -> None:
        try:
            self.training.stop_training_job({"TrainingJobName": name})
        except ServiceError:
            pass  # it ended on its own meanwhile

    def series(self, name: str) -> dict[str, list[float]]:
        return self.training.metric_series(name)

    def arn(self, name: str) -> str:
        return self.training.arn(name)


class TuningJobs:
    KIND = "sagemaker.tuning-job"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.records = RecordTable[TuningJobRecord](ctx.store, self.KIND)
        self.runs = JobRuns[TuningRun]()
        self.finished_listeners = self.runs.listeners
        self.jobs = ChildJobs(ctx)

    def arn(self, name: str) -> str:
        return self.ctx.arn("sagemaker", f"hyper-parameter-tuning-job/{name.lower()}")

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        """Take up the tuning jobs an earlier server left running (the training part has
        watched their children again by now); fail those it cannot."""
        self.jobs.training.finished_listeners.add(self._child_finished)
        for doc in self.records.list():
            if doc["HyperParameterTuningJobStatus"] not in TERMINAL and not self._take_up(doc):
                self._interrupted(doc["HyperParameterTuningJobName"])

    def _run(self, name: str, request: dict[str, Any], ranges: list[Param]) -> TuningRun:
        """A run of the tuning job ``name`` that touches only its record and its children."""
        return TuningRun(name, request, ranges, record=self.records.handle(name),
                         jobs=self.jobs, arn=self.arn(name), on_finished=self.runs.ended)

    def _take_up(self, doc: TuningJobRecord) -> bool:
        # Records of every version of the server carry ``_local``; one written by hand may not.
        local: TuningLocal | None = doc.get("_local")
        if local is None or local.get("request") is None:
            return False
        request = local["request"]
        config = request["HyperParameterTuningJobConfig"]
        try:
            run = self._run(doc["HyperParameterTuningJobName"], request,
                            parse_ranges(config.get("ParameterRanges", {}), config.get("Strategy", "Bayesian")))
            run.restore(local.get("children", []))
        except Exception:
            log.exception("cannot take up the tuning job %s", doc["HyperParameterTuningJobName"])
            return False
        self.runs.add(run.tuning_name, run)
        if doc["HyperParameterTuningJobStatus"] == JobStatus.STOPPING:
            run.request_stop()
        run.start()
        return True

    def _interrupted(self, name: str) -> None:
        doc = self._get(name)
        summaries = self._summaries(doc)
        when = now()
        if self.records.handle(name).settle(STATUS, lambda d: summary.close(
                d, summaries, JobStatus.FAILED, INTERRUPTED_REASON, when)):
            self.runs.ended(name)

    def shutdown(self) -> None:
        runs = self.runs.all()
        for run in runs:
            run.abandoned = True
            run.request_stop()
        for run in runs:
            run.join(SHUTDOWN_WAIT_SECONDS)

    def _child_finished(self, name: str) -> None:
        for run in self.runs.all():
            if name in run.running:
                run.wake.set()

    def _summaries(self, doc: TuningJobRecord) -> list[TrainingJobSummary]:
        return [summary.summary(doc, c, None if "error" in c else self.jobs.describe(c["name"]),
                                self.jobs.arn(c["name"]))
                for c in doc["_local"].get("children", [])]

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
        doc: TuningJobRecord = {
            "HyperParameterTuningJobName": name, "HyperParameterTuningJobArn": self.arn(name),
            "HyperParameterTuningJobConfig": copy.deepcopy(config),
            "TrainingJobDefinition": copy.deepcopy(definition),
            "HyperParameterTuningJobStatus": JobStatus.IN_PROGRESS, "CreationTime": when,
            "LastModifiedTime": when,
            **summary.counters([]),
            # What a server that restarts takes the tuning job up again with.
            "_local": TuningLocal(children=[], tags=params.get("Tags", []), request=copy.deepcopy(params))}
        run = self._run(name, params, ranges)  # validates the strategy before storing
        if not self.records.insert(name, doc):
            raise ResourceInUse(f"Hyperparameter tuning job {name} already exists")
        self.runs.add(name, run)
        run.start()
        return {"HyperParameterTuningJobArn": doc["HyperParameterTuningJobArn"]}

    def _get(self, name: str) -> TuningJobRecord:
        return self.records.require(name, lambda: ResourceNotFound(
            f"Amazon SageMaker can't find a tuning job with name {name}"))

    def describe_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        return public(self._get(params["HyperParameterTuningJobName"]))

    def list_hyper_parameter_tuning_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        items, token = page(self.records.list(), params,
                            status_key="HyperParameterTuningJobStatus",
                            name_key="HyperParameterTuningJobName")
        summaries = [{**list_entry(d, SUMMARY_KEYS),
                      "Strategy": d["HyperParameterTuningJobConfig"].get("Strategy", "Bayesian"),
                      "ResourceLimits": d["HyperParameterTuningJobConfig"]["ResourceLimits"]}
                     for d in items]
        return with_token({"HyperParameterTuningJobSummaries": summaries}, token)

    def list_training_jobs_for_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        summaries = self._summaries(self._get(params["HyperParameterTuningJobName"]))
        if params.get("SortBy") == "FinalObjectiveMetricValue":
            summaries = [s for s in summaries if summary.OBJECTIVE in s]
            key = summary.score
        else:
            key = None
        items, token = page(summaries, params, status_key="TrainingJobStatus",
                            name_key="TrainingJobName", sort_key=key)
        return with_token({"TrainingJobSummaries": items}, token)

    def stop_hyper_parameter_tuning_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["HyperParameterTuningJobName"]
        doc = self._get(name)
        if doc["HyperParameterTuningJobStatus"] != JobStatus.IN_PROGRESS:
            raise ValidationException(f"The tuning job {name} is {doc['HyperParameterTuningJobStatus']} "
                                      "and cannot be stopped")
        self.records.update(name, lambda d: d.update(
            {"HyperParameterTuningJobStatus": JobStatus.STOPPING, "LastModifiedTime": now()}))
        run = self.runs.get(name)
        if run is not None:
            run.request_stop()
        return {}
