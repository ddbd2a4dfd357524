"""The start page checks the pipeline's input against statemachine.input.schema.json in the browser."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.console_browser import launch
from workflow import definition

ROLE = "arn:aws:iam::123456789012:role/states"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


def pipeline_machine(server: LocalServerHandle) -> str:
    values = definition.substitutions(
        ResourcePrefix="dogs", StageDataFunctionArn="arn:aws:lambda:us-east-1:123456789012:function:stage",
        SmokeTestFunctionArn="arn:aws:lambda:us-east-1:123456789012:function:smoke",
        PromoteModelFunctionArn="arn:aws:lambda:us-east-1:123456789012:function:promote",
        DebuggerSupported="true", MlflowTrackingUri=definition.TRACKING_OFF,
        SageMakerRoleArn=ROLE, TrainingImage="train:latest", InferenceImage="serve:latest",
        RuleEvaluatorImage="rules:latest", SourceDirUri="s3://dogs-local/dogs/code/sourcedir.tar.gz")
    return server.client("stepfunctions").create_state_machine(
        name="dog-breed-pipeline-console", definition=definition.render(values), roleArn=ROLE)["stateMachineArn"]


def test_pipeline_input_is_prefilled_valid_and_checked_before_sending(
        fresh_local_server: LocalServerHandle, browser: Any) -> None:
    arn = pipeline_machine(fresh_local_server)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{fresh_local_server.endpoint_url}/console#/start/{arn}")
        assert "statemachine.input.schema.json" in page.inner_text("#valid")
        default = json.loads(page.input_value("#exec-input"))
        assert default["quality_threshold"] == 0.5 and default["training"]["instance_type"] == "ml.m5.xlarge"
        bad = dict(default, quality_threshold=2, surprise=True)
        bad["tuning"] = dict(default["tuning"], max_jobs=0, strategy="Hyperband", early_stopping="Auto")
        page.fill("#exec-input", json.dumps(bad, indent=2))
        page.wait_for_selector("#check .issues")
        issues = page.eval_on_selector_all("#check .issues li", "items => items.map(i => i.textContent)")
        assert "$.quality_threshold: must be <= 1" in issues
        assert "$.tuning.max_jobs: must be >= 1" in issues
        assert "$.surprise: is not an allowed field" in issues
        assert '$.tuning.early_stopping: must be "Off"' in issues
        assert page.is_disabled("#start")
        page.click("#reset")
        page.wait_for_selector("#valid")
        assert page.is_enabled("#start")
        # The definition is drawn beside the editor, with the endpoint wait loop.
        page.wait_for_selector('#graph g[id="state-WaitForEndpoint"]')
    finally:
        page.close()
    assert not errors
    # Nothing was sent: validation happens before StartExecution.
    assert fresh_local_server.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"] == []
