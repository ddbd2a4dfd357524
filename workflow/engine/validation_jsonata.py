"""Static checks of query languages, JSONata fields and variables.

- ``QueryLanguage`` is JSONPath or JSONata; a JSONata state machine cannot hold a
  JSONPath state (the message is AWS's).
- Every ``{% %}`` string must parse as JSONata; fields that take a number, a
  timestamp or an array take that or an expression.
- Variable names follow the Unicode identifier rules (``variables.name_problem``),
  and a Parallel branch or Map iteration may not assign a variable that an enclosing
  scope assigns (developer guide, "Passing data between states with variables").
"""
from __future__ import annotations

from typing import Any, Iterator

from .diagnostics import Collector, pointer
from .jsonata_expressions import is_expression, syntax_error
from .query_language import JSONATA_RULE_FIELDS, QueryLanguage
from .variables import name_problem

_LANGUAGES = {language.value: language for language in QueryLanguage}
# JSONata fields of a state that take a JSON value with expressions anywhere in it.
_VALUE_FIELDS = ("Arguments", "Output", "ItemSelector")
# Fields that take a value of one type, or an expression.
_TYPED_FIELDS = {
    "TimeoutSeconds": "a positive integer", "HeartbeatSeconds": "a positive integer",
    "Seconds": "a non-negative integer", "Timestamp": "a timestamp", "MaxConcurrency": "a non-negative integer",
    "Items": "an array", "Error": "a string", "Cause": "a string",
}
_RULE_KEYS = {"Next", "Comment", "Assign"} | JSONATA_RULE_FIELDS


def check_query_language(out: Collector, value: Any, where: str,
                         machine: QueryLanguage | None) -> QueryLanguage:
    """The language of the state machine (``machine`` None) or of a state in it."""
    default = machine or QueryLanguage.JSONPATH
    if value is None:
        return default
    language = _LANGUAGES.get(value) if isinstance(value, str) else None
    if language is None:
        location = where if machine is None else f"{where}/QueryLanguage"
        out.error(location, "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]")
        return default
    if machine is QueryLanguage.JSONATA and language is QueryLanguage.JSONPATH:
        out.error(where, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
    return language


def check_variable_name(out: Collector, where: str, name: str) -> None:
    problem = name_problem(name)
    if problem is not None:
        out.error(where, f"Invalid variable name: {problem}")


def _expressions(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if is_expression(value):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _expressions(item, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _expressions(item, f"{where}/{index}")


def check_jsonata_value(out: Collector, where: str, value: Any) -> None:
    """Every ``{% %}`` string in a field value must parse."""
    for location, text in _expressions(value, where):
        problem = syntax_error(text)
        if problem is not None:
            out.error(location, f"The value for the field must be a valid JSONata expression: {problem}")


def _typed(value: Any, kind: str) -> bool:
    if kind == "an array":
        return isinstance(value, list)
    if kind == "a string" or kind == "a timestamp":
        return isinstance(value, str)
    minimum = 1 if kind == "a positive integer" else 0
    return type(value) is int and value >= minimum


def check_jsonata_fields(out: Collector, body: dict[str, Any], here: str) -> None:
    """The JSONata fields of one state (Choice rules and catchers are checked with them)."""
    for field in _VALUE_FIELDS:
        if field in body:
            check_jsonata_value(out, f"{here}/{field}", body[field])
    for field, kind in _TYPED_FIELDS.items():
        if field not in body:
            continue
        value = body[field]
        if is_expression(value):
            check_jsonata_value(out, f"{here}/{field}", value)
        elif not _typed(value, kind):
            out.error(f"{here}/{field}", f"The field '{field}' must be {kind} or a JSONata expression")


def check_jsonata_rule(out: Collector, where: str, rule: dict[str, Any]) -> None:
    """A JSONata Choice rule: a Condition expression, no Variable or comparison operators."""
    for key in rule:
        if key not in _RULE_KEYS:
            out.error(f"{where}/{key}", f"The field '{key}' is not supported by Step Functions "
                      "in a state whose QueryLanguage is JSONata")
    if "Condition" not in rule:
        out.error(where, "The field 'Condition' is required in a Choice rule of a JSONata state")
    elif not is_expression(rule["Condition"]) and not isinstance(rule["Condition"], bool):
        out.error(f"{where}/Condition", "The field 'Condition' must be a JSONata expression or a boolean")
    else:
        check_jsonata_value(out, f"{where}/Condition", rule["Condition"])
    if "Output" in rule:
        check_jsonata_value(out, f"{where}/Output", rule["Output"])


def _assigns(body: dict[str, Any], here: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, Assign object) of a state, its Choice rules and its catchers."""
    if isinstance(body.get("Assign"), dict):
        yield f"{here}/Assign", body["Assign"]
    for list_field in ("Choices", "Catch"):
        entries = body.get(list_field)
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if isinstance(entry, dict) and isinstance(entry.get("Assign"), dict):
                    yield f"{here}/{list_field}/{index}/Assign", entry["Assign"]


def _variable(key: str) -> str:
    return key[:-2] if key.endswith(".$") else key


def assigned_names(states: dict[str, Any]) -> frozenset[str]:
    """The variables the states of one scope assign (not those of branches inside them)."""
    return frozenset(_variable(key) for name, body in states.items() if isinstance(body, dict)
                     for _, assign in _assigns(body, "") for key in assign)


def check_outer_scope(out: Collector, states: dict[str, Any], where: str, outer: frozenset[str]) -> None:
    """A branch or iteration may not assign a variable an enclosing scope assigns."""
    if not outer:
        return
    for name, body in states.items():
        if not isinstance(body, dict):
            continue
        for location, assign in _assigns(body, where + pointer("States", name)):
            for key in assign:
                if _variable(key) in outer:
                    out.error(f"{location}/{key}", f"The variable '{_variable(key)}' is assigned in an outer "
                              "scope: a Parallel branch or Map iteration cannot assign it")
