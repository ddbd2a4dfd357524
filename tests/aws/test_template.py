"""The synthesised template: cfn-lint clean, checkov clean (every skip justified), and the
properties the issue asks for (logging, tracing, concurrency, a private TLS-only bucket)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from workflow import definition
from workflow.aws import release
from workflow.aws.iam import role_statements
from workflow.aws.settings import LAMBDA_FUNCTIONS, SettingsError

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_ARN = "arn:aws:sagemaker:us-east-1:111122223333:mlflow-tracking-server/dogs"
VARIANTS = {
    "minimal": {},
    "everything": {"schedule": "cron(0 3 ? * SUN *)", "create_data_bucket": True, "data_bucket": "dogs-data",
                   "kms_key_arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                   "subnet_ids": ("subnet-0abc",), "security_group_ids": ("sg-0abc",),
                   "mlflow_tracking_server_arn": MLFLOW_ARN},
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
        # The training code as uploaded: its requirements.txt is what the container installs.
        with tarfile.open(prepared.artifacts["sourcedir"][1].path) as tar:
            requirements = tar.extractfile("requirements.txt").read().decode()
        out[f"{name}-requirements"] = requirements
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


def _mlflow_statements(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Role -> its statements with an action of the sagemaker-mlflow service."""
    out = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        found = [s for s in role_statements(resource) if any(a.startswith("sagemaker-mlflow:") for a in s["Action"])]
        if found:
            out[name] = found
    return out


def test_mlflow_permissions_are_granted_on_the_given_tracking_server_only(synthesised: dict[str, Any]) -> None:
    from policy_sentry.querying.actions import get_actions_for_service

    known = set(get_actions_for_service("sagemaker-mlflow"))
    _, template = synthesised["everything"]
    granted = _mlflow_statements(template)
    # The training jobs log and register; the promotion step aliases; nobody else gets MLflow.
    assert sorted(granted) == ["PromoteModelRole", "SageMakerExecutionRole"]
    for statements in granted.values():
        assert [s["Resource"] for s in statements] == [[MLFLOW_ARN]]
        actions = statements[0]["Action"]
        assert all(a.startswith("sagemaker-mlflow:") for a in actions) and set(actions) <= known
    assert "sagemaker-mlflow:SetRegisteredModelAlias" in granted["PromoteModelRole"][0]["Action"]
    assert "sagemaker-mlflow:SetRegisteredModelAlias" not in granted["SageMakerExecutionRole"][0]["Action"]
    assert "sagemaker-mlflow:CreateModelVersion" in granted["SageMakerExecutionRole"][0]["Action"]
    substitutions = template["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["MlflowTrackingUri"] == MLFLOW_ARN
    requirements = synthesised["everything-requirements"].splitlines()
    assert "sagemaker-mlflow>=0.2" in requirements and "mlflow-skinny>=3,<4" in requirements


def test_without_a_tracking_server_nothing_is_tracked_or_granted(synthesised: dict[str, Any]) -> None:
    _, template = synthesised["minimal"]
    assert _mlflow_statements(template) == {}
    substitutions = template["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["MlflowTrackingUri"] == definition.TRACKING_OFF
    requirements = [line for line in synthesised["minimal-requirements"].splitlines() if not line.startswith("#")]
    assert not [line for line in requirements if "mlflow" in line]
    # The 2.6 training image has no smdebug: the state machine refuses the Debugger variant.
    assert substitutions["DebuggerSupported"] == "false"


def test_a_bad_tracking_server_arn_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="--mlflow-tracking-server-arn"):
        release.prepare(release.Request(stack_name="dog-breed-pipeline", region="us-east-1", bucket="artifacts",
                                        build_dir=tmp_path, with_dependencies=False,
                                        mlflow_tracking_server_arn="arn:aws:s3:::not-a-tracking-server"))
