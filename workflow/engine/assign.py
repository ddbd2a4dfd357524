"""``Assign``: compiling a state's (or Choice rule's, or catcher's) variable assignments.

Developer guide, "Passing data between states with variables": every expression of
an Assign is evaluated before any variable is bound, so each one sees the values
from before the state (``{"x": "{% $y %}", "y": "{% $x %}"}`` swaps x and y). In a
JSONPath state the ``name.$`` entries are paths or intrinsic functions over the
state's result (after ResultSelector), or over its input where the state has no
result (Choice, Wait), or over the error output in a Catch; in a JSONata state the
values are JSON with ``{% %}`` expressions.
"""
from __future__ import annotations

from typing import Any, Callable

from .execution import Frame
from .jsonata_fields import QueryEnv, compile_value
from .query_language import QueryLanguage
from .template import compile_template

#: (document ``$`` for JSONPath, JSONata environment) -> {name: value}
Assignment = Callable[[Frame, Any, "QueryEnv | None"], dict[str, Any]]


def compile_assign(spec: dict[str, Any], language: QueryLanguage, location: str = "Assign") -> Assignment:
    if language is QueryLanguage.JSONATA:
        evaluate = compile_value(spec, location)

        def by_jsonata(frame: Frame, document: Any, env: QueryEnv | None) -> dict[str, Any]:
            assert env is not None
            values: dict[str, Any] = evaluate(env)
            return values

        return by_jsonata
    template = compile_template(spec)

    def by_jsonpath(frame: Frame, document: Any, env: QueryEnv | None) -> dict[str, Any]:
        values: dict[str, Any] = template(document, frame)
        return values

    return by_jsonpath
