"""GetExecutionHistory pages over the stored event log."""
from __future__ import annotations

from typing import Any

from workflow.local.stepfunctions.errors import InvalidToken
from workflow.local.stepfunctions.naming import decode_token, encode_token
from workflow.local.store import Store

_DATA_KEYS = ("input", "output")


def _without_data(event: dict[str, Any]) -> dict[str, Any]:
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict):
            for data in _DATA_KEYS:
                details.pop(data, None)
    return event


def history_page(
    store: Store, arn: str, *, max_results: int, token: str | None, reverse: bool,
    include_data: bool,
) -> dict[str, Any]:
    position = decode_token(token)
    if position is not None and not isinstance(position, int):
        raise InvalidToken(f"Invalid Token: '{token}'")
    if reverse:
        events = store.events(arn, before=position, reverse=True, limit=max_results + 1)
    else:
        events = store.events(arn, after=position or 0, limit=max_results + 1)
    page = events[:max_results]
    if not include_data:
        page = [_without_data(e) for e in page]
    answer: dict[str, Any] = {"events": page}
    if len(events) > max_results:
        answer["nextToken"] = encode_token(page[-1]["id"])
    return answer
