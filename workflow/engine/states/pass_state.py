"""Pass: passes its input (or Result, or Parameters) through to its output."""
from __future__ import annotations

from typing import Any

from ..runtime import Frame
from .base import State


class PassState(State):
    type = "Pass"
    event_prefix = "Pass"

    def __init__(self, name: str, spec: dict) -> None:
        super().__init__(name, spec)
        self.has_result = "Result" in spec
        self.result = spec.get("Result")

    def process(self, frame: Frame, raw_input: Any) -> Any:
        effective = self.apply_parameters(frame, self.select_input(frame, raw_input))
        result = self.result if self.has_result else effective
        return self.select_output(frame, self.place_result(raw_input, result))
