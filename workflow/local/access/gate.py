"""The request-level check: who signed a request, and may they make it.

``authenticate`` runs before a request's parameters are validated (AWS authenticates first):
a request signed with a key this server issued must carry that key's session token, be
signed within the allowed clock skew for the service it reaches, with the key's secret, before
the session expires; any other request is the account's administrator's. ``admit`` runs
after validation: a role session's request is authorized on the operation's action and the
resources its parameters name (``reference.py``), and on ``iam:PassRole`` for each role it
passes. IAM and STS authorize their own operations (they know a role's real ARN).

The refusals are each protocol's own ("Common Errors" of the API references): the query
APIs answer ``SignatureDoesNotMatch``, ``InvalidClientTokenId`` and ``ExpiredToken``; the
JSON APIs ``InvalidSignatureException``, ``UnrecognizedClientException`` and
``ExpiredTokenException``; S3 ``SignatureDoesNotMatch``, ``InvalidToken`` and ``ExpiredToken``.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
import re
from contextlib import AbstractContextManager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from botocore.model import OperationModel

from workflow.local.access import caller as callers
from workflow.local.access import reference
from workflow.local.access.caller import ADMIN, AssumedRole, Caller
from workflow.local.access.sigv4 import Signed, presigned_expired, signature_matches, signed, skew
from workflow.local.errors import ClientError
from workflow.local.protocol.http import Request
from workflow.local.protocol.models import service_model
from workflow.local.sts.facade import SecurityTokenService, sts

if TYPE_CHECKING:
    from workflow.local.context import ServerContext

#: SigV4 requests must be signed within 5 minutes of the server's clock; S3 allows 15.
SKEW = timedelta(minutes=5)
S3_SKEW = timedelta(minutes=15)
_HASH = re.compile(r"^[0-9a-f]{64}$")


class Refusal(enum.Enum):
    SIGNATURE = "signature"
    TOKEN = "token"
    EXPIRED = "expired"


_SIGNATURE = ("The request signature we calculated does not match the signature you provided. Check your "
              "AWS Secret Access Key and signing method. Consult the service documentation for details.")
_INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"

#: (code, HTTP status, message) per protocol family and refusal: the query and JSON
#: services say the same under different codes; S3 has its own words.
_ERRORS: dict[str, dict[Refusal, tuple[str, int, str]]] = {
    "query": {
        Refusal.SIGNATURE: ("SignatureDoesNotMatch", 403, _SIGNATURE),
        Refusal.TOKEN: ("InvalidClientTokenId", 403, _INVALID_TOKEN),
        Refusal.EXPIRED: ("ExpiredToken", 403, _EXPIRED_TOKEN),
    },
    "json": {
        Refusal.SIGNATURE: ("InvalidSignatureException", 403, _SIGNATURE),
        Refusal.TOKEN: ("UnrecognizedClientException", 403, _INVALID_TOKEN),
        Refusal.EXPIRED: ("ExpiredTokenException", 403, _EXPIRED_TOKEN),
    },
    "rest-xml": {
        Refusal.SIGNATURE: ("SignatureDoesNotMatch", 403, "The request signature we calculated does not match "
                            "the signature you provided. Check your key and signing method."),
        Refusal.TOKEN: ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
        Refusal.EXPIRED: ("ExpiredToken", 400, "The provided token has expired."),
    },
}


def refusal(service: str, kind: Refusal, message: str | None = None) -> ClientError:
    protocol = service_model(service).protocol
    family = protocol if protocol in ("query", "rest-xml") else "json"
    code, status, default = _ERRORS[family][kind]
    return ClientError(message or default, code=code, status=status)


class Gate:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._actions: dict[tuple[str, str], str] = {}
        self._sts: SecurityTokenService | None = None

    def _tokens(self) -> SecurityTokenService | None:
        if self._sts is None:
            self._sts = sts(self.ctx)
        return self._sts

    def authenticate(self, request: Request, service: str) -> Caller:
        claimed = signed(request)
        tokens = self._tokens()
        session = tokens.session(claimed.access_key) if claimed is not None and tokens is not None else None
        if session is None:
            return ADMIN
        if self.ctx.authorizer is None or not self.ctx.authorizer.enforcing:
            return session.caller
        assert claimed is not None
        if claimed.token is None or not hmac.compare_digest(claimed.token, session.session_token):
            raise refusal(service, Refusal.TOKEN)
        now = datetime.now(timezone.utc)
        if session.expired(now):
            raise refusal(service, Refusal.EXPIRED)
        self._check_signature(request, service, claimed, session.secret_access_key, now)
        return session.caller

    def _check_signature(self, request: Request, service: str, claimed: Signed, secret: str, now: datetime) -> None:
        model = service_model(service)
        if presigned_expired(claimed, now):
            if model.protocol == "rest-xml":  # S3 answers an expired presigned URL so
                raise ClientError("Request has expired", code="AccessDenied", status=403)
            raise refusal(service, Refusal.SIGNATURE, "Request has expired")
        late = skew(claimed, now, S3_SKEW if model.signing_name == "s3" else SKEW)
        if late is not None:
            raise refusal(service, Refusal.SIGNATURE, late)
        if claimed.service != model.signing_name:
            raise refusal(service, Refusal.SIGNATURE,
                          f"Credential should be scoped to correct service: '{model.signing_name}'. ")
        declared = request.headers.get("X-Amz-Content-SHA256") or ""
        # S3 streams its bodies: its backend checks the signed hash as the bytes arrive
        # (XAmzContentSHA256Mismatch), so the signature stands on the declared hash here.
        if (_HASH.match(declared) and model.protocol != "rest-xml"
                and hashlib.sha256(request.body).hexdigest() != declared):
            raise refusal(service, Refusal.SIGNATURE,
                          "The provided 'x-amz-content-sha256' header does not match what was computed.")
        if not signature_matches(request, claimed, secret):
            raise refusal(service, Refusal.SIGNATURE)

    def admit(self, caller: Caller, service: str, operation: OperationModel,
              params: dict[str, Any]) -> AbstractContextManager[None]:
        """Authorize a role session's request; serve the backend with its caller current."""
        if isinstance(caller, AssumedRole) and not self.ctx.backends[service].authorizes_itself:
            self._authorize(caller, service, operation, params)
        return callers.serving(caller)

    def _authorize(self, caller: AssumedRole, service: str, operation: OperationModel,
                   params: dict[str, Any]) -> None:
        authorizer = self.ctx.authorizer
        if authorizer is None or not authorizer.enforcing:
            return
        model = service_model(service)
        key = (service, operation.name)
        action = self._actions.get(key)
        if action is None:
            action = self._actions[key] = reference.action_for(model, operation.name)
        arns = reference.resource_arns(action, params, region=self.ctx.region, account=self.ctx.account_id)
        self.ctx.authorize(caller, action, arns, lambda: reference.condition_context(action, params),
                           service=service)
        for role in reference.passed_roles(action, params):
            self.ctx.authorize(caller, "iam:PassRole", [role],
                               {"iam:PassedToService": reference.service_principal(model)}, service=service)

