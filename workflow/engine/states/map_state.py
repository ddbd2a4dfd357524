"""Map (inline): runs the item processor for each element of its items array.

JSONPath: the items are at ItemsPath, each shaped by ItemSelector (or the older
Parameters). JSONata: the items are ``Items`` (an array or an expression, default
``$states.input``) and ItemSelector reads ``$states.context.Map.Item``.
"""
from __future__ import annotations

from typing import Any, cast

from ..errors import FailureError, StatesError, runtime_error
from ..execution import Frame
from ..jsonata_expressions import is_expression
from ..jsonata_fields import QueryEnv, compile_value, unexpected_type
from ..lanes import Step
from ..limits import to_json
from ..paths import parse_path
from ..program import Program
from ..query_language import QueryLanguage
from ..template import compile_template
from .base import State
from .fan_out import fan_out, run_children


class MapState(State):
    type = "Map"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        # "Parameters" is the older name of ItemSelector; it is evaluated per item.
        selector = spec.get("ItemSelector", spec.get("Parameters"))
        body = {key: value for key, value in spec.items() if key != "Parameters"}
        super().__init__(name, body, default_language)
        self.spec = spec
        self.item_selector = compile_template(selector) if selector is not None and not self.jsonata else None
        self.jsonata_selector = (compile_value(selector, "ItemSelector")
                                 if selector is not None and self.jsonata else None)
        self.items_field = compile_value(spec["Items"], "Items") if self.jsonata and "Items" in spec else None
        self.items_path = parse_path(spec.get("ItemsPath", "$"))
        self.processor = Program(
            cast("dict[str, Any]", spec.get("ItemProcessor") or spec.get("Iterator")), default_language)
        self.max_concurrency = spec.get("MaxConcurrency", 0)
        self.max_concurrency_path = spec.get("MaxConcurrencyPath")
        self.concurrency_field = (compile_value(self.max_concurrency, "MaxConcurrency")
                                  if self.jsonata and is_expression(self.max_concurrency) else None)

    def _items(self, frame: Frame, data: Any) -> list[Any]:
        items = self.items_path.require(
            data, frame, lambda: f"Invalid path '{self.items_path.text}' : No results for path: ItemsPath")
        if not isinstance(items, list):
            # Step Functions reports this as a query evaluation error (not States.Runtime).
            raise FailureError(
                StatesError.QUERY_EVALUATION_ERROR.value,
                f"Map state input must be an array but was: {to_json(items)[:200]}",
            )
        return items

    def _jsonata_items(self, env: QueryEnv, raw_input: Any) -> list[Any]:
        if self.items_field is None:
            items = raw_input
            if not isinstance(items, list):
                raise FailureError(StatesError.QUERY_EVALUATION_ERROR.value,
                                   f"Map state input must be an array but was: {to_json(items)[:200]}")
            return items
        items = self.items_field(env)
        if not isinstance(items, list):
            raise unexpected_type(env, "Items", self.spec["Items"], items, "array")
        return items

    def _concurrency(self, frame: Frame, data: Any, env: QueryEnv | None) -> int:
        if self.concurrency_field is not None and env is not None:
            value = self.concurrency_field(env)
            if type(value) is not int or value < 0:
                raise unexpected_type(env, "MaxConcurrency", self.max_concurrency, value, "integer")
            return value
        if self.max_concurrency_path is None:
            return int(self.max_concurrency)
        value = parse_path(self.max_concurrency_path).require(
            data, frame, lambda: f"Invalid path '{self.max_concurrency_path}' for MaxConcurrencyPath")
        if type(value) is not int or value < 0:
            raise runtime_error(f"MaxConcurrencyPath must reference a non-negative integer, got {value!r}")
        return value

    def process(self, frame: Frame, raw_input: Any) -> Any:
        env = self.env(frame, raw_input) if self.jsonata else None
        resuming, frame.resuming = frame.resuming, None
        if resuming is not None and resuming.step is Step.RESULT:
            outputs = resuming.output  # every iteration had ended before the restart
        else:
            if env is not None:
                data = raw_input
                items = self._jsonata_items(env, raw_input)
            else:
                data = self.select_input(frame, raw_input)
                items = self._items(frame, data)
            concurrency = self._concurrency(frame, data, env)
            outputs = fan_out(frame, resuming, "Map", {"length": len(items)},
                              lambda: self._iterate(frame, raw_input, data, items, concurrency))
        if env is not None:
            return self.finish_jsonata(frame, env.but(result=outputs), outputs)
        return self.finish(frame, raw_input, self.select_result(frame, outputs))

    def _iterate(self, frame: Frame, raw_input: Any, data: Any, items: list[Any], concurrency: int) -> list[Any]:
        def select(index: int, child: Frame) -> Any:
            if self.item_selector is None and self.jsonata_selector is None:
                return items[index]
            child.state_name, child.entered_time = frame.state_name, frame.entered_time
            child.entered_event_id = frame.entered_event_id
            child.map_item = (index, items[index])
            try:
                if self.jsonata_selector is not None:
                    return self.jsonata_selector(QueryEnv(child, raw_input))
                assert self.item_selector is not None
                return self.item_selector(data, child)
            finally:
                child.map_item = None

        def iterate(index: int, child: Frame) -> Any:
            value, failure = None, None
            if child.resuming is None:  # a resumed iteration has started, with its input
                try:
                    value = select(index, child)
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
            frame.execution.history.emit(child.lane, "MapIterationAborted", {"name": self.name, "index": index})

        return run_children(frame, len(items), iterate, concurrency, aborted)
