"""Request validation against the operation's input shape.

``botocore.validate.ParamValidator`` checks required members, types and
minimums. It deliberately skips maximums and enums (a client must not reject
values a newer service accepts), which AWS checks on the server side, so
those two constraints are added here. Unknown members are ignored, as AWS
JSON services do.
"""
from __future__ import annotations

import functools
import re
from typing import Any

from botocore.model import Shape
from botocore.validate import ParamValidator

from workflow.local.errors import ValidationException


def _constraint_errors(value: Any, shape: Shape, path: str, out: list[str]) -> None:
    if value is None:
        return
    kind = shape.type_name
    maximum = shape.metadata.get("max")
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        for name, member in shape.members.items():
            if name in value:
                _constraint_errors(value[name], member, f"{path}.{name}" if path else name, out)
    elif kind == "list" and isinstance(value, list):
        if maximum is not None and len(value) > maximum:
            out.append(f"Value at '{path}' failed to satisfy constraint: "
                       f"Member must have length less than or equal to {maximum}")
        for index, item in enumerate(value):
            _constraint_errors(item, shape.member, f"{path}.{index + 1}", out)
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            _constraint_errors(item, shape.value, f"{path}.{key}", out)
    elif kind == "string" and isinstance(value, str):
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            out.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                       f"Member must satisfy enum value set: [{', '.join(enum)}]")
        if maximum is not None and len(value) > maximum:
            out.append(f"Value at '{path}' failed to satisfy constraint: "
                       f"Member must have length less than or equal to {maximum}")
    elif kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        if maximum is not None and value > maximum:
            out.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                       f"Member must have value less than or equal to {maximum}")


def validation_errors(params: dict[str, Any], shape: Shape | None) -> list[str]:
    """Every problem with ``params``, each naming the member; empty when valid."""
    if shape is None:
        return []
    report = ParamValidator().validate(params, shape)
    problems = []
    if report.has_errors():
        problems = [
            line for line in report.generate_report().splitlines()
            if line and not line.startswith("Unknown parameter")
        ]
    if not problems:
        _constraint_errors(params, shape, "", problems)
    return problems


def validate(params: dict[str, Any], shape: Shape | None) -> None:
    """Raise ``ValidationException`` naming every invalid member."""
    problems = validation_errors(params, shape)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(problems))


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def pattern_errors(params: dict[str, Any], shape: Shape | None) -> list[str]:
    """Strings that break their shape's ``pattern`` (AWS checks it on the server; botocore
    does not), in AWS's words: ``Value 'a b' at 'roleName' failed to satisfy constraint:
    Member must satisfy regular expression pattern: [\\w+=,.@-]+``."""
    out: list[str] = []
    _patterns(params, shape, "", out)
    return out


def _patterns(value: Any, shape: Shape | None, path: str, out: list[str]) -> None:
    if value is None or shape is None:
        return
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.is_document_type:
        for name, member in shape.members.items():
            if name in value:
                _patterns(value[name], member, f"{path}.{_camel(name)}" if path else _camel(name), out)
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            _patterns(item, shape.member, f"{path}.{index + 1}.member", out)
    elif kind == "string" and isinstance(value, str):
        pattern = shape.metadata.get("pattern")
        if pattern and not _matches(pattern, value):
            out.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                       f"Member must satisfy regular expression pattern: {pattern}")


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: leave the check to the backend
        return None


def _matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is None or compiled.fullmatch(value) is not None
