"""Running a state machine: an execution on its own thread, its handle and its result.

``Interpreter.start`` runs a new execution; ``Interpreter.resume`` continues one from the
lane records its journal kept (see ``lanes.py``): a running execution whose host
restarted, or a closed one being redriven.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from .clock import Clock, SystemClock
from .errors import ExecutionStopped, FailureError, StatesError
from .execution import SUSPENDED, CancelScope, Execution, ExecutionContext, Frame, JobWatch
from .history import History, Lane, Sink
from .jsonata_expressions import release_thread
from .lanes import MAIN, ExecutionSnapshot, Journal, LaneRecord
from .limits import MAX_PAYLOAD_BYTES, payload_size, to_json
from .program import StateMachine
from .redrive import redriven_lanes

ClientFactory = Callable[[str], Any]
# How long stop() waits for the execution thread to unwind (and stop its jobs).
STOP_GRACE_SECONDS = 5.0


class ExecutionStatus(str, Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    #: Its host went away (``ExecutionHandle.suspend``): nothing ended, it can be resumed.
    SUSPENDED = SUSPENDED

    def __str__(self) -> str:
        return self.value


@dataclass
class ExecutionResult:
    status: ExecutionStatus
    output: Any = None
    error: str | None = None
    cause: str | None = None


class ExecutionHandle:
    def __init__(self, execution: Execution) -> None:
        self._execution = execution
        self._done = threading.Event()
        self._result: ExecutionResult | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> ExecutionResult | None:
        self._done.wait(timeout)
        return self._result

    def stop(self, error: str | None = None, cause: str | None = None) -> None:
        """Abort the execution; what it started (e.g. a ``.sync`` training job) is stopped."""
        self._end(ExecutionStatus.ABORTED.value, error, cause)

    def suspend(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Let go of the execution without ending it: no event is written from now on and what
        it started goes on, so that ``Interpreter.resume`` can continue it later. Waits at
        most ``grace`` seconds for its thread to unwind."""
        self._execution.history.suspend()
        self._end(SUSPENDED, None, None, grace)

    def _end(self, status: str, error: str | None, cause: str | None, grace: float = STOP_GRACE_SECONDS) -> None:
        if self.done:
            return
        self._execution.stop(status, error, cause)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(grace)
        # The thread may still be blocked in a service call: the end is recorded anyway.
        self._finish_stopped()

    # Callback pattern (.waitForTaskToken): answers for a task token.
    def send_task_success(self, token: str, output: Any) -> None:
        self._execution.callbacks.succeed(token, output)

    def send_task_failure(self, token: str, error: str, cause: str | None = None) -> None:
        self._execution.callbacks.fail(token, error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        self._execution.callbacks.heartbeat(token)

    # --- internal ----------------------------------------------------------------------
    def _finish(self, result: ExecutionResult) -> None:
        with self._lock:
            if self._result is None:
                self._result = result
        self._done.set()

    def _finish_stopped(self) -> None:
        execution = self._execution
        history = execution.history
        if execution.suspended:
            self._finish(ExecutionResult(ExecutionStatus.SUSPENDED))
            return
        if history.limit_failure is not None:
            self._finish(ExecutionResult(ExecutionStatus.FAILED, None, *history.limit_failure))
            return
        status, error, cause = execution.stop_reason or (ExecutionStatus.ABORTED.value, None, None)
        details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        event = "ExecutionTimedOut" if status == ExecutionStatus.TIMED_OUT else "ExecutionAborted"
        history.close(Lane(history.count), event, details)
        self._finish(ExecutionResult(ExecutionStatus(status), None, error, cause))


class Interpreter:
    def __init__(self, state_machine: StateMachine, *, client_factory: ClientFactory | None,
                 clock: Clock | None = None, time_scale: float = 1.0, poll_interval: float = 5.0,
                 rng: random.Random | None = None, job_watch: JobWatch | None = None) -> None:
        self.state_machine = state_machine
        self.client_factory = client_factory
        self.job_watch = job_watch
        self.clock = clock or SystemClock()
        self.time_scale = time_scale
        self.poll_interval = poll_interval
        self.rng = rng

    def _new_execution(self, history: History, ctx: ExecutionContext, input: Any) -> Execution:
        return Execution(
            history=history, clock=self.clock, ctx=ctx, client_factory=self.client_factory,
            time_scale=self.time_scale, poll_interval=self.poll_interval,
            rng=self.rng or random.Random(), execution_input=input, job_watch=self.job_watch,
        )

    def start(self, input: Any, ctx: ExecutionContext, sink: Sink | None = None,
              journal: Journal | None = None) -> ExecutionHandle:
        """Run a new execution; its events go to ``sink``, or with its lanes to ``journal``."""
        history = History(sink, self.clock, journal=journal)
        execution = self._new_execution(history, ctx, input)
        input_text = to_json(input)
        history.emit(Lane(), "ExecutionStarted", {
            "input": input_text, "inputDetails": {"truncated": False}, "roleArn": ctx.role_arn,
        })
        execution.set_timeout(self.state_machine.timeout_seconds)
        # The first state's events do not link back to ExecutionStarted (previousEventId 0),
        # as in Step Functions histories.
        return self._launch(execution, Lane(path=MAIN), input, input_text, None)

    def resume(self, snapshot: ExecutionSnapshot, ctx: ExecutionContext, journal: Journal) -> ExecutionHandle:
        """Continue an execution from its journal: where it stood when its host stopped, or,
        for a redrive, from the states that did not succeed (``ctx.redrive_count`` already
        counts this redrive)."""
        history = History(None, self.clock, journal=journal, first_id=snapshot.last_event + 1)
        execution = self._new_execution(history, ctx, snapshot.input)
        lanes = redriven_lanes(snapshot.lanes) if snapshot.redrive else dict(snapshot.lanes)
        main = lanes.pop(MAIN, None)
        execution.restored = lanes
        if snapshot.redrive:
            history.emit(Lane(snapshot.last_event), "ExecutionRedriven", {"redriveCount": ctx.redrive_count})
        execution.set_timeout(self.state_machine.timeout_seconds, start=snapshot.timeout_from)
        return self._launch(execution, Lane(path=MAIN), snapshot.input, None, main)

    def _launch(self, execution: Execution, lane: Lane, data: Any, text: str | None,
                restored: LaneRecord | None) -> ExecutionHandle:
        handle = ExecutionHandle(execution)
        timer = None
        if execution.deadline is not None and isinstance(self.clock, SystemClock):
            seconds = max((execution.deadline - self.clock.now()).total_seconds(), 0.0)
            timer = threading.Timer(seconds, execution.stop, ("TIMED_OUT", StatesError.TIMEOUT.value,
                                                             "The execution timed out."))
            timer.daemon = True
            timer.start()

        def main() -> None:
            try:
                self._run(execution, handle, lane, data, text, restored)
            finally:
                release_thread()
                if timer is not None:
                    timer.cancel()

        thread = threading.Thread(target=main, name=f"execution-{execution.ctx.execution_name}", daemon=True)
        handle._thread = thread
        thread.start()
        return handle

    def _run(self, execution: Execution, handle: ExecutionHandle, lane: Lane, data: Any, text: str | None,
             restored: LaneRecord | None) -> None:
        history = execution.history
        frame = Frame(execution, lane, CancelScope(execution.root))
        if restored is not None:
            frame.restore(restored)
        try:
            size = payload_size(text) if text is not None else 0
            if size > MAX_PAYLOAD_BYTES:
                raise FailureError(StatesError.DATA_LIMIT_EXCEEDED.value,
                                   f"The execution input has a size of {size} bytes, "
                                   f"over the limit of {MAX_PAYLOAD_BYTES}.")
            output = self.state_machine.run(frame, data)
            frame.check()
            out_text = to_json(output)
            if history.close(lane, "ExecutionSucceeded", {"output": out_text, "outputDetails": {"truncated": False}}):
                handle._finish(ExecutionResult(ExecutionStatus.SUCCEEDED, output))
            else:
                handle._finish_stopped()
        except FailureError as failure:
            details = {key: value for key, value in (("error", failure.error), ("cause", failure.cause))
                       if value is not None}
            if history.close(lane, "ExecutionFailed", details):
                handle._finish(ExecutionResult(ExecutionStatus.FAILED, None, failure.error, failure.cause))
            else:
                handle._finish_stopped()
        except ExecutionStopped:
            handle._finish_stopped()
        except Exception as exc:  # noqa: BLE001 - an engine defect must still end the execution cleanly
            cause = f"{type(exc).__name__}: {exc}"
            if history.close(lane, "ExecutionFailed", {"error": StatesError.RUNTIME.value, "cause": cause}):
                handle._finish(ExecutionResult(ExecutionStatus.FAILED, None, StatesError.RUNTIME.value, cause))
            else:
                handle._finish_stopped()
