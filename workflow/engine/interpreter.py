"""Running a state machine: an execution on its own thread, its handle and its result."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .clock import Clock, SystemClock
from .errors import ExecutionStopped, FailureError, StatesError
from .history import History, Lane, Sink
from .jsonata_expressions import release_thread
from .limits import MAX_PAYLOAD_BYTES, payload_size, to_json
from .program import StateMachine
from .runtime import CancelScope, ExecutionContext, Frame, JobWatch, Runtime

ClientFactory = Callable[[str], Any]
# How long stop() waits for the execution thread to unwind (and stop its jobs).
STOP_GRACE_SECONDS = 5.0


@dataclass
class ExecutionResult:
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output: Any = None
    error: str | None = None
    cause: str | None = None


class ExecutionHandle:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
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
        if self.done:
            return
        self._runtime.stop("ABORTED", error, cause)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_GRACE_SECONDS)
        # The thread may still be blocked in a service call: the abort is recorded anyway.
        self._finish_stopped()

    # Callback pattern (.waitForTaskToken): answers for a task token.
    def send_task_success(self, token: str, output: Any) -> None:
        self._runtime.callbacks.succeed(token, output)

    def send_task_failure(self, token: str, error: str, cause: str | None = None) -> None:
        self._runtime.callbacks.fail(token, error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        self._runtime.callbacks.heartbeat(token)

    # --- internal ----------------------------------------------------------------------
    def _finish(self, result: ExecutionResult) -> None:
        with self._lock:
            if self._result is None:
                self._result = result
        self._done.set()

    def _finish_stopped(self) -> None:
        runtime = self._runtime
        history = runtime.history
        if history.limit_failure is not None:
            self._finish(ExecutionResult("FAILED", None, *history.limit_failure))
            return
        status, error, cause = runtime.stop_reason or ("ABORTED", None, None)
        details = {key: value for key, value in (("error", error), ("cause", cause)) if value is not None}
        event = "ExecutionTimedOut" if status == "TIMED_OUT" else "ExecutionAborted"
        history.close(Lane(history.count), event, details)
        self._finish(ExecutionResult(status, None, error, cause))


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

    def start(self, input: Any, ctx: ExecutionContext, sink: Sink | None = None) -> ExecutionHandle:
        history = History(sink, self.clock)
        runtime = Runtime(
            history=history, clock=self.clock, ctx=ctx, client_factory=self.client_factory,
            time_scale=self.time_scale, poll_interval=self.poll_interval,
            rng=self.rng or random.Random(), execution_input=input, job_watch=self.job_watch,
        )
        handle = ExecutionHandle(runtime)
        # The first state's events do not link back to ExecutionStarted (previousEventId 0),
        # as in Step Functions histories.
        lane = Lane()
        input_text = to_json(input)
        history.emit(Lane(), "ExecutionStarted", {
            "input": input_text, "inputDetails": {"truncated": False}, "roleArn": ctx.role_arn,
        })
        runtime.set_timeout(self.state_machine.timeout_seconds)
        timer = None
        if runtime.deadline is not None and isinstance(self.clock, SystemClock):
            seconds = runtime.scaled(self.state_machine.timeout_seconds or 0)
            timer = threading.Timer(seconds, runtime.stop, ("TIMED_OUT", StatesError.TIMEOUT.value,
                                                             "The execution timed out."))
            timer.daemon = True
            timer.start()

        def main() -> None:
            try:
                self._run(runtime, handle, lane, input, input_text)
            finally:
                release_thread()
                if timer is not None:
                    timer.cancel()

        thread = threading.Thread(target=main, name=f"execution-{ctx.execution_name}", daemon=True)
        handle._thread = thread
        thread.start()
        return handle

    def _run(self, runtime: Runtime, handle: ExecutionHandle, lane: Lane, data: Any, text: str) -> None:
        history = runtime.history
        frame = Frame(runtime, lane, CancelScope(runtime.root))
        try:
            size = payload_size(text)
            if size > MAX_PAYLOAD_BYTES:
                raise FailureError(StatesError.DATA_LIMIT_EXCEEDED.value,
                                   f"The execution input has a size of {size} bytes, over the limit of {MAX_PAYLOAD_BYTES}.")
            output = self.state_machine.run(frame, data)
            frame.check()
            out_text = to_json(output)
            if history.close(lane, "ExecutionSucceeded", {"output": out_text, "outputDetails": {"truncated": False}}):
                handle._finish(ExecutionResult("SUCCEEDED", output))
            else:
                handle._finish_stopped()
        except FailureError as failure:
            details = {key: value for key, value in (("error", failure.error), ("cause", failure.cause))
                       if value is not None}
            if history.close(lane, "ExecutionFailed", details):
                handle._finish(ExecutionResult("FAILED", None, failure.error, failure.cause))
            else:
                handle._finish_stopped()
        except ExecutionStopped:
            handle._finish_stopped()
        except Exception as exc:  # an engine defect must still end the execution cleanly
            cause = f"{type(exc).__name__}: {exc}"
            history.close(lane, "ExecutionFailed", {"error": StatesError.RUNTIME.value, "cause": cause})
            handle._finish(ExecutionResult("FAILED", None, StatesError.RUNTIME.value, cause))
