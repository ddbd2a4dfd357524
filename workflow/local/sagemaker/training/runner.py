"""One training job from Starting to a terminal status, on its own thread.

A run touches only what it is given: its record in the store, its storage (S3 as
the job's role), its folder, a clock and ``on_finished``. What the end state is
comes from ``ending.py``; the run watches the script and moves the files.

A job whose script an earlier server started (and which survived that server) is
watched again from where it is: ``JobRun(..., attached=process)``.
"""
from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from workflow.local import background
from workflow.local.background import failure_reason
from workflow.local.errors import ServiceError
from workflow.local.sagemaker import debugger
from workflow.local.sagemaker.debugger.publish import publish
from workflow.local.sagemaker.debugger.rule_job import RuleJob
from workflow.local.sagemaker.record_table import RecordHandle
from workflow.local.sagemaker.records import JobOutputs, MetricData, RuleEvaluations, TrainingJobRecord
from workflow.local.sagemaker.statuses import JobStatus, RuleStatus
from workflow.local.sagemaker.training import artifacts, ending, staging
from workflow.local.sagemaker.training.ending import MAX_RUNTIME
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.metrics import MetricParser
from workflow.local.sagemaker.training.process import STOP_GRACE_SECONDS, ScriptProcess
from workflow.local.sagemaker.training.status import now, transition
from workflow.local.sagemaker.training.storage import JobStorage
from workflow.local.sagemaker.training.toolkit_env import build_environment, gpu_count

POLL_SECONDS = 0.05
STATUS = "TrainingJobStatus"


