"""S3's records in the server's SQLite store: tables of its own, keys as UTF-8 BLOBs.

BLOB keys compare byte by byte, which is S3's listing order (UTF-8 binary order), and
hold any key, NUL included. Records are JSON beside the key.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from workflow.local.s3.records import Bucket, Part, StoredObject, Upload
from workflow.local.store import Store, dumps, loads

_SCHEMA = """
CREATE TABLE IF NOT EXISTS s3_buckets (
    name TEXT PRIMARY KEY, region TEXT NOT NULL, created TEXT NOT NULL, owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS s3_objects (
    bucket TEXT NOT NULL, key BLOB NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS s3_uploads (
    upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS s3_uploads_by_key ON s3_uploads (bucket, key);
CREATE TABLE IF NOT EXISTS s3_parts (
    upload_id TEXT NOT NULL, number INTEGER NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)) WITHOUT ROWID;
"""
SCAN_BATCH = 1000


def _key(key: str) -> bytes:
    return key.encode("utf-8", errors="surrogatepass")


class Catalog:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.create_tables(_SCHEMA)

    # -- buckets ------------------------------------------------------------------
    def add_bucket(self, bucket: Bucket) -> bool:
        """False (nothing changed) when the name is taken."""
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM s3_buckets WHERE name = ?", (bucket.name,)).fetchone():
                return False
            db.execute("INSERT INTO s3_buckets VALUES (?, ?, ?, ?)",
                       (bucket.name, bucket.region, bucket.created.isoformat(), bucket.owner))
            return True

    def bucket(self, name: str) -> Bucket | None:
        rows = self.store.query("SELECT name, region, created, owner FROM s3_buckets WHERE name = ?", (name,))
        return _bucket(rows[0]) if rows else None

    def buckets(self) -> list[Bucket]:
        rows = self.store.query("SELECT name, region, created, owner FROM s3_buckets ORDER BY name")
        return [_bucket(row) for row in rows]

    def remove_bucket_if_empty(self, name: str) -> bool:
        """Delete an empty bucket; False when it holds objects or unfinished uploads."""
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", (name,)).fetchone() or \
                    db.execute("SELECT 1 FROM s3_uploads WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                return False
            db.execute("DELETE FROM s3_buckets WHERE name = ?", (name,))
            return True

    # -- objects ------------------------------------------------------------------
    def object(self, bucket: str, key: str) -> StoredObject | None:
        rows = self.store.query("SELECT record FROM s3_objects WHERE bucket = ? AND key = ?",
                                (bucket, _key(key)))
        return StoredObject.from_json(loads(rows[0][0])) if rows else None

    def put_object(self, record: StoredObject,
                   check: Callable[[StoredObject | None], None] | None = None) -> StoredObject | None:
        """Store ``record``; returns the record it replaced (whose blob is now unused).
        ``check`` sees the current record first, in the same transaction, and may raise."""
        with self.store.transaction() as db:
            row = db.execute("SELECT record FROM s3_objects WHERE bucket = ? AND key = ?",
                             (record.bucket, _key(record.key))).fetchone()
            if check is not None:
                check(StoredObject.from_json(loads(row[0])) if row else None)
            db.execute("INSERT OR REPLACE INTO s3_objects VALUES (?, ?, ?)",
                       (record.bucket, _key(record.key), dumps(record.to_json())))
        return StoredObject.from_json(loads(row[0])) if row else None

    def remove_object(self, bucket: str, key: str) -> StoredObject | None:
        with self.store.transaction() as db:
            row = db.execute("SELECT record FROM s3_objects WHERE bucket = ? AND key = ?",
                             (bucket, _key(key))).fetchone()
            db.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, _key(key)))
        return StoredObject.from_json(loads(row[0])) if row else None

    def scan(self, bucket: str, start: bytes, prefix: bytes) -> Iterator[tuple[bytes, StoredObject]]:
        """Objects with ``key >= start`` that begin with ``prefix``, in key order."""
        lower = max(start, prefix)
        first = True
        while True:
            op = ">=" if first else ">"
            rows = self.store.query(
                f"SELECT key, record FROM s3_objects WHERE bucket = ? AND key {op} ? "
                "ORDER BY key LIMIT ?", (bucket, lower, SCAN_BATCH))
            first = False
            for key, record in rows:
                key = bytes(key)
                if not key.startswith(prefix):
                    return
                yield key, StoredObject.from_json(loads(record))
            if len(rows) < SCAN_BATCH:
                return
            lower = bytes(rows[-1][0])

    def blobs_in_use(self) -> set[str]:
        used = set()
        for (record,) in self.store.query("SELECT record FROM s3_objects"):
            used.add(loads(record)["blob"])
        for (record,) in self.store.query("SELECT record FROM s3_parts"):
            used.add(loads(record)["blob"])
        return used

    # -- multipart uploads --------------------------------------------------------
    def add_upload(self, upload: Upload) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO s3_uploads VALUES (?, ?, ?, ?)",
                       (upload.upload_id, upload.bucket, _key(upload.key), dumps(upload.to_json())))

    def upload(self, upload_id: str) -> Upload | None:
        rows = self.store.query("SELECT record FROM s3_uploads WHERE upload_id = ?", (upload_id,))
        return Upload.from_json(loads(rows[0][0])) if rows else None

    def uploads(self, bucket: str) -> list[Upload]:
        rows = self.store.query("SELECT record FROM s3_uploads WHERE bucket = ? ORDER BY key, upload_id",
                                (bucket,))
        return [Upload.from_json(loads(r)) for (r,) in rows]

    def put_part(self, part: Part) -> Part | None:
        """Store ``part`` (a part number sent again replaces the earlier one); returns the
        replaced part, or None. Fails quietly (returns ``part``) when the upload is gone."""
        with self.store.transaction() as db:
            if not db.execute("SELECT 1 FROM s3_uploads WHERE upload_id = ?", (part.upload_id,)).fetchone():
                return part
            row = db.execute("SELECT record FROM s3_parts WHERE upload_id = ? AND number = ?",
                             (part.upload_id, part.number)).fetchone()
            db.execute("INSERT OR REPLACE INTO s3_parts VALUES (?, ?, ?)",
                       (part.upload_id, part.number, dumps(part.to_json())))
        return Part.from_json(loads(row[0])) if row else None

    def parts(self, upload_id: str, after: int = 0, limit: int | None = None) -> list[Part]:
        rows = self.store.query(
            "SELECT record FROM s3_parts WHERE upload_id = ? AND number > ? ORDER BY number LIMIT ?",
            (upload_id, after, -1 if limit is None else limit))
        return [Part.from_json(loads(r)) for (r,) in rows]

    def finish_upload(
        self, upload_id: str, record: StoredObject | None,
        check: Callable[[StoredObject | None], None] | None = None,
    ) -> tuple[list[Part], StoredObject | None] | None:
        """Remove the upload and its parts, storing ``record`` (a completed upload) in the
        same transaction; returns the parts and the object replaced, None when the upload is gone."""
        with self.store.transaction() as db:
            if not db.execute("SELECT 1 FROM s3_uploads WHERE upload_id = ?", (upload_id,)).fetchone():
                return None
            parts = [Part.from_json(loads(r)) for (r,) in db.execute(
                "SELECT record FROM s3_parts WHERE upload_id = ? ORDER BY number", (upload_id,))]
            replaced = None
            if record is not None:
                row = db.execute("SELECT record FROM s3_objects WHERE bucket = ? AND key = ?",
                                 (record.bucket, _key(record.key))).fetchone()
                replaced = StoredObject.from_json(loads(row[0])) if row else None
                if check is not None:
                    check(replaced)
                db.execute("INSERT OR REPLACE INTO s3_objects VALUES (?, ?, ?)",
                           (record.bucket, _key(record.key), dumps(record.to_json())))
            db.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
            db.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))
        return parts, replaced


def _bucket(row: tuple[str, str, str, str]) -> Bucket:
    return Bucket(row[0], row[1], datetime.fromisoformat(row[2]), row[3])
