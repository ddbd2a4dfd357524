"""Conversions between wire values and Python values, driven by botocore shapes.

Parsing turns JSON values into what ``botocore.validate`` and the backends
expect (``datetime`` for timestamps, ``bytes`` for blobs); serialising does
the reverse. A value that cannot be converted is left as it is, so the
validator reports it with the member's name instead of a traceback here.
"""
from __future__ import annotations

import base64
import binascii
import email.utils
from datetime import datetime, timezone
from typing import Any, cast

from botocore.model import Shape


def member_wire_name(name: str, shape: Shape) -> str:
    return cast("str", shape.serialization.get("name", name))


# -- parsing --------------------------------------------------------------
def parse_timestamp(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return value


def to_utc(value: Any) -> Any:
    """Datetimes anywhere in ``value`` in UTC: botocore's parsers give local-zone datetimes,
    and the backends work in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    if isinstance(value, dict):
        return {k: to_utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_utc(v) for v in value]
    return value


def parse_blob(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value
    return value


def parse_json_value(shape: Shape | None, value: Any) -> Any:
    """A JSON-decoded request value -> Python value keyed by member names."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return value
        if shape.is_document_type:
            return value
        out: dict[str, Any] = {}
        by_wire = {member_wire_name(n, s): (n, s) for n, s in shape.members.items()}
        for key, item in value.items():
            name, member = by_wire.get(key, (key, None))
            out[name] = parse_json_value(member, item)
        return out
    if kind == "list":
        if not isinstance(value, list):
            return value
        return [parse_json_value(shape.member, item) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            return value
        return {k: parse_json_value(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return parse_timestamp(value)
    if kind == "blob":
        return parse_blob(value)
    return value


def parse_text_value(shape: Shape, text: str) -> Any:
    """A header or query-string value -> Python value of the member's type."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        lowered = text.lower()
        return {"true": True, "false": False}.get(lowered, text)
    if kind == "timestamp":
        return parse_timestamp(text)
    if kind == "blob":
        return parse_blob(text)
    return text


# -- serialising ----------------------------------------------------------
def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def format_timestamp(value: Any, fmt: str) -> Any:
    value = _as_datetime(value)
    if not isinstance(value, datetime):
        return value
    if fmt == "iso8601":
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if fmt == "rfc822":
        return email.utils.format_datetime(value.astimezone(timezone.utc), usegmt=True)
    return round(value.timestamp(), 3)


def dump_json_value(shape: Shape | None, value: Any, timestamp_format: str = "unixTimestamp") -> Any:
    """A backend's Python value -> JSON-able value keyed by wire names; None members dropped."""
    if value is None:
        return None
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type or not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                out[member_wire_name(name, member)] = dump_json_value(
                    member, value[name], timestamp_format
                )
        return out
    if kind == "list":
        return [dump_json_value(shape.member, item, timestamp_format) for item in value]
    if kind == "map":
        return {k: dump_json_value(shape.value, v, timestamp_format) for k, v in value.items()}
    if kind == "timestamp":
        return format_timestamp(value, shape.serialization.get("timestampFormat", timestamp_format))
    if kind == "blob":
        data = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    return value


def dump_text_value(shape: Shape, value: Any) -> str:
    """A header value of the member's type."""
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return str(format_timestamp(value, shape.serialization.get("timestampFormat", "rfc822")))
    if kind == "blob":
        data = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    return str(value)
