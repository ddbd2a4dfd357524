"""Succeed and Fail: the two terminal states."""
from __future__ import annotations

from typing import Any

from ..errors import FailureError, runtime_error
from ..execution import Frame
from ..intrinsic_functions import evaluate
from ..intrinsic_parser import parse_intrinsic
from ..jsonata_fields import Evaluator, unexpected_type
from ..limits import to_json
from ..paths import parse_path
from ..query_language import QueryLanguage
from .base import State


class SucceedState(State):
    type = "Succeed"

    def process(self, frame: Frame, raw_input: Any) -> Any:
        if self.jsonata:
            return self.finish_jsonata(frame, self.env(frame, raw_input), raw_input)
        return self.select_output(frame, self.select_input(frame, raw_input))

    def transition(self, output: Any) -> str | None:
        return None


class FailState(State):
    """Fails the execution (or the enclosing branch) with its Error and Cause."""

    type = "Fail"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        super().__init__(name, spec, default_language)
        self.error = spec.get("Error")
        self.cause = spec.get("Cause")
        self.error_path = spec.get("ErrorPath")
        self.cause_path = spec.get("CausePath")
        # JSONata: Error and Cause are strings or expressions.
        self.error_field = self._value("Error")
        self.cause_field = self._value("Cause")

    def _resolve(self, frame: Frame, raw_input: Any, path_text: str | None, fixed: str | None) -> str | None:
        if path_text is None:
            return fixed
        if path_text.startswith("States."):
            value = evaluate(parse_intrinsic(path_text), raw_input, frame.context(), frame.rng, frame.variable)
        else:
            value = parse_path(path_text).require(
                raw_input, frame, lambda: f"The JSONPath '{path_text}' could not be found in the input")
        if not isinstance(value, str):
            raise runtime_error(f"The value at '{path_text}' must be a string, got {to_json(value)}")
        return value

    def _expression(self, frame: Frame, raw_input: Any, field: str, evaluator: Evaluator | None) -> str | None:
        if evaluator is None:
            return None
        env = self.env(frame, raw_input)
        value = evaluator(env)
        if not isinstance(value, str):
            raise unexpected_type(env, field, self.spec[field], value, "string")
        return value

    def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        self.enter(frame, raw_input)
        frame.resuming = None
        if self.jsonata:
            error = self._expression(frame, raw_input, "Error", self.error_field)
            cause = self._expression(frame, raw_input, "Cause", self.cause_field)
            raise FailureError(error, cause)
        error = self._resolve(frame, raw_input, self.error_path, self.error)
        cause = self._resolve(frame, raw_input, self.cause_path, self.cause)
        raise FailureError(error, cause)
