"""Debugger rules on real smdebug tensors: a job built to have vanishing gradients and a flat
loss is flagged, a healthy one is not; the loss curve, rule summary and profiler report exist."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.integration.conftest import start_local_server
from tests.integration.s3_helpers import Staging
from tests.integration.test_training_jobs import job_request, source_tar, wait_for_rules

SCRIPT = '''
import argparse, os
import torch, torch.nn as nn
import smdebug.pytorch as smd

p = argparse.ArgumentParser()
p.add_argument("--broken", default="false")
broken = str(p.parse_known_args()[0].broken).lower() == "true"
torch.manual_seed(0)
x = torch.randn(320, 16)
y = x[:, :3].argmax(dim=1)  # three balanced classes
if broken:
    # Ten sigmoid layers with tiny weights: the first layers' gradients vanish and the output
    # layer sees a constant input, so the loss stays at log(3).
    layers = []
    for _ in range(10):
        linear = nn.Linear(16, 16)
        nn.init.normal_(linear.weight, std=0.01)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
else:
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
loss_fn = nn.CrossEntropyLoss()
hook = smd.Hook.create_from_json_file()
hook.register_module(model)
hook.register_loss(loss_fn)
for epoch in range(2):
    hook.set_mode(smd.modes.TRAIN)
    for i in range(0, 256, 16):
        opt.zero_grad()
        loss = loss_fn(model(x[i:i + 16]), y[i:i + 16])
        loss.backward()
        opt.step()
    hook.set_mode(smd.modes.EVAL)
    with torch.no_grad():
        for i in range(256, 320, 16):
            valid = loss_fn(model(x[i:i + 16]), y[i:i + 16])
    print(f"epoch={epoch} train_loss={loss.item():.4f} valid_loss={valid.item():.4f}", flush=True)
'''

RULES = [
    {"RuleConfigurationName": "VanishingGradient", "RuleEvaluatorImage": "local",
     "RuleParameters": {"rule_to_invoke": "VanishingGradient"}},
    {"RuleConfigurationName": "LossNotDecreasing", "RuleEvaluatorImage": "local",
     "RuleParameters": {"rule_to_invoke": "LossNotDecreasing", "mode": "TRAIN"}},
]


def _wait(sm, names: list[str], timeout: float = 300) -> dict[str, dict]:
    deadline, done = time.monotonic() + timeout, {}
    while len(done) < len(names) and time.monotonic() < deadline:
        for name in set(names) - set(done):
            job = sm.describe_training_job(TrainingJobName=name)
            if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
                done[name] = wait_for_rules(sm, name)
        time.sleep(0.5)
    assert len(done) == len(names), f"jobs still running after {timeout} s"
    return done


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("debugger")
    source = source_tar(tmp / "src", {"entry.py": SCRIPT})
    server = start_local_server(tmp / "server")
    try:
        sm = server.client("sagemaker")
        staging = Staging(server.endpoint_url, tmp)
        output, debug = staging.prefix("artifacts"), staging.prefix("debug")
        for name, broken in (("healthy-job", "false"), ("broken-job", "true")):
            request = job_request(name, staging, source, {"broken": broken})
            request["OutputDataConfig"]["S3OutputPath"] = output
            request["DebugHookConfig"] = {
                "S3OutputPath": debug,
                "CollectionConfigurations": [
                    {"CollectionName": "losses", "CollectionParameters": {"save_interval": "1"}},
                    {"CollectionName": "gradients", "CollectionParameters": {"save_interval": "1"}}]}
            request["DebugRuleConfigurations"] = RULES
            request["ProfilerConfig"] = {"ProfilingIntervalInMilliseconds": 100}
            request["ProfilerRuleConfigurations"] = [{
                "RuleConfigurationName": "ProfilerReport", "RuleEvaluatorImage": "local",
                "RuleParameters": {"rule_to_invoke": "ProfilerReport"}}]
            sm.create_training_job(**request)
        yield (staging, output, debug), _wait(sm, ["healthy-job", "broken-job"])
    finally:
        server.stop()


def _statuses(job: dict) -> dict[str, str]:
    return {s["RuleConfigurationName"]: s["RuleEvaluationStatus"]
            for s in job["DebugRuleEvaluationStatuses"]}


def test_broken_job_is_flagged_by_both_rules(jobs):
    _, done = jobs
    job = done["broken-job"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert _statuses(job) == {"VanishingGradient": "IssuesFound", "LossNotDecreasing": "IssuesFound"}
    details = {s["RuleConfigurationName"]: s["StatusDetails"] for s in job["DebugRuleEvaluationStatuses"]}
    assert "below threshold 1e-07" in details["VanishingGradient"]


def test_healthy_job_passes_both_rules(jobs):
    _, done = jobs
    job = done["healthy-job"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert _statuses(job) == {"VanishingGradient": "NoIssuesFound",
                              "LossNotDecreasing": "NoIssuesFound"}


def test_artefacts_are_published_in_the_job_output(jobs):
    (staging, output, debug), done = jobs
    job_dir = f"{output}/broken-job"
    png = staging.read(f"{job_dir}/rule-output/loss-curve.png")
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    summary = json.loads(staging.read(f"{job_dir}/rule-output/rule-summary.json"))
    assert {r["Rule"]: r["RuleEvaluationStatus"] for r in summary["rules"]} == _statuses(
        done["broken-job"])
    assert summary["rules"][0]["Parameters"]["threshold"] == 1e-7
    report = staging.read(f"{job_dir}/rule-output/ProfilerReport/profiler-output/profiler-report.html").decode()
    assert "broken-job" in report and "data:image/png;base64," in report
    samples = staging.read(f"{job_dir}/profiler-output/system.jsonl").decode().splitlines()
    assert samples and json.loads(samples[0])["rss_bytes"] > 0
    assert done["broken-job"]["ProfilingStatus"] == "Enabled"
    assert done["broken-job"]["ProfilerRuleEvaluationStatuses"][0]["RuleEvaluationStatus"] == "NoIssuesFound"
    assert [k for k in staging.keys(f"{debug}/broken-job/debug-output") if k.startswith("events/")]


def test_a_rule_job_that_crashes_leaves_every_rule_in_error(tmp_path: Path) -> None:
    from datetime import datetime

    from workflow.local.sagemaker.debugger.rule_job import RuleJob
    from workflow.local.sagemaker.training.layout import JobPaths

    # The server validates rule names at CreateTrainingJob; one that slips through crashes the job.
    request = {"DebugRuleConfigurations": [{"RuleConfigurationName": "Mystery", "RuleEvaluatorImage": "local",
                                            "RuleParameters": {"rule_to_invoke": "NoSuchRule"}}]}
    fields = RuleJob(request, JobPaths(tmp_path / "job"), "job").results()
    [status] = fields["DebugRuleEvaluationStatuses"]
    assert status["RuleEvaluationStatus"] == "Error"
    assert status["StatusDetails"].startswith("The rule evaluation failed: KeyError")
    assert isinstance(status["LastModifiedTime"], datetime)


def test_a_running_jobs_newest_step_is_left_for_later(jobs) -> None:
    from workflow.local.sagemaker.debugger.trial import TrialData

    (staging, _, _), _ = jobs
    path = str(staging.tmp / "server" / "training-jobs" / "broken-job" / "debug-output")
    whole, partial = TrialData(path), TrialData(path, complete_only=True)
    [loss] = whole.names(collection="losses")
    # The script's last step is its last validation batch.
    assert partial.steps(loss, "TRAIN") == whole.steps(loss, "TRAIN")
    assert partial.steps(loss, "EVAL") == whole.steps(loss, "EVAL")[:-1]


def test_what_the_rules_compute_during_training_gives_the_final_verdicts(jobs, tmp_path: Path) -> None:
    import shutil

    from workflow.local.sagemaker.debugger.evaluation import evaluate_rules, precompute
    from workflow.local.sagemaker.training.layout import JobPaths

    (staging, _, _), _ = jobs
    paths = JobPaths(tmp_path / "broken-job")
    shutil.copytree(staging.tmp / "server" / "training-jobs" / "broken-job" / "debug-output", paths.debug_output)
    request = {"DebugRuleConfigurations": RULES}
    memo: dict = {}
    precompute(request, paths, memo)
    assert any(key[0] == "mean_abs" for key in memo), "nothing was computed ahead"

    def verdicts(fields: dict) -> list[tuple[str, str, str]]:
        return [(s["RuleConfigurationName"], s["RuleEvaluationStatus"], s["StatusDetails"])
                for s in fields["DebugRuleEvaluationStatuses"]]

    assert verdicts(evaluate_rules(request, paths, memo)) == verdicts(evaluate_rules(request, paths))
