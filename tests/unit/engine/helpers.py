"""Shared helpers of the engine tests: deterministic runs and the case tables."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from workflow.engine import ExecutionResult, VirtualClock, run_execution

CASES_DIR = Path(__file__).parent / "cases"


def load_cases(name: str) -> list[dict]:
    return json.loads((CASES_DIR / name).read_text())["cases"]


def run(definition: Any, input: Any = None, *, events: list | None = None, **kwargs: Any) -> ExecutionResult:
    """Run with a virtual clock and a seeded random source: instant and reproducible."""
    kwargs.setdefault("clock", VirtualClock())
    kwargs.setdefault("rng", random.Random(7))
    return run_execution(definition, {} if input is None else input,
                         sink=events.append if events is not None else None, **kwargs)


def check_result(result: ExecutionResult, expected: dict) -> None:
    assert result.status == expected["status"], (result, expected)
    if "output" in expected:
        assert result.output == expected["output"]
    if "error" in expected:
        assert result.error == expected["error"], result
    if "cause" in expected:
        assert result.cause == expected["cause"], result
