"""Static checks of individual fields: paths, payload templates, Retry/Catch, Choice rules."""
from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, TypeGuard

from .choice_rules import COMPARISON_OPERATORS, TYPE_TESTS, _split_operator
from .diagnostics import Collector
from .intrinsic_functions import unknown_functions
from .intrinsic_parser import IntrinsicSyntaxError, is_intrinsic, parse_intrinsic
from .paths import PathError, parse_path, parse_reference_path, parse_result_path
from .query_language import (
    JSONATA_CATCHER_FIELDS,
    JSONATA_RULE_FIELDS,
    JSONPATH_CATCHER_FIELDS,
    QueryLanguage,
)
from .timestamps import parse_timestamp
from .validation_jsonata import check_jsonata_rule, check_jsonata_value, check_variable_name

JITTER = {"FULL", "NONE"}
RETRIER_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
                  "JitterStrategy", "Comment"}
CATCHER_FIELDS = {"ErrorEquals", "Next", "Comment", "Assign"}


def is_int(value: Any) -> TypeGuard[int]:
    return type(value) is int


def is_number(value: Any) -> bool:
    return type(value) in (int, float)


def check_path(out: Collector, where: str, value: Any, *, reference: bool = False, nullable: bool = True,
               result: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        out.error(where, "The value must be a JSONPath string" + (" or null" if nullable else ""))
        return
    try:
        if result:
            parse_result_path(value)
        elif reference:
            parse_reference_path(value)
        else:
            parse_path(value)
    except PathError as exc:
        kind = "a valid Reference Path" if reference else "a valid JSONPath"
        out.error(where, f"The value for the field must be {kind}: {value!r} ({exc})")


def check_template(out: Collector, where: str, template: Any) -> None:
    if isinstance(template, dict):
        for key, value in template.items():
            here = f"{where}/{key}"
            if key.endswith(".$"):
                if not isinstance(value, str):
                    out.error(here, f"The value for the field '{key}' must be a STRING that contains "
                                    "a JSONPath or an intrinsic function")
                elif is_intrinsic(value):
                    check_intrinsic(out, here, value)
                else:
                    check_path(out, here, value, nullable=False)
            else:
                check_template(out, here, value)
    elif isinstance(template, list):
        for index, item in enumerate(template):
            check_template(out, f"{where}/{index}", item)


def check_intrinsic(out: Collector, where: str, text: str) -> None:
    try:
        call = parse_intrinsic(text)
    except IntrinsicSyntaxError as exc:
        out.error(where, f"The value for the field must be a valid intrinsic function: {exc}")
        return
    for name in unknown_functions(call):
        out.error(where, f"The intrinsic function '{name}' is not supported")


def check_error_equals(out: Collector, where: str, names: Any) -> None:
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        out.error(f"{where}/ErrorEquals", "ErrorEquals must be a non-empty array of error names")
        return
    if "States.ALL" in names and len(names) > 1:
        out.error(f"{where}/ErrorEquals", "The error name 'States.ALL' must appear alone in ErrorEquals")


def _error_handlers(out: Collector, where: str, field: str, noun: str, handlers: Any,
                    allowed: Collection[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The retriers (or catchers) that are objects, with their locations, after the checks
    both share: known fields, ErrorEquals, and States.ALL in the last one only."""
    if not isinstance(handlers, list):
        out.error(where, f"{field} must be an array")
        return
    for index, handler in enumerate(handlers):
        here = f"{where}/{index}"
        if not isinstance(handler, dict):
            out.error(here, f"A {noun} must be an object")
            continue
        for key in handler:
            if key not in allowed:
                out.error(here, f"The field '{key}' is not supported by Step Functions")
        check_error_equals(out, here, handler.get("ErrorEquals"))
        if "States.ALL" in (handler.get("ErrorEquals") or []) and index != len(handlers) - 1:
            out.error(f"{here}/ErrorEquals", f"A {noun} with 'States.ALL' must be the last {noun}")
        yield here, handler


def check_retry(out: Collector, where: str, retriers: Any) -> None:
    for here, retrier in _error_handlers(out, where, "Retry", "retrier", retriers, RETRIER_FIELDS):
        interval = retrier.get("IntervalSeconds")
        if "IntervalSeconds" in retrier and not (is_int(interval) and interval >= 1):
            out.error(f"{here}/IntervalSeconds", "IntervalSeconds must be a positive integer")
        if "MaxAttempts" in retrier and not (is_int(retrier["MaxAttempts"]) and retrier["MaxAttempts"] >= 0):
            out.error(f"{here}/MaxAttempts", "MaxAttempts must be a non-negative integer")
        if "BackoffRate" in retrier and not (is_number(retrier["BackoffRate"]) and retrier["BackoffRate"] >= 1.0):
            out.error(f"{here}/BackoffRate", "BackoffRate must be a number greater than or equal to 1.0")
        max_delay = retrier.get("MaxDelaySeconds")
        if "MaxDelaySeconds" in retrier and not (is_int(max_delay) and max_delay >= 1):
            out.error(f"{here}/MaxDelaySeconds", "MaxDelaySeconds must be a positive integer")
        if "JitterStrategy" in retrier and retrier["JitterStrategy"] not in JITTER:
            out.error(f"{here}/JitterStrategy", "JitterStrategy must be FULL or NONE")


def check_assign(out: Collector, where: str, assign: Any, language: QueryLanguage) -> None:
    """Assign: an object of variable names (``name.$`` for a JSONPath path or intrinsic)."""
    if not isinstance(assign, dict):
        out.error(where, "The field 'Assign' must be a JSON object")
        return
    jsonata = language is QueryLanguage.JSONATA
    for key in assign:
        name = key[:-2] if key.endswith(".$") and not jsonata else key
        check_variable_name(out, f"{where}/{key}", name)
    if jsonata:
        check_jsonata_value(out, where, assign)
    else:
        check_template(out, where, assign)


def check_catch(out: Collector, where: str, catchers: Any,
                language: QueryLanguage = QueryLanguage.JSONPATH) -> list[tuple[str, Any]]:
    """Validate Catch; returns (location, Next) pairs for transition checks."""
    jsonata = language is QueryLanguage.JSONATA
    allowed = CATCHER_FIELDS | (JSONATA_CATCHER_FIELDS if jsonata else JSONPATH_CATCHER_FIELDS)
    targets: list[tuple[str, Any]] = []
    for here, catcher in _error_handlers(out, where, "Catch", "catcher", catchers, allowed):
        if "Next" not in catcher:
            out.error(here, "The field 'Next' is required in a catcher")
        else:
            targets.append((f"{here}/Next", catcher["Next"]))
        if "ResultPath" in catcher and not jsonata:
            check_path(out, f"{here}/ResultPath", catcher["ResultPath"], reference=True, result=True)
        if "Output" in catcher and jsonata:
            check_jsonata_value(out, f"{here}/Output", catcher["Output"])
        if "Assign" in catcher:
            check_assign(out, f"{here}/Assign", catcher["Assign"], language)
    return targets


def check_choice_rule(out: Collector, where: str, rule: Any, top_level: bool,
                      language: QueryLanguage = QueryLanguage.JSONPATH) -> list[tuple[str, Any]]:
    targets: list[tuple[str, Any]] = []
    if not isinstance(rule, dict):
        out.error(where, "A Choice rule must be an object")
        return targets
    _check_rule_transition(out, where, rule, top_level, language, targets)
    if language is QueryLanguage.JSONATA:
        check_jsonata_rule(out, where, rule)
        return targets
    for key in JSONATA_RULE_FIELDS & rule.keys():
        out.error(f"{where}/{key}", f"The field '{key}' is not supported by Step Functions "
                  f"in a state whose QueryLanguage is {language}")
    body = {key: value for key, value in rule.items()
            if key not in ("Next", "Comment", "Assign", *JSONATA_RULE_FIELDS)}
    if any(key in body for key in ("And", "Or", "Not")):
        _check_boolean_rule(out, where, body)
    else:
        _check_comparison(out, where, body)
    return targets


def _check_rule_transition(out: Collector, where: str, rule: dict[str, Any], top_level: bool,
                           language: QueryLanguage, targets: list[tuple[str, Any]]) -> None:
    """Next and Assign: required and allowed on a top-level rule, refused on a nested one."""
    if top_level:
        if "Next" not in rule:
            out.error(where, "The field 'Next' is required in a top-level Choice rule")
        else:
            targets.append((f"{where}/Next", rule["Next"]))
        if "Assign" in rule:
            check_assign(out, f"{where}/Assign", rule["Assign"], language)
    elif "Next" in rule or "Assign" in rule:
        key = "Next" if "Next" in rule else "Assign"
        out.error(f"{where}/{key}", f"A nested Choice rule must not have a '{key}' field")


def _check_boolean_rule(out: Collector, where: str, body: dict[str, Any]) -> None:
    if len(body) != 1:
        out.error(where, "A boolean Choice rule (And, Or, Not) must have no other condition fields")
    for key in ("And", "Or"):
        if key in body:
            if not isinstance(body[key], list) or not body[key]:
                out.error(f"{where}/{key}", f"{key} must be a non-empty array of Choice rules")
            else:
                for index, sub in enumerate(body[key]):
                    check_choice_rule(out, f"{where}/{key}/{index}", sub, False)
    if "Not" in body:
        check_choice_rule(out, f"{where}/Not", body["Not"], False)


def _check_comparison(out: Collector, where: str, body: dict[str, Any]) -> None:
    if "Variable" not in body:
        out.error(where, "A Choice rule must have a 'Variable' field")
    else:
        variable = body["Variable"]
        check_path(out, f"{where}/Variable", variable, reference=not str(variable).startswith("$$"), nullable=False)
    operators = [key for key in body if key != "Variable"]
    if len(operators) != 1:
        out.error(where, "A Choice rule must have exactly one comparison operator")
        return
    name = operators[0]
    _check_operator_value(out, f"{where}/{name}", name, body[name])


def _check_operator_value(out: Collector, here: str, name: str, value: Any) -> None:
    if name in TYPE_TESTS:
        if not isinstance(value, bool):
            out.error(here, f"The value of '{name}' must be a boolean")
    elif name == "StringMatches":
        if not isinstance(value, str):
            out.error(here, "The value of 'StringMatches' must be a string")
    elif name in COMPARISON_OPERATORS:
        kind, _, by_path = _split_operator(name)
        if by_path:
            check_path(out, here, value, reference=not str(value).startswith("$$"), nullable=False)
        elif kind == "String" and not isinstance(value, str):
            out.error(here, f"The value of '{name}' must be a string")
        elif kind == "Numeric" and not is_number(value):
            out.error(here, f"The value of '{name}' must be a number")
        elif kind == "Boolean" and not isinstance(value, bool):
            out.error(here, f"The value of '{name}' must be a boolean")
        elif kind == "Timestamp" and parse_timestamp(value) is None:
            out.error(here, f"The value of '{name}' must be an RFC 3339 timestamp")
    else:
        out.error(here, f"The field '{name}' is not a supported Choice operator")
