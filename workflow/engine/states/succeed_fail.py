"""Succeed and Fail: the two terminal states."""
from __future__ import annotations

from typing import Any

from ..errors import FailureError, runtime_error
from ..limits import to_json
from ..paths import PathNotFound, parse_path
from ..runtime import Frame
from .base import State


class SucceedState(State):
    type = "Succeed"
    event_prefix = "Succeed"

    def process(self, frame: Frame, raw_input: Any) -> Any:
        return self.select_output(frame, self.select_input(frame, raw_input))

    def transition(self, output: Any) -> str | None:
        return None


class FailState(State):
    """Fails the execution (or the enclosing branch) with its Error and Cause."""

    type = "Fail"
    event_prefix = "Fail"

    def __init__(self, name: str, spec: dict) -> None:
        super().__init__(name, spec)
        self.error = spec.get("Error")
        self.cause = spec.get("Cause")
        self.error_path = spec.get("ErrorPath")
        self.cause_path = spec.get("CausePath")

    def _resolve(self, frame: Frame, raw_input: Any, path_text: str | None, fixed: str | None) -> str | None:
        if path_text is None:
            return fixed
        if path_text.startswith("States."):
            from ..intrinsic_functions import evaluate
            from ..intrinsic_parser import parse_intrinsic

            value = evaluate(parse_intrinsic(path_text), raw_input, frame.context(), frame.rng)
        else:
            path = parse_path(path_text)
            try:
                value = path.find(frame.context() if path.context else raw_input)
            except PathNotFound:
                raise runtime_error(f"The JSONPath '{path_text}' could not be found in the input") from None
        if not isinstance(value, str):
            raise runtime_error(f"The value at '{path_text}' must be a string, got {to_json(value)}")
        return value

    def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        frame.check()
        self.enter(frame, raw_input, to_json(raw_input))
        frame.resuming = None
        error = self._resolve(frame, raw_input, self.error_path, self.error)
        cause = self._resolve(frame, raw_input, self.cause_path, self.cause)
        raise FailureError(error, cause)
