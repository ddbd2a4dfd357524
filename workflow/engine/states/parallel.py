"""Parallel: every branch gets the same input; the output is the array of branch outputs."""
from __future__ import annotations

from typing import Any

from ..program import Program
from ..runtime import Frame
from .base import State
from .fan_out import fan_out, run_children


class ParallelState(State):
    type = "Parallel"
    event_prefix = "Parallel"

    def __init__(self, name: str, spec: dict) -> None:
        super().__init__(name, spec)
        self.branches = [Program(branch) for branch in spec.get("Branches", [])]

    def process(self, frame: Frame, raw_input: Any) -> Any:
        effective = self.apply_parameters(frame, self.select_input(frame, raw_input))
        resuming, frame.resuming = frame.resuming, None
        # A branch's error fails the whole state under the branch's own error name.
        outputs = fan_out(frame, resuming, "Parallel", None, lambda: run_children(
            frame, len(self.branches), lambda index, child: self.branches[index].run(child, effective)))
        result = self.select_result(frame, outputs)
        return self.select_output(frame, self.place_result(raw_input, result))
