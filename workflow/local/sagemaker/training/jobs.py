"""The TrainingJobs part: Create/Describe/List/StopTrainingJob over the store and JobRuns."""
from __future__ import annotations

import copy
import re
from typing import Any, cast

from workflow.local.context import ServerContext
from workflow.local.errors import ResourceInUse, ResourceNotFound, ValidationException
from workflow.local.s3.facade import s3_access
from workflow.local.sagemaker import debugger
from workflow.local.sagemaker.finished import JobRuns
from workflow.local.sagemaker.listing import list_answer, public
from workflow.local.sagemaker.record_table import RecordTable
from workflow.local.sagemaker.records import TrainingJob, TrainingJobRecord, TrainingLocal, TrainingRequestEcho
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus, RuleStatus
from workflow.local.sagemaker.training import staging
from workflow.local.sagemaker.training.ending import (
    DEFAULT_MAX_RUNTIME,
    SHUTDOWN,
    STOPPED,
    mark_rules,
    rules_in_progress,
)
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.metrics import compile_definitions, read_series
from workflow.local.sagemaker.training.process import ScriptProcess
from workflow.local.sagemaker.training.runner import JobRun
from workflow.local.sagemaker.training.status import finish_times, now, transition
from workflow.local.sagemaker.training.storage import JobStorage
from workflow.local.sagemaker.training.uris import s3_uri

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
#: Request members echoed back by DescribeTrainingJob.
ECHOED = tuple(TrainingRequestEcho.__annotations__)
SUMMARY_KEYS = ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime",
                "LastModifiedTime", "TrainingJobStatus", "SecondaryStatus")
SHUTDOWN_WAIT_SECONDS = 15.0


def check_name(name: str, field: str) -> None:
    if not NAME.match(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {NAME.pattern}"
        )


