"""Service quotas the engine enforces, as documented in "Step Functions service quotas"."""
from __future__ import annotations

import json
from typing import Any

from .errors import FailureError, StatesError

# Maximum input or output size for a task, state, or execution: 256 KiB of UTF-8.
MAX_PAYLOAD_BYTES = 256 * 1024
# One variable, and all that one state's Assign sets, have the same 256 KiB quota.
MAX_VARIABLE_BYTES = MAX_PAYLOAD_BYTES
MAX_ASSIGN_BYTES = MAX_PAYLOAD_BYTES
# Hard quota of 25,000 entries in the execution event history
# (developer guide, "Avoid reaching the history quota").
MAX_HISTORY_EVENTS = 25_000


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def payload_size(text: str) -> int:
    # Fast path: ASCII text is one byte per character.
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def check_payload(value: Any, what: str, text: str | None = None) -> str:
    """Return ``value`` as JSON text, or raise States.DataLimitExceeded when it is over 256 KiB."""
    text = to_json(value) if text is None else text
    size = len(text)
    if size * 4 > MAX_PAYLOAD_BYTES or not text.isascii():
        size = payload_size(text)
    if size > MAX_PAYLOAD_BYTES:
        raise FailureError(
            StatesError.DATA_LIMIT_EXCEEDED.value,
            f"The {what} has a size of {size} bytes, which exceeds the maximum of "
            f"{MAX_PAYLOAD_BYTES} bytes for a state input or output.",
        )
    return text
