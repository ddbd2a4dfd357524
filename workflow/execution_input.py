"""The execution input: checked against statemachine.input.schema.json before any run.

Local runs, ``start`` and the retraining schedule all check here, so a bad
field is reported by its path before anything is started. The schema cannot
relate two fields to each other, so those few rules follow it in code.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from workflow.definition import INPUT_SCHEMA_FILE


class InputError(ValueError):
    """The execution input is invalid; the message names each bad field."""


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(INPUT_SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _field(path: Any) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in path]
    return ".".join(parts).replace(".[", "[") or "(the input)"


def _related_fields(doc: dict[str, Any]) -> list[str]:
    out = []
    tuning, endpoint = doc.get("tuning"), doc.get("endpoint")
    if isinstance(tuning, dict) and all(isinstance(tuning.get(k), int) for k in ("max_jobs", "max_parallel_jobs")):
        if tuning["max_parallel_jobs"] > tuning["max_jobs"]:
            out.append("tuning.max_parallel_jobs: must not exceed tuning.max_jobs")
    if isinstance(endpoint, dict) and all(isinstance(endpoint.get(k), int) for k in ("min_capacity", "max_capacity")):
        if endpoint["min_capacity"] > endpoint["max_capacity"]:
            out.append("endpoint.min_capacity: must not exceed endpoint.max_capacity")
        elif isinstance(endpoint.get("initial_instance_count"), int) and not (
                endpoint["min_capacity"] <= endpoint["initial_instance_count"] <= endpoint["max_capacity"]):
            out.append("endpoint.initial_instance_count: must lie between min_capacity and max_capacity")
    return out


def problems(document: Any) -> list[str]:
    """One line per violation, naming the field: ``training.instance_type: 'x' does not match ...``."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    found = [f"{_field(e.absolute_path)}: {e.message}" for e in errors]
    if isinstance(document, dict):
        found += _related_fields(document)
    return found


def check(document: Any, source: str = "execution input") -> dict[str, Any]:
    found = problems(document)
    if found:
        raise InputError(f"ValidationException: {source} does not match statemachine.input.schema.json:\n  "
                         + "\n  ".join(found))
    return document


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"ValidationException: input file {path} does not exist") from exc
    except ValueError as exc:
        raise InputError(f"ValidationException: input file {path} is not JSON: {exc}") from exc
    return check(document, f"input file {path}")
