"""The TrainingJobs part: Create/Describe/List/StopTrainingJob over the store and JobRuns."""
from __future__ import annotations

import copy
import re
import threading
from typing import Any

from workflow.local.context import ServerContext
from workflow.local.errors import ResourceInUse, ResourceNotFound, ValidationException
from workflow.local.s3.facade import s3_access
from workflow.local.sagemaker import debugger
from workflow.local.sagemaker.finished import FinishedListeners
from workflow.local.sagemaker.listing import page, public, with_token
from workflow.local.sagemaker.records import RecordHandle, TrainingLocal
from workflow.local.sagemaker.statuses import TERMINAL, JobStatus, RuleStatus
from workflow.local.sagemaker.training import staging
from workflow.local.sagemaker.training.ending import DEFAULT_MAX_RUNTIME, SHUTDOWN, STOPPED, mark_rules
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.metrics import compile_definitions, read_series
from workflow.local.sagemaker.training.process import ScriptProcess
from workflow.local.sagemaker.training.runner import JobRun
from workflow.local.sagemaker.training.status import finish_times, now, transition
from workflow.local.sagemaker.training.storage import JobStorage
from workflow.local.sagemaker.training.uris import s3_uri

NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
#: Request members echoed back by DescribeTrainingJob.
ECHOED = (
    "HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig",
    "ResourceConfig", "VpcConfig", "StoppingCondition", "CheckpointConfig", "DebugHookConfig",
    "DebugRuleConfigurations", "TensorBoardOutputConfig", "ExperimentConfig", "ProfilerConfig",
    "ProfilerRuleConfigurations", "Environment", "RetryStrategy",
)
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
        self.runs: dict[str, JobRun] = {}
        self._lock = threading.Lock()
        self.finished_listeners = FinishedListeners()

    # -- lifecycle --------------------------------------------------------------
    def start(self) -> None:
        """Watch again the jobs whose script outlived the previous server; fail the others."""
        for doc in self.ctx.store.list(self.KIND):
            if doc["TrainingJobStatus"] not in TERMINAL:
                self._watch_again(doc)
            elif self._rules_in_progress(doc):
                self.ctx.store.update(self.KIND, doc["TrainingJobName"], self._rules_interrupted)

    def _run(self, name: str, request: dict[str, Any], attached: ScriptProcess | None = None) -> JobRun:
        """A run of the job ``name`` that touches only its record, storage and folder."""
        run = JobRun(name, request, record=RecordHandle(self.ctx.store, self.KIND, name),
                     storage=JobStorage(s3_access(self.ctx), request["RoleArn"]),
                     paths=JobPaths.of(self.ctx.data_dir, name), on_finished=self.finished,
                     attached=attached)
        with self._lock:
            self.runs[name] = run
        return run

    def _watch_again(self, doc: dict[str, Any]) -> None:
        name = doc["TrainingJobName"]
        local: TrainingLocal | None = doc.get("_local")
        paths = JobPaths.of(self.ctx.data_dir, name)
        process = None
        if local and local.get("request"):
            process = ScriptProcess.attach(local.get("command", []), paths.log, paths.launcher_pid,
                                           paths.exit_code)
        if local is None or process is None:
            self.ctx.store.update(self.KIND, name, self._interrupted)
            return
        run = self._run(name, local["request"], attached=process)
        if doc["TrainingJobStatus"] == JobStatus.STOPPING:
            run.request_stop(STOPPED)
        run.start()

    @staticmethod
    def _rules_in_progress(doc: dict[str, Any]) -> list[dict[str, Any]]:
        return [status for status in doc.get("DebugRuleEvaluationStatuses", [])
                + doc.get("ProfilerRuleEvaluationStatuses", [])
                if status.get("RuleEvaluationStatus") == RuleStatus.IN_PROGRESS]

    @staticmethod
    def _rules_interrupted(doc: dict[str, Any]) -> None:
        mark_rules(doc, RuleStatus.ERROR, "The local server stopped before this rule finished.", now())

    @staticmethod
    def _interrupted(doc: dict[str, Any]) -> None:
        when = now()
        transition(doc, JobStatus.FAILED, when=when)
        doc["FailureReason"] = ("InternalServerError: the local server stopped while this job was "
                                "running, and the job's process did not survive it. Start it again "
                                "under a new name.")
        finish_times(doc, when)

    def shutdown(self) -> None:
        with self._lock:
            runs = list(self.runs.values())
        for run in runs:
            run.request_stop(SHUTDOWN)
        for run in runs:
            run.join(SHUTDOWN_WAIT_SECONDS)

    def finished(self, name: str) -> None:
        with self._lock:
            self.runs.pop(name, None)
        self.finished_listeners.notify(name)

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
        arn = self.ctx.arn("sagemaker", f"training-job/{name.lower()}")
        when = now()
        doc: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobArn": arn,
            **{k: copy.deepcopy(params[k]) for k in ECHOED if k in params},
            "CreationTime": when,
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
        if not self.ctx.store.insert(self.KIND, name, doc):
            raise ResourceInUse(f"Training job names must be unique within an AWS account and "
                                f"region, and a training job with this name already exists ({arn})")
        self._run(name, params).start()
        return {"TrainingJobArn": arn}

    def _get(self, name: str) -> dict[str, Any]:
        doc = self.ctx.store.get(self.KIND, name)
        if doc is None:
            raise ResourceNotFound(f"Requested resource not found: training job {name} does not exist")
        return doc

    def describe_training_job(self, params: dict[str, Any]) -> dict[str, Any]:
        return public(self._get(params["TrainingJobName"]))

    def list_training_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        docs = self.ctx.store.list(self.KIND)
        items, token = page(docs, params, status_key="TrainingJobStatus", name_key="TrainingJobName")
        summaries = [
            {k: d[k] for k in ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime",
                               "LastModifiedTime", "TrainingJobStatus", "SecondaryStatus") if k in d}
            for d in items
        ]
        return with_token({"TrainingJobSummaries": summaries}, token)

    def stop_training_job(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TrainingJobName"]
        doc = self._get(name)
        if doc["TrainingJobStatus"] == JobStatus.STOPPING:
            return {}
        if doc["TrainingJobStatus"] != JobStatus.IN_PROGRESS:
            raise ValidationException(
                f"The request was rejected because the training job {name} is in status "
                f"{doc['TrainingJobStatus']}.")
        self.ctx.store.update(self.KIND, name, lambda d: transition(d, JobStatus.STOPPING)
                              if d["TrainingJobStatus"] == JobStatus.IN_PROGRESS else None)
        with self._lock:
            run = self.runs.get(name)
        if run is not None:
            run.request_stop(STOPPED)
        return {}

    # -- read by the tuning part ----------------------------------------------------
    def job(self, name: str) -> dict[str, Any] | None:
        doc = self.ctx.store.get(self.KIND, name)
        return public(doc) if doc else None

    def metric_series(self, name: str) -> dict[str, list[float]]:
        return read_series(JobPaths.of(self.ctx.data_dir, name).metrics)
