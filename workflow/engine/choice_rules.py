"""Choice rules compiled to predicates: every comparison operator, And/Or/Not.

A comparison whose variable has the wrong type is simply false (the specification:
"the rule is matched only if the types agree"); a variable path that matches nothing
is a States.Runtime error, except for IsPresent.
"""
from __future__ import annotations

import operator
import re
from typing import Any, Callable

from .errors import runtime_error
from .paths import PathNotFound, PathSources, parse_path, parse_reference_path
from .timestamps import parse_timestamp

Predicate = Callable[[Any, PathSources], bool]

_ORDER = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _as_string(value: Any) -> Any:
    return value if type(value) is str else None


def _as_number(value: Any) -> Any:
    return value if _is_number(value) else None


def _as_boolean(value: Any) -> Any:
    return value if type(value) is bool else None


_KINDS: dict[str, Callable[[Any], Any]] = {
    "String": _as_string,
    "Numeric": _as_number,
    "Boolean": _as_boolean,
    "Timestamp": parse_timestamp,
}

COMPARISON_OPERATORS: set[str] = set()
for _kind in _KINDS:
    for _suffix in (["Equals"] if _kind == "Boolean" else list(_ORDER)):
        COMPARISON_OPERATORS.add(_kind + _suffix)
        COMPARISON_OPERATORS.add(_kind + _suffix + "Path")
COMPARISON_OPERATORS.add("StringMatches")
TYPE_TESTS = {"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """StringMatches: '*' matches any run of characters, '\\*' and '\\\\' are literals."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _resolver(text: str) -> Callable[[Any, PathSources], Any]:
    path = parse_reference_path(text) if not text.startswith("$$") else parse_path(text)
    if path.context or path.variable is not None:
        return lambda data, sources: path.resolve(data, sources)
    return lambda data, sources: path.find(data)


def _split_operator(name: str) -> tuple[str, str, bool]:
    by_path = name.endswith("Path") and name != "StringMatches"
    base = name[:-4] if by_path else name
    for kind in _KINDS:
        if base.startswith(kind):
            return kind, base[len(kind):], by_path
    raise ValueError(f"Unknown comparison operator {name}")


def _type_test(name: str, expected: Any) -> Callable[[Any], bool]:
    tests: dict[str, Callable[[Any], bool]] = {
        "IsNull": lambda v: v is None,
        "IsNumeric": _is_number,
        "IsString": lambda v: type(v) is str,
        "IsBoolean": lambda v: type(v) is bool,
        "IsTimestamp": lambda v: parse_timestamp(v) is not None,
    }
    test = tests[name]
    return lambda value: test(value) is expected


def compile_rule(rule: dict[str, Any], top_level: bool = True) -> Predicate:
    """Compile one Choice rule (without its Next) into a predicate over (input, path sources)."""
    if "And" in rule or "Or" in rule or "Not" in rule:
        return _compile_boolean(rule)

    variable_text = rule["Variable"]
    variable = _resolver(variable_text)
    names = [key for key in rule if key in COMPARISON_OPERATORS or key in TYPE_TESTS]
    if len(names) != 1:
        raise ValueError("A Choice rule must have exactly one comparison operator")
    name = names[0]
    expected = rule[name]

    if name == "IsPresent":
        def is_present(data: Any, context: PathSources) -> bool:
            try:
                variable(data, context)
            except PathNotFound:
                return expected is False
            return expected is True
        return is_present

    def read(data: Any, context: PathSources) -> Any:
        try:
            return variable(data, context)
        except PathNotFound:
            raise runtime_error(
                f"Invalid path '{variable_text}': The choice state's condition path references an invalid value."
            ) from None

    if name in TYPE_TESTS:
        test = _type_test(name, expected)
        return lambda data, context: test(read(data, context))

    if name == "StringMatches":
        regex = wildcard_regex(expected)
        return lambda data, context: type(value := read(data, context)) is str and regex.fullmatch(value) is not None

    return _compile_comparison(name, expected, read)


def _compile_boolean(rule: dict[str, Any]) -> Predicate:
    if "And" in rule or "Or" in rule:
        key = "And" if "And" in rule else "Or"
        parts = [compile_rule(sub, False) for sub in rule[key]]
        if key == "And":
            return lambda data, context: all(part(data, context) for part in parts)
        return lambda data, context: any(part(data, context) for part in parts)
    inner = compile_rule(rule["Not"], False)
    return lambda data, context: not inner(data, context)


def _compile_comparison(name: str, expected: Any, read: Callable[[Any, PathSources], Any]) -> Predicate:
    """A comparison of the variable (``read``) with a constant or with another path."""
    kind, relation, by_path = _split_operator(name)
    convert = _KINDS[kind]
    compare = _ORDER[relation]
    if by_path:
        other = _resolver(expected)

        def by_reference(data: Any, context: PathSources) -> bool:
            left = convert(read(data, context))
            try:
                right = convert(other(data, context))
            except PathNotFound:
                raise runtime_error(
                    f"Invalid path '{expected}': The choice state's condition path references an invalid value."
                ) from None
            return left is not None and right is not None and compare(left, right)

        return by_reference

    constant = convert(expected)

    def by_value(data: Any, context: PathSources) -> bool:
        left = convert(read(data, context))
        return left is not None and compare(left, constant)

    return by_value