class TrainingJobs:
    KIND = "sagemaker.training-job"

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.records = RecordTable[TrainingJobRecord](ctx.store, self.KIND)
        self.runs = JobRuns[JobRun]()
        self.finished_listeners = self.runs.listeners

    def arn(self, name: str) -> str:
        return self.ctx.arn("sagemaker", f"training-job/{name.lower()}")

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> None:
        """Watch again the jobs whose script outlived the previous server; fail the others."""
        for doc in self.records.list():
            if doc["TrainingJobStatus"] not in TERMINAL:
                self._watch_again(doc)
            elif rules_in_progress(doc):
                self.records.update(doc["TrainingJobName"], self._rules_interrupted)

    def _run(self, name: str, request: dict[str, Any], attached: ScriptProcess | None = None) -> JobRun:
        """A run of the job ``name`` that touches only its record, storage and folder."""
        return self.runs.add(name, JobRun(
            name, request, record=self.records.handle(name),
            storage=JobStorage(s3_access(self.ctx), request["RoleArn"]),
            paths=JobPaths.of(self.ctx.data_dir, name), on_finished=self.runs.ended, attached=attached))

    def _watch_again(self, doc: TrainingJobRecord) -> None:
        name = doc["TrainingJobName"]
        # Records of every version of the server carry ``_local``; one written by hand may not.
        local: TrainingLocal | None = doc.get("_local")
        paths = JobPaths.of(self.ctx.data_dir, name)
        process = None
        if local and local.get("request"):
            process = ScriptProcess.attach(local.get("command", []), paths.log, paths.launcher_pid,
                                           paths.exit_code)
        if local is None or process is None:
            self.records.update(name, self._interrupted)
            return
        run = self._run(name, local["request"], attached=process)
        if doc["TrainingJobStatus"] == JobStatus.STOPPING:
            run.request_stop(STOPPED)
        run.start()

    @staticmethod
    def _rules_interrupted(doc: TrainingJobRecord) -> None:
        mark_rules(doc, RuleStatus.ERROR, "The local server stopped before this rule finished.", now())

    @staticmethod
    def _interrupted(doc: TrainingJobRecord) -> None:
        when = now()
        transition(doc, JobStatus.FAILED, when=when)
        doc["FailureReason"] = ("InternalServerError: the local server stopped while this job was "
                                "running, and the job's process did not survive it. Start it again "
                                "under a new name.")
        finish_times(doc, when)

    def shutdown(self) -> None:
        runs = self.runs.all()
        for run in runs:
            run.request_stop(SHUTDOWN)
        for run in runs:
            run.join(SHUTDOWN_WAIT_SECONDS)

    # -- operations ---------------------------------------------------------------
    def create_training_job(self, params: dict[str, Any], *, tuning_job_arn: str | None = None
                            ) -> dict[str, Any]:
        name = params["TrainingJobName"]
        check_name(name, "trainingJobName")
        staging.validate(params)
        compile_definitions(params.get("AlgorithmSpecification", {}).get("MetricDefinitions", []),
                            "AlgorithmSpecification.MetricDefinitions")
        debugger.validate(params)
        for field in ("DebugHookConfig", "ProfilerConfig"):
            if params.get(field, {}).get("S3OutputPath"):
                s3_uri(params[field]["S3OutputPath"], f"{field}.S3OutputPath")
        arn = self.arn(name)
        when = now()
        echoed = cast("TrainingRequestEcho", {k: copy.deepcopy(params[k]) for k in ECHOED if k in params})
        doc: TrainingJobRecord = {
            "TrainingJobName": name,
            "TrainingJobArn": arn,
            **echoed,
            "CreationTime": when,
            # What transition() below writes as it opens Starting, so that the record is whole.
            "TrainingJobStatus": JobStatus.IN_PROGRESS, "SecondaryStatus": "Starting",
            "SecondaryStatusTransitions": [], "LastModifiedTime": when,
            "EnableNetworkIsolation": params.get("EnableNetworkIsolation", False),
            "EnableInterContainerTrafficEncryption": params.get(
                "EnableInterContainerTrafficEncryption", False),
            "EnableManagedSpotTraining": params.get("EnableManagedSpotTraining", False),
            # The request itself: a server that restarts watches the job's script again with it.
            "_local": TrainingLocal(tags=params.get("Tags", []), request=copy.deepcopy(params)),
            **debugger.initial_statuses(params, when),
        }
        doc.setdefault("StoppingCondition", {}).setdefault("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        if tuning_job_arn:
            doc["TuningJobArn"] = tuning_job_arn
        transition(doc, "Starting", when=when)
        if not self.records.insert(name, doc):
            raise ResourceInUse(f"Training job names must be unique within an AWS account and "
                                f"region, and a training job with this name already exists ({arn})")
        self._run(name, params).start()
        return {"TrainingJobArn": arn}

    def _get(self, name: str) -> TrainingJobRecord:
        return self.records.require(name, lambda: ResourceNotFound(
            f"Requested resource not found: training job {name} does not exist"))

    def describe_training_job(self, params: dict[str, Any]) -> dict[str, Any]:
        return public(self._get(params["TrainingJobName"]))

    def list_training_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        return list_answer("TrainingJobSummaries", self.records.list(), params, SUMMARY_KEYS,
                           name_key="TrainingJobName", status_key="TrainingJobStatus")

    def stop_training_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TrainingJobName"]
        doc = self._get(name)
        if doc["TrainingJobStatus"] == JobStatus.STOPPING:
            return {}
        if doc["TrainingJobStatus"] != JobStatus.IN_PROGRESS:
            raise ValidationException(
                f"The request was rejected because the training job {name} is in status "
                f"{doc['TrainingJobStatus']}.")
        self.records.update(name, lambda d: transition(d, JobStatus.STOPPING)
                            if d["TrainingJobStatus"] == JobStatus.IN_PROGRESS else None)
        run = self.runs.get(name)
        if run is not None:
            run.request_stop(STOPPED)
        return {}

    # -- read by the tuning part ----------------------------------------------------
    def job(self, name: str) -> TrainingJob | None:
        """The job as DescribeTrainingJob tells it (``_local`` stays here)."""
        doc = self.records.get(name)
        return cast("TrainingJob", public(doc)) if doc else None

    def metric_series(self, name: str) -> dict[str, list[float]]:
        return read_series(JobPaths.of(self.ctx.data_dir, name).metrics)
