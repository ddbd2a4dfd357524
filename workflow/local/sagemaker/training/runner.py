"""One training job from Starting to a terminal status, on its own thread.

A job whose script an earlier server started (and which survived that server) is
watched again from where it is: ``JobRun(..., attached=process)``.
"""
from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from workflow.local.errors import ServiceError
from workflow.local.s3.access import s3_access
from workflow.local.sagemaker.debugger.publish import publish
from workflow.local.sagemaker.training import artifacts, staging
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.metrics import MetricParser
from workflow.local.sagemaker.training.process import STOP_GRACE_SECONDS, ScriptProcess
from workflow.local.sagemaker.training.status import finish_times, now, transition
from workflow.local.sagemaker.training.storage import JobStorage
from workflow.local.sagemaker.training.toolkit_env import build_environment, gpu_count

if TYPE_CHECKING:
    from workflow.local.sagemaker.debugger.rule_job import RuleJob
    from workflow.local.sagemaker.training.jobs import TrainingJobs

DEFAULT_MAX_RUNTIME = 86400
POLL_SECONDS = 0.05

# Why a run was asked to end; each maps to the secondary status it ends in.
STOPPED, MAX_RUNTIME, SHUTDOWN = "Stopped", "MaxRuntimeExceeded", "Shutdown"


