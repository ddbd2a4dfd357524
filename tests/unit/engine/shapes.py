"""Checks events against botocore's HistoryEvent output shape, so boto3 can parse them."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import botocore.session


@lru_cache(maxsize=1)
def history_event_shape():
    return botocore.session.get_session().get_service_model("stepfunctions").shape_for("HistoryEvent")


def shape_errors(value: Any, shape=None, where: str = "event") -> list[str]:
    shape = shape or history_event_shape()
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        problems = [f"{where}.{key}: not in {shape.name}" for key in value if key not in shape.members]
        problems += [f"{where}.{key}: required" for key in shape.required_members if key not in value]
        for key, item in value.items():
            if key in shape.members:
                problems += shape_errors(item, shape.members[key], f"{where}.{key}")
        return problems
    expected = {"string": str, "long": int, "integer": int, "boolean": bool, "timestamp": datetime}.get(kind)
    if expected is not None and not isinstance(value, expected):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{where}: {value!r} is not one of the event types"]
    if kind == "timestamp" and value.tzinfo is None:
        return [f"{where}: timestamp must be timezone-aware"]
    return []
