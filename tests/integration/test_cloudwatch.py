"""Endpoint metrics through the CloudWatch API of the real server: boto3 (RPC v2 CBOR)
and the console's path (awsJson1_0 over plain HTTP)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    VARIANT,
    Endpoints,
    echo_archive,
    endpoints,
    until,
)

N = 5


def _dimensions(endpoint: str) -> list[dict[str, str]]:
    return [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": VARIANT}]


def _query(qid: str, endpoint: str, metric: str, stat: str, period: int = 60) -> dict[str, Any]:
    return {"Id": qid, "MetricStat": {"Metric": {
        "Namespace": "AWS/SageMaker", "MetricName": metric, "Dimensions": _dimensions(endpoint)},
        "Period": period, "Stat": stat}}


def _window() -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    return now - timedelta(minutes=15), now + timedelta(minutes=1)


@pytest.fixture
def invoked(endpoints: Endpoints, echo_archive: Path) -> str:
    """An endpoint invoked N times (each taking at least 20 ms) and failing once."""
    name = endpoints.deploy(echo_archive)
    for _ in range(N - 1):
        endpoints.invoke(name, b"sleep 0.02", ContentType="text/plain")
    with pytest.raises(endpoints.runtime.exceptions.ModelError):
        endpoints.invoke(name, b"crash", ContentType="text/plain")
    return name


def _metric_data(cw: Any, queries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    start, end = _window()
    answer = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
    return {r["Id"]: r for r in answer["MetricDataResults"]}


def test_get_metric_data_counts_invocations_and_latency(invoked: str, local_server: Any) -> None:
    cw = local_server.client("cloudwatch")
    results = _metric_data(cw, [
        _query("calls", invoked, "Invocations", "Sum"),
        _query("failed", invoked, "Invocation5XXErrors", "Sum"),
        _query("client", invoked, "Invocation4XXErrors", "Sum"),
        _query("p50", invoked, "ModelLatency", "p50"),
        _query("worst", invoked, "ModelLatency", "Maximum"),
        _query("each", invoked, "InvocationsPerInstance", "Sum", period=1),
    ])
    assert sum(results["calls"]["Values"]) == N
    assert results["calls"]["StatusCode"] == "Complete"
    assert results["calls"]["Label"] == "Invocations"
    assert all(isinstance(t, datetime) for t in results["calls"]["Timestamps"])
    assert all(t.second == 0 for t in results["calls"]["Timestamps"])  # one-minute periods
    assert sum(results["failed"]["Values"]) == 1
    assert sum(results["client"]["Values"]) == 0
    # ModelLatency is in microseconds; the 'sleep 0.02' invocations take at least 20 ms.
    assert all(v > 0 for v in results["p50"]["Values"])
    assert max(results["worst"]["Values"]) >= 20_000
    assert sum(results["each"]["Values"]) == pytest.approx(N)  # one instance


def test_get_metric_statistics_agrees(invoked: str, local_server: Any) -> None:
    cw = local_server.client("cloudwatch")
    start, end = _window()
    common = {"Namespace": "AWS/SageMaker", "Dimensions": _dimensions(invoked),
              "StartTime": start, "EndTime": end, "Period": 60}
    calls = cw.get_metric_statistics(MetricName="Invocations",
                                     Statistics=["Sum", "SampleCount"], **common)
    assert sum(p["Sum"] for p in calls["Datapoints"]) == N
    assert sum(p["SampleCount"] for p in calls["Datapoints"]) == N
    latency = cw.get_metric_statistics(MetricName="ModelLatency",
                                       ExtendedStatistics=["p50", "p99"], **common)
    assert latency["Datapoints"] and all(p["Unit"] == "Microseconds" for p in latency["Datapoints"])
    for point in latency["Datapoints"]:
        assert 0 < point["ExtendedStatistics"]["p50"] <= point["ExtendedStatistics"]["p99"]
    by_data = _metric_data(cw, [_query("worst", invoked, "ModelLatency", "p99")])["worst"]
    assert max(by_data["Values"]) == pytest.approx(
        max(p["ExtendedStatistics"]["p99"] for p in latency["Datapoints"]))
    listed = cw.list_metrics(Namespace="AWS/SageMaker",
                             Dimensions=[{"Name": "EndpointName", "Value": invoked}])["Metrics"]
    assert {m["MetricName"] for m in listed} >= {"Invocations", "ModelLatency"}


def test_unknown_endpoint_or_metric_has_no_datapoints(invoked: str, local_server: Any) -> None:
    cw = local_server.client("cloudwatch")
    results = _metric_data(cw, [
        _query("nobody", "no-such-endpoint", "Invocations", "Sum"),
        _query("other", invoked, "CPUUtilization", "Average"),
        {"Id": "elsewhere", "MetricStat": {"Metric": {
            "Namespace": "AWS/Lambda", "MetricName": "Invocations",
            "Dimensions": _dimensions(invoked)}, "Period": 60, "Stat": "Sum"}},
        _query("known", invoked, "Invocations", "Sum"),
    ])
    assert results["nobody"]["Values"] == [] and results["nobody"]["Timestamps"] == []
    assert results["other"]["Values"] == [] and results["elsewhere"]["Values"] == []
    assert sum(results["known"]["Values"]) == N  # the same call does find real data


def test_bad_requests_get_modelled_errors(local_server: Any) -> None:
    cw = local_server.client("cloudwatch")
    start, end = _window()
    common = {"Namespace": "AWS/SageMaker", "MetricName": "Invocations", "Statistics": ["Sum"]}
    with pytest.raises(cw.exceptions.InvalidParameterValueException, match="Period"):
        cw.get_metric_statistics(StartTime=start, EndTime=end, Period=7, **common)
    with pytest.raises(cw.exceptions.InvalidParameterValueException, match="StartTime"):
        cw.get_metric_statistics(StartTime=end, EndTime=start, Period=60, **common)
    with pytest.raises(cw.exceptions.InvalidParameterCombinationException):
        cw.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocations",
                                 StartTime=start, EndTime=end, Period=60)
    with pytest.raises(cw.exceptions.InvalidParameterValueException, match="Stat"):
        cw.get_metric_data(MetricDataQueries=[_query("q", "e", "Invocations", "Median")],
                           StartTime=start, EndTime=end)


def test_console_json_protocol(invoked: str, local_server: Any) -> None:
    """The browser's request: POST / with X-Amz-Target and the awsJson1_0 content type."""
    start, end = _window()

    def post(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            local_server.endpoint_url + "/", data=json.dumps(body).encode(), method="POST",
            headers={"X-Amz-Target": "GraniteServiceVersion20100801.GetMetricData",
                     "Content-Type": "application/x-amz-json-1.0"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    status, answer = post({"MetricDataQueries": [_query("calls", invoked, "Invocations", "Sum")],
                           "StartTime": start.timestamp(), "EndTime": end.timestamp()})
    assert status == 200
    [result] = answer["MetricDataResults"]
    assert sum(result["Values"]) == N
    assert all(isinstance(t, (int, float)) for t in result["Timestamps"])
    status, error = post({"MetricDataQueries": []})
    assert status == 400 and error["__type"] == "MissingParameter"


def test_console_shows_rate_and_latency(invoked: str, local_server: Any) -> None:
    """The endpoints page reads the same metrics through CloudWatch and draws them."""
    from tests.integration.console_browser import launch

    for browser in launch():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err, errors=errors: errors.append(str(err)))
        page.set_default_timeout(60_000)
        page.goto(f"{local_server.endpoint_url}/console#/endpoints")
        panel = page.locator(f'[data-endpoint="{invoked}"]')
        panel.locator(f'[data-invocations="{N}"]').wait_for()
        assert panel.locator("svg.spark").count() == 3
        text = panel.inner_text()
        assert f"{N} in 15 min" in text and " ms" in text
        assert "not shown" not in page.content()
        context.close()
        assert not errors, f"JavaScript errors in the console: {errors}"
