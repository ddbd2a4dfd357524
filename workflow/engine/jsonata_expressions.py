"""JSONata expressions (``"{% ... %}"``) as Step Functions evaluates them.

The library is jsonatapy (a Rust JSONata 2.x core with Python bindings, on PyPI;
no JVM, no Node). It was measured against the pure-Python jsonata-python on the
developer guide's examples (``$states`` fields, variables, the functions Step
Functions adds, string and number results): both gave every expected value, and
jsonatapy evaluated about 12x faster (~200,000 against ~16,000 evaluations/s of
``$states.input.i + 1``) and compiled about 20x faster. It also tells JSONata's
*undefined* from ``null`` (``evaluate_json_or_none``), which the "returned nothing
(undefined)" error needs, and its errors carry JSONata's codes (``T1006: ...``)
as Step Functions' causes do.

jsonatapy's compiled expressions belong to the thread that compiled them (a pyo3
"unsendable" class: another thread using one panics), while executions, Parallel
branches and Map iterations each run on their own thread. So every thread compiles
its own copy, on first use, into a thread-local cache, and the threads that run
states empty theirs before they end (``release_thread``): a copy dropped by another
thread would leak.
"""
from __future__ import annotations

import json
import random
import re
import threading
from typing import Any

import jsonatapy

from .jsonata_functions import ADDED, CURRENT, REPLACED

_OPEN, _CLOSE = "{%", "%}"
# ``$name`` in an expression: the variables it may read (a superset is harmless).
_REFERENCE = re.compile(r"\$([^\W\d]\w*)")
# ``$states`` used for more than input/result/errorOutput: the context object is needed.
_NEEDS_CONTEXT = re.compile(r"\$states\b(?!\s*\.\s*(?:input|result|errorOutput)\b)")
_HOST_PREFIX = re.compile(r"^host function raised \w+: ")


def is_expression(value: object) -> bool:
    """A JSONata expression string: ``{%`` first and ``%}`` last, with nothing around them."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith(_OPEN) and value.endswith(_CLOSE)


def body_of(text: str) -> str:
    """The expression between the delimiters, as error messages quote it."""
    return text[2:-2].strip()


class Undefined(Exception):
    """The expression returned nothing (JSONata's undefined), which JSON cannot hold."""


class EvaluationError(Exception):
    """JSONata raised an error while evaluating (its message starts with JSONata's code)."""


class _Compiled(threading.local):
    def __init__(self) -> None:
        self.expressions: dict[str, Any] = {}


_COMPILED = _Compiled()


def _compile(body: str) -> Any:
    expression = jsonatapy.compile(body)
    for name, function in ADDED.items():
        expression.register(name, function)
    for name, function in REPLACED.items():
        expression.register_override(name, function)
    return expression


def syntax_error(text: str) -> str | None:
    """JSONata's parse error for an expression string, or None when it parses."""
    try:
        # Not cached: validation runs on request threads that never release a cache.
        jsonatapy.compile(body_of(text))
    except ValueError as exc:
        return str(exc)
    return None


def release_thread() -> None:
    """Drop this thread's compiled expressions; call it last on a thread that ran states."""
    _COMPILED.expressions.clear()


def _compiled(body: str) -> Any:
    cache = _COMPILED.expressions
    expression = cache.get(body)
    if expression is None:
        if len(cache) > 4096:
            cache.clear()
        expression = cache[body] = _compile(body)
    return expression


class Expression:
    """One ``{% ... %}`` string of a definition, ready to evaluate with bindings."""

    __slots__ = ("text", "body", "variables", "needs_context")

    def __init__(self, text: str) -> None:
        self.text = text
        self.body = body_of(text)
        names = set(_REFERENCE.findall(self.body))
        names.discard("states")
        self.variables: tuple[str, ...] = tuple(sorted(names))
        self.needs_context = _NEEDS_CONTEXT.search(self.body) is not None

    def evaluate(self, bindings: dict[str, Any], rng: random.Random) -> Any:
        """The JSON value of the expression; raises Undefined or EvaluationError."""
        CURRENT.rng = rng
        try:
            text, problem = _run(self.body, bindings)
        finally:
            CURRENT.rng = None
        if problem is not None:
            raise EvaluationError(problem)
        if text is None:
            raise Undefined(self.body)
        return json.loads(text)


def _run(body: str, bindings: dict[str, Any]) -> tuple[str | None, str | None]:
    """(JSON text or None for undefined, error message or None).

    The error comes back as a value, not raised from here: a traceback would keep
    this frame, and the compiled expression in it, alive on whichever thread ends up
    holding the exception (a Parallel branch's failure travels to the parent's thread).
    """
    try:
        return _compiled(body).evaluate_json_or_none(None, bindings), None
    except ValueError as exc:
        return None, _HOST_PREFIX.sub("", str(exc))
