"""The synthesised template: cfn-lint clean, checkov clean (every skip justified), and the
properties the issue asks for (logging, tracing, concurrency, a private TLS-only bucket)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workflow import definition
from workflow.aws.settings import LAMBDA_FUNCTIONS
from workflow.aws import release

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = {
    "minimal": {},
    "everything": {"schedule": "cron(0 3 ? * SUN *)", "create_data_bucket": True, "data_bucket": "dogs-data",
                   "kms_key_arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                   "subnet_ids": ("subnet-0abc",), "security_group_ids": ("sg-0abc",)},
}


@pytest.fixture(scope="module")
def synthesised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    out = {}
    for name, extra in VARIANTS.items():
        folder = tmp_path_factory.mktemp(name)
        prepared = release.prepare(release.Request(stack_name="dog-breed-pipeline", region="us-east-1",
                                                   bucket="artifacts", build_dir=folder / "build",
                                                   with_dependencies=False, **extra))
        path = folder / "template.json"
        path.write_text(prepared.text)
        out[name] = (path, prepared.template)
    return out


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cfn_lint_reports_nothing(synthesised: dict[str, Any], variant: str) -> None:
    path, _ = synthesised[variant]
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    command = str(cfn_lint) if cfn_lint.exists() else shutil.which("cfn-lint")
    assert command, "cfn-lint is part of the dev extra"
    result = subprocess.run([command, "--", str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _checkov() -> str | None:
    for candidate in (ROOT / ".venv-checkov" / "bin" / "checkov", shutil.which("checkov")):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_checkov_finds_no_failed_check_and_every_skip_is_justified(synthesised: dict[str, Any],
                                                                   variant: str) -> None:
    checkov = _checkov()
    if checkov is None:
        pytest.skip("checkov is not installed (.ci/run installs it into .venv-checkov)")
    path, _ = synthesised[variant]
    result = subprocess.run([checkov, "-f", str(path), "--framework", "cloudformation", "--output", "json",
                             "--skip-download"], capture_output=True, text=True, timeout=600)
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert report["summary"]["failed"] == 0, failed
    assert report["summary"]["passed"] > 40
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 40, skipped["check_id"]


def test_state_machine_logs_everything_and_traces(synthesised: dict[str, Any]) -> None:
    _, template = synthesised["minimal"]
    machine = template["Resources"]["StateMachine"]["Properties"]
    assert machine["DefinitionString"] == definition.template_text()
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is True
    assert machine["TracingConfiguration"] == {"Enabled": True}
    group = template["Resources"]["StateMachineLogs"]["Properties"]
    assert group["LogGroupName"].startswith("/aws/vendedlogs/states/") and group["RetentionInDays"] > 0


def test_functions_have_reserved_concurrency_and_the_inference_alias_is_provisioned(
        synthesised: dict[str, Any]) -> None:
    _, template = synthesised["minimal"]
    resources = template["Resources"]
    functions = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    assert len(functions) == len(LAMBDA_FUNCTIONS)
    for props in functions.values():
        assert props["ReservedConcurrentExecutions"] >= 1
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["Architectures"] == ["x86_64"] and props["Runtime"] in ("python3.11", "python3.12")
    alias = resources["InvokeEndpointAlias"]["Properties"]
    assert alias["ProvisionedConcurrencyConfig"] == {
        "ProvisionedConcurrentExecutions": {"Ref": "InferenceProvisionedConcurrency"}}
    version = alias["FunctionVersion"]["Fn::GetAtt"][0]
    assert resources[version]["Type"] == "AWS::Lambda::Version"
    assert functions["InvokeEndpointFunction"]["Environment"]["Variables"]["ENDPOINT_NAME"] == \
        "dog-breed-pipeline-endpoint"


def test_the_optional_bucket_is_encrypted_private_and_tls_only(synthesised: dict[str, Any]) -> None:
    _, minimal = synthesised["minimal"]
    assert "DataBucket" not in minimal["Resources"]
    _, template = synthesised["everything"]
    bucket = template["Resources"]["DataBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert encryption["Fn::If"][1]["SSEAlgorithm"] == "aws:kms"
    deny = template["Resources"]["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_synth_prints_the_template_and_bad_flags_get_a_clear_error(tmp_path: Path) -> None:
    base = [sys.executable, str(ROOT / "deploy_workflow.py"), "synth", "--no-deps", "--build-dir", str(tmp_path)]
    printed = subprocess.run(base + ["--bucket", "b", "--region", "eu-west-1"], capture_output=True, text=True,
                             timeout=300, cwd=ROOT)
    assert printed.returncode == 0, printed.stderr
    template = json.loads(printed.stdout)
    assert ".dkr.ecr.eu-west-1." in template["Resources"]["StateMachine"]["Properties"][
        "DefinitionSubstitutions"]["InferenceImage"]
    bad = subprocess.run(base + ["--stack-name", "9bad_name"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert bad.returncode == 2 and bad.stdout == ""
    assert "--stack-name '9bad_name'" in bad.stderr and "Traceback" not in bad.stderr


def test_create_data_bucket_needs_a_new_bucket_name(tmp_path: Path) -> None:
    from workflow.aws.settings import SettingsError

    with pytest.raises(SettingsError, match="--create-data-bucket needs --data-bucket"):
        release.prepare(release.Request(stack_name="dog-breed-pipeline", region="us-east-1", bucket="artifacts",
                                        build_dir=tmp_path, with_dependencies=False, create_data_bucket=True))
