"""Hyperparameter tuning jobs through boto3: real parallel child training jobs, a real best."""
from __future__ import annotations

import math
import os
import re
import time

import pytest

from tests.integration.s3_helpers import Staging
from tests.integration.test_training_jobs import job_request, source_tar

# The objective is a known function of the hyperparameters, so the best job can be checked.
SCRIPT = '''
import argparse, math, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--layers", type=int)
p.add_argument("--optimizer")
p.add_argument("--epochs", type=int)
p.add_argument("--seconds", type=float, default=0.5)
a, _ = p.parse_known_args()
final = (math.log10(a.lr) + 2) ** 2 + 0.1 * a.layers + (0.0 if a.optimizer == "adam" else 0.5)
for epoch in range(a.epochs):
    time.sleep(a.seconds)
    print(f"epoch={epoch} valid_loss={final + 1.0 / (epoch + 1):.6f}", flush=True)
'''
METRICS = [{"Name": "valid:loss", "Regex": r"valid_loss=([0-9.]+)"}]


def tuning_request(name: str, staging: Staging, *, max_jobs=4, parallel=2, seconds="0.5", strategy="Bayesian"):
    source = source_tar(staging.tmp / "src", {"entry.py": SCRIPT})
    training = job_request("unused", staging, source, {"epochs": "2", "seconds": seconds})
    training["AlgorithmSpecification"]["MetricDefinitions"] = METRICS
    definition = {k: training[k] for k in ("AlgorithmSpecification", "RoleArn", "InputDataConfig",
                                           "OutputDataConfig", "ResourceConfig", "StoppingCondition")}
    definition["StaticHyperParameters"] = training["HyperParameters"]
    ranges = {"ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.0001", "MaxValue": "0.1",
                                             "ScalingType": "Logarithmic"}],
              "IntegerParameterRanges": [{"Name": "layers", "MinValue": "1", "MaxValue": "4",
                                          "ScalingType": "Linear"}],
              "CategoricalParameterRanges": [{"Name": "optimizer", "Values": ["adam", "sgd"]}]}
    if strategy == "Grid":
        ranges = {"CategoricalParameterRanges": [{"Name": "optimizer", "Values": ["adam", "sgd"]},
                                                 {"Name": "layers", "Values": ["1", "3"]}]}
        definition["StaticHyperParameters"]["lr"] = "0.01"
    return {"HyperParameterTuningJobName": name, "TrainingJobDefinition": definition,
            "HyperParameterTuningJobConfig": {
                "Strategy": strategy, "RandomSeed": 7,
                "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "valid:loss"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs,
                                   "MaxParallelTrainingJobs": parallel},
                "ParameterRanges": ranges, "TrainingJobEarlyStoppingType": "Off"}}


