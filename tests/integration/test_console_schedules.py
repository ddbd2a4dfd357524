"""The console's schedules page, its graph's zoom and pan, and the routes behind them, on the
real local server in a real headless Chromium."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.console_browser import launch, watched_page
from tests.integration.sfn_helpers import create_machine, wait_done
from tests.integration.test_console_routes import get

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/scheduler"
CAUGHT = {"StartAt": "A", "States": {
    name: {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "nope"},
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "CleanUp"}], **step}
    for name, step in (("A", {"Next": "B"}), ("B", {"Next": "C"}), ("C", {"End": True}))
} | {"CleanUp": {"Type": "Fail", "Error": "Failed"}}}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from watched_page(browser, 1300, 900, 30_000)


def test_schedules_json_and_page_show_next_firing_and_runs(local_server: LocalServerHandle, page: Any) -> None:
    sfn, scheduler = local_server.client("stepfunctions"), local_server.client("scheduler")
    machine = create_machine(sfn, name="console-schedules")
    scheduler.create_schedule(Name="console-nightly", ScheduleExpression="cron(0 3 * * ? *)",
                              ScheduleExpressionTimezone="Asia/Tokyo", FlexibleTimeWindow={"Mode": "OFF"},
                              Target={"Arn": machine, "RoleArn": ROLE})
    # An execution named as the schedule names those it starts.
    started = sfn.start_execution(stateMachineArn=machine, name="console-nightly-20260101T000000Z")
    wait_done(sfn, started["executionArn"])
    status, _, body = get(local_server, "/console/schedules.json")
    found = next(s for s in json.loads(body)["schedules"] if s["name"] == "console-nightly")
    assert status == 200 and found["next_firing"].endswith("18:00:00+00:00")  # 03:00 in Tokyo
    assert [e["name"] for e in found["executions"]] == ["console-nightly-20260101T000000Z"]

    page.goto(local_server.endpoint_url + "/console#/schedules")
    row = page.wait_for_selector('tr[data-schedule="console-nightly"]')
    assert "cron(0 3 * * ? *)" in row.text_content() and "Asia/Tokyo" in row.text_content()
    assert row.query_selector("td.next").text_content() != "—"
    row.query_selector("a").click()
    page.wait_for_selector("#exec-name")
    assert page.text_content("#exec-name") == "console-nightly-20260101T000000Z"


def test_progress_json_refuses_a_request_without_a_job(local_server: LocalServerHandle) -> None:
    status, _, body = get(local_server, "/console/progress.json")
    assert status == 400 and json.loads(body)["__type"] == "ValidationException"
    status, _, body = get(local_server, "/console/progress.json?training=no-such-job")
    assert status == 400 and "ResourceNotFound" in json.loads(body)["__type"]


def test_the_graph_zooms_pans_and_shows_every_catch_on_request(local_server: LocalServerHandle, page: Any) -> None:
    sfn = local_server.client("stepfunctions")
    machine = create_machine(sfn, CAUGHT)
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    wait_done(sfn, execution)
    page.goto(f"{local_server.endpoint_url}/console#/execution/{execution}")
    page.wait_for_selector('#graph g[id="state-A"]')
    assert page.locator("#graph text", has_text="caught from 3 states").count() == 1
    before = page.get_attribute("#graph svg", "viewBox")
    page.click('[data-zoom="in"]')
    page.click('[data-zoom="in"]')
    zoomed = page.get_attribute("#graph svg", "viewBox")
    assert float(zoomed.split()[2]) < float(before.split()[2]) * 0.7
    box = page.locator(".graph-canvas").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 80)
    page.mouse.up()
    panned = page.get_attribute("#graph svg", "viewBox")
    assert panned.split()[0] != zoomed.split()[0] and panned.split()[2] == zoomed.split()[2]
    page.check("#all-catches")
    page.wait_for_function("!document.querySelector('#graph').textContent.includes('caught from')")
    assert page.get_attribute("#graph svg", "viewBox") == panned  # the view is kept across redraws
    page.click('[data-zoom="fit"]')
    assert page.get_attribute("#graph svg", "viewBox").split()[2] != panned.split()[2]