class JobRun:
    def __init__(self, name: str, request: dict[str, Any], *, record: RecordHandle[TrainingJobRecord],
                 storage: JobStorage, paths: JobPaths, on_finished: Callable[[str], None],
                 clock: Callable[[], datetime] = now, attached: ScriptProcess | None = None) -> None:
        self.job_name = name
        self.request = request
        self.record = record
        self.storage = storage
        self.paths = paths
        self.on_finished = on_finished
        self.clock = clock
        self.stop_reason: str | None = None
        self._wake = threading.Event()
        self.process: ScriptProcess | None = attached
        self.attached = attached
        self.rules: RuleJob | None = None
        self.parser = MetricParser(
            request.get("AlgorithmSpecification", {}).get("MetricDefinitions", []),
            sink=self.paths.metrics,
        )
        self._task = background.BackgroundTask(f"training-{name}", self._run, self._crashed)

    # -- called from other threads ------------------------------------------
    def start(self) -> None:
        self._task.start()

    def join(self, timeout: float | None = None) -> None:
        self._task.join(timeout)

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        if self.process is not None:
            self.process.terminate()
        self._wake.set()

    # -- the job's own thread -------------------------------------------------
    def _crashed(self, err: Exception) -> None:
        """The server failed the job: it ends Failed, unless it had ended already (a
        Completed job whose rule results broke stays Completed; its rules say why)."""
        reason = failure_reason(err, "InternalServerError: the local server failed to run the job")
        if not self._end(JobStatus.FAILED, reason):
            self.record.update(lambda d: ending.mark_rules(d, RuleStatus.ERROR, reason, self.clock()))

    def _run(self) -> None:
        try:
            if self.attached is not None:
                self._watch_again(self.attached)
            else:
                self._first_run()
        finally:
            if self.rules is not None:
                self.rules.cancel()

    def _first_run(self) -> None:
        def downloading(doc: TrainingJobRecord) -> None:
            transition(doc, "Downloading", when=self.clock())
            doc["TrainingStartTime"] = doc["LastModifiedTime"]

        self.record.update(downloading)
        try:
            self.paths.create()
            staging.write_configs(self.paths, self.request,
                                  debugger.hook_config(self.request, self.paths.debug_output),
                                  self.request.get("ProfilerConfig"))
            staging.stage_inputs(self.paths, self.request, self.storage)
        except ServiceError as err:
            self._end(JobStatus.FAILED, f"ClientError: {err.message}")
            return
        if self.stop_reason:
            self._end(ending.stop_status(self.stop_reason), None)
            return
        self.record.update(lambda d: transition(d, "Training", when=self.clock()))
        self._start_rules()
        self._finish(self._train())

    def _watch_again(self, process: ScriptProcess) -> None:
        """The script outlived the server that started it: read its whole log again (the
        metrics with it), start its rules and profiler anew, and see it to its end."""
        self.paths.metrics.unlink(missing_ok=True)
        record = self.record.get()
        started = record.get("TrainingStartTime") if record else None
        elapsed = (self.clock() - started).total_seconds() if started is not None else 0.0
        self._start_rules()
        self._finish(self._supervise(process, elapsed))

    def _start_rules(self) -> None:
        """The rule job starts with the script (none when the job has nothing to analyse)."""
        if debugger.has_analysis(self.request):
            self.rules = RuleJob(self.request, self.paths, self.job_name)

    def _finish(self, code: int) -> None:
        end = ending.ending(self.stop_reason, code)
        if not end.collect:
            self._end(end.secondary, end.reason)
            return
        if end.secondary == JobStatus.COMPLETED:
            self.record.update(lambda d: transition(d, "Uploading", when=self.clock()))
        fields: JobOutputs = {}
        if end.upload_model:
            fields["ModelArtifacts"] = artifacts.upload(self.paths, self.request, self.job_name, self.storage)
        staging.save_checkpoints(self.paths, self.request, self.storage)
        if end.secondary != JobStatus.COMPLETED:
            fields.update(self._rule_results())
        self.record.update(lambda d: d.update(fields))
        reason = end.reason
        if end.script_failed:
            assert self.process is not None
            reason = artifacts.failure_reason(self.paths, code, self.process.command)
        self._end(end.secondary, reason)
        if end.secondary == JobStatus.COMPLETED:
            # On AWS the rules run as their own jobs beside the training job: it is Completed
            # (and a .sync task goes on) while DebugRuleEvaluationStatuses are still InProgress.
            results = self._rule_results()
            self.record.update(lambda d: d.update(results))

    def _publish_metrics(self, published: list[MetricData]) -> list[MetricData]:
        """FinalMetricDataList while the job runs: the latest value of each metric as the
        script prints it, which is how a follower sees epochs go by (DescribeTrainingJob)."""
        latest = self.parser.final()
        if latest != published:
            self.record.update(lambda d: d.update({"FinalMetricDataList": latest}))
        return latest

    def _rule_results(self) -> RuleEvaluations:
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
        self.record.update(lambda d: d["_local"].update({"command": process.command}))
        return self._supervise(process, 0.0)

    def _supervise(self, process: ScriptProcess, elapsed: float) -> int:
        """Feed the log's lines to the metrics until the script ends; stop it when asked or
        past MaxRuntimeInSeconds (``elapsed`` seconds ago it had started); its exit status."""
        self.process = process
        limit = ending.max_runtime(self.request)
        sampler = debugger.profiler_sampler(self.request, self.paths.root / "profiler-output")
        if sampler is not None:
            sampler.start(process.pid)
        if self.stop_reason:  # a stop that arrived while the process was starting
            process.terminate()
        started = time.monotonic() - elapsed
        stop_sent: float | None = None
        published: list[MetricData] = []
        while process.poll() is None:
            self._feed(process.lines())
            if self._wake.wait(POLL_SECONDS):
                self._wake.clear()
            published = self._publish_metrics(published)
            if self.stop_reason is None and ending.past_max_runtime(time.monotonic() - started, limit):
                self.request_stop(MAX_RUNTIME)
            if self.stop_reason and stop_sent is None:
                stop_sent = time.monotonic()
            if ending.kill_due(stop_sent, time.monotonic(), STOP_GRACE_SECONDS):
                process.signal_group(signal.SIGKILL)
        code, rest = process.finish()
        self._feed(rest)
        if sampler is not None:
            sampler.stop()
        return code

    def _feed(self, lines: list[str]) -> None:
        for line in lines:
            self.parser.feed(line, self.clock())

    def _end(self, secondary: str, failure: str | None) -> bool:
        """Record the job's end and tell ``on_finished``, once: False when it had ended."""
        final_metrics = self.parser.final()
        limit = self.request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        ended = self.record.settle(STATUS, lambda doc: ending.close(
            doc, secondary, failure, when=self.clock(), final_metrics=final_metrics, limit=limit))
        if ended:
            self.on_finished(self.job_name)
        return ended
