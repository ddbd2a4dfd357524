"""Smithy RPC v2 CBOR: ``POST /service/<targetPrefix>/operation/<Operation>``, CBOR bodies.

botocore speaks this protocol as a client only: ``RpcV2CBORSerializer`` encodes
requests and ``RpcV2CBORParser`` decodes responses. CBOR is symmetric, so the
server reuses them the other way round: the parser decodes a request body against
the operation's *input* shape and the serializer's CBOR encoder writes the *output*
shape. Only this glue is written here; no CBOR encoding or decoding is hand-made.
"""
from __future__ import annotations

import re
from typing import Any, cast

from botocore.model import DenormalizedStructureBuilder, OperationModel, ServiceModel
from botocore.parsers import ResponseParserError, RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer

from workflow.local.errors import ClientError, ServiceError, UnknownOperationException
from workflow.local.protocol.http import Request, Response
from workflow.local.protocol.values import to_utc

CONTENT_TYPE = "application/cbor"
PROTOCOL_HEADER = "smithy-protocol"
PROTOCOL_VALUE = "rpc-v2-cbor"

_PATH = re.compile(r"^(?:/[^?]*)?/service/(?P<service>[^/?]+)/operation/(?P<operation>[^/?]+)$")

# An error body is a plain map of ``__type`` and ``message``; botocore encodes it
# like any structure once the structure is described.
_ERROR_SHAPE = DenormalizedStructureBuilder().with_members({
    "__type": {"type": "string"},
    "message": {"type": "string"},
}).build_model()


class SerializationException(ClientError):
    pass


class _Encoder(RpcV2CBORSerializer):  # type: ignore[misc]  # botocore ships no types
    def encode(self, value: dict[str, Any], shape: Any) -> bytes:
        return cast("bytes", self._serialize_body_params(value, shape))


def match(request: Request) -> tuple[str, str] | None:
    """(targetPrefix, operation name) of an RPC v2 CBOR request, else None."""
    if request.method != "POST" or request.headers.get(PROTOCOL_HEADER) != PROTOCOL_VALUE:
        return None
    found = _PATH.match(request.target.split("?", 1)[0])
    return (found["service"], found["operation"]) if found else None


def operation_for(service: ServiceModel, name: str) -> OperationModel:
    if name not in service.operation_names:
        raise UnknownOperationException(f"Operation {name} is not supported.")
    return service.operation_model(name)


def parse_request(operation: OperationModel, request: Request) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None or not request.body:
        return {}
    try:
        parsed = RpcV2CBORParser().parse(
            {"body": request.body, "headers": {}, "status_code": 200}, shape)
    except (ResponseParserError, AttributeError, TypeError, ValueError, KeyError) as exc:
        # A body that is not CBOR, or whose items are not of the members' types.
        raise SerializationException(
            f"The request body is not valid CBOR for {shape.name}: {exc}") from None
    parsed.pop("ResponseMetadata", None)
    return cast("dict[str, Any]", to_utc(parsed))


def serialize_response(operation: OperationModel, result: dict[str, Any] | None) -> Response:
    shape = operation.output_shape
    body = _Encoder().encode(result or {}, shape) if shape is not None else b""
    return Response(200, _headers(), body)


def serialize_error(error: ServiceError, status: int) -> Response:
    """``__type`` carries the error code that botocore's error factory keys the
    modelled exception on, so boto3 raises ``client.exceptions.<Shape>``."""
    body = _Encoder().encode({"__type": error.code, "message": error.message}, _ERROR_SHAPE)
    headers = _headers()
    headers["x-amzn-ErrorType"] = error.code
    return Response(status, headers, body)


def _headers() -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, PROTOCOL_HEADER: PROTOCOL_VALUE}
