"""JSONata state fields: ``{% ... %}`` anywhere in a JSON value, ``$states``, and the
States.QueryEvaluationError a failed expression raises.

Developer guide, "Transforming data with JSONata": a field value is JSON in which
every string that starts with ``{%`` and ends with ``%}`` is an expression; the rest
is taken as it is. Expressions read the reserved ``$states`` variable:
``input`` (the state's input, in every field), ``result`` (a Task, Parallel or Map
result, in Output and Assign), ``errorOutput`` (in a Catch's Output and Assign) and
``context`` (the context object), and the workflow variables in scope.
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import FailureError, StatesError
from .execution import Frame
from .jsonata_expressions import EvaluationError, Expression, Undefined, is_expression
from .limits import to_json

Evaluator = Callable[["QueryEnv"], Any]
_JSON_TYPES = ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"), (type(None), "null"))


def json_type(value: Any) -> str:
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return "unknown"


def query_failure(frame: Frame, location: str, message: str) -> FailureError:
    """States.QueryEvaluationError for ``location``; records the EvaluationFailed event."""
    error = StatesError.QUERY_EVALUATION_ERROR.value
    cause = (f"An error occurred while executing the state '{frame.state_name}' "
             f"(entered at the event id #{frame.entered_event_id}). {message}")
    frame.execution.history.emit(frame.lane, "EvaluationFailed",
                               {"error": error, "cause": cause, "location": location, "state": frame.state_name},
                               key="evaluationFailedEventDetails")
    return FailureError(error, cause)


class QueryEnv:
    """What a JSONata field of one state entry sees: ``$states`` and the variables."""

    __slots__ = ("frame", "_states", "_with_context")

    def __init__(self, frame: Frame, state_input: Any, **extra: Any) -> None:
        self.frame = frame
        # extra: result= or errorOutput=, where the field may read them.
        self._states: dict[str, Any] = {"input": state_input, **extra}
        self._with_context: dict[str, Any] | None = None

    def but(self, **extra: Any) -> QueryEnv:
        """The same entry with ``$states.result`` or ``$states.errorOutput`` set."""
        return QueryEnv(self.frame, self._states["input"], **extra)

    def bindings(self, expression: Expression) -> dict[str, Any]:
        states = self._states
        if expression.needs_context:
            if self._with_context is None:
                self._with_context = {**states, "context": self.frame.context()}
            states = self._with_context
        found = self.frame.variables.bindings(expression.variables) if expression.variables else {}
        found["states"] = states
        return found

    def evaluate(self, expression: Expression, location: str) -> Any:
        try:
            return expression.evaluate(self.bindings(expression), self.frame.rng)
        except Undefined:
            raise query_failure(self.frame, location, f"The JSONata expression '{expression.body}' specified for "
                                f"the field '{location}' returned nothing (undefined).") from None
        except EvaluationError as exc:
            raise query_failure(self.frame, location, f"The JSONata expression '{expression.body}' specified for "
                                f"the field '{location}' threw an error during evaluation. {exc}") from None


def unexpected_type(env: QueryEnv, location: str, text: Any, value: Any, expected: str) -> FailureError:
    """The error for a field whose expression returned the wrong JSON type."""
    shown = Expression(text).body if is_expression(text) else to_json(text)
    return query_failure(env.frame, location, f"The JSONata expression '{shown}' specified for the field "
                         f"'{location}' returned an unexpected result type. Expected '{expected}', but was "
                         f"'{json_type(value)}' for value: {to_json(value)}")


def _constant(value: Any) -> Evaluator:
    return lambda env: value


def compile_value(value: Any, location: str) -> Evaluator:
    """Compile a JSONata field's value: expressions anywhere in it, the rest as it is."""
    if is_expression(value):
        expression = Expression(value)
        return lambda env: env.evaluate(expression, location)
    if isinstance(value, dict):
        fields = [(key, compile_value(item, f"{location}/{key}")) for key, item in value.items()]
        if not has_expression(value):
            return _constant(value)
        return lambda env: {key: evaluator(env) for key, evaluator in fields}
    if isinstance(value, list):
        items = [compile_value(item, f"{location}/{index}") for index, item in enumerate(value)]
        if not has_expression(value):
            return _constant(value)
        return lambda env: [item(env) for item in items]
    return _constant(value)


def has_expression(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(has_expression(item) for item in value)
    return is_expression(value)


def expressions_in(value: Any, location: str) -> list[tuple[str, str]]:
    """(location, expression text) of every expression in a field value (for validation)."""
    if is_expression(value):
        return [(location, value)]
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += expressions_in(item, f"{location}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += expressions_in(item, f"{location}/{index}")
    return found
