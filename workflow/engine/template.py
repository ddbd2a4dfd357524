"""Payload templates (Parameters, ResultSelector, ItemSelector): ``.$`` keys and constants.

A template is compiled once per state into a closure tree, so an execution only
walks the dynamic parts.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Protocol

from .errors import FailureError, StatesError
from .intrinsic_functions import evaluate
from .intrinsic_parser import is_intrinsic, parse_intrinsic
from .paths import PathNotFound, parse_path


class Scope(Protocol):
    rng: random.Random

    def context(self) -> dict[str, Any]: ...

    def variable(self, name: str) -> Any: ...


Evaluator = Callable[[Any, Scope], Any]


def _constant(value: Any) -> Evaluator:
    return lambda data, scope: value


def _path_field(key: str, text: str, error: str) -> Evaluator:
    path = parse_path(text)

    def run(data: Any, scope: Scope) -> Any:
        try:
            return path.resolve(data, scope)
        except PathNotFound:
            source = "context object" if path.context else f"variable '{path.variable}'" if path.variable else "input"
            raise FailureError(
                error,
                f"The JSONPath '{text}' specified for the field '{key}' could not be found in the {source}",
            ) from None

    return run


def _intrinsic_field(text: str) -> Evaluator:
    call = parse_intrinsic(text)
    needs_context = "$$" in text

    def run(data: Any, scope: Scope) -> Any:
        return evaluate(call, data, scope.context() if needs_context else None, scope.rng, scope.variable)

    return run


def compile_template(template: Any, error: str = StatesError.PARAMETER_PATH_FAILURE.value) -> Evaluator:
    """Compile a payload template; raises ValueError/PathError for malformed dynamic fields."""
    if isinstance(template, dict):
        fields: list[tuple[str, Evaluator]] = []
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    raise ValueError(f"The value of the field '{key}' must be a string path or intrinsic function")
                field = _intrinsic_field(value) if is_intrinsic(value) else _path_field(key, value, error)
                fields.append((key[:-2], field))
            else:
                fields.append((key, compile_template(value, error)))
        if _is_static(template):
            return _constant(template)

        def run_object(data: Any, scope: Scope) -> dict[str, Any]:
            return {name: evaluator(data, scope) for name, evaluator in fields}

        return run_object
    if isinstance(template, list):
        items = [compile_template(item, error) for item in template]
        if _is_static(template):
            return _constant(template)
        return lambda data, scope: [item(data, scope) for item in items]
    return _constant(template)


def _is_static(value: Any) -> bool:
    if isinstance(value, dict):
        return all(not key.endswith(".$") and _is_static(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_static(item) for item in value)
    return True
