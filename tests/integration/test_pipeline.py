"""The pipeline end to end on the real local server, through `deploy_workflow.py run`.

One server for the module, runs in order: the default run creates the
endpoint; the invoke Lambda answers through it; a second run updates it while
a client keeps invoking (zero failures); then the failure paths, each on the
cheapest input that shows it.
"""
from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from tests.integration.conftest import LocalServerHandle, start_local_server
from tests.integration.console_browser import browser_page
from workflow.aws.packaging import TRAINING_SRC, sourcedir_tarball
from workflow.local import lifecycle
from workflow.local.mlflow_lookup import execution_run_url
from workflow.pipeline.defaults import DEFAULT_ENDPOINT, INCOMING_PREFIX, LOCAL_BUCKET, quick_input
from workflow.pipeline.local_bucket import upload_code
from workflow.pipeline.local_setup import STATE_MACHINE_NAME, function_name

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 900
RULES = ("VanishingGradient", "Overfit", "Overtraining", "PoorWeightInitialization", "LossNotDecreasing")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipeline")


@pytest.fixture(scope="module")
def server(workdir: Path):
    handle = start_local_server(workdir / "server", mlflow=True)
    yield handle
    handle.stop()


def run_cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "deploy_workflow.py"), "run", "--work-dir", str(workdir), *args],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=ROOT)


def cheap_input(workdir: Path, **changes: Any) -> Path:
    """quick_input with the given changes (``a__b`` is the nested field a.b)."""
    doc = quick_input(f"{INCOMING_PREFIX}/synthetic-dogImages.zip")
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    out = workdir / f"input-{len(list(workdir.glob('input-*.json')))}.json"
    out.write_text(json.dumps(doc))
    return out


def history(server: LocalServerHandle, execution_arn: str) -> list[dict[str, Any]]:
    sfn = server.client("stepfunctions")
    return [e for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
            for e in page["events"]]


def latest_execution(server: LocalServerHandle) -> dict[str, Any]:
    sfn = server.client("stepfunctions")
    machine = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
                   if m["name"] == STATE_MACHINE_NAME)
    newest = sfn.list_executions(stateMachineArn=machine)["executions"][0]
    return sfn.describe_execution(executionArn=newest["executionArn"])


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def jpeg(color: tuple[int, int, int] = (120, 80, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buf, "JPEG")
    return buf.getvalue()


def test_default_run_succeeds_and_deploys(server: LocalServerHandle, workdir: Path) -> None:
    done = run_cli(workdir)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Pipeline SUCCEEDED" in done.stdout

    execution = latest_execution(server)
    assert execution["status"] == "SUCCEEDED"
    events = history(server, execution["executionArn"])
    states = entered(events)
    for state in ("StageData", "Tune", "Train", "QualityGate", "CreateModel", "CreateEndpointConfig",
                  "CreateEndpoint", "DescribeEndpoint", "RegisterScalableTarget", "PutScalingPolicy",
                  "SmokeTest", "Deployed"):
        assert state in states
    assert "CleanUp" not in states
    output = json.loads(execution["output"])
    assert output["endpoint_action"] == "create" and output["smoke_test"]["passed"] is True
    status = server.client("sagemaker").describe_endpoint(EndpointName=DEFAULT_ENDPOINT)
    assert status["EndpointStatus"] == "InService"
    targets = server.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert [t["ResourceId"] for t in targets["ScalableTargets"]] == [f"endpoint/{DEFAULT_ENDPOINT}/variant/AllTraffic"]

    # Diagnostics without Debugger: train.py's five verdicts reach the run's output through
    # the job's metric definitions, and the summary shows them.
    assert "Train" in states and "TrainWithDebugger" not in states
    job = output["training_job"]
    described = server.client("sagemaker").describe_training_job(TrainingJobName=job)
    assert not {"DebugHookConfig", "DebugRuleConfigurations", "ProfilerConfig"} & described.keys()
    assert sorted(output["rules"]) == sorted(RULES)
    assert all(values in ([0.0], [1.0]) for values in output["rules"].values()), output["rules"]
    checks = next(line for line in done.stdout.splitlines() if line.strip().startswith("checks (train.py):"))
    for rule, values in output["rules"].items():
        assert f"{rule}={'IssuesFound' if values[0] else 'NoIssuesFound'}" in checks
    assert "Debugger rules:" not in done.stdout

    # The artefacts a person opens, in the job's output data: the loss curve decodes, the
    # profile summary gives its verdict with the evidence.
    data = server.data_dir / "training-jobs" / job / "output" / "data"
    with Image.open(data / "loss-curve.png") as png:
        png.verify()
    profile = json.loads((data / "profile-summary.json").read_text())
    assert profile["verdict"] in ("input-bound", "compute-bound") and "waiting for data" in profile["evidence"]
    assert {r["rule"] for r in json.loads((data / "diagnostics.json").read_text())["rules"]} == set(RULES)
    # Every prefix of the run is in the local S3, as on AWS: the input, the staged dataset,
    # the model the endpoint serves.
    document = json.loads(execution["input"])
    assert all(document[k].startswith(f"s3://{LOCAL_BUCKET}/") for k in ("dataset_uri", "data_prefix",
                                                                         "output_prefix"))
    s3 = server.client("s3")
    bucket, _, key = output["model_data"].removeprefix("s3://").partition("/")
    assert bucket == LOCAL_BUCKET and s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    staged = s3.list_objects_v2(Bucket=LOCAL_BUCKET, Prefix=document["data_prefix"].split("/", 3)[3] + "/")
    assert any(o["Key"].endswith("manifest.json") for o in staged["Contents"])
    sagemaker = server.client("sagemaker")
    urls = [sagemaker.describe_model(ModelName=m["ModelName"])["PrimaryContainer"]["ModelDataUrl"]
            for m in sagemaker.list_models()["Models"]]
    assert output["model_data"] in urls  # the endpoint's model reads its data from S3

    # MLflow: the summary links the execution's run; the deployed version is the champion.
    assert output["model_registry"]["promoted"] is True
    assert f"MLflow run:           {server.mlflow_url}/#/experiments/" in done.stdout


def test_mlflow_ui_shows_the_run_its_trials_and_the_champion(server: LocalServerHandle) -> None:
    execution = latest_execution(server)
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    job, tuning = output["training_job"], output["tuning_job"]
    trials = [j["TrainingJobName"] for j in server.client("sagemaker").list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning)["TrainingJobSummaries"]]
    with browser_page() as page:
        page.goto(f"{server.mlflow_url}/#/models/dog-breed-classifier")
        version = page.locator("[role=row]", has_text=job).first  # the version this run registered
        version.wait_for()
        assert "champion" in version.inner_text()

        run_url = execution_run_url(server.mlflow_url, execution["executionArn"])
        assert run_url, "no MLflow run for the execution"
        page.goto(run_url.split("/runs/")[0] + "/runs")
        parent = page.locator("[role=row]", has_text=execution["name"]).first
        parent.wait_for()
        parent.locator("button").first.click()  # unfold the nested runs
        for name in [*trials, job]:
            page.get_by_text(name, exact=True).wait_for()


