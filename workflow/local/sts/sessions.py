"""Role sessions: the temporary credentials STS issues, and how a request's key finds them.

A session's record holds its secret (the data directory is private to its owner for that
reason). The protocol layer looks a request's access key up here, on every request a
session signs, so sessions are kept in memory as well as in the store.
"""
from __future__ import annotations

import base64
import functools
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from workflow.local.access.caller import AssumedRole
from workflow.local.iam.facade import Role
from workflow.local.store import Store

SESSION = "sts.session"
#: Temporary access key ids start with ASIA (long-term ones with AKIA); the rest is base32.
KEY_PREFIX = "ASIA"
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: Expired sessions are kept this long, so their requests are told ExpiredToken, then dropped.
KEEP_EXPIRED = timedelta(days=1)


@dataclass
class Session:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    account_id: str
    role_name: str
    role_arn: str
    role_id: str
    session_name: str
    #: Who assumed the role: a service principal (``lambda.amazonaws.com``) or a caller's ARN.
    assumed_by: str
    session_policy: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def caller(self) -> AssumedRole:
        """The session as the caller of the requests it signs (built once: every request asks)."""
        return AssumedRole(self.account_id, self.role_name, self.role_arn, self.role_id, self.session_name,
                           self.access_key_id, self.expiration, self.session_policy,
                           tuple(sorted(self.tags.items())))

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(timezone.utc)) >= self.expiration


def _secret(size: int) -> str:
    return base64.b64encode(secrets.token_bytes(size)).decode("ascii")


class Sessions:
    def __init__(self, store: Store, account_id: str, *, time_scale: float = 1.0) -> None:
        self._store = store
        self._account_id = account_id
        #: A session lasts its duration divided by the server's time scale, as every other
        #: wait the server makes does (so a test sees credentials expire).
        self._time_scale = time_scale
        self._known: dict[str, Session] = {}
        self._lock = threading.Lock()

    def issue(self, role: Role, session_name: str, duration: int, *, assumed_by: str,
              session_policy: str | None = None, tags: dict[str, str] | None = None) -> Session:
        key = KEY_PREFIX + "".join(secrets.choice(_KEY_CHARS) for _ in range(16))
        expiration = datetime.now(timezone.utc) + timedelta(seconds=duration / self._time_scale)
        session = Session(key, _secret(30), _secret(132), expiration, self._account_id, role.name, role.arn,
                          role.role_id, session_name, assumed_by, session_policy,
                          {**role.tags, **(tags or {})})
        self._store.put(SESSION, key, asdict(session))
        with self._lock:
            self._known[key] = session
        return session

    def find(self, access_key_id: str) -> Session | None:
        """The session of a key this server issued, expired or not; None for any other key."""
        if not access_key_id.startswith(KEY_PREFIX):
            return None
        with self._lock:
            session = self._known.get(access_key_id)
        if session is None:
            doc: dict[str, Any] | None = self._store.get(SESSION, access_key_id)
            if doc is None:
                return None
            session = Session(**doc)
            with self._lock:
                self._known[access_key_id] = session
        return session

    def drop_expired(self) -> None:
        """Forget sessions long expired (at start: each record holds a secret)."""
        cutoff = datetime.now(timezone.utc) - KEEP_EXPIRED
        for doc in self._store.list(SESSION):
            if doc["expiration"] < cutoff:
                self._store.delete(SESSION, doc["access_key_id"])
