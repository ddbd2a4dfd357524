"""Pass: passes its input (or Result, or Parameters; in JSONata its Output) to its output."""
from __future__ import annotations

from typing import Any

from ..execution import Frame
from ..query_language import QueryLanguage
from .base import State


class PassState(State):
    type = "Pass"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        super().__init__(name, spec, default_language)
        self.has_result = "Result" in spec
        self.result = spec.get("Result")

    def process(self, frame: Frame, raw_input: Any) -> Any:
        if self.jsonata:
            return self.finish_jsonata(frame, self.env(frame, raw_input), raw_input)
        effective = self.apply_parameters(frame, self.select_input(frame, raw_input))
        result = self.result if self.has_result else effective
        return self.finish(frame, raw_input, result)
