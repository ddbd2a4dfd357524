"""Human-readable progress of an execution: states entered and left, durations, and for the
training and tuning jobs running now each job's epoch, latest metrics and time left,
refreshed in place on a terminal and as plain lines (only when they change) elsewhere."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO

from workflow.pipeline.job_progress import progress_line, training_progress, tuning_jobs_in_progress

_JOB_NAME_KEYS = {"createHyperParameterTuningJob": "HyperParameterTuningJobName",
                  "createTrainingJob": "TrainingJobName"}


def _clock(ts: datetime) -> str:
    return ts.astimezone().strftime("%H:%M:%S")


def _short(text: str | None, limit: int = 300) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ProgressPrinter:
    """Feed it history events; it prints one line per state change and job progress on idle."""

    def __init__(self, sagemaker: Any | None = None, out: TextIO | None = None) -> None:
        self.sagemaker: Any = sagemaker
        self.out = out or sys.stdout
        self.entered: dict[str, datetime] = {}
        self.current_job: tuple[str, str] | None = None  # (kind, name)
        self.job_lines: list[str] = []
        #: Lines of the job block a terminal shows last, which the next refresh rewrites.
        self.live_lines = 0
        isatty = getattr(self.out, "isatty", None)
        self.in_place = bool(isatty and isatty())

    def _print(self, line: str) -> None:
        self.live_lines = 0  # the job block above stays as it was
        print(line, file=self.out, flush=True)

    def event(self, event: dict[str, Any]) -> None:
        kind, ts = event["type"], event["timestamp"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            self.entered[name] = ts
            self._print(f"{_clock(ts)}  ▸ {name}")
        elif kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            started = self.entered.pop(name, ts)
            self._print(f"{_clock(ts)}  ✓ {name:<24} {(ts - started).total_seconds():6.1f} s")
            self.current_job = None
            self.job_lines = []
        elif kind == "TaskScheduled":
            self._note_job(event["taskScheduledEventDetails"])
        elif kind in ("TaskFailed", "LambdaFunctionFailed", "ExecutionFailed", "TaskTimedOut",
                      "ExecutionTimedOut", "ExecutionAborted"):
            details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
            self._print(f"{_clock(ts)}  ✗ {kind}: {details.get('error', '')} {_short(details.get('cause'))}")
        elif kind == "ExecutionSucceeded":
            self._print(f"{_clock(ts)}  ✓ execution succeeded")

    def _note_job(self, details: dict[str, Any]) -> None:
        api = details.get("resource", "").removesuffix(".sync").removesuffix(".waitForTaskToken")
        key = _JOB_NAME_KEYS.get(api)
        if key:
            try:
                name = json.loads(details.get("parameters") or "{}").get(key)
            except ValueError:
                name = None
            if name:
                self.current_job = (api, name)

    def idle(self) -> None:
        """Poll the running job (if any) and show what changed."""
        if not self.sagemaker or not self.current_job:
            return
        api, name = self.current_job
        try:
            lines = self._job_lines(api, name)
        except Exception:  # noqa: BLE001 - progress is best effort; the history has the truth
            return
        if lines == self.job_lines:
            return
        if self.in_place:
            # Move up over the block shown last and write it anew, each line cleared first.
            text = f"\x1b[{self.live_lines}F" if self.live_lines else ""
            text += "".join(f"\x1b[2K          · {line}\n" for line in lines)
            self.out.write(text)
            self.out.flush()
            self.live_lines = len(lines)
        else:
            for line in lines:
                if line not in self.job_lines:
                    print(f"          · {line}", file=self.out, flush=True)
        self.job_lines = lines

    def _job_lines(self, api: str, name: str) -> list[str]:
        if api == "createHyperParameterTuningJob":
            job = self.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            counts = job.get("TrainingJobStatusCounters", {})
            total = job["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"]
            line = (f"tuning {name}: {counts.get('Completed', 0)}/{total} completed, "
                    f"{counts.get('InProgress', 0)} in progress")
            best = job.get("BestTrainingJob", {}).get("FinalHyperParameterTuningJobObjectiveMetric")
            if best:
                line += f", best {best['MetricName']}={best['Value']:.4f}"
            return [line] + [progress_line(p) for p in tuning_jobs_in_progress(self.sagemaker, name)]
        return [progress_line(training_progress(self.sagemaker.describe_training_job(TrainingJobName=name)))]
