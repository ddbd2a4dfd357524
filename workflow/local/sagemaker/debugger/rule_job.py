"""The rule evaluation job: Debugger rules, loss curve and profiler report in a process of their own.

On AWS every rule is a processing job that starts with the training job and
watches its tensors. Here one process per training job starts with the script
and, while the script trains, imports what the rules need (smdebug,
matplotlib: seconds), then runs the rules on the steps saved so far, keeping
what they compute from each saved step (a saved step never changes). When the
script has exited it is told to go, evaluates every rule on the whole smdebug
trial, reading only the steps it has not seen, and answers the
DescribeTrainingJob fields.
It runs at a lower priority than the work the pipeline waits for, and out of
the server's process so that its CPU never holds the server's GIL.

    python -m workflow.local.sagemaker.debugger.rule_job JOB_DIR JOB_NAME

reads the request as one JSON line, then ``go`` (anything else, or the end of
stdin, cancels); prints the fields as JSON on stdout.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from workflow.local.sagemaker.debugger.config import rule_statuses
from workflow.local.sagemaker.records import RuleEvaluations
from workflow.local.sagemaker.statuses import RuleStatus

if TYPE_CHECKING:
    from workflow.local.sagemaker.training.layout import JobPaths

#: The rules read a few hundred steps of tensors; a job that takes longer is stuck.
TIMEOUT_SECONDS = 600.0
NICENESS = 10
#: How often the rules look at the steps a running script has saved so far.
PRECOMPUTE_SECONDS = 1.0
STATUS_FIELDS = ("DebugRuleEvaluationStatuses", "ProfilerRuleEvaluationStatuses")


class RuleJob:
    """The rule process of one training job, started when its script starts."""

    def __init__(self, request: dict[str, Any], paths: JobPaths, job_name: str) -> None:
        self.request = request
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(paths.root), job_name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request, default=str) + "\n")
        self._process.stdin.flush()

    def results(self) -> RuleEvaluations:
        """Evaluate now (the script has exited); any failure of the process is every rule's Error."""
        try:
            out, err = self._process.communicate("go\n", timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.cancel()
            return _all_errors(self.request, f"The rule evaluation did not finish within {TIMEOUT_SECONDS:.0f} s.")
        except OSError as e:  # it died while waiting (a broken pipe)
            out, err = "", str(e)
        if self._process.wait() != 0:
            tail = err.strip().splitlines()[-1:] or [f"exit code {self._process.returncode}"]
            return _all_errors(self.request, f"The rule evaluation failed: {tail[0]}")
        return _decode(json.loads(out))

    def cancel(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()


def _all_errors(request: dict[str, Any], details: str) -> RuleEvaluations:
    return rule_statuses(request, RuleStatus.ERROR, datetime.now(timezone.utc), details)


def _encode(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _decode(answer: dict[str, Any]) -> RuleEvaluations:
    """The rule job's JSON answer as the record's fields (its times were ISO strings)."""
    for field in STATUS_FIELDS:
        for status in answer.get(field, []):
            status["LastModifiedTime"] = datetime.fromisoformat(status["LastModifiedTime"])
    return cast("RuleEvaluations", answer)


class _Lines:
    """Lines of a pipe, with a timeout (a buffered sys.stdin would hide a line from select)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def readline(self, timeout: float | None = None) -> str | None:
        """The next line; None when ``timeout`` passed first; "" at the end of the pipe."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self.fd], [], [], wait)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                rest, self.buffer = self.buffer, b""
                return rest.decode()
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()


def main(argv: list[str]) -> int:
    job_dir, job_name = argv
    os.nice(NICENESS)
    # smdebug logs to stdout: keep the real stdout for the answer alone, and keep it quiet,
    # since nobody reads stderr before the end and a full pipe would block this process.
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    os.environ["SMDEBUG_LOG_LEVEL"] = "error"
    lines = _Lines(sys.stdin.fileno())
    request = json.loads(lines.readline() or "{}")
    # What the evaluation imports on its way, ahead of time: the script is still training.
    import matplotlib.figure  # noqa: F401
    import smdebug.trials  # noqa: F401

    from workflow.local.sagemaker.debugger.evaluation import analyse, precompute
    from workflow.local.sagemaker.training.layout import JobPaths

    paths = JobPaths(Path(job_dir))
    memo: dict[tuple, Any] = {}
    rules = bool(request.get("DebugRuleConfigurations"))
    interval, passes = PRECOMPUTE_SECONDS, 0
    while (line := lines.readline(interval if rules else None)) is None:
        started = time.monotonic()
        precompute(request, paths, memo)
        passes += 1
        # At most a fifth of the time: a long job has ever more steps to list. Not after the
        # first pass, which pays for smdebug's set-up and the large first steps once.
        if passes > 1:
            interval = max(PRECOMPUTE_SECONDS, 4 * (time.monotonic() - started))
    if line.strip() != "go":
        return 0
    fields = analyse(request, paths, job_name, memo)
    with answer:
        json.dump(fields, answer, default=_encode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
