"""``arn:aws:states:::lambda:invoke`` and plain Lambda function ARNs.

The optimized integration returns the Invoke response (ExecutedVersion, Payload,
SdkHttpMetadata, SdkResponseMetadata, StatusCode); a plain function ARN returns the
payload alone. A function error fails the task with the payload's ``errorType`` as the
error name and the payload JSON as the cause.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from botocore.exceptions import ClientError

from ..errors import FailureError, runtime_error
from .invocation import TaskInvocation
from .sdk_errors import sdk_failure
from .service_names import modeled_errors

_OPTIONAL = ("InvocationType", "Qualifier", "LogType")
# Error name when a function failed without saying how (e.g. it ran out of memory).
UNKNOWN_ERROR = "Lambda.Unknown"


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8") if raw else ""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _invoke(invocation: TaskInvocation, function_name: str, payload: Any,
            extra: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    client = invocation.client("lambda")
    kwargs: dict[str, Any] = {"FunctionName": function_name, **extra}
    if payload is not None:
        kwargs["Payload"] = json.dumps(payload).encode("utf-8")
    try:
        response = invocation.call(lambda: client.invoke(**kwargs))
    except ClientError as exc:
        raise sdk_failure(exc, "Lambda", "AWSLambda", modeled_errors("lambda")) from None
    body = response.get("Payload")
    data = _decode(body.read() if body is not None else b"")
    if response.get("FunctionError"):
        error = data.get("errorType") if isinstance(data, dict) else None
        cause = json.dumps(data) if not isinstance(data, str) else data
        raise FailureError(error or UNKNOWN_ERROR, cause)
    return response, data


def invoke_optimized(invocation: TaskInvocation) -> Any:
    params = invocation.parameters
    if not isinstance(params, dict) or "FunctionName" not in params:
        raise runtime_error("The lambda:invoke integration requires Parameters with a FunctionName")
    extra = {key: params[key] for key in _OPTIONAL if key in params}
    if "ClientContext" in params:
        context = params["ClientContext"]
        extra["ClientContext"] = context if isinstance(context, str) else base64.b64encode(
            json.dumps(context).encode()).decode()
    response, data = _invoke(invocation, params["FunctionName"], params.get("Payload"), extra)
    meta = response.get("ResponseMetadata", {})
    headers = meta.get("HTTPHeaders", {})
    return {
        "ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
        "Payload": data,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {key: [value] for key, value in headers.items()},
            "HttpHeaders": dict(headers),
            "HttpStatusCode": meta.get("HTTPStatusCode", response.get("StatusCode", 200)),
        },
        "SdkResponseMetadata": {"RequestId": meta.get("RequestId", "")},
        "StatusCode": response.get("StatusCode", 200),
    }


def invoke_function_arn(invocation: TaskInvocation) -> Any:
    _, data = _invoke(invocation, invocation.resource.arn, invocation.parameters, {})
    return data
