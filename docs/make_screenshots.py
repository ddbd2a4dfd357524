"""Draw docs/statemachine.svg and .mmd, and take the console screenshots docs/console-*.png.

Starts a local server in a temporary directory, deploys the pipeline onto it
the way ``deploy_workflow.py`` does, runs a few quick executions (one of the
pipeline that fails at StageData and cleans up, small demo machines that
succeed, fail after a caught retry, and wait until stopped), and photographs
the console in Debian's headless Chromium through Playwright.

    .venv/bin/python docs/make_screenshots.py
"""
from __future__ import annotations

import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))

from tests.integration.console_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.integration.sfn_helpers import ROLE, wait_done  # noqa: E402
from workflow.definition import DEFINITION_FILE  # noqa: E402
from workflow.graph import render_file  # noqa: E402
from workflow.local import lifecycle  # noqa: E402

GREETER = '''
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no breed called " + event.get("who", "?"))
    return {"ok": True, "greeting": "hello " + event.get("who", "nobody")}
'''
TIMEOUT_S = 120


def client(endpoint: str, service: str) -> Any:
    return boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                 region_name="us-east-1").client(
        service, endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}, read_timeout=120))


def demo_machines(endpoint: str) -> dict[str, str]:
    lam, sfn = client(endpoint, "lambda"), client(endpoint, "stepfunctions")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", GREETER)
    lam.create_function(FunctionName="greeter", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": buffer.getvalue()}, Timeout=10)
    greet = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "greeter", "Payload.$": "$"},
             "ResultSelector": {"greeting.$": "$.Payload.greeting"}, "ResultPath": "$.greeting",
             "Retry": [{"ErrorEquals": ["ValueError"], "IntervalSeconds": 1, "MaxAttempts": 1}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Reject"}],
             "Next": "Pause"}
    hello = {"Comment": "Greets a breed, waits a moment, and fails with the cause when the breed is unknown.",
             "StartAt": "Greet", "States": {
                 "Greet": greet, "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                 "Done": {"Type": "Succeed"},
                 "Reject": {"Type": "Fail", "Error": "BreedUnknown", "CausePath": "$.failure.Cause"}}}
    sleepy = {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    return {name: sfn.create_state_machine(name=name, definition=json.dumps(d), roleArn=ROLE)["stateMachineArn"]
            for name, d in (("greeter-demo", hello), ("long-wait-demo", sleepy))}


def pipeline(endpoint: str, work: Path) -> str:
    from workflow.pipeline.defaults import DEFAULT_ENDPOINT
    from workflow.pipeline.local_bucket import ensure_buckets
    from workflow.pipeline.local_setup import deploy_local

    ensure_buckets(client(endpoint, "s3"))
    return deploy_local(lambda service: client(endpoint, service), work / "build",
                        DEFAULT_ENDPOINT).state_machine_arn


def quick_pipeline_input(endpoint: str, work: Path) -> dict[str, Any]:
    """The quick input on the synthetic dataset (uploaded to the local bucket): about a minute."""
    from workflow.pipeline.defaults import INCOMING_PREFIX, SYNTHETIC, quick_input
    from workflow.pipeline.local_bucket import upload_zip
    from workflow.synthetic import generate_zip

    zip_path = work / "datasets" / "synthetic-dogImages.zip"
    generate_zip(zip_path, work / "datasets" / "synthetic", **SYNTHETIC)
    uri = f"{INCOMING_PREFIX}/{zip_path.name}"
    upload_zip(client(endpoint, "s3"), zip_path, uri)
    return quick_input(uri)


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    definition = json.loads(DEFINITION_FILE.read_text())
    render_file(definition, DOCS / "statemachine.svg", title="statemachine.json")
    render_file(definition, DOCS / "statemachine.mmd")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        state, process = lifecycle.start(work / "server")
        try:
            shoot(state.endpoint_url, work)
        finally:
            lifecycle.terminate(process.pid)
            process.wait(timeout=30)
    for path in sorted(DOCS.glob("console-*.png")) + [DOCS / "statemachine.svg", DOCS / "statemachine.mmd"]:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def shoot(endpoint: str, work: Path) -> None:
    from playwright.sync_api import sync_playwright

    from workflow.pipeline.defaults import INCOMING_PREFIX, default_input

    sfn = client(endpoint, "stepfunctions")
    machines = demo_machines(endpoint)
    pipeline_arn = pipeline(endpoint, work)
    # The pipeline with a dataset that does not exist: StageData fails, CleanUp runs, the run fails.
    bad = default_input(f"{INCOMING_PREFIX}/missing-dogImages.zip")
    failed = sfn.start_execution(stateMachineArn=pipeline_arn, name="retrain-missing-dataset",
                                 input=json.dumps(bad))["executionArn"]
    runs = [sfn.start_execution(stateMachineArn=machines["greeter-demo"], name=name, input=json.dumps(data))
            for name, data in (("greet-beagle", {"who": "beagle"}), ("greet-wolf", {"who": "wolf", "fail": True}))]
    stopped = sfn.start_execution(stateMachineArn=machines["long-wait-demo"], name="stopped-by-hand")["executionArn"]
    sfn.stop_execution(executionArn=stopped, error="Console.Stopped", cause="Stopped by hand.")
    for arn in [failed] + [r["executionArn"] for r in runs]:
        wait_done(sfn, arn, timeout=TIMEOUT_S)
    succeeded = sfn.start_execution(stateMachineArn=pipeline_arn, name="retrain-synthetic",
                                    input=json.dumps(quick_pipeline_input(endpoint, work)))["executionArn"]
    wait_done(sfn, succeeded, timeout=900)
    sfn.start_execution(stateMachineArn=machines["long-wait-demo"], name="waiting")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
        page.set_default_timeout(60_000)
        page.goto(f"{endpoint}/console")
        page.wait_for_selector('#executions tr[data-execution="retrain-missing-dataset"]')
        page.screenshot(path=str(DOCS / "console-executions.png"))

        page.set_viewport_size({"width": 1440, "height": 1500})
        page.goto(f"{endpoint}/console#/execution/{succeeded}")
        page.wait_for_selector('#graph[data-execution-status="SUCCEEDED"] g[id="state-Deployed"]')
        page.click('#states tr[data-state="Train"]')
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / "console-pipeline.png"))

        page.goto(f"{endpoint}/console#/execution/{failed}")
        page.wait_for_selector('#graph[data-execution-status="FAILED"] g[id="state-PipelineFailed"]')
        page.click('#states tr[data-state="StageData"]')
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(DOCS / "console-execution.png"))

        page.set_viewport_size({"width": 1440, "height": 1000})
        page.goto(f"{endpoint}/console#/execution/{runs[1]['executionArn']}")
        page.wait_for_selector('#graph[data-execution-status="FAILED"] g[id="state-Reject"]')
        page.screenshot(path=str(DOCS / "console-execution-caught.png"))

        page.goto(f"{endpoint}/console#/start/{pipeline_arn}")
        page.wait_for_selector("#valid")
        text = page.input_value("#exec-input").replace('"quality_threshold": 0.5', '"quality_threshold": 1.5')
        page.fill("#exec-input", text)
        page.wait_for_selector("#check .issues")
        page.wait_for_selector('#graph g[id="state-Prepare"]')
        page.evaluate("document.querySelector('#exec-input').scrollTop = 0")
        page.screenshot(path=str(DOCS / "console-start.png"))
        browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
