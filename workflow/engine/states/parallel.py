"""Parallel: every branch gets the same input; the output is the array of branch outputs."""
from __future__ import annotations

from typing import Any

from ..execution import Frame
from ..program import Program
from ..query_language import QueryLanguage
from .base import State
from .fan_out import fan_out, run_children


class ParallelState(State):
    type = "Parallel"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        super().__init__(name, spec, default_language)
        self.branches = [Program(branch, default_language) for branch in spec.get("Branches", [])]

    def process(self, frame: Frame, raw_input: Any) -> Any:
        if self.jsonata:
            env = self.env(frame, raw_input)
            effective = self.arguments(env) if self.arguments is not None else raw_input
        else:
            effective = self.apply_parameters(frame, self.select_input(frame, raw_input))
        resuming, frame.resuming = frame.resuming, None
        # A branch's error fails the whole state under the branch's own error name.
        outputs = fan_out(frame, resuming, "Parallel", None, lambda: run_children(
            frame, len(self.branches), lambda index, child: self.branches[index].run(child, effective)))
        if self.jsonata:
            return self.finish_jsonata(frame, env.but(result=outputs), outputs)
        return self.finish(frame, raw_input, self.select_result(frame, outputs))
