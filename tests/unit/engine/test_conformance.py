"""The task-free conformance table (cases/task_free.json): every state type, path field,
Choice operator and error rule, with the result the ASL specification requires."""
from __future__ import annotations

import pytest

from .helpers import check_result, load_cases, run

CASES = load_cases("task_free.json")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case: dict) -> None:
    check_result(run(case["definition"], case["input"]), case["expected"])
