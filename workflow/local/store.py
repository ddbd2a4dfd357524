"""The local server's persistent state: JSON documents and event logs in SQLite.

Every resource (state machine, execution, function, job, endpoint, ...) is a
document keyed by ``(kind, key)``, normally its ARN or name. Execution
histories are append-only event logs. SQLite in WAL mode with one connection
per thread lets many request threads read while one writes, and a crash never
leaves a half-written document.
"""
from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS documents_by_seq ON documents (kind, seq);
CREATE TABLE IF NOT EXISTS events (
    scope TEXT NOT NULL,
    id INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (scope, id)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_DATE = "$date"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_DATE: value.isoformat()}
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("bytes cannot be stored in a document; store a path instead")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DATE in obj:
        return datetime.fromisoformat(obj[_DATE])
    return obj


def dumps(doc: Any) -> str:
    return json.dumps(doc, default=_default, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_hook)


class Store:
    """Documents and event logs; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # executescript commits on its own, so it runs outside _transaction.
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- tables of a service's own ----------------------------------------------------
    def create_tables(self, sql: str) -> None:
        """Create a service's own tables (``CREATE TABLE IF NOT EXISTS ...``), for records a
        document per key does not serve (S3's objects, listed in key order)."""
        self._connection().executescript(sql)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction over a service's own tables."""
        with self._transaction() as db:
            yield db

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read over a service's own tables."""
        return self._connection().execute(sql, args).fetchall()

    def _next(self, db: sqlite3.Connection, name: str) -> int:
        db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT(name) DO UPDATE SET value = value + 1",
            (name,),
        )
        return db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0]

    # -- documents --------------------------------------------------------
    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        """Insert or replace; a replaced document keeps its place in ``list``."""
        with self._transaction() as db:
            self._put(db, kind, key, dumps(doc))

    def _put(self, db: sqlite3.Connection, kind: str, key: str, body: str) -> None:
        row = db.execute(
            "SELECT seq FROM documents WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        seq = row[0] if row else self._next(db, "documents")
        db.execute(
            "INSERT OR REPLACE INTO documents (kind, key, seq, body) VALUES (?, ?, ?, ?)",
            (kind, key, seq, body),
        )

    def insert(self, kind: str, key: str, doc: dict[str, Any]) -> bool:
        """Insert only if absent; returns False (and changes nothing) when it exists."""
        body = dumps(doc)
        with self._transaction() as db:
            if db.execute(
                "SELECT 1 FROM documents WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone():
                return False
            db.execute(
                "INSERT INTO documents (kind, key, seq, body) VALUES (?, ?, ?, ?)",
                (kind, key, self._next(db, "documents"), body),
            )
            return True

    def update(
        self, kind: str, key: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """Read-modify-write in one transaction; ``change`` may mutate or return a new doc.

        Returns the stored document, or None when there is none (``change`` not called).
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT body FROM documents WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            if row is None:
                return None
            doc = loads(row[0])
            new = change(doc)
            # Only a dict replaces the document: ``lambda d: d.pop(k)`` must not store the value.
            doc = new if isinstance(new, dict) else doc
            db.execute(
                "UPDATE documents SET body = ? WHERE kind = ? AND key = ?",
                (dumps(doc), kind, key),
            )
            return doc

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self._connection().execute(
            "SELECT body FROM documents WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return loads(row[0]) if row else None

    def delete(self, kind: str, key: str) -> bool:
        with self._transaction() as db:
            cur = db.execute("DELETE FROM documents WHERE kind = ? AND key = ?", (kind, key))
            return cur.rowcount > 0

    def list(self, kind: str, prefix: str | None = None) -> builtins.list[dict[str, Any]]:
        """All documents of a kind (whose key starts with ``prefix``), oldest first."""
        return [doc for _, doc in self.items(kind, prefix)]

    def items(self, kind: str, prefix: str | None = None) -> builtins.list[tuple[str, dict[str, Any]]]:
        """(key, document) pairs of a kind (whose key starts with ``prefix``), oldest first."""
        sql, args = "SELECT key, body FROM documents WHERE kind = ?", [kind]
        if prefix:
            # A key range rather than LIKE: the primary key's index answers it, whatever the key holds.
            sql += " AND key >= ? AND key < ?"
            args += [prefix, prefix + "\U0010ffff"]
        rows = self._connection().execute(sql + " ORDER BY seq", args)
        return [(key, loads(body)) for key, body in rows]

    # -- event logs -------------------------------------------------------
    def append_event(self, scope: str, event: dict[str, Any],
                     document: tuple[str, str, dict[str, Any]] | None = None) -> None:
        """Append an event whose ``id`` is its position in the log (1, 2, ...); with
        ``document`` (kind, key, doc), put that document in the same transaction."""
        body = dumps(event)
        doc_body = dumps(document[2]) if document is not None else None
        with self._transaction() as db:
            db.execute(
                "INSERT INTO events (scope, id, body) VALUES (?, ?, ?)",
                (scope, int(event["id"]), body),
            )
            if document is not None and doc_body is not None:
                self._put(db, document[0], document[1], doc_body)

    def events(
        self, scope: str, *, after: int = 0, before: int | None = None, reverse: bool = False,
        limit: int | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Events with ``after < id < before``, in id order (or reversed)."""
        sql = "SELECT body FROM events WHERE scope = ? AND id > ?"
        args: list[Any] = [scope, after]
        if before is not None:
            sql += " AND id < ?"
            args.append(before)
        sql += " ORDER BY id DESC" if reverse else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [loads(body) for (body,) in self._connection().execute(sql, args)]

    def event_count(self, scope: str) -> int:
        return self._connection().execute(
            "SELECT COUNT(*) FROM events WHERE scope = ?", (scope,)
        ).fetchone()[0]

    def delete_events(self, scope: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM events WHERE scope = ?", (scope,))
