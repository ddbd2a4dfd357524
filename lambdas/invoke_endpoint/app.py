"""The user-facing inference function: an image (URL or base64) in, the top breeds out.

API Gateway proxy event in, proxy response out. The endpoint name comes from
the ``ENDPOINT_NAME`` environment variable. A bad request gets 400 with the
reason; an endpoint error gets 502 with the endpoint's reason.
"""
from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from invoke_endpoint.request import BadRequest, from_api_request

logger = Logger()
tracer = Tracer()
metrics = Metrics()
_runtime = None


def _client():  # created once per execution environment, not per request
    global _runtime
    if _runtime is None:
        _runtime = boto3.client("sagemaker-runtime")
    return _runtime


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _endpoint_error(err: ClientError) -> str:
    error = err.response.get("Error", {})
    original = err.response.get("OriginalMessage")
    return f"{error.get('Code', 'Error')}: {original or error.get('Message', str(err))}"


@tracer.capture_method
def classify(endpoint: str, body: bytes, content_type: str) -> dict[str, Any]:
    answer = _client().invoke_endpoint(
        EndpointName=endpoint, Body=body, ContentType=content_type, Accept="application/json"
    )
    return json.loads(answer["Body"].read())


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=APIGatewayProxyEvent)
def handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    try:
        request = from_api_request(event.body, bool(event.is_base64_encoded), event.headers.get("content-type"))
    except BadRequest as err:
        metrics.add_metric(name="BadRequests", unit=MetricUnit.Count, value=1)
        return _response(400, {"message": str(err)})
    endpoint = os.environ["ENDPOINT_NAME"]
    try:
        result = classify(endpoint, request.body, request.content_type)
    except ClientError as err:
        logger.warning("endpoint error", extra={"endpoint": endpoint, "error": _endpoint_error(err)})
        metrics.add_metric(name="EndpointErrors", unit=MetricUnit.Count, value=1)
        return _response(502, {"message": f"endpoint {endpoint} failed: {_endpoint_error(err)}"})
    except (BotoCoreError, json.JSONDecodeError) as err:
        metrics.add_metric(name="EndpointErrors", unit=MetricUnit.Count, value=1)
        return _response(502, {"message": f"endpoint {endpoint} failed: {err}"})
    metrics.add_metric(name="Predictions", unit=MetricUnit.Count, value=1)
    return _response(200, result)
