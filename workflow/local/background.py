"""Work the server does for a resource on a thread of its own (a job, an endpoint change).

AWS runs such work asynchronously and a resource always reaches a final state: a
creation that breaks in a way nobody foresaw is ``Failed`` with a FailureReason,
never ``Creating`` forever. ``BackgroundTask`` gives every such thread that
guarantee: any exception the work lets escape is logged and handed to the
resource's ``on_error``, which records the AWS failure state.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: The longest FailureReason SageMaker returns (DescribeTrainingJob, DescribeEndpoint).
MAX_REASON = 1024


def failure_reason(err: BaseException, prefix: str = "InternalServerError") -> str:
    """What a resource says when the server failed it: the error's type and message."""
    return f"{prefix}: {type(err).__name__}: {err}"[:MAX_REASON]


def run_guarded(name: str, work: Callable[[], None],
                on_error: Callable[[Exception], None]) -> None:
    """Run ``work``; an exception it raises is logged and given to ``on_error``."""
    try:
        work()
    except Exception as err:
        log.exception("%s failed", name)
        try:
            on_error(err)
        except Exception:
            log.exception("%s: recording its failure failed", name)


class BackgroundTask:
    """A daemon thread running ``work`` under ``run_guarded``."""

    def __init__(self, name: str, work: Callable[[], None],
                 on_error: Callable[[Exception], None]) -> None:
        self.name = name
        self._thread = threading.Thread(target=run_guarded, args=(name, work, on_error),
                                        name=name, daemon=True)

    def start(self) -> BackgroundTask:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()


def start(name: str, work: Callable[[], None],
          on_error: Callable[[Exception], None]) -> BackgroundTask:
    """Start ``work`` on its own thread now; see ``BackgroundTask``."""
    return BackgroundTask(name, work, on_error).start()
