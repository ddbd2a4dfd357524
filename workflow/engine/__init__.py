"""An Amazon States Language interpreter (JSONPath query language).

Public API: validate a definition, compile it, run executions on their own threads with
an AWS-shaped event history, calling services through a boto3-style client factory;
journal an execution's lanes with its events, and resume or redrive it from them.
"""
from __future__ import annotations

from typing import Any

from .clock import Clock, SystemClock, VirtualClock
from .diagnostics import Diagnostic, InvalidDefinition
from .errors import FailureError, StatesError
from .execution import ExecutionContext
from .history import Sink
from .interpreter import ClientFactory, ExecutionHandle, ExecutionResult, ExecutionStatus, Interpreter
from .lanes import ExecutionSnapshot, Journal, LaneRecord, Step
from .parsing import parse_definition
from .program import StateMachine
from .validation import validate_definition


def run_execution(definition_or_state_machine: str | dict[str, Any] | StateMachine, input: Any, *,
                  client_factory: ClientFactory | None = None, ctx: ExecutionContext | None = None,
                  sink: Sink | None = None, clock: Clock | None = None, time_scale: float = 1.0,
                  poll_interval: float = 5.0, **kwargs: Any) -> ExecutionResult:
    """Run an execution to its end and return its result (blocking)."""
    machine = (definition_or_state_machine if isinstance(definition_or_state_machine, StateMachine)
               else parse_definition(definition_or_state_machine))
    interpreter = Interpreter(machine, client_factory=client_factory, clock=clock,
                              time_scale=time_scale, poll_interval=poll_interval, **kwargs)
    handle = interpreter.start(input, ctx or ExecutionContext.local(), sink)
    result = handle.wait()
    assert result is not None
    return result


__all__ = [
    "Clock", "Diagnostic", "ExecutionContext", "ExecutionHandle", "ExecutionResult", "ExecutionSnapshot",
    "ExecutionStatus", "FailureError", "InvalidDefinition", "Interpreter", "Journal", "LaneRecord",
    "StateMachine", "StatesError", "Step", "SystemClock", "VirtualClock", "parse_definition",
    "run_execution", "validate_definition",
]
