"""awsJson1_0 / awsJson1_1: operation in ``X-Amz-Target``, members in a JSON body."""
from __future__ import annotations

import json
from typing import Any

from botocore.model import OperationModel, ServiceModel

from workflow.local.errors import ClientError, UnknownOperationException
from workflow.local.protocol.http import Request, Response
from workflow.local.protocol.values import dump_json_value, parse_json_value


class SerializationException(ClientError):
    pass


def content_type(service: ServiceModel) -> str:
    return f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"


def operation_for_target(service: ServiceModel, target: str) -> OperationModel:
    """``AWSStepFunctions.StartExecution`` -> the StartExecution operation model."""
    prefix, _, name = target.rpartition(".")
    if prefix != service.metadata.get("targetPrefix") or name not in service.operation_names:
        raise UnknownOperationException(f"Operation {name or target} is not supported.")
    return service.operation_model(name)


def parse_request(operation: OperationModel, request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object")
    return parse_json_value(operation.input_shape, body) if operation.input_shape else body


def serialize_response(operation: OperationModel, result: dict[str, Any] | None) -> Response:
    shape = operation.output_shape
    payload = dump_json_value(shape, result or {}) if shape is not None else {}
    body = json.dumps(payload or {}, separators=(",", ":")).encode()
    return Response(200, {"Content-Type": content_type(operation.service_model)}, body)
