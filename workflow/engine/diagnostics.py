"""Validation diagnostics in the shape of AWS ValidateStateMachineDefinition."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    severity: str   # "ERROR" | "WARNING"
    code: str       # e.g. "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET"
    message: str    # ends with "at <location>", as AWS words it
    location: str   # JSON pointer, e.g. "/States/Train/Next"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidDefinition(Exception):
    """A definition that failed validation; ``diagnostics`` lists every problem found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "ERROR"] or self.diagnostics
        summary = ", ".join(f"'{d}'" for d in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"Invalid State Machine Definition: {summary}{more}")


class Collector:
    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, location: str, message: str, code: str = "SCHEMA_VALIDATION_FAILED") -> None:
        self.items.append(Diagnostic("ERROR", code, f"{message} at {location or '/'}", location or "/"))

    def warning(self, location: str, message: str, code: str) -> None:
        self.items.append(Diagnostic("WARNING", code, f"{message} at {location or '/'}", location or "/"))


def pointer(*parts: object) -> str:
    """A JSON pointer from parts, escaping '~' and '/' in state names."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