def wait_tuning(sm, name: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if job["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"{name} still running after {timeout} s")


@pytest.fixture(scope="module")
def server(module_local_server):
    return module_local_server


@pytest.fixture
def staging(server, tmp_path) -> Staging:
    return Staging(server.endpoint_url, tmp_path)


@pytest.fixture
def sm(server):
    return server.client("sagemaker")


def test_four_jobs_two_in_parallel_and_the_best_is_really_best(sm, tmp_path, staging):
    sm.create_hyper_parameter_tuning_job(**tuning_request("tune-job", staging))
    tuning = wait_tuning(sm, "tune-job")
    assert tuning["HyperParameterTuningJobStatus"] == "Completed", tuning.get("FailureReason")
    assert tuning["TrainingJobStatusCounters"]["Completed"] == 4
    assert tuning["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    children = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="tune-job", MaxResults=100)["TrainingJobSummaries"]
    assert len(children) == 4
    jobs = [sm.describe_training_job(TrainingJobName=c["TrainingJobName"]) for c in children]
    for job in jobs:
        assert re.fullmatch(r"tune-job-\d{3}-[0-9a-f]{8}", job["TrainingJobName"])
        assert job["TuningJobArn"] == tuning["HyperParameterTuningJobArn"]
        hps = job["HyperParameters"]
        assert hps["epochs"] == "2" and "sagemaker_program" in hps  # static ones merged
        assert 1e-4 <= float(hps["lr"]) <= 0.1 and hps["optimizer"] in ("adam", "sgd")
        assert 1 <= int(hps["layers"]) <= 4
    values = {j["TrainingJobName"]: next(m["Value"] for m in j["FinalMetricDataList"]
                                         if m["MetricName"] == "valid:loss") for j in jobs}
    for job in jobs:  # the reported objective is what the script computed
        hps = job["HyperParameters"]
        expected = ((math.log10(float(hps["lr"])) + 2) ** 2 + 0.1 * int(hps["layers"])
                    + (0.0 if hps["optimizer"] == "adam" else 0.5) + 0.5)
        assert values[job["TrainingJobName"]] == pytest.approx(expected, abs=1e-5)
    best = tuning["BestTrainingJob"]
    assert best["TrainingJobName"] == min(values, key=values.get)
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == min(values.values())
    assert set(best["TunedHyperParameters"]) == {"lr", "layers", "optimizer"}
    # Truly parallel: two jobs overlapped in time, never more than two.
    spans = [(j["TrainingStartTime"], j["TrainingEndTime"]) for j in jobs]
    overlaps = [sum(1 for s, e in spans if s <= start < e) for start, _ in spans]
    assert max(overlaps) == 2
    ordered = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="tune-job", SortBy="FinalObjectiveMetricValue",
        SortOrder="Ascending")["TrainingJobSummaries"]
    assert ordered[0]["TrainingJobName"] == best["TrainingJobName"]


def test_grid_search_runs_every_combination_once(sm, tmp_path, staging):
    sm.create_hyper_parameter_tuning_job(**tuning_request("grid-job", staging, max_jobs=10,
                                                          seconds="0", strategy="Grid"))
    tuning = wait_tuning(sm, "grid-job")
    assert tuning["HyperParameterTuningJobStatus"] == "Completed", tuning.get("FailureReason")
    children = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="grid-job")["TrainingJobSummaries"]
    combos = sorted((c["TunedHyperParameters"]["optimizer"], c["TunedHyperParameters"]["layers"])
                    for c in children)
    assert combos == [("adam", "1"), ("adam", "3"), ("sgd", "1"), ("sgd", "3")]
    assert tuning["BestTrainingJob"]["TunedHyperParameters"] == {"optimizer": "adam", "layers": "1"}


def test_stopping_the_tuning_job_stops_its_running_jobs(sm, tmp_path, staging):
    sm.create_hyper_parameter_tuning_job(**tuning_request("stop-tune", staging, seconds="60"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="stop-tune", StatusEquals="InProgress")["TrainingJobSummaries"]
        if len(running) == 2:
            break
        time.sleep(0.2)
    assert len(running) == 2
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="stop-tune")
    tuning = wait_tuning(sm, "stop-tune", timeout=60)
    assert tuning["HyperParameterTuningJobStatus"] == "Stopped"
    assert tuning["TrainingJobStatusCounters"]["Stopped"] == 2
    for child in running:
        job = sm.describe_training_job(TrainingJobName=child["TrainingJobName"])
        assert job["TrainingJobStatus"] == "Stopped"
    summaries = sm.list_hyper_parameter_tuning_jobs(NameContains="stop-tune")[
        "HyperParameterTuningJobSummaries"]
    assert [s["HyperParameterTuningJobStatus"] for s in summaries] == ["Stopped"]


def test_objective_without_a_regex_is_rejected(sm, tmp_path, staging):
    request = tuning_request("bad-tune", staging)
    request["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["MetricName"] = "acc"
    with pytest.raises(sm.exceptions.ClientError, match="MetricName: acc has no regex"):
        sm.create_hyper_parameter_tuning_job(**request)
    request = tuning_request("bad-tune", staging)
    del request["TrainingJobDefinition"]["StaticHyperParameters"]["sagemaker_program"]
    with pytest.raises(sm.exceptions.ClientError, match="sagemaker_program"):
        sm.create_hyper_parameter_tuning_job(**request)
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="bad-tune")


EARLY = '''
import argparse, os, time
p = argparse.ArgumentParser()
p.add_argument("--quality")
a, _ = p.parse_known_args()
print("threads", os.environ.get("OMP_NUM_THREADS"), flush=True)
for epoch in range(6):
    loss = 5.0 if a.quality == "bad" else 1.0 / (epoch + 1)
    print(f"epoch={epoch} valid_loss={loss:.4f}", flush=True)
    time.sleep(0.4)
'''


def test_auto_early_stopping_stops_a_hopeless_job(sm, tmp_path, staging):
    request = tuning_request("early-tune", staging, parallel=1)
    request["TrainingJobDefinition"]["StaticHyperParameters"]["sagemaker_submit_directory"] = (
        '"' + staging.upload(source_tar(tmp_path / "early", {"entry.py": EARLY})) + '"')
    config = request["HyperParameterTuningJobConfig"]
    # Grid order for seed 5 is a, b, c, bad: two jobs complete before the hopeless one starts.
    config.update(Strategy="Grid", RandomSeed=5, TrainingJobEarlyStoppingType="Auto",
                  ParameterRanges={"CategoricalParameterRanges": [
                      {"Name": "quality", "Values": ["a", "b", "c", "bad"]}]})
    sm.create_hyper_parameter_tuning_job(**request)
    tuning = wait_tuning(sm, "early-tune")
    assert tuning["HyperParameterTuningJobStatus"] == "Completed", tuning.get("FailureReason")
    children = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="early-tune", SortBy="CreationTime",
        SortOrder="Ascending")["TrainingJobSummaries"]
    order = [c["TunedHyperParameters"]["quality"] for c in children]
    assert order == ["a", "b", "c", "bad"]
    status = {c["TunedHyperParameters"]["quality"]: c["TrainingJobStatus"] for c in children}
    assert status == {"a": "Completed", "b": "Completed", "c": "Completed", "bad": "Stopped"}
    assert tuning["TrainingJobStatusCounters"]["Stopped"] == 1
    bad = sm.describe_training_job(TrainingJobName=children[-1]["TrainingJobName"])
    assert (bad["TrainingEndTime"] - bad["TrainingStartTime"]).total_seconds() < 2.0
    assert bad["Environment"]["OMP_NUM_THREADS"] == str(len(os.sched_getaffinity(0)))
