"""Wait: for Seconds, SecondsPath, until Timestamp or TimestampPath (time-scaled locally)."""
from __future__ import annotations

from typing import Any

from ..errors import runtime_error
from ..paths import PathNotFound, parse_path
from ..runtime import Frame
from ..timestamps import parse_timestamp
from .base import State


class WaitState(State):
    type = "Wait"
    event_prefix = "Wait"

    def _read(self, frame: Frame, data: Any, field: str) -> Any:
        path = parse_path(self.spec[field])
        try:
            return path.find(frame.context() if path.context else data)
        except PathNotFound:
            raise runtime_error(
                f"Invalid path '{self.spec[field]}' specified for the field '{field}' of state '{self.name}'"
            ) from None

    def seconds_to_wait(self, frame: Frame, data: Any) -> float:
        spec = self.spec
        if "Seconds" in spec:
            return float(spec["Seconds"])
        if "SecondsPath" in spec:
            value = self._read(frame, data, "SecondsPath")
            if type(value) not in (int, float) or value < 0 or (type(value) is float and not value.is_integer()):
                raise runtime_error(
                    f"The SecondsPath parameter of state '{self.name}' does not reference a non-negative integer: {value!r}"
                )
            return float(value)
        text = spec["Timestamp"] if "Timestamp" in spec else self._read(frame, data, "TimestampPath")
        target = parse_timestamp(text)
        if target is None:
            raise runtime_error(f"The TimestampPath parameter of state '{self.name}' does not reference a valid ISO-8601 timestamp: {text!r}")
        # The interval until the instant is what gets time-scaled, like any other wait.
        return max((target - frame.runtime.clock.now()).total_seconds(), 0.0)

    def process(self, frame: Frame, raw_input: Any) -> Any:
        data = self.select_input(frame, raw_input)
        resumed, frame.resuming = frame.resuming, None
        # A resumed wait (a restart of its host) waits what is left of it: the time since the
        # state was entered counts. A Timestamp is an instant, whenever it is read.
        already = 0.0
        if resumed is not None and resumed.entered_time is not None and "Timestamp" not in self.spec \
                and "TimestampPath" not in self.spec:
            already = max((frame.runtime.clock.now() - resumed.entered_time).total_seconds(), 0.0)
        frame.sleep(self.seconds_to_wait(frame, data), already=already)
        return self.select_output(frame, data)
