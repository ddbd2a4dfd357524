"""rest-xml, as S3 speaks it: the operation from the method, the path (path-style or the
bucket in the host name), the query string and the headers; members from the URI, query
string and headers, a streamed blob or an XML payload; XML answers and S3's XML errors.

Parsing and writing XML reuse botocore's own rest-xml parser and serialiser (each written
for the other side of the wire, and symmetric): nothing here describes an S3 shape by hand.
"""
from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, BinaryIO, cast
from urllib.parse import unquote
from xml.etree import ElementTree

from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import ResponseParserError, RestXMLParser
from botocore.serialize import RestXMLSerializer

from workflow.local.errors import ServiceError
from workflow.local.protocol import rest_json
from workflow.local.protocol.aws_chunked import AwsChunkedReader
from workflow.local.protocol.http import Request, Response, ResponseStream
from workflow.local.protocol.validation import validation_errors
from workflow.local.protocol.values import parse_timestamp, to_utc
from workflow.local.s3 import checksums
from workflow.local.s3.errors import (
    AccessDenied,
    BadDigest,
    InvalidArgument,
    InvalidDigest,
    InvalidRequest,
    InvalidURI,
    MalformedXML,
    MissingContentLength,
)
from workflow.local.streams import Payload

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
#: XML payloads (Delete, CompleteMultipartUpload, CreateBucketConfiguration) are small;
#: 10,000 parts of a CompleteMultipartUpload fit well within this.
XML_BODY_LIMIT = 8 << 20
#: The root element of each XML answer: botocore's model leaves it out (its parser does not
#: need it); the names are those of the S3 API reference's response syntax.
ROOTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "ListParts": "ListPartsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "DeleteObjects": "DeleteResult",
}
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>[^:]+)\.localhost(?::\d+)?$", re.IGNORECASE)
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def bucket_in_host(host: str | None) -> str | None:
    """``my-bucket.localhost:4580`` -> ``my-bucket`` (virtual-hosted-style addressing)."""
    found = _VIRTUAL_HOST.match(host or "")
    return found["bucket"] if found else None


def is_virtual_host(host: str | None) -> bool:
    return bucket_in_host(host) is not None


# -- routing ------------------------------------------------------------------------
@dataclass
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: dict[str, str]
    static_query: dict[str, str | None]
    #: Query keys and headers of required members: S3 tells PutObject from UploadPart and
    #: CopyObject (one method, one path) by ``partNumber``/``uploadId`` and the copy source.
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    literal_length: int


def _route(service: ServiceModel, operation: OperationModel) -> Route:
    base = rest_json.compile_route(service, operation)
    query: list[str] = []
    headers: list[str] = []
    shape = operation.input_shape
    for name in (shape.required_members if shape is not None else []):
        member = shape.members[name]
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "querystring":
            query.append(wire)
        elif location == "header":
            headers.append(wire)
    return Route(operation.name, base.method, base.pattern, base.labels, base.static_query,
                 tuple(query), tuple(headers), base.literal_length)


class Router:
    """S3's operations by method, path, query string and headers."""

    def __init__(self, service: ServiceModel) -> None:
        self.service = service
        #: method -> the keys of the query string each route needs, with the route: the
        #: query string rules out most of a method's routes before any pattern runs.
        self.routes: dict[str, list[tuple[frozenset[str], Route]]] = {}
        for name in service.operation_names:
            route = _route(service, service.operation_model(name))
            needed = frozenset(route.static_query) | frozenset(route.required_query)
            self.routes.setdefault(route.method, []).append((needed, route))

    def match(self, request: Request) -> tuple[OperationModel, dict[str, str]] | None:
        path, query = request.parts
        bucket = bucket_in_host(request.headers.get("Host"))
        if bucket is not None:
            path = f"/{bucket}" + ("" if path == "/" else path)
        keys = query.keys()
        best: tuple[tuple[int, int, int], Route, dict[str, str]] | None = None
        for needed, route in self.routes.get(request.method, []):
            if not needed <= keys:
                continue
            if any(v is not None and v not in query[k] for k, v in route.static_query.items()):
                continue
            if any(h not in request.headers for h in route.required_headers):
                continue
            found = route.pattern.match(path)
            if found is None:
                continue
            score = (len(route.static_query), len(route.required_query) + len(route.required_headers),
                     route.literal_length)
            if best is None or score > best[0]:
                best = (score, route, found.groupdict())
        if best is None:
            return None
        _, route, groups = best
        try:
            labels = {route.labels[g]: unquote(v, errors="strict") for g, v in groups.items()}
        except UnicodeDecodeError:
            raise InvalidURI("Couldn't parse the specified URI.") from None
        return self.service.operation_model(route.operation), labels


def credential(request: Request) -> str | None:
    """The credential a request (or presigned URL) is signed with: ``AKID/date/region/service/aws4_request``."""
    found = re.search(r"Credential=([^,\s]+)", request.headers.get("Authorization") or "")
    if found:
        return found[1]
    _, query = request.parts
    values = query.get("X-Amz-Credential")
    return values[-1] if values else None


