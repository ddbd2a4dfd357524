"""Condition operators as IAM evaluates them.

"IAM JSON policy elements: Condition operators"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):

* "If the key that you specify in a policy condition is not present in the request context,
  the values do not match and the condition is false. If the policy condition requires that
  the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not
  present, the condition is true. This logic applies to all condition operators except
  ...IfExists and Null check": ``...IfExists`` is true when the key is absent, ``Null`` tests
  the key's presence itself.
* Several values for one key in the policy are ORed; a negated operator is true when the
  request's value matches none of them. Several keys, and several operators, are ANDed.
* Multivalued keys ("Single-valued vs. multivalued context keys", and the "Multivalued
  context key examples" page): ``ForAnyValue:`` is true when at least one request value
  matches and false when the key is missing or empty; ``ForAllValues:`` is true when every
  request value matches at least one policy value, "and also returns true if there are no
  context keys in the request, or if the context key value resolves to a null dataset".
  A multivalued key without a set operator matches when any of its values does.
"""
from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from workflow.local.access.policy.matching import arn_matches, literal, string_like, substitute
from workflow.local.protocol.values import parse_timestamp

Lookup = Callable[[str], Any]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    try:
        number = float(_text(value))
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _date(value: Any) -> datetime | None:
    """ISO 8601 or seconds since the epoch, as the Date operators take them."""
    parsed = parse_timestamp(value if isinstance(value, (datetime, str)) else _text(value))
    if not isinstance(parsed, datetime):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _ip(policy: Any, request: Any) -> bool:
    try:
        return ipaddress.ip_address(_text(request)) in ipaddress.ip_network(_text(policy), strict=False)
    except ValueError:
        return False


def _compare(convert: Callable[[Any], Any], test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(policy: Any, request: Any) -> bool:
        a, b = convert(request), convert(policy)
        return a is not None and b is not None and test(a, b)
    return check


#: Positive operator -> (does one policy value match one request value, is the policy
#: value a text that may hold policy variables). Each has a negated twin below.
_POSITIVE: dict[str, tuple[Callable[[Any, Any], bool], bool]] = {
    "StringEquals": (lambda p, r: literal(_text(p)) == _text(r), True),
    "StringEqualsIgnoreCase": (lambda p, r: literal(_text(p)).lower() == _text(r).lower(), True),
    "StringLike": (lambda p, r: string_like(_text(p), _text(r)), True),
    "NumericEquals": (_compare(_number, lambda r, p: r == p), False),
    "NumericLessThan": (_compare(_number, lambda r, p: r < p), False),
    "NumericLessThanEquals": (_compare(_number, lambda r, p: r <= p), False),
    "NumericGreaterThan": (_compare(_number, lambda r, p: r > p), False),
    "NumericGreaterThanEquals": (_compare(_number, lambda r, p: r >= p), False),
    "DateEquals": (_compare(_date, lambda r, p: r == p), False),
    "DateLessThan": (_compare(_date, lambda r, p: r < p), False),
    "DateLessThanEquals": (_compare(_date, lambda r, p: r <= p), False),
    "DateGreaterThan": (_compare(_date, lambda r, p: r > p), False),
    "DateGreaterThanEquals": (_compare(_date, lambda r, p: r >= p), False),
    "Bool": (lambda p, r: _text(p).lower() == _text(r).lower(), True),
    "BinaryEquals": (lambda p, r: _text(p) == _text(r), False),
    "IpAddress": (_ip, False),
    # ArnEquals and ArnLike behave alike: each colon-delimited part checked on its own, with
    # wildcards ("Amazon Resource Name (ARN) condition operators").
    "ArnEquals": (lambda p, r: arn_matches(_text(p), _text(r)), True),
    "ArnLike": (lambda p, r: arn_matches(_text(p), _text(r)), True),
}
_NEGATED = {
    "StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
}
_SET_OPERATORS = ("ForAnyValue", "ForAllValues")


def _split(operator: str) -> tuple[str | None, str, bool]:
    """``ForAllValues:StringLikeIfExists`` -> ("ForAllValues", "StringLike", True)."""
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    return qualifier or None, base, if_exists


def known_operator(operator: str) -> bool:
    qualifier, base, if_exists = _split(operator)
    if qualifier is not None and qualifier not in _SET_OPERATORS:
        return False
    if base == "Null":
        return not if_exists and qualifier is None
    return base in _POSITIVE or base in _NEGATED


def _present(value: Any) -> bool:
    return value is not None and value != [] and value != ""


def condition_holds(operator: str, key: str, policy_values: tuple[Any, ...], lookup: Lookup) -> bool:
    """Whether one ``operator: {key: values}`` entry holds for the request ``lookup`` reads."""
    qualifier, base, if_exists = _split(operator)
    request = lookup(key)
    if base == "Null":
        # "true": the key must be absent (or empty); "false": it must be there.
        wanted_absent = any(_text(v).lower() == "true" for v in policy_values)
        return wanted_absent != _present(request)
    negated = base in _NEGATED
    test, variables = _POSITIVE[_NEGATED.get(base, base)]
    values = _policy_values(policy_values, variables, lookup)
    requests = request if isinstance(request, (list, tuple, set, frozenset)) else (
        [] if request is None else [request])

    def matches(one: Any) -> bool:
        hit = any(test(p, one) for p in values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(matches(r) for r in requests)
    if not requests:
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated
    return any(matches(r) for r in requests)


def _policy_values(values: tuple[Any, ...], variables: bool, lookup: Lookup) -> list[Any]:
    if not variables:
        return list(values)
    out = []
    for value in values:
        if isinstance(value, str):
            resolved = substitute(value, lookup)
            if resolved is not None:
                out.append(resolved)
        else:
            out.append(value)
    return out


def context_lookup(context: Mapping[str, Any]) -> Lookup:
    """Condition keys are case-insensitive: a lookup over ``context`` by lower-cased key
    (built on the first lookup: most statements have no condition)."""
    lowered: dict[str, Any] | None = None

    def lookup(key: str) -> Any:
        nonlocal lowered
        if lowered is None:
            lowered = {k.lower(): v for k, v in context.items()}
        return lowered.get(key.lower())
    return lookup
