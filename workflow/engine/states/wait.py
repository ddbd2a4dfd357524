"""Wait: for Seconds, SecondsPath, until Timestamp or TimestampPath (time-scaled locally).

In a JSONata state Seconds and Timestamp may be expressions.
"""
from __future__ import annotations

from typing import Any

from ..errors import runtime_error
from ..execution import Frame
from ..jsonata_expressions import is_expression
from ..jsonata_fields import QueryEnv, compile_value, unexpected_type
from ..paths import parse_path
from ..query_language import QueryLanguage
from ..timestamps import parse_timestamp
from .base import State


class WaitState(State):
    type = "Wait"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        super().__init__(name, spec, default_language)
        self.expressions = {field: compile_value(spec[field], field) for field in ("Seconds", "Timestamp")
                            if self.jsonata and is_expression(spec.get(field))}

    def _read(self, frame: Frame, data: Any, field: str) -> Any:
        text = self.spec[field]
        return parse_path(text).require(data, frame, lambda: (
            f"Invalid path '{text}' specified for the field '{field}' of state '{self.name}'"))

    def _jsonata_seconds(self, frame: Frame, env: QueryEnv) -> float:
        spec = self.spec
        for field, evaluate in self.expressions.items():
            value = evaluate(env)
            if field == "Seconds":
                if type(value) is not int or value < 0:
                    raise unexpected_type(env, field, spec[field], value, "non-negative integer")
                return float(value)
            target = parse_timestamp(value)
            if target is None:
                raise unexpected_type(env, field, spec[field], value, "timestamp")
            return max((target - frame.execution.clock.now()).total_seconds(), 0.0)
        return self.seconds_to_wait(frame, None)

    def seconds_to_wait(self, frame: Frame, data: Any) -> float:
        spec = self.spec
        if "Seconds" in spec:
            return float(spec["Seconds"])
        if "SecondsPath" in spec:
            value = self._read(frame, data, "SecondsPath")
            if type(value) not in (int, float) or value < 0 or (type(value) is float and not value.is_integer()):
                raise runtime_error(
                    f"The SecondsPath parameter of state '{self.name}' does not reference "
                    f"a non-negative integer: {value!r}"
                )
            return float(value)
        text = spec["Timestamp"] if "Timestamp" in spec else self._read(frame, data, "TimestampPath")
        target = parse_timestamp(text)
        if target is None:
            raise runtime_error(f"The TimestampPath parameter of state '{self.name}' does not reference "
                                f"a valid ISO-8601 timestamp: {text!r}")
        # The interval until the instant is what gets time-scaled, like any other wait.
        return max((target - frame.execution.clock.now()).total_seconds(), 0.0)

    def _already(self, frame: Frame) -> float:
        """Seconds a resumed wait (its host restarted) has waited already: the time since the
        state was entered counts. A Timestamp is an instant, whenever it is read."""
        resumed, frame.resuming = frame.resuming, None
        if resumed is None or resumed.entered_time is None or "Timestamp" in self.spec \
                or "TimestampPath" in self.spec:
            return 0.0
        return max((frame.execution.clock.now() - resumed.entered_time).total_seconds(), 0.0)

    def process(self, frame: Frame, raw_input: Any) -> Any:
        already = self._already(frame)
        if self.jsonata:
            env = self.env(frame, raw_input)
            frame.sleep(self._jsonata_seconds(frame, env), already=already)
            return self.finish_jsonata(frame, env, raw_input)
        data = self.select_input(frame, raw_input)
        frame.sleep(self.seconds_to_wait(frame, data), already=already)
        if self.assign is not None:
            # Wait has no result: its Assign reads the state input.
            frame.assigned = self.assign(frame, data, None)
        return self.select_output(frame, data)
