"""SageMaker's typed store access and its runs registry, on a real store."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflow.local.errors import ResourceNotFound
from workflow.local.sagemaker.finished import JobRuns
from workflow.local.sagemaker.hosting.records import EndpointRecord
from workflow.local.sagemaker.json_lines import read_json_lines
from workflow.local.sagemaker.listing import list_answer
from workflow.local.sagemaker.record_table import RecordTable
from workflow.local.sagemaker.statuses import EndpointStatus
from workflow.local.store import Store

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _endpoint(name: str) -> EndpointRecord:
    return EndpointRecord(EndpointName=name, EndpointArn=f"arn:{name}", EndpointConfigName="c",
                          EndpointStatus=EndpointStatus.CREATING, CreationTime=T0, LastModifiedTime=T0)


@pytest.fixture
def table(tmp_path: Path) -> RecordTable[EndpointRecord]:
    return RecordTable[EndpointRecord](Store(tmp_path / "store.db"), "sagemaker.endpoint")


def test_a_record_round_trips_with_its_status_and_times(table):
    assert table.insert("e", _endpoint("e")) and not table.insert("e", _endpoint("e"))
    doc = table.require("e", lambda: ResourceNotFound("no"))
    assert doc["EndpointStatus"] == EndpointStatus.CREATING and doc["CreationTime"] == T0


def test_require_raises_the_callers_error_for_a_missing_record(table):
    with pytest.raises(ResourceNotFound, match="endpoint x is not there"):
        table.require("x", lambda: ResourceNotFound("endpoint x is not there"))


def test_an_update_changes_the_stored_record_whatever_the_change_returns(table):
    table.insert("e", _endpoint("e"))
    # setdefault returns the dict it set: the store would take a returned dict for the new record.
    pending = {"EndpointConfigName": "c2", "StartTime": T0}
    table.update("e", lambda d: d.setdefault("PendingDeploymentSummary", pending))
    stored = table.get("e")
    assert stored is not None and stored["EndpointName"] == "e"
    assert stored["PendingDeploymentSummary"] == pending
    assert table.update("missing", lambda d: d.update({"FailureReason": "x"})) is None


def test_a_list_answer_pages_and_picks_its_fields(table):
    for name in ("a", "b", "c"):
        table.insert(name, _endpoint(name))
    first = list_answer("Endpoints", table.list(), {"MaxResults": 2, "SortBy": "Name", "SortOrder": "Ascending"},
                        ("EndpointName", "EndpointStatus"), name_key="EndpointName")
    assert first == {"Endpoints": [{"EndpointName": "a", "EndpointStatus": "Creating"},
                                   {"EndpointName": "b", "EndpointStatus": "Creating"}], "NextToken": "2"}
    rest = list_answer("Endpoints", table.list(), {"MaxResults": 2, "SortBy": "Name", "SortOrder": "Ascending",
                                                   "NextToken": "2"}, ("EndpointName",), name_key="EndpointName")
    assert rest == {"Endpoints": [{"EndpointName": "c"}]}


def test_an_ended_run_is_forgotten_and_its_end_told_to_every_listener():
    runs = JobRuns[str]()
    heard: list[str] = []
    runs.listeners.add(heard.append)
    runs.listeners.add(lambda name: 1 / 0)  # a failing listener harms neither the others nor the run
    runs.add("job", "the run")
    assert runs.get("job") == "the run" and runs.all() == ["the run"]
    runs.ended("job")
    assert runs.get("job") is None and runs.all() == [] and heard == ["job"]


def test_json_lines_skip_the_line_being_written(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    assert read_json_lines(path) == []
    path.write_text('{"name": "loss", "value": 1}\n{"name": "loss", "val')
    assert read_json_lines(path) == [{"name": "loss", "value": 1}]
