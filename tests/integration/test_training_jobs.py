"""Training jobs through boto3 against the real local server: real scripts, real processes."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import textwrap
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.integration.s3_helpers import Staging
from workflow.synthetic import generate_dataset

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/local"
METRICS = json.loads((ROOT / "training_src" / "metric_definitions.json").read_text())
TERMINAL = ("Completed", "Failed", "Stopped")

SCRIPT = textwrap.dedent('''
    import argparse, os, subprocess, sys, time
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="ok")
    p.add_argument("--seconds", type=float, default=0)
    args, _ = p.parse_known_args()
    out = os.environ["SM_OUTPUT_DATA_DIR"]
    os.makedirs(out, exist_ok=True)
    print("channels", os.environ["SM_CHANNELS"], flush=True)
    if args.mode == "crash":
        raise ValueError("the answer is not 42")
    if args.mode == "failure-file":
        open(os.path.join(os.environ["SM_OUTPUT_DIR"], "failure"), "w").write("bad input shape")
        sys.exit(3)
    if args.mode == "checkpoint":
        ckpt = os.environ["SM_CHECKPOINT_DIR"]
        print("found", sorted(os.listdir(ckpt)), flush=True)
        open(os.path.join(ckpt, "epoch-2.pt"), "w").write("new")
    if args.mode == "nap":  # long enough for the profiler to sample it
        time.sleep(1.5)
    if args.mode == "sleep":
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open(os.path.join(os.environ["SM_MODEL_DIR"], "partial.txt"), "w").write("partial")
        open(os.path.join(out, "child.pid"), "w").write(str(child.pid))
        print("epoch=0 train_loss=0.9000", flush=True)
        time.sleep(args.seconds)
''')


def wait_for_rules(client, name: str, timeout: float = 120) -> dict:
    """The job once every rule has finished: rules go on after the job completes, as on AWS."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.describe_training_job(TrainingJobName=name)
        statuses = job.get("DebugRuleEvaluationStatuses", []) + job.get("ProfilerRuleEvaluationStatuses", [])
        if job["TrainingJobStatus"] in TERMINAL and all(
                s["RuleEvaluationStatus"] != "InProgress" for s in statuses):
            return job
        time.sleep(0.25)
    raise AssertionError(f"{name}: rules still InProgress after {timeout} s")


def wait_for(client, name: str, statuses=TERMINAL, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] in statuses:
            return job
        time.sleep(0.25)
    raise AssertionError(f"{name} still {job['TrainingJobStatus']} after {timeout} s")


def source_tar(folder: Path, files: dict[str, str]) -> Path:
    archive = folder / "sourcedir.tar.gz"
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def job_request(name: str, staging: Staging, source: Path | str, hps: dict[str, str], *, program="entry.py",
                channels: dict[str, Path] | None = None, max_runtime: int = 120) -> dict:
    """A CreateTrainingJob request whose source and channels are uploaded to the local S3."""
    uris = ({c: staging.upload(p) for c, p in channels.items()} if channels is not None
            else {"train": staging.sample_data()})
    source_uri = source if isinstance(source, str) else staging.upload(source)
    return {
        "TrainingJobName": name, "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "local-pytorch", "TrainingInputMode": "File",
                                   "MetricDefinitions": METRICS},
        "HyperParameters": {"sagemaker_program": json.dumps(program),
                            "sagemaker_submit_directory": json.dumps(source_uri), **hps},
        "InputDataConfig": [{"ChannelName": c, "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": uri}}} for c, uri in uris.items()],
        "OutputDataConfig": {"S3OutputPath": staging.prefix("artifacts")},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }


@pytest.fixture(scope="module")
def server(module_local_server):
    return module_local_server


@pytest.fixture
def sm(server):
    return server.client("sagemaker")


@pytest.fixture
def staging(server, tmp_path) -> Staging:
    return Staging(server.endpoint_url, tmp_path)


@pytest.fixture
def script(tmp_path) -> Path:
    return source_tar(tmp_path / "src", {"entry.py": SCRIPT})


