"""Task: calls a service integration, with timeouts, heartbeats, Retry and Catch."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from ..errors import ExecutionStopped, FailureError, StatesError, runtime_error
from ..execution import Frame
from ..integrations import TaskInterrupted, TaskInvocation, handler_for, parse_resource
from ..integrations.resource import CALLBACK
from ..jsonata_expressions import is_expression
from ..jsonata_fields import Evaluator, QueryEnv, compile_value, unexpected_type
from ..lanes import LaneRecord, Step
from ..limits import check_payload, to_json
from ..paths import parse_path
from ..query_language import QueryLanguage
from .base import State

_TIMEOUTS = {StatesError.TIMEOUT.value, StatesError.HEARTBEAT_TIMEOUT.value}


class TaskState(State):
    type = "Task"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        super().__init__(name, spec, default_language)
        # The integrations read "Parameters" to know whether the state gave a payload;
        # a JSONata state gives it as Arguments.
        self.invocation_spec = ({**spec, "Parameters": spec["Arguments"]}
                                if self.jsonata and "Arguments" in spec else spec)
        self.resource = parse_resource(spec["Resource"])
        self.handler = handler_for(self.resource)
        self.timeout_seconds = spec.get("TimeoutSeconds")
        self.timeout_path = spec.get("TimeoutSecondsPath")
        self.heartbeat_seconds = spec.get("HeartbeatSeconds")
        self.heartbeat_path = spec.get("HeartbeatSecondsPath")
        if self.timeout_seconds is None and self.timeout_path is None and self.resource.kind == "activity":
            self.timeout_seconds = 99999999
        self.timeout_field = self._seconds_field("TimeoutSeconds")
        self.heartbeat_field = self._seconds_field("HeartbeatSeconds")

    def _seconds_field(self, field: str) -> Evaluator | None:
        value = self.spec.get(field)
        return compile_value(value, field) if self.jsonata and is_expression(value) else None

    def _jsonata_seconds(self, env: QueryEnv, field: str, evaluator: Evaluator | None, fixed: Any) -> float | None:
        if evaluator is None:
            return cast("float | None", fixed)
        value = evaluator(env)
        if type(value) is not int or value <= 0:
            raise unexpected_type(env, field, self.spec[field], value, "positive integer")
        return value

    def _seconds(self, frame: Frame, data: Any, fixed: Any, path_text: str | None, field: str) -> float | None:
        if path_text is None:
            return cast("float | None", fixed)
        value = parse_path(path_text).require(
            data, frame, lambda: f"Invalid path '{path_text}' specified for the field '{field}'")
        if type(value) is not int or value <= 0:
            raise runtime_error(f"The value at '{path_text}' ({field}) must be a positive integer, got {value!r}")
        return value

    def process(self, frame: Frame, raw_input: Any) -> Any:
        resuming, frame.resuming = frame.resuming, None
        if resuming is not None and resuming.step is Step.WORK:
            resuming = None  # entered, nothing called yet (or redriven): call afresh
        if self.resource.pattern == CALLBACK:
            frame.task_token = (resuming.token if resuming is not None and resuming.token
                                else str(uuid.UUID(int=frame.rng.getrandbits(128), version=4)))
        # A resumed call was scheduled before the restart: its parameters are in the history.
        fresh = resuming is None
        if self.jsonata:
            env = self.env(frame, raw_input)
            arguments = (self.arguments(env) if self.arguments is not None else raw_input) if fresh else None
            timeout = self._jsonata_seconds(env, "TimeoutSeconds", self.timeout_field, self.timeout_seconds)
            heartbeat = self._jsonata_seconds(env, "HeartbeatSeconds", self.heartbeat_field, self.heartbeat_seconds)
            result = self._result(frame, arguments, timeout, heartbeat, resuming)
            return self.finish_jsonata(frame, env.but(result=result), result)
        data = self.select_input(frame, raw_input)
        parameters = self.apply_parameters(frame, data) if fresh else None
        timeout = self._seconds(frame, data, self.timeout_seconds, self.timeout_path, "TimeoutSecondsPath")
        heartbeat = self._seconds(frame, data, self.heartbeat_seconds, self.heartbeat_path, "HeartbeatSecondsPath")
        result = self._result(frame, parameters, timeout, heartbeat, resuming)
        return self.finish(frame, raw_input, self.select_result(frame, result))

    def _result(self, frame: Frame, parameters: Any, timeout: float | None, heartbeat: float | None,
                resuming: LaneRecord | None) -> Any:
        if resuming is not None and resuming.step is Step.RESULT:
            return resuming.output  # the task had succeeded: its result is in the history
        return self.invoke(frame, parameters, timeout, heartbeat, resuming)

    # --- events -----------------------------------------------------------------------
    def invoke(self, frame: Frame, parameters: Any, timeout: float | None, heartbeat: float | None,
               resuming: LaneRecord | None = None) -> Any:
        resource = self.resource
        lambda_arn = resource.kind == "lambda-function"
        record = frame.record
        if resuming is None:
            deadline = self._deadline(frame, timeout)
            record.step, record.deadline, record.token = Step.CALL, deadline, frame.task_token
            self._scheduled(frame, parameters, timeout, heartbeat)
        else:
            deadline = resuming.deadline
        invocation = TaskInvocation(frame, resource, parameters, timeout, heartbeat, self.invocation_spec,
                                    deadline=deadline, job=resuming.job if resuming is not None else None)
        try:
            if resuming is not None and resuming.step is Step.CALL:
                raise FailureError(StatesError.TASK_FAILED.value, self._interrupted_cause())
            result = self._run(invocation, resuming)
            out_text = check_payload(result, "task result")
        except TaskInterrupted as interrupted:
            if not interrupted.timed_out:
                raise ExecutionStopped() from None
            failure = FailureError(StatesError.TIMEOUT.value, f"The task '{self.name}' timed out.")
            self._failed(frame, failure, timed_out=True)
            raise failure from None
        except FailureError as failure:
            self._failed(frame, failure, timed_out=failure.error in _TIMEOUTS)
            raise
        record.step, record.output = Step.RESULT, result
        if lambda_arn:
            frame.emit("LambdaFunctionSucceeded", {"output": out_text, "outputDetails": {"truncated": False}})
        else:
            frame.emit("TaskSucceeded", {"resourceType": resource.resource_type, "resource": resource.resource_name,
                                         "output": out_text, "outputDetails": {"truncated": False}})
        return result

    @staticmethod
    def _deadline(frame: Frame, timeout: float | None) -> datetime | None:
        if timeout is None:
            return None
        return frame.execution.clock.now() + timedelta(seconds=frame.execution.scaled(timeout))

    def _scheduled(self, frame: Frame, parameters: Any, timeout: float | None, heartbeat: float | None) -> None:
        resource = self.resource
        params_text = to_json(parameters)
        if resource.kind == "lambda-function":
            details: dict[str, Any] = {"resource": resource.arn, "input": params_text,
                                       "inputDetails": {"truncated": False}}
            if timeout is not None:
                details["timeoutInSeconds"] = int(timeout)
            frame.emit("LambdaFunctionScheduled", details)
            frame.emit("LambdaFunctionStarted")
            return
        details = {"resourceType": resource.resource_type, "resource": resource.resource_name,
                   "region": frame.execution.ctx.region, "parameters": params_text}
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None:
            details["heartbeatInSeconds"] = int(heartbeat)
        frame.emit("TaskScheduled", details)
        frame.emit("TaskStarted", {"resourceType": resource.resource_type, "resource": resource.resource_name})

    def _interrupted_cause(self) -> str:
        return (f"The task '{self.name}' was interrupted: the execution's host stopped while its call "
                f"of {self.resource.arn} was in flight, so the call's outcome is unknown.")

    def _failed(self, frame: Frame, failure: FailureError, timed_out: bool) -> None:
        frame.record.failed(failure.error, failure.cause, frame.execution.clock.now())
        details: dict[str, Any] = {key: value for key, value in (("error", failure.error), ("cause", failure.cause))
                                   if value is not None}
        if self.resource.kind == "lambda-function":
            frame.emit("LambdaFunctionTimedOut" if timed_out else "LambdaFunctionFailed", details)
        else:
            details = {"resourceType": self.resource.resource_type, "resource": self.resource.resource_name, **details}
            frame.emit("TaskTimedOut" if timed_out else "TaskFailed", details)

    # --- the call itself ------------------------------------------------------------
    def _run(self, invocation: TaskInvocation, resuming: LaneRecord | None) -> Any:
        frame = invocation.frame
        if self.resource.pattern != CALLBACK:
            return self.handler(invocation)
        registry = frame.execution.callbacks
        token = frame.task_token or ""
        waiter = registry.open(token)
        try:
            if resuming is None or resuming.step is not Step.CALLBACK:
                self.handler(invocation)
                # The token is out: from here a restart waits for its answer again.
                frame.record.step = Step.CALLBACK
                frame.save()
            beats, last_beat = waiter.heartbeats, frame.execution.clock.now()
            while not waiter.event.is_set():
                invocation.sleep(min(1.0, invocation.heartbeat_seconds or 1.0))
                if waiter.heartbeats != beats:
                    beats, last_beat = waiter.heartbeats, frame.execution.clock.now()
                elif invocation.heartbeat_seconds is not None:
                    idle = (frame.execution.clock.now() - last_beat).total_seconds()
                    if idle >= frame.execution.scaled(invocation.heartbeat_seconds):
                        raise FailureError(StatesError.HEARTBEAT_TIMEOUT.value,
                                           f"The task '{self.name}' missed its heartbeat.")
            if waiter.error is not None:
                raise FailureError(*waiter.error)
            return waiter.output
        finally:
            registry.close(token)