class JobRun(threading.Thread):
    def __init__(self, part: TrainingJobs, name: str, request: dict[str, Any],
                 attached: ScriptProcess | None = None) -> None:
        super().__init__(name=f"training-{name}", daemon=True)
        self.part = part
        self.job_name = name
        self.request = request
        self.paths = JobPaths.of(part.ctx.data_dir, name)
        self.storage = JobStorage(s3_access(part.ctx.backends), request["RoleArn"])
        self.stop_reason: str | None = None
        self._wake = threading.Event()
        self.process: ScriptProcess | None = attached
        self.attached = attached
        self.rules: RuleJob | None = None
        self.parser = MetricParser(
            request.get("AlgorithmSpecification", {}).get("MetricDefinitions", []),
            sink=self.paths.metrics,
        )

    # -- called from other threads ------------------------------------------
    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        if self.process is not None:
            self.process.terminate()
        self._wake.set()

    # -- the job's own thread -------------------------------------------------
    def _update(self, change: Any) -> dict[str, Any] | None:
        return self.part.ctx.store.update(self.part.KIND, self.job_name, change)

    def run(self) -> None:
        try:
            self._run()
        except Exception as err:  # noqa: BLE001 - a job must end Failed, never stay InProgress
            self._end("Failed", f"InternalServerError: the local server failed to run the job: "
                      f"{type(err).__name__}: {err}")

    def _run(self) -> None:
        if self.attached is not None:
            self._watch_again(self.attached)
            return

        def downloading(doc: dict[str, Any]) -> None:
            transition(doc, "Downloading")
            doc["TrainingStartTime"] = doc["LastModifiedTime"]

        self._update(downloading)
        try:
            self.paths.create()
            staging.write_configs(self.paths, self.request, self.part.hook_config(self.request, self.paths),
                                  self.request.get("ProfilerConfig"))
            staging.stage_inputs(self.paths, self.request, self.storage)
        except ServiceError as err:
            self._end("Failed", f"ClientError: {err.message}")
            return
        if self.stop_reason:
            self._end(self._stop_status(), None)
            return
        self._update(lambda d: transition(d, "Training"))
        self.rules = self.part.start_rules(self.request, self.paths, self.job_name)
        try:
            self._train_and_end(self._train())
        finally:
            if self.rules is not None:
                self.rules.cancel()

    def _watch_again(self, process: ScriptProcess) -> None:
        """The script outlived the server that started it: read its whole log again (the
        metrics with it), start its rules and profiler anew, and see it to its end."""
        self.paths.metrics.unlink(missing_ok=True)
        doc = self.part.ctx.store.get(self.part.KIND, self.job_name) or {}
        started = doc.get("TrainingStartTime")
        elapsed = (now() - started).total_seconds() if started is not None else 0.0
        self.rules = self.part.start_rules(self.request, self.paths, self.job_name)
        try:
            self._train_and_end(self._supervise(process, elapsed))
        finally:
            if self.rules is not None:
                self.rules.cancel()

    def _train_and_end(self, code: int) -> None:
        if self.stop_reason == SHUTDOWN:
            self._end("Failed", "InternalServerError: the local server shut down while the job ran; "
                      "the script was stopped. Start the job again under a new name.")
            return
        if self.stop_reason:
            self._collect(upload_model=True)
            self._end(self._stop_status(), None)
        elif code == 0:
            self._update(lambda d: transition(d, "Uploading"))
            fields = artifacts.upload(self.paths, self.request, self.job_name, self.storage)
            staging.save_checkpoints(self.paths, self.request, self.storage)
            self._update(lambda d: d.update(fields))
            self._end("Completed", None, rules_pending=True)
            # On AWS the rules run as their own jobs beside the training job: it is Completed
            # (and a .sync task goes on) while DebugRuleEvaluationStatuses are still InProgress.
            results = self._rule_results()
            self._update(lambda d: d.update(results))
        else:
            self._collect(upload_model=False)
            assert self.process is not None  # the script ran
            self._end("Failed", artifacts.failure_reason(self.paths, code, self.process.command))

    def _publish_metrics(self, published: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """FinalMetricDataList while the job runs: the latest value of each metric as the
        script prints it, which is how a follower sees epochs go by (DescribeTrainingJob)."""
        latest = self.parser.final()
        if latest != published:
            self._update(lambda d: d.update(FinalMetricDataList=latest))
        return latest

    def _rule_results(self) -> dict[str, Any]:
        if self.rules is None:
            return {}
        results = self.rules.results()
        publish(self.request, self.paths, self.job_name, self.storage)
        return results

    def _train(self) -> int:
        program, submit = staging.entry_point(self.request.get("HyperParameters", {}))
        env, args = build_environment(
            job_name=self.job_name, paths=self.paths,
            hyperparameters=self.request.get("HyperParameters", {}),
            channels=[c["ChannelName"] for c in self.request.get("InputDataConfig", [])],
            program=program, submit_dir=submit, user_env=self.request.get("Environment", {}),
            num_gpus=gpu_count(), checkpoints=bool(self.request.get("CheckpointConfig")),
        )
        process = ScriptProcess.spawn(program, args, self.paths.code, env, self.paths.log,
                                      self.paths.launcher_pid, self.paths.exit_code)
        self._update(lambda d: d.setdefault("_local", {}).update(command=process.command))
        return self._supervise(process, 0.0)

    def _supervise(self, process: ScriptProcess, elapsed: float) -> int:
        """Feed the log's lines to the metrics until the script ends; stop it when asked or
        past MaxRuntimeInSeconds (``elapsed`` seconds ago it had started); its exit status."""
        self.process = process
        max_runtime = self.request.get("StoppingCondition", {}).get(
            "MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        sampler = self.part.profiler_sampler(self.request, self.paths)
        if sampler is not None:
            sampler.start(process.pid)
        if self.stop_reason:  # a stop that arrived while the process was starting
            process.terminate()
        started = time.monotonic() - elapsed
        stop_sent: float | None = None
        published: list[dict[str, Any]] = []
        while process.poll() is None:
            self._feed(process.lines())
            if self._wake.wait(POLL_SECONDS):
                self._wake.clear()
            published = self._publish_metrics(published)
            if self.stop_reason is None and time.monotonic() - started > max_runtime:
                self.request_stop(MAX_RUNTIME)
            if self.stop_reason and stop_sent is None:
                stop_sent = time.monotonic()
            if stop_sent is not None and time.monotonic() - stop_sent > STOP_GRACE_SECONDS:
                process.signal_group(signal.SIGKILL)
        code, rest = process.finish()
        self._feed(rest)
        if sampler is not None:
            sampler.stop()
        return code

    def _feed(self, lines: list[str]) -> None:
        for line in lines:
            self.parser.feed(line, now())

    def _stop_status(self) -> str:
        return MAX_RUNTIME if self.stop_reason == MAX_RUNTIME else "Stopped"

    def _collect(self, *, upload_model: bool) -> None:
        """Upload what the job produced (AWS keeps the model of a stopped job, not of a failed one)."""
        fields = artifacts.upload(self.paths, self.request, self.job_name, self.storage) if upload_model else {}
        fields.update(self._rule_results())
        staging.save_checkpoints(self.paths, self.request, self.storage)
        self._update(lambda d: d.update(fields))

    def _end(self, secondary: str, failure: str | None, *, rules_pending: bool = False) -> None:
        final_metrics = self.parser.final()

        def change(doc: dict[str, Any]) -> None:
            when = now()
            if secondary in ("Stopped", MAX_RUNTIME) and doc["SecondaryStatus"] != "Stopping":
                transition(doc, "Stopping", when=when)
            transition(doc, secondary, when=when)
            if secondary == MAX_RUNTIME:
                limit = self.request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
                doc["FailureReason"] = (
                    f"MaxRuntimeExceeded: Training job stopped because it exceeded "
                    f"MaxRuntimeInSeconds ({limit} s)")
            if failure:
                doc["FailureReason"] = failure[:1024]
            if final_metrics:
                doc["FinalMetricDataList"] = final_metrics
            for status in doc.get("DebugRuleEvaluationStatuses", []) + doc.get(
                    "ProfilerRuleEvaluationStatuses", []):
                if status["RuleEvaluationStatus"] == "InProgress" and not rules_pending:
                    status.update(RuleEvaluationStatus="Stopped", LastModifiedTime=when,
                                  StatusDetails="The training job ended before the rule ran.")
            finish_times(doc, when)

        self._update(change)
        self.part.finished(self.job_name)
