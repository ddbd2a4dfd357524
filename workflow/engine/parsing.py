"""Turning definition text into a validated, compiled StateMachine."""
from __future__ import annotations

import json
from typing import Any

from .diagnostics import InvalidDefinition
from .program import StateMachine
from .validation import validate_definition


def parse_definition(definition: str | dict[str, Any]) -> StateMachine:
    """Validate and compile; raises InvalidDefinition listing every error found."""
    diagnostics = validate_definition(definition)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if errors:
        raise InvalidDefinition(errors)
    if isinstance(definition, str):
        return StateMachine(json.loads(definition), definition)
    return StateMachine(definition)
