"""Marks each test by the tier folder it lives in, so `-m unit` picks the quick subset."""
from __future__ import annotations

from pathlib import Path

import pytest

_TIERS = {"unit", "integration", "aws"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = next((p for p in Path(item.fspath).parts if p in _TIERS), None)
        if tier:
            item.add_marker(getattr(pytest.mark, tier))


# The Lambda functions are packaged with lambdas/ as their root (handler
# "stage_data.app.handler"), so tests import them the same way.
import sys  # noqa: E402

_LAMBDAS = str(Path(__file__).resolve().parent.parent / "lambdas")
if _LAMBDAS not in sys.path:
    sys.path.insert(0, _LAMBDAS)
