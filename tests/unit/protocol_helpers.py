"""Drive the protocol layer with botocore's own client-side serialiser and parser.

botocore builds the request exactly as boto3 would send it and parses our
response exactly as boto3 would read it, so these tests check the wire
format against the reference implementation without sockets.
"""
from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from botocore import parsers, serialize
from botocore.awsrequest import HeadersDict
from botocore.response import StreamingBody
from botocore.utils import percent_encode_sequence

from workflow.local.backend import Backend
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request, Response
from workflow.local.protocol.models import operation_model


class RecordingBackend(Backend):
    """Answers every operation with a canned result (or error) and keeps the params it got."""

    def __init__(self, service: str) -> None:
        super().__init__(ctx=None)  # type: ignore[arg-type]
        self.service = service
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.result: dict[str, Any] = {}
        self.error: Exception | None = None

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        if self.error is not None:
            raise self.error
        return self.result


def botocore_request(service: str, operation: str, params: dict[str, Any],
                     signing_name: str | None = None) -> Request:
    model = operation_model(service, operation)
    protocol = model.service_model.protocol
    wire = serialize.create_serializer(protocol, include_validation=False).serialize_to_request(
        params, model)
    target = wire["url_path"]
    if wire["query_string"]:
        target += ("&" if "?" in target else "?") + urlencode(wire["query_string"], doseq=True)
    headers = Headers({k: v for k, v in wire["headers"].items()})
    name = signing_name or model.service_model.signing_name
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/{name}/aws4_request, "
        "SignedHeaders=host, Signature=0")
    body = wire["body"]
    if isinstance(body, dict):  # the query protocol's form fields, as the HTTP layer encodes them
        body = percent_encode_sequence(body)
    if isinstance(body, str):
        body = body.encode()
    return Request(wire["method"], target, headers, body or b"")


def botocore_parse(service: str, operation: str, response: Response) -> dict[str, Any]:
    model = operation_model(service, operation)
    parser = parsers.create_parser(model.service_model.protocol)
    body: Any = response.body
    if model.has_streaming_output and response.status < 300:
        # The HTTP client hands a streaming payload to the parser unread.
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    wire = {"status_code": response.status, "headers": HeadersDict(response.headers), "body": body}
    parsed = parser.parse(wire, model.output_shape)
    if response.status >= 300:
        # As botocore's endpoint does: members of a modelled error join the parsed answer.
        shape = model.service_model.shape_for_error_code(parsed["Error"]["Code"])
        if shape is not None:
            parsed.update(parser.parse(wire, shape))
    return parsed


def call(dispatcher: Dispatcher, service: str, operation: str,
         params: dict[str, Any]) -> tuple[Response, dict[str, Any]]:
    response = dispatcher.dispatch(botocore_request(service, operation, params))
    return response, botocore_parse(service, operation, response)
