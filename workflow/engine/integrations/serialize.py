"""JSON-able task results from boto3 responses (timestamps, blobs, streams)."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any


def strip_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def to_jsonable(value: Any, epoch_millis: bool = False) -> Any:
    if isinstance(value, dict):
        return {key: to_jsonable(item, epoch_millis) for key, item in value.items()}
    if isinstance(value, list):
        return [to_jsonable(item, epoch_millis) for item in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if epoch_millis:
            return int(moment.timestamp() * 1000)
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "read"):
        return to_jsonable(value.read(), epoch_millis)
    return value
