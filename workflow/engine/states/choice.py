"""Choice: the first rule that matches names the next state, else Default."""
from __future__ import annotations

from typing import Any

from ..choice_rules import compile_rule
from ..errors import FailureError, StatesError
from ..limits import check_payload, to_json
from ..runtime import Frame
from .base import State


class ChoiceState(State):
    type = "Choice"
    event_prefix = "Choice"

    def __init__(self, name: str, spec: dict) -> None:
        super().__init__(name, spec)
        self.rules = [(compile_rule(rule), rule["Next"]) for rule in spec.get("Choices", [])]
        self.default = spec.get("Default")

    def choose(self, frame: Frame, data: Any) -> str:
        context = frame.context
        for predicate, target in self.rules:
            if predicate(data, context):
                return target
        if self.default is None:
            raise FailureError(
                StatesError.NO_CHOICE_MATCHED.value,
                f"No Choice Rules matched and no Default is specified in state '{self.name}'",
            )
        return self.default

    def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        # Choice has no Retry or Catch: its own execute keeps the chosen target per call,
        # which matters because Map iterations share this object across threads.
        frame.check()
        text = to_json(raw_input)
        self.enter(frame, raw_input, text)
        frame.resuming = None
        check_payload(raw_input, "state input", text)
        data = self.select_input(frame, raw_input)
        target = self.choose(frame, data)
        output = self.select_output(frame, data)
        out_text = to_json(output) if output is not raw_input else text
        self.exit(frame, output, out_text, target)
        return output, target
