"""A compiled state machine (or branch, or item processor) and the loop that runs it."""
from __future__ import annotations

import json
from typing import Any

from .execution import Frame
from .lanes import Step
from .query_language import QueryLanguage, language_of


class Program:
    """StartAt plus compiled states; Parallel branches and Map processors are Programs too."""

    def __init__(self, spec: dict[str, Any], language: QueryLanguage | None = None) -> None:
        from .states import STATE_TYPES

        self.spec = spec
        self.start_at: str = spec["StartAt"]
        self.timeout_seconds: int | None = spec.get("TimeoutSeconds")
        # A branch or item processor inherits the state machine's QueryLanguage.
        self.language = language or language_of(spec, QueryLanguage.JSONPATH)
        self.states = {name: STATE_TYPES[body["Type"]](name, body, self.language)
                       for name, body in spec["States"].items()}

    def run(self, frame: Frame, data: Any) -> Any:
        """Run from StartAt (or, on a restored lane, from where it stood) to a terminal state;
        raises FailureError for an unhandled error."""
        states = self.states
        name: str | None = self.start_at
        resuming = frame.resuming
        if resuming is not None:
            if resuming.step is Step.DONE:
                frame.resuming = None
                return resuming.output
            name, data = resuming.state, resuming.input
            if resuming.step is Step.ENTER:
                frame.resuming = None
        while name is not None:
            data, name = states[name].execute(frame, data)
        return data


class StateMachine(Program):
    """A validated top-level definition; ``definition`` is its JSON text."""

    def __init__(self, spec: dict[str, Any], definition: str | None = None) -> None:
        super().__init__(spec)
        self.definition = definition if definition is not None else json.dumps(spec)
