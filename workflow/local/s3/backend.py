"""The S3 backend: each operation's request members in, its response members out.

The protocol layer (``protocol/rest_xml.py``) parses and validates the request against
botocore's ``s3`` model; this module turns members into calls on the typed core
(``objects``, ``multipart``) and records into response members. It never sees HTTP.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from workflow.local import calls
from workflow.local.access import caller as callers
from workflow.local.access.caller import Caller
from workflow.local.access.s3_answers import missing_key_status
from workflow.local.backend import Backend, snake_case
from workflow.local.context import ServerContext
from workflow.local.s3 import checksums, conditions, listing
from workflow.local.s3.errors import (
    AccessDenied,
    InvalidArgument,
    InvalidRequest,
    MalformedXML,
    NoSuchKey,
    NotImplementedByLocalS3,
)
from workflow.local.s3.facade import S3Access
from workflow.local.s3.multipart import Multipart, PartRequest
from workflow.local.s3.objects import ObjectStore, owner_id
from workflow.local.s3.records import StoredObject, SystemMetadata
from workflow.local.streams import Payload

#: The session name SageMaker gives the execution role's sessions ("assumed-role/ROLE/SageMaker").
SERVICE_SESSION_NAME = "SageMaker"

log = logging.getLogger(__name__)

DATA_FOLDER = "s3"
MAX_DELETE_KEYS = 1000
_SYSTEM_MEMBERS = {"ContentType": "content_type", "ContentEncoding": "content_encoding",
                   "ContentDisposition": "content_disposition", "ContentLanguage": "content_language",
                   "CacheControl": "cache_control", "Expires": "expires"}
_OVERRIDES = {"ResponseContentType": "ContentType", "ResponseContentEncoding": "ContentEncoding",
              "ResponseContentDisposition": "ContentDisposition",
              "ResponseContentLanguage": "ContentLanguage", "ResponseCacheControl": "CacheControl",
              "ResponseExpires": "Expires"}


def _system(params: dict[str, Any]) -> SystemMetadata:
    values = {field: params[member] for member, field in _SYSTEM_MEMBERS.items() if params.get(member)}
    if "expires" in values and not isinstance(values["expires"], str):
        values["expires"] = values["expires"].strftime("%a, %d %b %Y %H:%M:%S GMT")
    return SystemMetadata(**values)


def _system_members(record: StoredObject) -> dict[str, Any]:
    return {member: getattr(record.system, field) for member, field in _SYSTEM_MEMBERS.items()}


def _checksum_members(record: StoredObject) -> dict[str, Any]:
    if record.checksum is None:
        return {}
    return {checksums.member(record.checksum.algorithm): record.checksum.value,
            "ChecksumType": record.checksum.type.value}


class S3Backend(Backend):
    service = "s3"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.owner = owner_id(ctx.account_id)
        self.objects = ObjectStore(ctx.store, ctx.data_dir / DATA_FOLDER, self.owner)
        self.multipart = Multipart(self.objects)
        #: The interface other local services use (never ``objects`` itself).
        self.access = S3Access(self.objects, self._authorize_caller, self._missing_key)

    def _acting(self, caller: Caller) -> Caller:
        # SageMaker reads and writes a job's or a model's data as the execution role the
        # request passed, in a session it opens on that role ("assumed-role/ROLE/SageMaker").
        return self.ctx.service_sessions.acting(caller, SERVICE_SESSION_NAME)

    def _authorize_caller(self, caller: Caller, action: str, resources: list[str],
                          context: Mapping[str, Any]) -> None:
        self.ctx.authorize(self._acting(caller), action, resources, context, service="s3")

    def _missing_key(self, caller: Caller, bucket: str) -> Exception | None:
        if missing_key_status(self.ctx, self._acting(caller), bucket) == 403:
            return AccessDenied("Access Denied")
        return None

    def start(self) -> None:
        removed = self.objects.sweep()
        if removed:
            log.info("removed %d unfinished or unused S3 files", removed)

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if getattr(self, snake_case(operation), None) is None:
            raise NotImplementedByLocalS3(
                f"{operation} is not implemented by the local S3.", fields={"Operation": operation})
        return super().handle(operation, params)

    # -- buckets ------------------------------------------------------------------
    def create_bucket(self, params: dict[str, Any]) -> dict[str, Any]:
        location = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        region = calls.current().region or self.ctx.region
        bucket = self.objects.create_bucket(params["Bucket"], region, location)
        return {"Location": f"/{bucket.name}"}

    def head_bucket(self, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.objects.bucket(params["Bucket"])
        return {"BucketRegion": bucket.region}

    def get_bucket_location(self, params: dict[str, Any]) -> dict[str, Any]:
        region = self.objects.bucket(params["Bucket"]).region
        return {"LocationConstraint": None if region == "us-east-1" else region}

    def list_buckets(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("Prefix") or ""
        return {"Buckets": [{"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region}
                            for b in self.objects.catalog.buckets() if b.name.startswith(prefix)],
                "Owner": {"ID": self.owner}}

    def delete_bucket(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.delete_bucket(params["Bucket"])
        return {}

    # -- objects ------------------------------------------------------------------
    def put_object(self, params: dict[str, Any]) -> dict[str, Any]:
        body: Payload = params.get("Body") or Payload.of_bytes(b"")
        written = self.objects.put(params["Bucket"], params["Key"], body, params,
                                   system=_system(params), metadata=params.get("Metadata") or {})
        return {"ETag": written.record.etag, "Size": written.record.size,
                **_checksum_members(written.record)}

    def _read(self, params: dict[str, Any]) -> tuple[StoredObject, tuple[int, int] | None, dict[str, Any]]:
        try:
            record = self.objects.head(params["Bucket"], params["Key"])
        except NoSuchKey:
            # A caller who may not list the bucket learns nothing of which keys exist.
            if missing_key_status(self.ctx, callers.current(), params["Bucket"]) == 403:
                raise AccessDenied("Access Denied") from None
            raise
        conditions.check_read(record, params)
        span = conditions.byte_range(params.get("Range"), record.size)
        out: dict[str, Any] = {
            "AcceptRanges": "bytes", "ETag": record.etag, "LastModified": record.last_modified,
            "Metadata": record.metadata, "ContentLength": record.size, **_system_members(record),
        }
        if record.parts_count and params.get("PartNumber"):
            out["PartsCount"] = record.parts_count
        if span is not None:
            out["ContentRange"] = f"bytes {span[0]}-{span[1]}/{record.size}"
            out["ContentLength"] = span[1] - span[0] + 1
        elif params.get("ChecksumMode") == "ENABLED":
            out.update(_checksum_members(record))
        for override, member in _OVERRIDES.items():
            if params.get(override):
                out[member] = params[override]
        return record, span, out

    def get_object(self, params: dict[str, Any]) -> dict[str, Any]:
        record, span, out = self._read(params)
        out["Body"] = self.objects.open(record, span)
        return out

    def head_object(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._read(params)[2]

    def delete_object(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.delete(params["Bucket"], params["Key"])
        return {}

    def delete_objects(self, params: dict[str, Any]) -> dict[str, Any]:
        request = params.get("Delete") or {}
        keys = [item["Key"] for item in request.get("Objects", [])]
        if not keys or len(keys) > MAX_DELETE_KEYS:
            raise MalformedXML("The XML you provided was not well-formed or did not validate against "
                               f"our published schema (1 to {MAX_DELETE_KEYS} keys).")
        self.objects.bucket(params["Bucket"])
        for key in keys:  # a key that is not there is deleted all the same, as S3 answers
            self.objects.delete(params["Bucket"], key)
        return {"Deleted": [] if request.get("Quiet") else [{"Key": key} for key in keys]}

    def copy_object(self, params: dict[str, Any]) -> dict[str, Any]:
        source_bucket, source_key = _copy_source(params["CopySource"])
        source = self.objects.head(source_bucket, source_key)
        directive = params.get("MetadataDirective") or "COPY"
        same = (source_bucket, source_key) == (params["Bucket"], params["Key"])
        if same and directive == "COPY" and not params.get("StorageClass"):
            raise InvalidRequest("This copy request is illegal because it is trying to copy an object to "
                                 "itself without changing the object's metadata, storage class, website "
                                 "redirect location or encryption attributes.")
        replace = directive == "REPLACE"
        record = self.objects.copy(source, params["Bucket"], params["Key"],
                                   system=_system(params) if replace else None,
                                   metadata=(params.get("Metadata") or {}) if replace else None)
        checksum = _checksum_members(record)
        return {"CopyObjectResult": {"ETag": record.etag, "LastModified": record.last_modified,
                                     **checksum}}

    def list_objects_v2(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("Prefix") or ""
        delimiter = params.get("Delimiter") or None
        max_keys = params.get("MaxKeys", listing.MAX_KEYS)
        if max_keys < 0:
            raise InvalidArgument("Argument maxKeys must be an integer between 0 and 2147483647",
                                  fields={"ArgumentName": "maxKeys", "ArgumentValue": str(max_keys)})
        if params.get("ContinuationToken"):
            start = listing.decode_token(params["ContinuationToken"])
        elif params.get("StartAfter"):
            start = listing.successor(params["StartAfter"].encode("utf-8", errors="surrogatepass"))
        else:
            start = b""
        page = self.objects.list(params["Bucket"], prefix=prefix, delimiter=delimiter, start=start,
                                 max_keys=max_keys)
        encode = _url_encoder(params.get("EncodingType"))
        contents = []
        for _, record in page.entries:
            item: dict[str, Any] = {"Key": encode(record.key), "LastModified": record.last_modified,
                                    "ETag": record.etag, "Size": record.size, "StorageClass": "STANDARD"}
            if record.checksum is not None:
                item["ChecksumAlgorithm"] = [record.checksum.algorithm]
                item["ChecksumType"] = record.checksum.type.value
            if params.get("FetchOwner"):
                item["Owner"] = {"ID": self.owner}
            contents.append(item)
        out: dict[str, Any] = {
            "Name": params["Bucket"], "Prefix": encode(prefix), "MaxKeys": min(max_keys, listing.MAX_KEYS),
            "KeyCount": page.count, "IsTruncated": page.truncated, "Contents": contents or None,
            "CommonPrefixes": [{"Prefix": encode(p.decode("utf-8", errors="surrogatepass"))}
                               for p in page.prefixes] or None,
            "Delimiter": encode(delimiter) if delimiter else None,
            "EncodingType": params.get("EncodingType"),
            "ContinuationToken": params.get("ContinuationToken"),
            "NextContinuationToken": page.next_token,
            "StartAfter": encode(params["StartAfter"]) if params.get("StartAfter") else None,
        }
        return out

    # -- multipart uploads --------------------------------------------------------
    def create_multipart_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        upload = self.multipart.create(
            params["Bucket"], params["Key"], system=_system(params), metadata=params.get("Metadata") or {},
            algorithm=params.get("ChecksumAlgorithm"), kind=params.get("ChecksumType"))
        out: dict[str, Any] = {"Bucket": upload.bucket, "Key": upload.key, "UploadId": upload.upload_id}
        if upload.checksum_algorithm:
            out["ChecksumAlgorithm"] = upload.checksum_algorithm
            out["ChecksumType"] = upload.checksum_type.value if upload.checksum_type else None
        return out

    def upload_part(self, params: dict[str, Any]) -> dict[str, Any]:
        body: Payload = params.get("Body") or Payload.of_bytes(b"")
        part, computed = self.multipart.upload_part(params["Bucket"], params["Key"], params["UploadId"],
                                                    params["PartNumber"], body, params)
        out: dict[str, Any] = {"ETag": part.etag}
        for algorithm, value in computed.items():
            if params.get(checksums.member(algorithm)) or params.get("ChecksumAlgorithm") == algorithm:
                out[checksums.member(algorithm)] = value
        return out

    def complete_multipart_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = [
            PartRequest(p.get("PartNumber", 0), p.get("ETag", ""),
                        {a: p[checksums.member(a)] for a in checksums.ALGORITHMS if p.get(checksums.member(a))})
            for p in (params.get("MultipartUpload") or {}).get("Parts", [])
        ]
        record = self.multipart.complete(params["Bucket"], params["Key"], params["UploadId"], requested, params)
        return {"Location": f"/{quote(record.bucket)}/{quote(record.key)}", "Bucket": record.bucket,
                "Key": record.key, "ETag": record.etag, **_checksum_members(record)}

    def abort_multipart_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        self.multipart.abort(params["Bucket"], params["Key"], params["UploadId"])
        return {}

    def list_parts(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = min(params.get("MaxParts", 1000), 1000)
        after = params.get("PartNumberMarker") or 0
        upload, parts, truncated = self.multipart.list_parts(
            params["Bucket"], params["Key"], params["UploadId"], int(after), limit)
        items = []
        for part in parts:
            item: dict[str, Any] = {"PartNumber": part.number, "LastModified": part.last_modified,
                                    "ETag": part.etag, "Size": part.size}
            if upload.checksum_algorithm:
                item[checksums.member(upload.checksum_algorithm)] = part.checksums.get(upload.checksum_algorithm)
            items.append(item)
        return {"Bucket": upload.bucket, "Key": upload.key, "UploadId": upload.upload_id,
                "PartNumberMarker": after, "NextPartNumberMarker": parts[-1].number if parts else None,
                "MaxParts": limit, "IsTruncated": truncated, "Parts": items,
                "Initiator": {"ID": upload.owner}, "Owner": {"ID": upload.owner}, "StorageClass": "STANDARD",
                "ChecksumAlgorithm": upload.checksum_algorithm,
                "ChecksumType": upload.checksum_type.value if upload.checksum_type else None}

    def list_multipart_uploads(self, params: dict[str, Any]) -> dict[str, Any]:
        self.objects.bucket(params["Bucket"])
        prefix = params.get("Prefix") or ""
        uploads = [u for u in self.objects.catalog.uploads(params["Bucket"]) if u.key.startswith(prefix)]
        return {"Bucket": params["Bucket"], "Prefix": prefix or None, "IsTruncated": False,
                "MaxUploads": 1000,
                "Uploads": [{"UploadId": u.upload_id, "Key": u.key, "Initiated": u.initiated,
                             "StorageClass": "STANDARD", "Owner": {"ID": u.owner},
                             "Initiator": {"ID": u.owner}} for u in uploads[:1000]] or None}


def _copy_source(value: str) -> tuple[str, str]:
    """``bucket/key`` (URL-encoded, optionally with a leading ``/`` and ``?versionId=``)."""
    path = unquote(value.split("?", 1)[0]).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise InvalidArgument("Invalid copy source object key",
                              fields={"ArgumentName": "x-amz-copy-source", "ArgumentValue": value})
    return bucket, key


def _url_encoder(encoding: str | None) -> Any:
    if encoding == "url":
        return lambda value: quote(value, safe="/")
    return lambda value: value