def test_train_py_job_on_synthetic_data_completes_with_metrics_and_model(server, sm, tmp_path, staging):
    dataset = tmp_path / "dogs"
    generate_dataset(dataset, num_classes=3, train_per_class=6, valid_per_class=2,
                     test_per_class=2, image_size=32, seed=1)
    with tarfile.open(tmp_path / "sourcedir.tar.gz", "w:gz") as tar:
        for path in (ROOT / "training_src").glob("*.py"):
            tar.add(path, arcname=path.name)
    request = job_request("train-py-job", staging, tmp_path / "sourcedir.tar.gz", {
        "epochs": "2", "image-size": "32", "batch-size": "8", "num-workers": "0",
        "pretrained": "false", "arch": '"resnet18"', "lr": "0.003", "profile": "true"},
        program="train.py", channels={"training": dataset}, max_runtime=300)
    request["DebugHookConfig"] = {"S3OutputPath": staging.prefix("debug"),
                                  "CollectionConfigurations": [
        {"CollectionName": "losses", "CollectionParameters": {"save_interval": "1"}}]}
    request["DebugRuleConfigurations"] = [
        {"RuleConfigurationName": name, "RuleEvaluatorImage": "local",
         "RuleParameters": {"rule_to_invoke": name}} for name in ("LossNotDecreasing", "Overfit")]
    request["ProfilerConfig"] = {"ProfilingIntervalInMilliseconds": 200}
    request["ProfilerRuleConfigurations"] = [{"RuleConfigurationName": "ProfilerReport",
                                              "RuleEvaluatorImage": "local"}]
    sm.create_training_job(**request)
    job = wait_for(sm, "train-py-job", timeout=300)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    job = wait_for_rules(sm, "train-py-job")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert {"train:loss", "valid:loss", "valid:accuracy", "test:accuracy"} <= set(metrics)
    assert 0.0 <= metrics["test:accuracy"] <= 1.0
    output = request["OutputDataConfig"]["S3OutputPath"]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"{output}/train-py-job/output/model.tar.gz"
    with tarfile.open(staging.download(job["ModelArtifacts"]["S3ModelArtifacts"])) as tar:
        names = tar.getnames()
    assert names, "model.tar.gz is empty"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert job["TrainingEndTime"] >= job["TrainingStartTime"] >= job["CreationTime"]
    assert job["BillableTimeInSeconds"] >= 1
    statuses = {s["RuleConfigurationName"]: s["RuleEvaluationStatus"]
                for s in job["DebugRuleEvaluationStatuses"]}
    assert set(statuses) == {"LossNotDecreasing", "Overfit"}
    assert set(statuses.values()) <= {"IssuesFound", "NoIssuesFound"}, job["DebugRuleEvaluationStatuses"]
    rule_output = f"{output}/train-py-job/rule-output"
    assert staging.read(f"{rule_output}/loss-curve.png").startswith(b"\x89PNG")
    report = staging.read(f"{rule_output}/ProfilerReport/profiler-output/profiler-report.html").decode()
    assert "Training step time" in report and "Waiting for data" in report
    assert report.count("data:image/png;base64,") == 2  # step time and system charts
    tensors = staging.keys(f"{request['DebugHookConfig']['S3OutputPath']}/train-py-job/debug-output")
    assert any(k.startswith("events/") for k in tensors)  # the hook's tensors, in S3 as on AWS
    logs = subprocess.run([sys.executable, str(ROOT / "deploy_workflow.py"), "logs", "train-py-job",
                           "--data-dir", str(server.data_dir)], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "test_accuracy=" in logs.stdout


def test_crashing_job_fails_with_the_error_from_its_log(sm, staging, script):
    sm.create_training_job(**job_request("crash-job", staging, script, {"mode": "crash"}))
    job = wait_for(sm, "crash-job")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["SecondaryStatus"] == "Failed"
    assert "ExitCode 1" in job["FailureReason"]
    assert "ValueError: the answer is not 42" in job["FailureReason"]
    assert "ModelArtifacts" not in job  # as on AWS, a failed job has no model


def test_a_completed_job_stays_completed_when_its_rule_results_cannot_be_published(sm, staging, script):
    """The rules' results are uploaded after the job is Completed (they run beside it on
    AWS); when that fails, the job stays Completed and its rules say why."""
    request = job_request("late-failure-job", staging, script, {"mode": '"nap"'})
    request["ProfilerConfig"] = {"S3OutputPath": "s3://no-such-profiler-bucket/profiles",
                                 "ProfilingIntervalInMilliseconds": 100}
    request["ProfilerRuleConfigurations"] = [{"RuleConfigurationName": "ProfilerReport",
                                              "RuleEvaluatorImage": "local"}]
    sm.create_training_job(**request)
    job = wait_for_rules(sm, "late-failure-job", timeout=180)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["SecondaryStatus"] == "Completed" and "FailureReason" not in job
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]][-1] == "Completed"
    (rule,) = job["ProfilerRuleEvaluationStatuses"]
    assert rule["RuleEvaluationStatus"] == "Error"
    assert "NoSuchBucket" in rule["StatusDetails"], rule


