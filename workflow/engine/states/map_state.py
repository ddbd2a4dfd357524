"""Map (inline): runs the item processor for each element of the ItemsPath array."""
from __future__ import annotations

from typing import Any

from ..errors import FailureError, StatesError, runtime_error
from ..lanes import Step
from ..limits import to_json
from ..paths import PathNotFound, parse_path
from ..program import Program
from ..runtime import Frame
from ..template import compile_template
from .base import State
from .fan_out import fan_out, run_children


class MapState(State):
    type = "Map"
    event_prefix = "Map"

    def __init__(self, name: str, spec: dict) -> None:
        # "Parameters" is the older name of ItemSelector; it is evaluated per item.
        selector = spec.get("ItemSelector", spec.get("Parameters"))
        body = {key: value for key, value in spec.items() if key != "Parameters"}
        super().__init__(name, body)
        self.spec = spec
        self.item_selector = compile_template(selector) if selector is not None else None
        self.items_path = parse_path(spec.get("ItemsPath", "$"))
        self.processor = Program(spec.get("ItemProcessor") or spec.get("Iterator"))
        self.max_concurrency = spec.get("MaxConcurrency", 0)
        self.max_concurrency_path = spec.get("MaxConcurrencyPath")

    def _items(self, frame: Frame, data: Any) -> list:
        try:
            items = self.items_path.find(frame.context() if self.items_path.context else data)
        except PathNotFound:
            raise runtime_error(f"Invalid path '{self.items_path.text}' : No results for path: ItemsPath") from None
        if not isinstance(items, list):
            # Step Functions reports this as a query evaluation error (not States.Runtime).
            raise FailureError(
                StatesError.QUERY_EVALUATION_ERROR.value,
                f"Map state input must be an array but was: {to_json(items)[:200]}",
            )
        return items

    def _concurrency(self, frame: Frame, data: Any) -> int:
        if self.max_concurrency_path is None:
            return int(self.max_concurrency)
        try:
            value = parse_path(self.max_concurrency_path).find(data)
        except PathNotFound:
            raise runtime_error(f"Invalid path '{self.max_concurrency_path}' for MaxConcurrencyPath") from None
        if type(value) is not int or value < 0:
            raise runtime_error(f"MaxConcurrencyPath must reference a non-negative integer, got {value!r}")
        return value

    def process(self, frame: Frame, raw_input: Any) -> Any:
        data = self.select_input(frame, raw_input)
        resuming, frame.resuming = frame.resuming, None
        if resuming is not None and resuming.step is Step.RESULT:
            outputs = resuming.output
        else:
            items = self._items(frame, data)
            concurrency = self._concurrency(frame, data)
            outputs = fan_out(frame, resuming, "Map", {"length": len(items)},
                              lambda: self._iterate(frame, data, items, concurrency))
        result = self.select_result(frame, outputs)
        return self.select_output(frame, self.place_result(raw_input, result))

    def _iterate(self, frame: Frame, data: Any, items: list, concurrency: int) -> list[Any]:
        def iterate(index: int, child: Frame) -> Any:
            value, failure = None, None
            if child.resuming is None:
                try:
                    value = self._select(frame, child, data, items, index)
                except FailureError as exc:
                    failure = exc
                child.record.enter(self.processor.start_at, value)
                child.emit("MapIterationStarted", {"name": self.name, "index": index})
            try:
                if failure is not None:
                    raise failure
                output = self.processor.run(child, value)
            except FailureError as exc:
                record = child.record
                record.step, record.error, record.cause = Step.FAILED, exc.error, exc.cause
                child.emit("MapIterationFailed", {"name": self.name, "index": index})
                raise
            child.emit_unlinked("MapIterationSucceeded", {"name": self.name, "index": index})
            return output

        def aborted(index: int, child: Frame) -> None:
            child.record.step = Step.ABORTED
            frame.runtime.history.emit(child.lane, "MapIterationAborted", {"name": self.name, "index": index})

        return run_children(frame, len(items), iterate, concurrency, aborted)

    def _select(self, frame: Frame, child: Frame, data: Any, items: list, index: int) -> Any:
        if self.item_selector is None:
            return items[index]
        child.state_name, child.entered_time = frame.state_name, frame.entered_time
        child.map_item = (index, items[index])
        value = self.item_selector(data, child)
        child.map_item = None
        return value
