"""Following an execution: every event once, in order, read slowly only while a job runs."""
from __future__ import annotations

from typing import Any

from workflow.pipeline.watch import follow

ARN = "arn:aws:states:us-east-1:123456789012:execution:m:run"


class RecordedExecution:
    """Step Functions' DescribeExecution and GetExecutionHistory over a recorded history,
    revealed one event per poll (as an execution moves on between two reads)."""

    def __init__(self, types: list[str]) -> None:
        self.events = [{"id": i, "type": t} for i, t in enumerate(types, start=1)]
        self.visible = 0

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.visible = min(self.visible + 1, len(self.events))
        done = self.events[self.visible - 1]["type"] == "ExecutionSucceeded"
        return {"status": "SUCCEEDED" if done else "RUNNING"}

    def get_execution_history(self, executionArn: str, reverseOrder: bool,  # noqa: N803 - botocore's names
                              maxResults: int, nextToken: str | None = None) -> dict[str, Any]:  # noqa: N803
        assert reverseOrder
        shown = list(reversed(self.events[:self.visible]))
        start = int(nextToken or 0)
        page = {"events": shown[start:start + maxResults]}
        if start + maxResults < len(shown):
            page["nextToken"] = str(start + maxResults)
        return page


def test_every_event_once_and_slow_reads_only_while_a_job_runs() -> None:
    types = ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
             "TaskSucceeded", "TaskStateExited", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]
    execution, sleeps = RecordedExecution(types), []
    seen = [e["type"] for e in follow(execution, ARN, poll=0.5, quick_poll=0.05, sleep=sleeps.append)]
    assert seen == types
    # One sleep after each event but the last; the one after TaskSubmitted waits on the job.
    assert sleeps == [0.05] * 4 + [0.5] + [0.05] * 4


def test_one_interval_without_quick_poll_and_long_histories_are_paged() -> None:
    types = ["ExecutionStarted"] + ["PassStateEntered", "PassStateExited"] * 150 + ["ExecutionSucceeded"]
    execution, sleeps = RecordedExecution(types), []
    execution.visible = len(types) - 2  # most of it happened before the first read
    seen = [e["type"] for e in follow(execution, ARN, poll=0.2, sleep=sleeps.append)]
    assert seen == types
    assert set(sleeps) == {0.2}