def test_failure_file_is_the_failure_reason(sm, staging, script):
    sm.create_training_job(**job_request("failure-file-job", staging, script,
                                         {"mode": '"failure-file"'}))
    job = wait_for(sm, "failure-file-job")
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == "AlgorithmError: bad input shape"


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def _child_pid(server, name: str, timeout: float = 60) -> int:
    path = server.data_dir / "training-jobs" / name / "output" / "data" / "child.pid"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def test_job_past_max_runtime_is_stopped_with_its_whole_process_tree(server, sm, staging, script):
    sm.create_training_job(**job_request("slow-job", staging, script,
                                         {"mode": '"sleep"', "seconds": "300"}, max_runtime=3))
    child = _child_pid(server, "slow-job")
    job = wait_for(sm, "slow-job", timeout=60)
    assert job["TrainingJobStatus"] == "Stopped"
    assert job["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert "MaxRuntimeInSeconds" in job["FailureReason"]
    assert {m["MetricName"] for m in job["FinalMetricDataList"]} == {"epoch", "train:loss"}
    assert _gone(child), "the script's child process survived the stop"


def test_stopped_job_ends_stopped_and_keeps_its_model(server, sm, staging, script):
    request = job_request("stop-job", staging, script, {"mode": '"sleep"', "seconds": "300"})
    sm.create_training_job(**request)
    child = _child_pid(server, "stop-job")
    follow = subprocess.Popen([sys.executable, str(ROOT / "deploy_workflow.py"), "logs", "stop-job",
                               "--follow", "--data-dir", str(server.data_dir)],
                              stdout=subprocess.PIPE, text=True)
    sm.stop_training_job(TrainingJobName="stop-job")
    assert sm.describe_training_job(TrainingJobName="stop-job")["TrainingJobStatus"] in (
        "Stopping", "Stopped")
    job = wait_for(sm, "stop-job", timeout=60)
    assert job["TrainingJobStatus"] == "Stopped"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]][-2:] == ["Stopping", "Stopped"]
    assert _gone(child)
    printed, _ = follow.communicate(timeout=30)  # --follow returns once the job has ended
    assert "channels" in printed and "epoch=0 train_loss=0.9000" in printed
    model = f"{request['OutputDataConfig']['S3OutputPath']}/stop-job/output/model.tar.gz"
    with tarfile.open(staging.download(model)) as tar:
        assert tar.getnames() == ["partial.txt"]
    with pytest.raises(sm.exceptions.ClientError, match="ValidationException"):
        sm.stop_training_job(TrainingJobName="stop-job")


def test_checkpoints_are_restored_before_and_synced_after_the_job(server, sm, tmp_path, staging, script):
    saved = tmp_path / "checkpoints"
    saved.mkdir()
    (saved / "epoch-1.pt").write_text("old")
    uri = staging.upload(saved)
    request = job_request("ckpt-job", staging, script, {"mode": '"checkpoint"'})
    request["CheckpointConfig"] = {"S3Uri": uri}
    sm.create_training_job(**request)
    job = wait_for(sm, "ckpt-job")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["CheckpointConfig"]["S3Uri"] == uri
    log = (server.data_dir / "training-jobs" / "ckpt-job" / "training.log").read_text()
    assert "found ['epoch-1.pt']" in log
    assert staging.keys(uri) == ["epoch-1.pt", "epoch-2.pt"]


