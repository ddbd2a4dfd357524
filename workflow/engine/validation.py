"""Static analysis of a definition before it is accepted (AWS ValidateStateMachineDefinition).

Checks the JSON, the fields each state type allows and their types, every path and
payload template, Retry/Catch rules, transitions, reachability from StartAt and
that every reachable state can reach a terminal state (no cycle without exit).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Collector, Diagnostic, pointer
from .integrations import ResourceError, parse_resource, supported_patterns
from .jsonata_expressions import is_expression
from .query_language import JSONATA_ONLY, JSONPATH_ONLY, QueryLanguage
from .timestamps import parse_timestamp
from .validation_fields import (
    check_assign,
    check_catch,
    check_choice_rule,
    check_path,
    check_retry,
    check_template,
    is_int,
)
from .validation_jsonata import (
    assigned_names,
    check_jsonata_fields,
    check_outer_scope,
    check_query_language,
)
from .validation_resources import check_resource

_IO = {"InputPath", "OutputPath", "Output"}
_FLOW = {"Next", "End"}
_RESULT = {"ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Arguments", "Assign"}
FIELDS = {
    "Task": {"Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
             "HeartbeatSecondsPath", "Credentials"} | _IO | _FLOW | _RESULT,
    "Pass": {"Result", "ResultPath", "Parameters", "Assign"} | _IO | _FLOW,
    "Choice": {"Choices", "Default", "Assign"} | _IO,
    "Wait": {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign"} | _IO | _FLOW,
    "Succeed": set(_IO),
    "Fail": {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": {"Branches"} | _IO | _FLOW | _RESULT,
    "Map": {"ItemsPath", "Items", "ItemSelector", "ItemProcessor", "Iterator", "MaxConcurrency",
            "MaxConcurrencyPath"}
           | _IO | _FLOW | _RESULT - {"Arguments"},
}
COMMON = {"Type", "Comment", "QueryLanguage"}
TOP_FIELDS = {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}
MAX_NAME = 80


@dataclass
class Walk:
    """What checking a (nested) state list needs to know about the states around it."""

    language: QueryLanguage                         # the state machine's QueryLanguage
    seen_names: set[str] = field(default_factory=set)
    outer_variables: frozenset[str] = frozenset()   # assigned in enclosing scopes


def validate_definition(definition: str | dict[str, Any]) -> list[Diagnostic]:
    """Every problem in a definition; an empty list means it is valid."""
    out = Collector()
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            out.error("/", f"The definition is not valid JSON: {exc}", "INVALID_JSON_DESCRIPTION")
            return out.items
    if not isinstance(definition, dict):
        out.error("/", "The definition must be a JSON object", "INVALID_JSON_DESCRIPTION")
        return out.items
    for key in definition:
        if key not in TOP_FIELDS:
            out.error(pointer(key), f"The field '{key}' is not supported by Step Functions")
    language = check_query_language(out, definition.get("QueryLanguage"), "/QueryLanguage", None)
    timeout = definition.get("TimeoutSeconds")
    if "TimeoutSeconds" in definition and not (is_int(timeout) and timeout > 0):
        out.error("/TimeoutSeconds", "TimeoutSeconds must be a positive integer")
    _check_machine(out, definition, "", Walk(language))
    return out.items


def _check_machine(out: Collector, machine: dict[str, Any], where: str, walk: Walk) -> None:
    states = machine.get("States")
    start = machine.get("StartAt")
    if not isinstance(start, str):
        out.error(where + "/StartAt" if "StartAt" in machine else where or "/",
                  "The field 'StartAt' must be a string naming a state")
    if not isinstance(states, dict) or not states:
        out.error(where + "/States" if "States" in machine else where or "/",
                  "The field 'States' must be a non-empty object")
        return
    graph: dict[str, list[str]] = {}
    terminal: set[str] = set()
    broken_links = False
    # Variables this scope assigns: a branch or iteration inside may not assign them too.
    scope_variables = assigned_names(states)
    check_outer_scope(out, states, where, walk.outer_variables)
    inner = Walk(walk.language, walk.seen_names, walk.outer_variables | scope_variables)
    for name, body in states.items():
        here = where + pointer("States", name)
        _check_state_name(out, name, here, walk)
        if not isinstance(body, dict):
            out.error(here, "A state must be a JSON object")
            continue
        targets, is_terminal = _check_state(out, name, body, here, inner)
        graph[name] = []
        for location, target in targets:
            if not isinstance(target, str) or target not in states:
                out.error(location, f"Missing 'Next' target: {target}", "MISSING_TRANSITION_TARGET")
                broken_links = True
            else:
                graph[name].append(target)
        if is_terminal:
            terminal.add(name)
    if isinstance(start, str) and start not in states:
        out.error(where + "/StartAt", f"Missing 'StartAt' target: {start}", "MISSING_TRANSITION_TARGET")
        return
    if not isinstance(start, str):
        return
    reachable = _reach(graph, start)
    for name in states:
        if name not in reachable:
            out.error(where + pointer("States", name), f"State '{name}' is not reachable", "UNREACHABLE_STATE")
    if broken_links:
        return  # terminal-state analysis would only repeat the missing targets
    _check_termination(out, states, where, graph, terminal, reachable)


def _check_state_name(out: Collector, name: str, here: str, walk: Walk) -> None:
    if name in walk.seen_names:
        out.error(here, f"Duplicate state name '{name}': state names must be unique within the state machine",
                  "DUPLICATE_STATE_NAME")
    walk.seen_names.add(name)
    if len(name) > MAX_NAME or not name:
        out.error(here, f"State names must be 1 to {MAX_NAME} characters long")


def _check_termination(out: Collector, states: dict[str, Any], where: str, graph: dict[str, list[str]],
                       terminal: set[str], reachable: set[str]) -> None:
    """Every reachable state must be able to reach a terminal state."""
    reverse: dict[str, list[str]] = {name: [] for name in graph}
    for source, successors in graph.items():
        for target in successors:
            reverse[target].append(source)
    can_finish: set[str] = set()
    for end in terminal:
        can_finish |= _reach(reverse, end)
    for name in states:
        if name in reachable and name in graph and name not in can_finish:
            out.error(where + pointer("States", name),
                      f"State '{name}' cannot reach a terminal state (a cycle without exit)", "NO_TERMINAL_STATE")


def _reach(graph: dict[str, list[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for target in graph.get(stack.pop(), []):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _check_state(out: Collector, name: str, body: dict[str, Any], here: str,
                 walk: Walk) -> tuple[list[tuple[str, Any]], bool]:
    kind = body.get("Type")
    if kind not in FIELDS:
        out.error(here + "/Type" if "Type" in body else here,
                  f"The field 'Type' must be one of {', '.join(FIELDS)}, got {kind!r}")
        return [], True
    language = check_query_language(out, body.get("QueryLanguage"), here, walk.language)
    jsonata = language is QueryLanguage.JSONATA
    _check_field_names(out, body, here, kind, language)
    targets: list[tuple[str, Any]] = []
    terminal = kind in ("Succeed", "Fail")
    if _FLOW & FIELDS[kind]:
        terminal = _check_flow(out, body, here, targets) or terminal
    if jsonata:
        check_jsonata_fields(out, body, here)
    else:
        _check_jsonpath_fields(out, body, here)
    if "Assign" in body:
        check_assign(out, f"{here}/Assign", body["Assign"], language)
    if "Retry" in body:
        check_retry(out, f"{here}/Retry", body["Retry"])
    if "Catch" in body:
        targets += check_catch(out, f"{here}/Catch", body["Catch"], language)
    check = _BY_TYPE.get(kind)
    if check is not None:
        targets += check(out, body, here, walk, language)
    return targets, terminal


def _check_field_names(out: Collector, body: dict[str, Any], here: str, kind: str,
                       language: QueryLanguage) -> None:
    allowed = FIELDS[kind] | COMMON
    foreign = JSONPATH_ONLY if language is QueryLanguage.JSONATA else JSONATA_ONLY
    for key in body:
        if key not in allowed:
            out.error(f"{here}/{key}", f"The field '{key}' is not supported by Step Functions for a {kind} state")
        elif key in foreign:
            out.error(f"{here}/{key}", f"The field '{key}' is not supported by Step Functions "
                      f"in a state whose QueryLanguage is {language}")


def _check_flow(out: Collector, body: dict[str, Any], here: str, targets: list[tuple[str, Any]]) -> bool:
    """Next or End of a state that moves on; True when it ends the machine."""
    has_next, end = "Next" in body, body.get("End")
    if has_next == (end is True):
        out.error(here, "Exactly one of 'Next' or 'End: true' is required")
    if "End" in body and end is not True:
        out.error(f"{here}/End", "The field 'End' must be true when present")
    if has_next:
        targets.append((f"{here}/Next", body["Next"]))
    return end is True


def _check_jsonpath_fields(out: Collector, body: dict[str, Any], here: str) -> None:
    for name in ("InputPath", "OutputPath"):
        if name in body:
            check_path(out, f"{here}/{name}", body[name])
    if "ResultPath" in body:
        check_path(out, f"{here}/ResultPath", body["ResultPath"], reference=True, result=True)
    for name in ("Parameters", "ResultSelector", "ItemSelector"):
        if name in body:
            if name != "Parameters" and not isinstance(body[name], dict):
                out.error(f"{here}/{name}", f"{name} must be a JSON object")
            check_template(out, f"{here}/{name}", body[name])


def _positive(out: Collector, body: dict[str, Any], here: str, field: str) -> None:
    if field in body and not (is_int(body[field]) and body[field] > 0):
        out.error(f"{here}/{field}", f"{field} must be a positive integer")


def _task(out: Collector, body: dict[str, Any], here: str, walk: Walk, language: QueryLanguage) -> list[Any]:
    if "Resource" not in body:
        out.error(here, "The field 'Resource' is required for a Task state")
    else:
        try:
            resource = parse_resource(body["Resource"])
        except ResourceError as exc:
            out.error(f"{here}/Resource", str(exc), "INVALID_RESOURCE")
        else:
            if resource.pattern not in supported_patterns(resource):
                out.error(f"{here}/Resource", f"The resource '{body['Resource']}' does not support the "
                          f"'.{resource.pattern}' integration pattern", "INVALID_RESOURCE")
            else:
                payload = "Arguments" if language is QueryLanguage.JSONATA else "Parameters"
                check_resource(out, resource, body.get(payload), here, payload)
    for plain, by_path in (("TimeoutSeconds", "TimeoutSecondsPath"), ("HeartbeatSeconds", "HeartbeatSecondsPath")):
        if not is_expression(body.get(plain)):
            _positive(out, body, here, plain)
        if plain in body and by_path in body:
            out.error(f"{here}/{by_path}", f"Only one of '{plain}' and '{by_path}' may be set")
        if by_path in body:
            check_path(out, f"{here}/{by_path}", body[by_path], reference=True, nullable=False)
    timeout, heartbeat = body.get("TimeoutSeconds"), body.get("HeartbeatSeconds")
    if is_int(timeout) and is_int(heartbeat) and heartbeat >= timeout:
        out.error(f"{here}/HeartbeatSeconds", "HeartbeatSeconds must be smaller than TimeoutSeconds")
    return []


def _choice(out: Collector, body: dict[str, Any], here: str, walk: Walk, language: QueryLanguage) -> list[Any]:
    choices = body.get("Choices")
    targets: list[Any] = []
    if not isinstance(choices, list) or not choices:
        out.error(f"{here}/Choices" if "Choices" in body else here, "The field 'Choices' must be a non-empty array")
    else:
        for index, rule in enumerate(choices):
            targets += check_choice_rule(out, f"{here}/Choices/{index}", rule, True, language)
    if "Default" in body:
        targets.append((f"{here}/Default", body["Default"]))
    return targets


def _wait(out: Collector, body: dict[str, Any], here: str, walk: Walk, language: QueryLanguage) -> list[Any]:
    given = [key for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if key in body]
    if len(given) != 1:
        out.error(here, "Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath' is required")
    seconds = body.get("Seconds")
    if "Seconds" in body and not is_expression(seconds) and not (is_int(seconds) and seconds >= 0):
        out.error(f"{here}/Seconds", "Seconds must be a non-negative integer")
    if "Timestamp" in body and not is_expression(body["Timestamp"]) and parse_timestamp(body["Timestamp"]) is None:
        out.error(f"{here}/Timestamp", "Timestamp must be an RFC 3339 timestamp such as 2024-01-01T00:00:00Z")
    for key in ("SecondsPath", "TimestampPath"):
        if key in body:
            check_path(out, f"{here}/{key}", body[key], reference=True, nullable=False)
    return []


def _fail(out: Collector, body: dict[str, Any], here: str, walk: Walk, language: QueryLanguage) -> list[Any]:
    for plain, by_path in (("Error", "ErrorPath"), ("Cause", "CausePath")):
        if plain in body and by_path in body:
            out.error(f"{here}/{by_path}", f"Only one of '{plain}' and '{by_path}' may be set")
        if plain in body and not isinstance(body[plain], str):
            out.error(f"{here}/{plain}", f"{plain} must be a string")
    return []


def _parallel(out: Collector, body: dict[str, Any], here: str, walk: Walk, language: QueryLanguage) -> list[Any]:
    branches = body.get("Branches")
    if not isinstance(branches, list) or not branches:
        out.error(f"{here}/Branches" if "Branches" in body else here, "The field 'Branches' must be a non-empty array")
        return []
    for index, branch in enumerate(branches):
        if not isinstance(branch, dict):
            out.error(f"{here}/Branches/{index}", "A branch must be an object with StartAt and States")
            continue
        for key in branch:
            if key not in ("StartAt", "States", "Comment"):
                out.error(f"{here}/Branches/{index}/{key}", f"The field '{key}' is not supported by Step Functions")
        _check_machine(out, branch, f"{here}/Branches/{index}", walk)
    return []


def _map(out: Collector, body: dict[str, Any], here: str, walk: Walk, language: QueryLanguage) -> list[Any]:
    if "ItemsPath" in body:
        check_path(out, f"{here}/ItemsPath", body["ItemsPath"], reference=True, nullable=False)
    if "Parameters" in body and "ItemSelector" in body:
        out.error(f"{here}/Parameters", "Only one of 'Parameters' and 'ItemSelector' may be set")
    if "MaxConcurrency" in body and not is_expression(body["MaxConcurrency"]) and not (
            is_int(body["MaxConcurrency"]) and body["MaxConcurrency"] >= 0):
        out.error(f"{here}/MaxConcurrency", "MaxConcurrency must be a non-negative integer")
    if "MaxConcurrencyPath" in body:
        check_path(out, f"{here}/MaxConcurrencyPath", body["MaxConcurrencyPath"], reference=True, nullable=False)
    field = "ItemProcessor" if "ItemProcessor" in body else "Iterator"
    processor = body.get(field)
    if "ItemProcessor" in body and "Iterator" in body:
        out.error(f"{here}/Iterator", "Only one of 'ItemProcessor' and 'Iterator' may be set")
    if not isinstance(processor, dict):
        out.error(here, "The field 'ItemProcessor' is required for a Map state and must be an object")
        return []
    config = processor.get("ProcessorConfig", {})
    if isinstance(config, dict) and config.get("Mode", "INLINE") != "INLINE":
        out.error(f"{here}/{field}/ProcessorConfig/Mode", "Only the INLINE processing mode is supported")
    for key in processor:
        if key not in ("StartAt", "States", "Comment", "ProcessorConfig"):
            out.error(f"{here}/{field}/{key}", f"The field '{key}' is not supported by Step Functions")
    _check_machine(out, processor, f"{here}/{field}", walk)
    return []


_BY_TYPE = {"Task": _task, "Choice": _choice, "Wait": _wait, "Fail": _fail, "Parallel": _parallel, "Map": _map}
