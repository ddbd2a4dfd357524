"""How a training job ends, decided and written without any process, and written once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from workflow.local.sagemaker.record_table import RecordHandle
from workflow.local.sagemaker.statuses import JobStatus
from workflow.local.sagemaker.training import ending
from workflow.local.sagemaker.training.status import transition
from workflow.local.store import Store

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("stop, code, secondary, model, script_failed", [
    (None, 0, "Completed", True, False),
    (None, 3, "Failed", False, True),
    ("Stopped", 0, "Stopped", True, False),
    ("Stopped", -15, "Stopped", True, False),  # a stopped script dies of SIGTERM: still Stopped
    ("MaxRuntimeExceeded", -9, "MaxRuntimeExceeded", True, False),
])
def test_the_end_follows_the_stop_then_the_exit_status(stop, code, secondary, model, script_failed):
    end = ending.ending(stop, code)
    assert (end.secondary, end.upload_model, end.script_failed, end.collect) == (
        secondary, model, script_failed, True)


def test_a_shutdown_fails_the_job_without_uploading_anything():
    end = ending.ending(ending.SHUTDOWN, 0)
    assert (end.secondary, end.collect, end.upload_model) == ("Failed", False, False)
    assert "shut down" in end.reason


def test_runtime_limit_and_kill_grace():
    assert ending.max_runtime({}) == 86400
    assert ending.max_runtime({"StoppingCondition": {"MaxRuntimeInSeconds": 5}}) == 5
    assert not ending.past_max_runtime(5.0, 5) and ending.past_max_runtime(5.1, 5)
    assert not ending.kill_due(None, 100.0, 30.0)
    assert not ending.kill_due(80.0, 100.0, 30.0) and ending.kill_due(60.0, 100.0, 30.0)


def _running(rules: bool = True) -> dict:
    doc: dict = {"TrainingJobName": "j", "TrainingStartTime": T0}
    transition(doc, "Starting", when=T0)
    transition(doc, "Training", when=T0)
    if rules:
        doc["DebugRuleEvaluationStatuses"] = [
            {"RuleConfigurationName": "Loss", "RuleEvaluationStatus": "InProgress"}]
    return doc


def test_a_completed_job_leaves_its_rules_running_and_any_other_end_stops_them():
    done = _running()
    ending.close(done, "Completed", None, when=T0 + timedelta(seconds=9), final_metrics=[], limit=None)
    assert (done["TrainingJobStatus"], done["TrainingTimeInSeconds"]) == ("Completed", 9)
    assert done["DebugRuleEvaluationStatuses"][0]["RuleEvaluationStatus"] == "InProgress"
    failed = _running()
    ending.close(failed, "Failed", "x" * 2000, when=T0, final_metrics=[], limit=None)
    assert len(failed["FailureReason"]) == 1024
    assert failed["DebugRuleEvaluationStatuses"][0]["RuleEvaluationStatus"] == "Stopped"


def test_max_runtime_passes_through_stopping_and_names_the_limit():
    doc = _running(rules=False)
    ending.close(doc, "MaxRuntimeExceeded", None, when=T0, final_metrics=[{"MetricName": "m"}],
                 limit=5)
    assert [t["Status"] for t in doc["SecondaryStatusTransitions"]][-2:] == [
        "Stopping", "MaxRuntimeExceeded"]
    assert doc["TrainingJobStatus"] == "Stopped"
    assert "MaxRuntimeInSeconds (5 s)" in doc["FailureReason"]
    assert doc["FinalMetricDataList"] == [{"MetricName": "m"}]


def test_a_completed_record_cannot_become_failed(tmp_path: Path):
    record = RecordHandle(Store(tmp_path / "store.db"), "sagemaker.training-job", "j")
    record.store.insert(record.kind, record.key, _running())

    def close(secondary: str, reason: str | None):
        return lambda doc: ending.close(doc, secondary, reason, when=T0, final_metrics=[], limit=None)

    assert record.settle("TrainingJobStatus", close(JobStatus.COMPLETED, None)) is True
    assert record.settle("TrainingJobStatus", close(JobStatus.FAILED, "boom")) is False
    doc = record.get()
    assert doc["TrainingJobStatus"] == "Completed" and "FailureReason" not in doc
    assert [t["Status"] for t in doc["SecondaryStatusTransitions"]][-1] == "Completed"


def test_rules_still_running_can_be_marked_once():
    doc = _running()
    doc["DebugRuleEvaluationStatuses"].append(
        {"RuleConfigurationName": "Done", "RuleEvaluationStatus": "NoIssuesFound"})
    ending.mark_rules(doc, "Error", "the upload failed", T0)
    assert [r["RuleEvaluationStatus"] for r in doc["DebugRuleEvaluationStatuses"]] == [
        "Error", "NoIssuesFound"]
    assert doc["DebugRuleEvaluationStatuses"][0]["StatusDetails"] == "the upload failed"