# -- requests -----------------------------------------------------------------------
def signature_v2(request: Request) -> bool:
    """Signature Version 2 (``Authorization: AWS key:sig`` or ``AWSAccessKeyId=`` in a
    presigned URL): only S3 still accepts it."""
    if (request.headers.get("Authorization") or "").startswith("AWS "):
        return True
    _, query = request.parts
    return "AWSAccessKeyId" in query and "Signature" in query


def check_presigned(request: Request, now: datetime | None = None) -> None:
    """A presigned URL past its expiry is refused, as S3 does: ``X-Amz-Date`` +
    ``X-Amz-Expires`` (SigV4) or ``Expires`` in epoch seconds (SigV2)."""
    _, query = request.parts
    current = now or datetime.now(timezone.utc)
    try:
        if "X-Amz-Expires" in query and "X-Amz-Date" in query:
            signed = datetime.strptime(query["X-Amz-Date"][-1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            seconds = int(query["X-Amz-Expires"][-1])
            expires = signed + timedelta(seconds=seconds)
            fields = {"X-Amz-Expires": str(seconds)}
        elif "Expires" in query and "AWSAccessKeyId" in query:
            expires = datetime.fromtimestamp(int(query["Expires"][-1]), timezone.utc)
            fields = {}
        else:
            return
    except ValueError:
        raise AccessDenied("The presigned URL's expiry is not valid.") from None
    if current > expires:
        raise AccessDenied("Request has expired", fields={
            **fields, "Expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ServerTime": current.strftime("%Y-%m-%dT%H:%M:%SZ")})


def _trailer_members(shape: Shape) -> dict[str, str]:
    return {m.serialization["name"].lower(): name for name, m in shape.members.items()
            if m.serialization.get("location") == "header" and "name" in m.serialization}


def _payload(shape: Shape, request: Request, params: dict[str, Any]) -> Payload:
    stream = request.stream if request.stream is not None else io.BytesIO(request.body)
    encodings = [e.strip() for e in (request.headers.get("Content-Encoding") or "").split(",") if e.strip()]
    signed = request.headers.get("x-amz-content-sha256") or ""
    if "aws-chunked" in encodings or signed.startswith("STREAMING-"):
        decoded = request.headers.get("x-amz-decoded-content-length")
        if decoded is None or not decoded.isdigit():
            raise MissingContentLength("You must provide the Content-Length HTTP header.")
        reader = AwsChunkedReader(stream)
        members = _trailer_members(shape)
        kept = [e for e in encodings if e != "aws-chunked"]
        if kept:
            params["ContentEncoding"] = ",".join(kept)
        else:
            params.pop("ContentEncoding", None)
        params["ContentLength"] = int(decoded)
        declared = [t.strip().lower() for t in (request.headers.get("x-amz-trailer") or "").split(",")]
        # Payload reads its stream with read() and readinto() only, which the decoder has.
        return Payload(cast(BinaryIO, reader), length=int(decoded), trailing=lambda: {
            members[name]: value for name, value in reader.trailers.items() if name in members},
            trailer_members=tuple(members[t] for t in declared if t in members))
    length = request.headers.get("Content-Length")
    if request.stream is not None and not (length and length.isdigit()):
        # A plain chunked body: S3 needs the length up front (aws-chunked carries it apart).
        raise MissingContentLength("You must provide the Content-Length HTTP header.")
    return Payload(stream, length=int(length) if length and length.isdigit() else None,
                   content_sha256=signed if _HEX_SHA256.match(signed) else None)


#: Header members S3 reads in any case: AWS's own clients send ``x-amz-checksum-mode: enabled``
#: (the CRT, the Java SDK) where the model's enum says ``ENABLED``.
_ANY_CASE = ("ChecksumMode", "ChecksumAlgorithm")


class _XmlParser(RestXMLParser):  # type: ignore[misc]  # botocore ships no types
    def parse_xml(self, shape: Shape, body: bytes) -> Any:
        return self._parse_shape(shape, self._parse_xml_string_to_dom(body))


def parse_request(operation: OperationModel, request: Request, uri_params: dict[str, str]) -> dict[str, Any]:
    check_presigned(request)
    shape = operation.input_shape
    if shape is None:
        return {}
    params, _ = rest_json.parse_located(shape, request, uri_params)
    for name in _ANY_CASE:
        if isinstance(params.get(name), str):
            params[name] = params[name].upper()
    payload = shape.serialization.get("payload")
    if payload is None:
        return params
    member = shape.members[payload]
    if member.type_name == "blob":
        params[payload] = _payload(shape, request, params)
        return params
    try:
        body = request.load_body(XML_BODY_LIMIT)
    except ValueError as err:
        raise InvalidRequest(f"The XML you provided is too large: {err}.") from None
    _check_xml_digests(operation, request.headers, body)
    if body.strip():
        try:
            params[payload] = to_utc(_XmlParser().parse_xml(member, body))
        except (ResponseParserError, ElementTree.ParseError, ValueError, TypeError) as err:
            raise MalformedXML("The XML you provided was not well-formed or did not validate "
                               f"against our published schema: {err}") from None
    return params


def _check_xml_digests(operation: OperationModel, headers: Any, body: bytes) -> None:
    """An XML payload's Content-MD5 or x-amz-checksum-* must match it; operations whose
    model requires a checksum (DeleteObjects) are refused without one."""
    given = {name: headers.get(f"x-amz-checksum-{name.lower()}") for name in checksums.ALGORITHMS}
    given = {name: value for name, value in given.items() if value}
    md5 = headers.get("Content-MD5")
    required = operation.http_checksum_required or operation.http_checksum.get("requestChecksumRequired")
    if required and not md5 and not given:
        raise InvalidRequest("Missing required header for this request: Content-MD5")
    if md5 is not None:
        raw = checksums.decode(md5)
        if raw is None or len(raw) != 16:
            raise InvalidDigest("The Content-MD5 you specified was invalid.")
        if checksums.of_bytes("MD5", body) != md5:
            raise BadDigest("The Content-MD5 you specified did not match what we received.")
    for name, value in given.items():
        if checksums.of_bytes(name, body) != value:
            raise BadDigest(f"The {name} you specified did not match the calculated checksum.")


def validate(params: dict[str, Any], shape: Shape | None) -> None:
    """S3 names a bad member ``InvalidArgument`` where JSON services say ValidationException."""
    problems = validation_errors(params, shape)
    if problems:
        raise InvalidArgument("; ".join(problems))


# -- answers ------------------------------------------------------------------------
class _XmlEncoder(RestXMLSerializer):  # type: ignore[misc]  # botocore ships no types
    def encode(self, shape: Shape, value: Any, root: str) -> bytes:
        pseudo = ElementTree.Element("")
        self._serialize(shape, _present(shape, value), pseudo, root)
        node = list(pseudo)[0]
        node.set("xmlns", NAMESPACE)
        return cast("bytes", ElementTree.tostring(node, encoding="UTF-8", xml_declaration=True))


def _present(shape: Shape, value: Any) -> Any:
    """``value`` with None members dropped and members in the shape's order (botocore's
    serialiser stops at the first None member it meets)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {name: _present(member, value[name]) for name, member in shape.members.items()
                if value.get(name) is not None}
    if shape.type_name == "list" and isinstance(value, list):
        return [_present(shape.member, item) for item in value]
    if shape.type_name == "timestamp" and isinstance(value, str):
        return parse_timestamp(value)
    return value


def _xml_response(status: int, headers: dict[str, str], body: bytes) -> Response:
    headers["Content-Type"] = "application/xml"
    return Response(status, headers, body)


def serialize_response(operation: OperationModel, result: dict[str, Any] | None) -> Response:
    status = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    if shape is None:
        return Response(status, {}, b"")
    headers, status, rest = rest_json.located_headers(shape, result or {}, status)
    if operation.name == "GetBucketLocation":
        # The answer is the bare element: <LocationConstraint>us-west-2</LocationConstraint>.
        node = ElementTree.Element("LocationConstraint", xmlns=NAMESPACE)
        node.text = rest.get("LocationConstraint") or None
        return _xml_response(status, headers, ElementTree.tostring(node, "UTF-8", xml_declaration=True))
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        value = rest.get(payload)
        if member.type_name in ("blob", "string"):
            if value is None:
                return Response(status, headers, b"")
            if isinstance(value, (bytes, bytearray, str)):
                return Response(status, headers, value.encode() if isinstance(value, str) else bytes(value))
            stream: ResponseStream = value
            if "Content-Range" in headers:  # a range of the object: 206 Partial Content
                status = 206
            return Response(status, headers, stream=stream)
        if value is None:
            return Response(status, headers, b"")
        root = member.serialization.get("name", payload)
        return _xml_response(status, headers, _XmlEncoder().encode(member, value, root))
    if not rest:
        return Response(status, headers, b"")
    root = ROOTS.get(operation.name, shape.name)
    return _xml_response(status, headers, _XmlEncoder().encode(shape, rest, root))


def serialize_error(error: ServiceError, status: int, request_id: str) -> Response:
    """``<Error><Code>..</Code><Message>..</Message>...<RequestId>..</RequestId></Error>``;
    no body on 304 (and none reaches the client on a HEAD)."""
    headers = {"x-amz-request-id": request_id}
    if status == 304:
        return Response(status, headers, b"")
    node = ElementTree.Element("Error")
    ElementTree.SubElement(node, "Code").text = error.code
    ElementTree.SubElement(node, "Message").text = error.message
    for key, value in error.fields.items():
        if value is not None:
            ElementTree.SubElement(node, key).text = str(value)
    ElementTree.SubElement(node, "RequestId").text = request_id
    ElementTree.SubElement(node, "HostId").text = uuid.uuid5(uuid.NAMESPACE_OID, request_id).hex
    return _xml_response(status, headers, ElementTree.tostring(node, "UTF-8", xml_declaration=True))


def response_headers(request_id: str) -> dict[str, str]:
    return {"x-amz-request-id": request_id,
            "x-amz-id-2": uuid.uuid5(uuid.NAMESPACE_OID, request_id).hex}

