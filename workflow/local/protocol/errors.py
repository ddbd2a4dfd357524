"""AWS errors on the wire, in the format of each protocol, so boto3 raises the
modelled exception class (``client.exceptions.<Code>``)."""
from __future__ import annotations

import json

from workflow.local.errors import ServiceError
from workflow.local.protocol import json_protocol, rest_json
from workflow.local.protocol.http import Response
from workflow.local.protocol.models import error_shape, service_model
from workflow.local.protocol.values import dump_json_value


def error_status(service: str, error: ServiceError) -> int:
    """The HTTP status the model gives the exception, else the error's own."""
    shape = error_shape(service, error.code)
    if shape is not None:
        modelled = shape.metadata.get("error", {}).get("httpStatusCode")
        if modelled:
            return int(modelled)
    return error.status


def serialize_error(service: str, error: ServiceError) -> Response:
    model = service_model(service)
    shape = error_shape(service, error.code)
    status = error_status(service, error)
    fields = {k: v for k, v in error.fields.items() if v is not None}
    if model.protocol == "rest-json":
        members = {"message": error.message, "Type": "User" if status < 500 else "Service"}
        members.update(fields)
        if shape is not None:
            # Members such as Lambda's Retry-After header take their place from the shape.
            response = rest_json.serialize_members(shape, members, status)
            body = json.loads(response.body or b"{}")
            body.setdefault("message", error.message)
            extra = {k: v for k, v in members.items() if k not in shape.members}
            body.update(extra)
            headers = response.headers
        else:
            body, headers = members, {}
        headers["Content-Type"] = "application/json"
    else:
        body = {"message": error.message}
        if shape is not None:
            body.update(dump_json_value(shape, fields) or {})
        else:
            body.update(fields)
        headers = {"Content-Type": json_protocol.content_type(model)}
        body["__type"] = error.code
    headers["x-amzn-ErrorType"] = error.code
    return Response(status, headers, json.dumps(body, default=str).encode())