def test_bad_requests_get_aws_errors_and_keep_existing_jobs(sm, tmp_path, staging, script):
    request = job_request("dup-job", staging, script, {})
    sm.create_training_job(**request)
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.create_training_job(**request)
    local = job_request("local-path-job", staging, script, {})
    local["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = (tmp_path / "data").as_uri()
    with pytest.raises(sm.exceptions.ClientError, match="regular expression pattern") as err:
        sm.create_training_job(**local)  # a folder is no S3 URI, here as on AWS
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert "InputDataConfig.1.DataSource.S3DataSource.S3Uri" in str(err.value)
    missing = job_request("missing-data-job", staging, script, {})
    missing["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = staging.prefix("nothing-here")
    sm.create_training_job(**missing)  # accepted: the data is read when the job starts
    failed = wait_for(sm, "missing-data-job")
    assert failed["TrainingJobStatus"] == "Failed" and "ClientError: Data download failed" in failed["FailureReason"]
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_training_job(TrainingJobName="no-such-job")
    assert wait_for(sm, "dup-job")["TrainingJobStatus"] == "Completed"
    names = [j["TrainingJobName"] for j in sm.list_training_jobs(NameContains="dup-",
                                                                 MaxResults=100)["TrainingJobSummaries"]]
    assert names == ["dup-job"]


def test_archive_escaping_the_job_directory_fails_the_job(sm, tmp_path, staging):
    source = source_tar(tmp_path / "evil", {"entry.py": "print('hi')", "../../escaped.py": "x"})
    sm.create_training_job(**job_request("evil-job", staging, source, {}))
    job = wait_for(sm, "evil-job")
    assert job["TrainingJobStatus"] == "Failed"
    assert "unsafe member" in job["FailureReason"]
    assert not list(tmp_path.parent.rglob("escaped.py"))


def test_list_sorts_filters_and_pages(sm, staging, script):
    for name in ("list-b", "list-a", "list-c"):
        sm.create_training_job(**job_request(name, staging, script, {}))
    for name in ("list-b", "list-a", "list-c"):
        wait_for(sm, name)
    first = sm.list_training_jobs(NameContains="list-", SortBy="Name", SortOrder="Ascending",
                                  MaxResults=2)
    assert [j["TrainingJobName"] for j in first["TrainingJobSummaries"]] == ["list-a", "list-b"]
    rest = sm.list_training_jobs(NameContains="list-", SortBy="Name", SortOrder="Ascending",
                                 MaxResults=2, NextToken=first["NextToken"])
    assert [j["TrainingJobName"] for j in rest["TrainingJobSummaries"]] == ["list-c"]
    assert "NextToken" not in rest
    failed = sm.list_training_jobs(NameContains="list-", StatusEquals="Failed")
    assert failed["TrainingJobSummaries"] == []


def test_the_console_links_a_jobs_s3_artifacts_for_download(server, sm, staging, script):
    request = job_request("console-artifacts-job", staging, script, {})
    sm.create_training_job(**request)
    job = wait_for(sm, "console-artifacts-job")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    with urllib.request.urlopen(f"{server.endpoint_url}/console/jobs/console-artifacts-job/artifacts") as answer:
        listed = json.load(answer)
    [prefix] = listed["prefixes"]
    assert prefix["uri"] == f"{request['OutputDataConfig']['S3OutputPath']}/console-artifacts-job/"
    by_key = {o["key"]: o for o in prefix["objects"]}
    assert "output/model.tar.gz" in by_key
    with urllib.request.urlopen(by_key["output/model.tar.gz"]["url"]) as download:  # presigned GET
        assert download.headers["Content-Disposition"] == 'attachment; filename="model.tar.gz"'
        assert download.read() == staging.read(job["ModelArtifacts"]["S3ModelArtifacts"])