def test_invoke_lambda_answers_through_the_endpoint(server: LocalServerHandle) -> None:
    lam = server.client("lambda")
    event = {"body": json.dumps({"image": base64.b64encode(jpeg()).decode()}), "isBase64Encoded": False,
             "headers": {"Content-Type": "application/json"}, "requestContext": {"requestId": "r-1"}}
    answer = lam.invoke(FunctionName=function_name("invoke_endpoint"), Payload=json.dumps(event))
    assert "FunctionError" not in answer
    response = json.loads(answer["Payload"].read())
    assert response["statusCode"] == 200, response
    predictions = json.loads(response["body"])["predictions"]
    assert predictions[0]["label"].startswith("00")

    bad = dict(event, body="{not json")
    response = json.loads(lam.invoke(FunctionName=function_name("invoke_endpoint"),
                                     Payload=json.dumps(bad))["Payload"].read())
    assert response["statusCode"] == 400 and "not valid JSON" in json.loads(response["body"])["message"]


def test_second_run_updates_the_endpoint_without_failed_requests(server: LocalServerHandle, workdir: Path) -> None:
    runtime = server.client("sagemaker-runtime", retries={"mode": "standard", "max_attempts": 1})
    sagemaker = server.client("sagemaker")
    before = sagemaker.describe_endpoint(EndpointName=DEFAULT_ENDPOINT)["EndpointConfigName"]
    # Autoscaling took the variant to 2 instances (and may not scale in during the run).
    server.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=f"endpoint/{DEFAULT_ENDPOINT}/variant/AllTraffic",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", SuspendedState={"DynamicScalingInSuspended": True})
    sagemaker.update_endpoint_weights_and_capacities(EndpointName=DEFAULT_ENDPOINT, DesiredWeightsAndCapacities=[
        {"VariantName": "AllTraffic", "DesiredInstanceCount": 2}])
    deadline = time.monotonic() + 120
    while sagemaker.describe_endpoint(EndpointName=DEFAULT_ENDPOINT)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, "the endpoint did not scale to 2 instances"
        time.sleep(0.2)
    stop, results = threading.Event(), {"ok": 0, "failed": []}

    def invoke_until_stopped() -> None:
        body = jpeg((30, 160, 90))
        while not stop.is_set():
            try:
                runtime.invoke_endpoint(EndpointName=DEFAULT_ENDPOINT, Body=body, ContentType="image/jpeg")
                results["ok"] += 1
            except ClientError as err:
                results["failed"].append(str(err))
            time.sleep(0.05)

    client = threading.Thread(target=invoke_until_stopped, daemon=True)
    client.start()
    try:
        done = run_cli(workdir, "--input", str(cheap_input(workdir)), "--schedule", "rate(1 day)")
    finally:
        stop.set()
        client.join(timeout=60)
    assert done.returncode == 0, done.stdout[-3000:]
    execution = latest_execution(server)
    states = entered(history(server, execution["executionArn"]))
    assert "UpdateEndpoint" in states and "CreateEndpoint" not in states
    after = sagemaker.describe_endpoint(EndpointName=DEFAULT_ENDPOINT)
    assert after["EndpointStatus"] == "InService" and after["EndpointConfigName"] != before
    assert results["failed"] == [] and results["ok"] > 10
    # The retrain kept the capacity autoscaling reached instead of the config's InitialInstanceCount.
    (variant,) = after["ProductionVariants"]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 2)

    # --schedule left a local schedule that retrains on this run's input, against the serving
    # endpoint, a day from now (this run has just trained).
    assert "retraining schedule:" in done.stdout
    schedules = server.client("scheduler").list_schedules()["Schedules"]
    assert len(schedules) == 1 and schedules[0]["Target"]["Arn"] == execution["stateMachineArn"]
    schedule = server.client("scheduler").get_schedule(Name=schedules[0]["Name"])
    stored = json.loads(schedule["Target"]["Input"])
    assert stored.pop("schedule") == {"schedule_arn": "<aws.scheduler.schedule-arn>",
                                      "scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert stored == json.loads(execution["input"]) and stored["endpoint_name"] == DEFAULT_ENDPOINT
    assert timedelta(hours=23) < schedule["StartDate"] - execution["startDate"] < timedelta(hours=25)


def test_the_debugger_option_runs_the_debugger_variant(server: LocalServerHandle, workdir: Path) -> None:
    done = run_cli(workdir, "--input", str(cheap_input(workdir, diagnostics={"sagemaker_debugger": True})))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    execution = latest_execution(server)
    assert "TrainWithDebugger" in entered(history(server, execution["executionArn"]))
    job = json.loads(execution["output"])["training_job"]
    described = server.client("sagemaker").describe_training_job(TrainingJobName=job)
    assert described["DebugHookConfig"] and described["ProfilerConfig"]
    # As before the built-in checks: the summary waits for the five rules' final statuses.
    debugger = next(line for line in done.stdout.splitlines() if line.strip().startswith("Debugger rules:"))
    for rule in RULES:
        assert f"{rule}=IssuesFound" in debugger or f"{rule}=NoIssuesFound" in debugger
    assert "checks (train.py):" in done.stdout
    rule_output = server.data_dir / "training-jobs" / job / "rule-output"
    with Image.open(rule_output / "loss-curve.png") as png:
        png.verify()
    report = (rule_output / "ProfilerReport" / "profiler-output" / "profiler-report.html").read_text()
    parser = HTMLParser()
    parser.feed(report)
    assert "<html" in report.lower() and job in report


def test_quality_gate_not_met_deploys_nothing(server: LocalServerHandle, workdir: Path) -> None:
    serving = server.client("sagemaker").describe_endpoint(EndpointName=DEFAULT_ENDPOINT)["EndpointConfigName"]
    path = cheap_input(workdir, quality_threshold=1.0, training__hyperparameters__epochs="1",
                       tuning__ranges={"ContinuousParameterRanges": [
                           {"Name": "lr", "MinValue": "0.0000001", "MaxValue": "0.0000002"}]})
    done = run_cli(workdir, "--input", str(path))
    assert done.returncode == 1
    assert "QualityGateNotMet" in done.stdout and "below the quality threshold 1" in done.stdout
    execution = latest_execution(server)
    assert execution["status"] == "FAILED" and execution["error"] == "QualityGateNotMet"
    assert "CreateModel" not in entered(history(server, execution["executionArn"]))
    assert server.client("sagemaker").describe_endpoint(EndpointName=DEFAULT_ENDPOINT)["EndpointConfigName"] == serving


def test_failed_smoke_test_removes_the_new_endpoint(server: LocalServerHandle, workdir: Path) -> None:
    path = cheap_input(workdir, endpoint_name="dog-breed-pipeline-canary", smoke_test__max_latency_ms=0.001)
    done = run_cli(workdir, "--input", str(path))
    assert done.returncode == 1
    assert "SmokeTestFailed" in done.stdout and "state SmokeTest failed" in done.stdout
    states = entered(history(server, latest_execution(server)["executionArn"]))
    # The config and model go only once the endpoint is gone (SageMaker must not delete what it uses).
    assert states[-3:] == ["DeleteEndpointConfig", "DeleteModel", "PipelineFailed"]
    assert states.index("DeleteEndpoint") < states.index("MarkEndpointDeleting") < states.index("DeleteEndpointConfig")
    sagemaker = server.client("sagemaker")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        names = [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
        if "dog-breed-pipeline-canary" not in names:
            break
        time.sleep(0.5)
    assert names == [DEFAULT_ENDPOINT]  # the canary is gone, the serving endpoint untouched


def test_training_crash_is_caught_and_cleaned_up(server: LocalServerHandle, workdir: Path) -> None:
    path = cheap_input(workdir, training__hyperparameters__arch="resnet999")
    done = run_cli(workdir, "--input", str(path))
    assert done.returncode == 1
    execution = latest_execution(server)
    assert execution["status"] == "FAILED"
    # A failed .sync job fails the task with States.TaskFailed and its Describe output as the cause.
    assert execution["error"] == "States.TaskFailed"
    assert json.loads(execution["cause"])["HyperParameterTuningJobStatus"] == "Failed"
    assert "resnet999" in done.stdout  # the summary shows the job's failure reason
    states = entered(history(server, execution["executionArn"]))
    assert "CleanUp" in states and "Train" not in states and states[-1] == "PipelineFailed"
    assert "state Tune failed" in done.stdout


def test_a_retrain_whose_model_cannot_serve_fails_and_the_old_model_keeps_serving(
        server: LocalServerHandle, workdir: Path, tmp_path: Path) -> None:
    # The training code of this retrain ships an inference.py whose import fails in the container.
    source = tmp_path / "training_src"
    shutil.copytree(TRAINING_SRC, source, ignore=shutil.ignore_patterns("__pycache__"))
    program = source / "inference.py"
    future = "from __future__ import annotations\n"
    program.write_text(program.read_text().replace(future, future + "import serving_library_that_is_not_installed\n", 1))
    sourcedir = upload_code(server.client("s3"), sourcedir_tarball(tmp_path / "build", source))
    sfn, sagemaker = server.client("stepfunctions"), server.client("sagemaker")
    pipeline = sfn.describe_state_machine(stateMachineArn=next(
        m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == STATE_MACHINE_NAME))
    broken = json.loads(pipeline["definition"])
    broken["States"]["Prepare"]["Parameters"]["entry_point"]["sagemaker_submit_directory"] = sourcedir
    machine = sfn.create_state_machine(name="dog-breed-pipeline-broken-serving", roleArn=pipeline["roleArn"],
                                       definition=json.dumps(broken))["stateMachineArn"]
    serving = sagemaker.describe_endpoint(EndpointName=DEFAULT_ENDPOINT)["EndpointConfigName"]
    configs = {c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]}

    arn = sfn.start_execution(stateMachineArn=machine, input=cheap_input(workdir).read_text())["executionArn"]
    deadline = time.monotonic() + RUN_TIMEOUT
    while (execution := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the run did not end"
        time.sleep(1)
    assert (execution["status"], execution["error"]) == ("FAILED", "EndpointUpdateFailed")
    assert "No module named 'serving_library_that_is_not_installed'" in execution["cause"]
    states = entered(history(server, arn))
    assert "SmokeTest" not in states and "RollBackEndpoint" not in states  # SageMaker rolled it back itself
    after = sagemaker.describe_endpoint(EndpointName=DEFAULT_ENDPOINT)
    assert (after["EndpointStatus"], after["EndpointConfigName"]) == ("InService", serving)
    body = server.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=DEFAULT_ENDPOINT, Body=jpeg(), ContentType="image/jpeg")["Body"].read()
    assert json.loads(body)["predictions"]
    # The run's own config and model are gone again.
    assert {c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]} == configs


def test_a_bad_input_stops_the_server_the_run_started(tmp_path: Path) -> None:
    # `run` starts the server before it reads the input (their start-ups overlap); a run
    # that ends on bad input must not leave a server behind that it started.
    document = quick_input(f"{INCOMING_PREFIX}/data.zip")
    document["tuning"]["max_jobs"] = "two"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    done = subprocess.run([sys.executable, str(ROOT / "deploy_workflow.py"), "run", "--work-dir", str(tmp_path),
                           "--input", str(bad), "--port", "0"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert "ValidationException" in done.stderr and "tuning.max_jobs" in done.stderr
    assert "starting the local server" in done.stdout
    assert lifecycle.read_state(tmp_path / "server") is None
