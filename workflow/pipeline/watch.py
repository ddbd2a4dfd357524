"""Follow an execution through the public APIs: new history events, and job progress.

Works the same against the local server and AWS: only GetExecutionHistory,
DescribeExecution and the SageMaker Describe calls are used.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def new_events(sfn: Any, execution_arn: str, last_id: int) -> list[dict[str, Any]]:
    """Events with id > last_id, oldest first, reading newest-first pages until reaching last_id."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "reverseOrder": True, "maxResults": 200}
    while True:
        page = sfn.get_execution_history(**kwargs)
        for event in page["events"]:
            if event["id"] <= last_id:
                return list(reversed(found))
            found.append(event)
        if not page.get("nextToken"):
            return list(reversed(found))
        kwargs["nextToken"] = page["nextToken"]


def follow(sfn: Any, execution_arn: str, *, poll: float = 0.5, quick_poll: float | None = None,
           timeout: float | None = None, on_idle: Callable[[], None] | None = None,
           sleep: Callable[[float], None] = time.sleep) -> Iterator[dict[str, Any]]:
    """Yield every event of the execution as it happens; return once it is terminal.

    Reads every ``poll`` seconds while a ``.sync`` task's job runs (its TaskSubmitted is
    the latest event: minutes of training), every ``quick_poll`` seconds otherwise, so the
    short states and the end of the run show up at once. ``on_idle`` runs between polls
    (job progress). ``timeout`` bounds the wait.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    last_id = 0
    job_running = False
    while True:
        status = sfn.describe_execution(executionArn=execution_arn)["status"]
        events = new_events(sfn, execution_arn, last_id)
        for event in events:
            last_id = event["id"]
            job_running = event["type"] == "TaskSubmitted"
            yield event
        if status in TERMINAL:
            # Read once more: the terminal event may land just after the status flips.
            for event in new_events(sfn, execution_arn, last_id):
                last_id = event["id"]
                yield event
            return
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"execution {execution_arn} still {status} after {timeout:.0f} s")
        if on_idle is not None:
            on_idle()
        sleep(poll if job_running or quick_poll is None else quick_poll)

