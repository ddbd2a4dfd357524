"""What every backend shares: the data directory, the store, and clients back to the server."""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.local.store import Store

if TYPE_CHECKING:
    from workflow.local.access.authorizer import Authorizer, Context
    from workflow.local.access.caller import Caller
    from workflow.local.access.principals import ServiceSessions
    from workflow.local.backend import Backend
    from workflow.local.sts.sessions import Session

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@dataclass
class ServerContext:
    data_dir: Path
    store: Store
    #: The URL clients (the engine, Lambda handlers, workers) use to reach this server.
    endpoint_url: str
    region: str = REGION
    account_id: str = ACCOUNT_ID
    #: Divides every wait the server makes on its own (Wait states, cooldowns, polling).
    time_scale: float = 1.0
    backends: dict[str, Backend] = field(default_factory=dict)
    #: Decides every call a role session makes; None (no IAM on this server) denies nothing.
    authorizer: Authorizer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _session: Any = field(default=None, repr=False)
    _service_sessions: Any = field(default=None, repr=False)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"

    def authorize(self, caller: Caller, action: str, resources: Iterable[str],
                  context: Context | None = None, *, service: str | None = None) -> None:
        """Return when ``caller`` may perform ``action`` (``sagemaker:CreateEndpoint``) on every
        one of ``resources`` (ARNs) with the condition keys of ``context`` (a mapping, or a
        function giving one when a policy reads it); raise AWS's
        AccessDenied, in the error shape of ``service`` (a botocore service name, default the
        action's prefix), when IAM would refuse. Callers other than role sessions, and every
        caller under ``--iam off``, are allowed."""
        if self.authorizer is not None:
            self.authorizer.authorize(caller, action, resources, context, service=service)

    @property
    def service_sessions(self) -> ServiceSessions:
        """The sessions AWS services open on their roles (``access.principals``)."""
        if self._service_sessions is None:
            from workflow.local.access.principals import ServiceSessions

            with self._lock:
                if self._service_sessions is None:
                    self._service_sessions = ServiceSessions(self)
        return self._service_sessions

    def backend(self, service: str) -> Backend:
        """The backend of ``service``, for the server and for that service's own facade: other
        services reach it through its ``facade`` module (tests/unit/test_service_boundaries.py)."""
        return self.backends[service]

    def client(self, service: str, credentials: Session | None = None, **config: Any) -> Any:
        """A boto3 client for ``service`` pointed at this server, signing as the account or,
        given ``credentials``, as that role session.

        ``config`` goes to ``botocore.config.Config`` (e.g. ``read_timeout=900``).
        """
        import boto3  # deferred: boto3 import is slow and the protocol layer never needs it
        from botocore.config import Config

        from workflow.local.protocol.models import botocore_session

        # One session for every client, over the botocore session whose service models the
        # protocol layer has loaded: a client of a session of its own would load them again,
        # with botocore's endpoint data (0.1-0.25 s a client instead of a few milliseconds).
        # A session is not thread-safe, so clients are built one at a time.
        with self._lock:
            if self._session is None:
                self._session = boto3.session.Session(
                    aws_access_key_id="local", aws_secret_access_key="local", region_name=self.region,
                    botocore_session=botocore_session(),
                )
            keys = {} if credentials is None else {
                "aws_access_key_id": credentials.access_key_id,
                "aws_secret_access_key": credentials.secret_access_key,
                "aws_session_token": credentials.session_token}
            return self._session.client(
                service, endpoint_url=self.endpoint_url, config=Config(**config) if config else None, **keys
            )
