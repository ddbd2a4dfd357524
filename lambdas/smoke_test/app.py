"""SmokeTest: send held-out test images to the endpoint and check its answers.

Event: ``{"endpoint_name", "manifest_uri", "test_uri", "images", "max_latency_ms", "execution_id"}``.
Returns the report (``passed, images, top1_correct, latency_ms, failures, results``);
raises ``SmokeTestFailed`` with the report as its message when a check fails, so
the state machine's Catch removes the endpoint.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, Field, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from shared import storage

from smoke_test.checks import SmokeTestFailed, pick_images, run_smoke_test

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Built during the environment's initialisation, before the first invocation waits for it.
runtime = boto3.client("sagemaker-runtime")


class SmokeTestEvent(BaseModel):
    endpoint_name: str
    manifest_uri: str
    test_uri: str
    images: int = Field(default=8, ge=1, le=100)
    max_latency_ms: float = Field(default=3000, gt=0)
    execution_id: str | None = None


@logger.inject_lambda_context(correlation_id_path="execution_id")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=SmokeTestEvent)
def handler(event: SmokeTestEvent, context: LambdaContext) -> dict[str, Any]:
    def invoke(body: bytes, content_type: str) -> bytes:
        answer = runtime.invoke_endpoint(EndpointName=event.endpoint_name, Body=body,
                                         ContentType=content_type, Accept="application/json")
        return answer["Body"].read()

    classes = set(json.loads(storage.read_bytes(event.manifest_uri))["classes"])
    images = pick_images(event.test_uri, event.images)
    report = run_smoke_test(event.endpoint_name, invoke, images, classes, event.max_latency_ms)
    metrics.add_metric(name="SmokeTestFailures", unit=MetricUnit.Count, value=len(report["failures"]))
    if report["latency_ms"]["max"] is not None:
        metrics.add_metric(name="SmokeTestMaxLatency", unit=MetricUnit.Milliseconds, value=report["latency_ms"]["max"])
    logger.info("smoke test finished", extra={"passed": report["passed"], "failures": report["failures"][:5]})
    if not report["passed"]:
        raise SmokeTestFailed(json.dumps(report))
    return report
