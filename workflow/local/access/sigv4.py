"""Verifying Signature Version 4 with botocore's own signer.

The server recomputes a request's signature with the pieces of ``botocore.auth.SigV4Auth``
that boto3 signed it with (canonical request, string to sign, signing key), fed the request
as it arrived and the headers the client says it signed: the same code on both ends, so a
request boto3 signed verifies exactly, and nothing of SigV4's canonicalisation is written
again here. S3 signs its path as it is and may sign ``UNSIGNED-PAYLOAD`` (``S3SigV4Auth``).
"""
from __future__ import annotations

import functools
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.credentials import Credentials

from workflow.local.protocol.http import Request

ALGORITHM = "AWS4-HMAC-SHA256"
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<headers>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]+)\s*$")
_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_SIGNATURE_PARAMETER = re.compile(r"(^|&)X-Amz-Signature=[^&]*")


@dataclass(frozen=True)
class Signed:
    """What a signed request claims: its key, scope, signed headers and signature."""

    access_key: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str
    token: str | None
    #: Seconds a presigned URL stays valid; None for a request signed in its headers.
    expires: int | None = None

    def signed_at(self) -> datetime | None:
        return _signing_time(self.timestamp)


@functools.lru_cache(maxsize=64)
def _signing_time(stamp: str) -> datetime | None:
    """``20260101T120000Z`` as a time (requests signed in the same second share it; strptime
    costs more than the rest of a verification)."""
    try:
        return datetime.strptime(stamp, _TIMESTAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _credential(text: str) -> tuple[str, str, str, str] | None:
    parts = text.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return parts[0], parts[1], parts[2], parts[3]


def signed(request: Request) -> Signed | None:
    """The request's SigV4 signature, from its Authorization header or a presigned URL;
    None when it carries none."""
    header = request.headers.get("Authorization")
    if header is not None:
        found = _AUTHORIZATION.match(header.strip())
        credential = _credential(found["credential"]) if found else None
        if found is None or credential is None:
            return None
        return Signed(*credential, tuple(found["headers"].split(";")), found["signature"],
                      request.headers.get("X-Amz-Date") or "", request.headers.get("X-Amz-Security-Token"))
    query = _query(request.target)
    if query.get("X-Amz-Algorithm") != ALGORITHM or "X-Amz-Signature" not in query:
        return None
    credential = _credential(query.get("X-Amz-Credential", ""))
    if credential is None:
        return None
    try:
        expires: int | None = int(query.get("X-Amz-Expires", "0"))
    except ValueError:
        expires = 0
    return Signed(*credential, tuple(query.get("X-Amz-SignedHeaders", "host").split(";")),
                  query["X-Amz-Signature"], query.get("X-Amz-Date", ""), query.get("X-Amz-Security-Token"),
                  expires)


def _query(target: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))


class _Arrived:
    """A request as it arrived, in the attributes botocore's signer reads."""

    def __init__(self, request: Request, target: str, timestamp: str) -> None:
        self.method = request.method
        self.url = f"http://{request.headers.get('Host') or 'localhost'}{target}"
        self.headers = request.headers
        self.body = request.body
        self.params: dict[str, Any] = {}
        self.context = {"timestamp": timestamp}


class _SignedHeaders(dict):
    """The signed headers, one value each, in the two ways botocore's signer reads headers
    (iteration and ``get_all``): botocore's ``HTTPHeaders`` is an email message, whose
    lookups cost a third of a verification."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


@functools.lru_cache(maxsize=256)
def _signing_key(signer: type[SigV4Auth], secret: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key (secret -> date -> region -> service -> "aws4_request"), with
    botocore's own HMAC step; the same for every request of a key on one day."""
    sign = signer._sign  # botocore's step, not a copy of it
    key = sign(signer, f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = sign(signer, key, part)
    return key


class _AsSigned(SigV4Auth):
    """Sign exactly the headers the client listed, whatever else the request carries."""

    signed: tuple[str, ...] = ()

    def headers_to_sign(self, request: _Arrived) -> _SignedHeaders:
        return _SignedHeaders((name, request.headers.get(name) or "") for name in self.signed)

    def signature(self, string_to_sign: str, request: _Arrived) -> str:
        key = _signing_key(SigV4Auth, self.credentials.secret_key, request.context["timestamp"][0:8],
                           self._region_name, self._service_name)
        return self._sign(key, string_to_sign, hex=True)


class _Verifier(_AsSigned, SigV4Auth):
    pass


class _S3Verifier(_AsSigned, S3SigV4Auth):
    pass


class _S3PresignedVerifier(_AsSigned, S3SigV4QueryAuth):
    """A presigned S3 URL signs no payload (``UNSIGNED-PAYLOAD``)."""


def _signer(claimed: Signed, secret: str) -> SigV4Auth:
    return _verifier(claimed.access_key, secret, claimed.token, claimed.service, claimed.region,
                     claimed.signed_headers, claimed.expires is not None)


@functools.lru_cache(maxsize=256)
def _verifier(access_key: str, secret: str, token: str | None, service: str, region: str,
              headers: tuple[str, ...], presigned: bool) -> SigV4Auth:
    """A signer for one key, scope and list of signed headers (it holds no request state, so a
    session's requests share it)."""
    if service == "s3":
        kind: type[SigV4Auth] = _S3PresignedVerifier if presigned else _S3Verifier
    else:
        kind = _Verifier
    signer = kind(Credentials(access_key, secret, token), service, region)
    signer.signed = headers
    return signer


def expected_signature(request: Request, claimed: Signed, secret: str) -> str:
    """The signature ``request`` should carry, signed with ``secret``."""
    target = request.target
    if claimed.expires is not None:  # the canonical query string leaves the signature out
        path, _, query = target.partition("?")
        query = _SIGNATURE_PARAMETER.sub("", query).lstrip("&")
        target = f"{path}?{query}" if query else path
    arrived = _Arrived(request, target, claimed.timestamp)
    signer = _signer(claimed, secret)
    canonical = signer.canonical_request(arrived)
    return signer.signature(signer.string_to_sign(arrived, canonical), arrived)


def signature_matches(request: Request, claimed: Signed, secret: str) -> bool:
    return hmac.compare_digest(expected_signature(request, claimed, secret), claimed.signature)


def presigned_expired(claimed: Signed, now: datetime) -> bool:
    """A presigned URL used after its ``X-Amz-Expires`` seconds."""
    when = claimed.signed_at()
    return claimed.expires is not None and when is not None and now > when + timedelta(seconds=claimed.expires)


def skew(claimed: Signed, now: datetime, allowed: timedelta) -> str | None:
    """Why the signature's time is refused (AWS's words), or None when it is current. A
    presigned URL may be used until it expires; it may not be dated in the future."""
    when = claimed.signed_at()
    if when is None:
        return "The request must contain a valid X-Amz-Date."
    if claimed.expires is None and when < now - allowed:
        return (f"Signature expired: {claimed.timestamp} is now earlier than "
                f"{(now - allowed).strftime(_TIMESTAMP)} ({now.strftime(_TIMESTAMP)} - {allowed.seconds // 60} min.)")
    if when > now + allowed:
        return (f"Signature not yet current: {claimed.timestamp} is still later than "
                f"{(now + allowed).strftime(_TIMESTAMP)} ({now.strftime(_TIMESTAMP)} + {allowed.seconds // 60} min.)")
    return None
