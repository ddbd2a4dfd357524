"""Each function's requirements, resolved by pip for the Lambda platform as deploy bundles them."""
from __future__ import annotations

from pathlib import Path

import pytest

from workflow.aws import packaging
from workflow.aws.lambdas import FUNCTIONS


@pytest.mark.slow
def test_every_function_bundles_the_whole_sdk(tmp_path: Path) -> None:
    """pip resolves against the package index (no install): boto3, botocore and s3transfer
    come together, so the handlers' boto3 never runs on a botocore of another release."""
    for name in FUNCTIONS:
        requirements = packaging.LAMBDAS_DIR / name / "requirements.txt"
        packages = packaging.resolve_dependencies(requirements, tmp_path)
        packaging.check_sdk(packages, requirements)
        assert set(packaging.SDK) <= packages.keys(), (name, sorted(packages))
