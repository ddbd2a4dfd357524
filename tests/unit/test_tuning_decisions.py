"""A tuning job's decisions (launch, stop early, finish) and its run, without any process.

The run is driven through its narrow interface: a record in a real store and a
``ChildJobs`` whose training jobs end as soon as they are read.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

from workflow.local.errors import ResourceLimitExceeded
from workflow.local.sagemaker.record_table import RecordHandle
from workflow.local.sagemaker.records import TuningChild
from workflow.local.sagemaker.tuning import decisions, summary
from workflow.local.sagemaker.tuning.runner import TuningRun
from workflow.local.sagemaker.tuning.space import parse_ranges
from workflow.local.store import Store

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
LIMITS = decisions.Limits(parallel=2, max_jobs=5, minimize=True, target=0.1)


def test_launches_fill_free_slots_until_the_budget_or_the_target():
    assert decisions.may_launch(running=1, launched=3, done=False, limits=LIMITS)
    assert not decisions.may_launch(running=2, launched=3, done=False, limits=LIMITS)
    assert not decisions.may_launch(running=0, launched=5, done=False, limits=LIMITS)
    assert not decisions.may_launch(running=0, launched=1, done=True, limits=LIMITS)


def test_complete_once_nothing_runs_and_nothing_more_will():
    assert decisions.complete(running=0, launched=5, done=False, limits=LIMITS)
    assert decisions.complete(running=0, launched=2, done=True, limits=LIMITS)
    assert not decisions.complete(running=1, launched=5, done=True, limits=LIMITS)
    assert not decisions.complete(running=0, launched=2, done=False, limits=LIMITS)


def test_target_is_met_in_the_objectives_direction():
    assert decisions.target_reached(0.05, LIMITS) and not decisions.target_reached(0.2, LIMITS)
    maximize = decisions.Limits(parallel=1, max_jobs=1, minimize=False, target=0.9)
    assert decisions.target_reached(0.95, maximize) and not decisions.target_reached(0.5, maximize)
    assert not decisions.target_reached(None, LIMITS)
    assert not decisions.target_reached(0.0, decisions.Limits(1, 1, True))


def test_early_stop_picks_the_running_jobs_worse_than_the_median():
    history = [[1.0, 0.5, 0.3], [1.0, 0.6, 0.4]]
    running = {"good": [0.9, 0.4], "bad": [1.5, 1.4], "young": []}
    assert decisions.to_stop_early(running, history, minimize=True) == ["bad"]


def test_the_final_status_needs_one_objective_value():
    assert decisions.final_status(0.3, "loss") == ("Completed", None)
    status, reason = decisions.final_status(None, "loss")
    assert status == "Failed" and "loss" in reason


def _doc(minimize: bool = True) -> dict:
    return {"HyperParameterTuningJobName": "t", "CreationTime": T0,
            "HyperParameterTuningJobConfig": {"HyperParameterTuningJobObjective": {
                "Type": "Minimize" if minimize else "Maximize", "MetricName": "loss"}}}


def _job(status: str, value: float | None = None) -> dict:
    job = {"TrainingJobStatus": status, "TrainingJobArn": "arn", "CreationTime": T0}
    if value is not None:
        job["FinalMetricDataList"] = [{"MetricName": "loss", "Value": value}]
    return job


def test_summaries_count_and_rank_the_children():
    doc = _doc()
    children = [TuningChild(name=n, tuned={"lr": n}) for n in ("a", "b", "c", "d")]
    jobs = [_job("Completed", 0.5), _job("Completed", 0.2), _job("InProgress", 0.1), None]
    summaries = [summary.summary(doc, c, j, "arn") for c, j in zip(children, jobs, strict=True)]
    assert [s["ObjectiveStatus"] for s in summaries] == ["Succeeded", "Succeeded", "Pending", "Failed"]
    fields = summary.refreshed(doc, summaries)
    assert fields["BestTrainingJob"]["TrainingJobName"] == "b"  # a running job's value is not final
    assert fields["TrainingJobStatusCounters"]["Completed"] == 2
    assert fields["TrainingJobStatusCounters"]["NonRetryableError"] == 1  # no record: failed
    assert summary.refreshed({**doc, **fields}, summaries) == {}  # nothing changed since


class Children:
    """Training jobs that end as soon as they are looked at, each with a set objective."""

    def __init__(self, values: list[float | None], refuse: int = 0) -> None:
        self.values, self.refuse = list(values), refuse
        self.jobs: dict[str, dict] = {}
        self.created: list[str] = []
        self.most_running = 0

    def create(self, request: dict, tuning_job_arn: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise ResourceLimitExceeded("no room")
        name = request["TrainingJobName"]
        self.created.append(name)
        self.jobs[name] = _job("InProgress")
        self.most_running = max(self.most_running, sum(
            j["TrainingJobStatus"] == "InProgress" for j in self.jobs.values()))

    def describe(self, name: str) -> dict | None:
        job = self.jobs.get(name)
        if job is not None and job["TrainingJobStatus"] == "InProgress" and self.values:
            value = self.values.pop(0)
            job.update(_job("Completed" if value is not None else "Failed", value))
        return job

    def stop(self, name: str) -> None:
        self.jobs[name]["TrainingJobStatus"] = "Stopped"

    def series(self, name: str) -> dict[str, list[float]]:
        return {}

    def arn(self, name: str) -> str:
        return f"arn:training-job/{name}"


def _run(tmp_path: Path, children: Children, *, parallel: int, max_jobs: int,
         target: float | None = None) -> tuple[TuningRun, RecordHandle, list[str]]:
    config = {"Strategy": "Random", "RandomSeed": 1,
              "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
              "ResourceLimits": {"MaxParallelTrainingJobs": parallel, "MaxNumberOfTrainingJobs": max_jobs},
              "ParameterRanges": {"ContinuousParameterRanges": [
                  {"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1"}]}}
    if target is not None:
        config["TuningJobCompletionCriteria"] = {"TargetObjectiveMetricValue": target}
    request = {"HyperParameterTuningJobConfig": config, "TrainingJobDefinition": {
        "RoleArn": "r", "AlgorithmSpecification": {"TrainingInputMode": "File"}}}
    record = RecordHandle(Store(tmp_path / "store.db"), "sagemaker.tuning-job", "t")
    record.store.insert(record.kind, record.key, {
        **_doc(), "HyperParameterTuningJobConfig": config, "HyperParameterTuningJobStatus": "InProgress",
        "_local": {"children": [], "tags": [], "request": request}})
    finished: list[str] = []
    run = TuningRun("t", request, parse_ranges(config["ParameterRanges"], "Random"), record=record,
                    jobs=children, arn="arn:tuning/t", on_finished=finished.append)
    return run, record, finished


def _until_finished(run: TuningRun, finished: list[str]) -> None:
    run.start()
    run.join(30)
    assert not run._task.is_alive() and finished == ["t"]


def test_a_run_spends_its_budget_in_parallel_and_keeps_the_best(tmp_path: Path):
    children = Children([0.5, 0.3, None, 0.4])
    run, record, finished = _run(tmp_path, children, parallel=2, max_jobs=4)
    _until_finished(run, finished)
    doc = record.get()
    assert doc["HyperParameterTuningJobStatus"] == "Completed"
    assert len(children.created) == 4 and children.most_running <= 2
    assert doc["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.3
    assert doc["TrainingJobStatusCounters"] == {
        "Completed": 3, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 1, "Stopped": 0}
    assert [c["name"] for c in doc["_local"]["children"]] == children.created


def test_a_run_stops_launching_once_the_target_is_reached(tmp_path: Path):
    children = Children([0.05, 0.5, 0.5, 0.5])
    run, record, finished = _run(tmp_path, children, parallel=1, max_jobs=4, target=0.1)
    _until_finished(run, finished)
    assert record.get()["HyperParameterTuningJobStatus"] == "Completed"
    assert len(children.created) == 1


def test_refused_children_count_and_no_objective_fails_the_run(tmp_path: Path):
    children = Children([], refuse=2)
    run, record, finished = _run(tmp_path, children, parallel=2, max_jobs=2)
    _until_finished(run, finished)
    doc = record.get()
    assert doc["HyperParameterTuningJobStatus"] == "Failed"
    assert "objective metric loss" in doc["FailureReason"]
    assert [c.get("error") for c in doc["_local"]["children"]] == ["no room", "no room"]
    assert doc["TrainingJobStatusCounters"]["NonRetryableError"] == 2


def test_a_run_that_breaks_fails_with_the_reason_and_finishes_once(tmp_path: Path):
    class Broken(Children):
        def describe(self, name: str) -> dict | None:
            raise KeyError("a record without a status")

    children = Broken([0.5])
    run, record, finished = _run(tmp_path, children, parallel=1, max_jobs=3)
    _until_finished(run, finished)
    doc = record.get()
    assert doc["HyperParameterTuningJobStatus"] == "Failed"
    assert "KeyError" in doc["FailureReason"] and "a record without a status" in doc["FailureReason"]
    assert [j["TrainingJobStatus"] for j in children.jobs.values()] == ["Stopped"]


def test_a_stopped_run_stops_its_children_and_ends_stopped_once(tmp_path: Path):
    children = Children([])  # jobs that never end on their own
    run, record, finished = _run(tmp_path, children, parallel=2, max_jobs=4)
    launched = threading.Event()
    create = children.create

    def created(request: dict, arn: str) -> None:
        create(request, arn)
        launched.set()

    children.create = created  # type: ignore[method-assign]
    run.start()
    assert launched.wait(10)
    run.request_stop()
    run.join(30)
    assert finished == ["t"] and record.get()["HyperParameterTuningJobStatus"] == "Stopped"
    assert {j["TrainingJobStatus"] for j in children.jobs.values()} == {"Stopped"}
