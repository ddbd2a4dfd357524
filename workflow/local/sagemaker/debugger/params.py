"""Rule parameters arrive as strings (RuleParameters is a string map); typed here."""
from __future__ import annotations

from typing import Any

from workflow.local.errors import ValidationException


def as_bool(text: str) -> bool:
    return str(text).strip().lower() in ("true", "1", "yes")


def as_list(text: str | None) -> list[str]:
    if not text:
        return []
    return [part.strip() for part in str(text).split(",") if part.strip()]


def typed(rule: str, raw: dict[str, str], defaults: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` typed by their Python type; unknown parameters are kept as strings."""
    out: dict[str, Any] = dict(defaults)
    for key, value in raw.items():
        default = defaults.get(key)
        try:
            if isinstance(default, bool):
                out[key] = as_bool(value)
            elif isinstance(default, int):
                out[key] = int(float(value))
            elif isinstance(default, float):
                out[key] = float(value)
            else:
                out[key] = value
        except ValueError as err:
            raise ValidationException(
                f"RuleParameters.{key} of {rule}: {value!r} is not a {type(default).__name__}"
            ) from err
    return out
