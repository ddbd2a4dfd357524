"""Background tasks: whatever escapes the work reaches the resource's failure handler."""
from __future__ import annotations

import logging

import pytest

from workflow.local.background import BackgroundTask, failure_reason, run_guarded
from workflow.local.sagemaker.finished import FinishedListeners


def test_an_unexpected_error_is_logged_and_handed_to_the_resource(caplog: pytest.LogCaptureFixture):
    seen: list[Exception] = []

    def work() -> None:
        raise RuntimeError("the disk went away")

    with caplog.at_level(logging.ERROR, logger="workflow.local.background"):
        task = BackgroundTask("endpoint-create-e1", work, seen.append).start()
        task.join(5)
    assert [str(e) for e in seen] == ["the disk went away"]
    assert "endpoint-create-e1 failed" in caplog.text and "RuntimeError" in caplog.text


def test_work_that_ends_well_calls_no_handler():
    seen: list[Exception] = []
    run_guarded("t", lambda: None, seen.append)
    assert seen == []


def test_a_handler_that_fails_too_is_logged_not_raised(caplog: pytest.LogCaptureFixture):
    def handler(err: Exception) -> None:
        raise KeyError("no record")

    with caplog.at_level(logging.ERROR, logger="workflow.local.background"):
        run_guarded("job", lambda: 1 / 0, handler)
    assert "job: recording its failure failed" in caplog.text


def test_the_reason_names_the_error_and_fits_sagemakers_limit():
    assert failure_reason(ValueError("bad")) == "InternalServerError: ValueError: bad"
    assert len(failure_reason(ValueError("x" * 5000))) == 1024


def test_a_listener_that_fails_keeps_neither_the_others_nor_the_job_from_ending(
        caplog: pytest.LogCaptureFixture):
    told: list[str] = []

    def broken(name: str) -> None:
        raise RuntimeError("the task token expired")

    listeners = FinishedListeners()
    listeners.add(broken)
    listeners.add(told.append)
    with caplog.at_level(logging.ERROR):
        listeners.notify("job-1")
    assert told == ["job-1"] and "the task token expired" in caplog.text
