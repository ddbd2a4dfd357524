"""Wildcards as IAM matches them: actions, resource ARNs, strings, and policy variables.

* Actions (``Action``/``NotAction``): ``*`` and ``?`` anywhere, case-insensitive.
* ARNs (``Resource``, ``ArnLike``): "You can use wildcard characters (* and ?) within the
  individual segments of an ARN (the parts separated by colons) ... If the * wildcard is the
  last character of a resource ARN segment, it can expand to match beyond the colon
  boundaries" ("IAM JSON policy elements: Resource",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
  The resource part (after the account) may hold colons of its own and is matched whole;
  matching is case-sensitive.
* ``StringLike``: ``*`` and ``?`` over the whole value, case-sensitive.
* Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``...) in
  resources and condition values, in policies of version 2012-10-17 ("IAM policy elements:
  Variables and tags"); a variable the request does not have makes the pattern match nothing.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable

#: ${*}, ${?} and ${$} are the literal characters (so a policy can name a real ``*``).
_LITERALS = {"*": "\x00", "?": "\x01", "$": "\x02"}
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
ARN_PARTS = 6


def _glob(pattern: str, *, colons: bool = True) -> str:
    """``pattern``'s regex text: ``*`` any run (of non-colons when ``colons`` is False), ``?`` one."""
    any_run = ".*" if colons else "[^:]*"
    out = []
    for char in pattern:
        if char == "*":
            out.append(any_run)
        elif char == "?":
            out.append("." if colons else "[^:]")
        else:
            out.append(re.escape(_unliteral(char)))
    return "".join(out)


def _unliteral(char: str) -> str:
    for literal, marker in _LITERALS.items():
        if char == marker:
            return literal
    return char


@functools.lru_cache(maxsize=4096)
def _action_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_glob(pattern), re.IGNORECASE | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return pattern == "*" or _action_regex(pattern).fullmatch(action) is not None


@functools.lru_cache(maxsize=4096)
def _arn_regex(pattern: str) -> re.Pattern[str]:
    parts = pattern.split(":", ARN_PARTS - 1)
    pieces = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        # The resource segment spans the rest of the ARN; an earlier segment's trailing "*"
        # in a pattern with fewer segments than an ARN runs on past its colons.
        spans = last and (index == ARN_PARTS - 1 or part.endswith("*"))
        pieces.append(_glob(part, colons=spans))
    return re.compile(":".join(pieces), re.DOTALL)


def arn_matches(pattern: str, arn: str) -> bool:
    return pattern == "*" or _arn_regex(pattern).fullmatch(arn) is not None


@functools.lru_cache(maxsize=4096)
def _string_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(_glob(pattern), (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def string_like(pattern: str, value: str) -> bool:
    return _string_regex(pattern, False).fullmatch(value) is not None


def substitute(text: str, lookup: Callable[[str], object | None]) -> str | None:
    """``text`` with its policy variables replaced by ``lookup(key)``; None when one is missing.

    ``${key, 'default'}`` gives its default when the request lacks the key.
    """
    if "${" not in text:
        return text
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        body = match.group(1).strip()
        if body in _LITERALS:
            return _LITERALS[body]
        key, _, default = body.partition(",")
        value = lookup(key.strip())
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).replace("*", _LITERALS["*"]).replace("?", _LITERALS["?"])
        if default.strip().startswith("'") and default.strip().endswith("'"):
            return default.strip()[1:-1]
        missing = True
        return ""

    out = _VARIABLE.sub(replace, text)
    return None if missing else out


def literal(text: str) -> str:
    """A substituted text for an exact comparison (``StringEquals``): the markers back to characters."""
    return "".join(_unliteral(c) for c in text)
