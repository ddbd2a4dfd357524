"""Choice rules written the way a person reads them: ``$.x >= $.threshold``, and/or/not."""
from __future__ import annotations

import json
from typing import Any

# Comparison operator suffix -> symbol; the prefix (String, Numeric, Boolean,
# Timestamp) only says how the values are compared, which the literal shows.
_SYMBOLS = {
    "Equals": "==",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
}
_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_TESTS = {
    "IsPresent": ("is present", "is absent"),
    "IsNull": ("is null", "is not null"),
    "IsNumeric": ("is numeric", "is not numeric"),
    "IsString": ("is a string", "is not a string"),
    "IsBoolean": ("is boolean", "is not boolean"),
    "IsTimestamp": ("is a timestamp", "is not a timestamp"),
}


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _comparison(variable: str, key: str, value: Any) -> str | None:
    if key in _TESTS:
        yes, no = _TESTS[key]
        return f"{variable} {yes if value else no}"
    if key == "StringMatches":
        return f"{variable} matches {_literal(value)}"
    if key == "StringMatchesPath":  # not an ASL operator, kept readable if ever used
        return f"{variable} matches {value}"
    for kind in _KINDS:
        if not key.startswith(kind):
            continue
        rest = key[len(kind):]
        is_path = rest.endswith("Path")
        op = _SYMBOLS.get(rest[:-4] if is_path else rest)
        if op is None:
            return None
        return f"{variable} {op} {value if is_path else _literal(value)}"
    return None


def _expression(value: Any) -> str:
    """A JSONata ``{% expr %}`` shown as ``expr``; anything else as JSON."""
    if isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        return value[2:-2].strip()
    return _literal(value)


def assign_text(assign: Any) -> str:
    """An Assign field as ``x = value, y = $.path``: what a taken edge sets."""
    if not isinstance(assign, dict):
        return ""
    parts = []
    for key, value in assign.items():
        if key.endswith(".$") and isinstance(value, str):
            parts.append(f"{key[:-2]} = {value}")
        else:
            parts.append(f"{key} = {_expression(value)}")
    return ", ".join(parts)


def rule_text(rule: dict[str, Any]) -> str:
    """One Choice rule as text, with what it assigns: ``$.x > 3 / assign y = 1``."""
    text = _condition_text(rule)
    assigned = assign_text(rule.get("Assign"))
    return f"{text} / assign {assigned}" if assigned else text


def _condition_text(rule: dict[str, Any]) -> str:
    if "Condition" in rule:  # JSONata query language
        return _expression(rule["Condition"])
    if "And" in rule:
        return " and ".join(_grouped(r) for r in rule["And"])
    if "Or" in rule:
        return " or ".join(_grouped(r) for r in rule["Or"])
    if "Not" in rule:
        return f"not {_grouped(rule['Not'])}"
    variable = rule.get("Variable", "$")
    for key, value in rule.items():
        if key in ("Variable", "Next", "Comment", "Assign", "Output"):
            continue
        text = _comparison(variable, key, value)
        if text is not None:
            return text
    return variable


def _grouped(rule: dict[str, Any]) -> str:
    text = _condition_text(rule)
    return f"({text})" if any(k in rule for k in ("And", "Or")) else text
