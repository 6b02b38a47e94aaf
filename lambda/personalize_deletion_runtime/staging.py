"""Read a deletion list from S3, validate it, and stage one canonical copy for Personalize.

The job only ever reads the staged copy: one file under ``staging/`` in the construct's bucket,
checked line by line, with a header, LF line ends and no duplicates. Its SHA-256 is the content
identity that names the job, so the same list always maps to the same job.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .layout import data_location, staged_key
from .properties import DeletionRequest, Source
from .user_list import Limits, ListStats, canonicalize, select_csv_keys

CHUNK_BYTES = 1 << 20
MAX_KEYS_SHOWN = 5
SOURCE_HINTS = {
    "NoSuchKey": "the object does not exist: upload the list or fix the key",
    "NoSuchBucket": "the bucket does not exist in this account and region",
    "AccessDenied": "the handler role (or the bucket policy, or a KMS key) does not allow the "
    "read; the construct grants s3:GetObject on the source, check the bucket's own policy",
    "403": "access denied; the construct grants s3:GetObject on the source, check the bucket's "
    "own policy",
    "404": "the object does not exist: upload the list or fix the key",
}


class S3Client(Protocol):
    """The subset of boto3's S3 client used here."""

    def get_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_objects_v2(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def copy_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def head_object(self, **kwargs: Any) -> dict[str, Any]: ...


class SourceError(ValueError):
    """The source holds nothing usable (e.g. a folder without CSV files)."""


class SourceRemoved(SourceError):
    """The list was removed from the CDK assets bucket after its job ended (a tombstone)."""

    def __init__(self, location: str, job_name: str) -> None:
        super().__init__(
            f"{location} was removed from the CDK assets bucket after job {job_name} ended"
        )
        self.job_name = job_name


SOURCE_VERSION = "sourceVersionId"
"""The field of a request's input summary (ticket, receipt) naming the version of a local
list's CDK asset that was read: the one deleted once no job needs it."""
TOMBSTONE_METADATA = "pdd-removed-after-job"
"""Metadata of the object left in place of a removed list: the CDK CLI uploads an asset only
when its key is missing, so the key must stay, holding no ids."""
CLI_EMPTY_ASSET_BYTES = 22
"""The CDK CLI counts an object of at most this many bytes (an empty zip) as a missing asset,
and uploads the asset over it on every ``cdk deploy``: a tombstone must be larger."""


class VersionedBucket(RuntimeError):
    """A write to the deletion bucket was given a version id: the bucket has versioning
    enabled, where the purge of a staged list and its lifecycle expiration only add a delete
    marker and leave the list behind as a noncurrent version. The version written was
    deleted again, or the message says it could not be (and how to delete it by hand)."""

    def __init__(self, bucket: str, key: str, version_id: str, not_deleted: str | None) -> None:
        written = f"version {version_id} of s3://{bucket}/{key}"
        removal = (
            f"the list just written ({written}) was deleted again"
            if not_deleted is None
            else f"the list just written ({written}) could not be deleted ({not_deleted}): "
            f"delete it with aws s3api delete-object --bucket {bucket} --key {key} "
            f"--version-id {version_id}"
        )
        super().__init__(
            f"bucket '{bucket}' has versioning enabled, and a deletion bucket must not be "
            "versioned: the purge of a staged list and its lifecycle expiration only add a "
            "delete marker, so every list of user ids would stay as a noncurrent version; "
            f"{removal}; suspend its versioning (aws s3api put-bucket-versioning --bucket "
            f"{bucket} --versioning-configuration Status=Suspended) and delete the noncurrent "
            "versions it holds under staging/, or give the construct a bucket that was never "
            "versioned, then deploy again"
        )


def delete_every_version(bucket: str, key: str) -> str:
    """How to remove a list's copy that no handler will remove, with the commands: in a
    versioned bucket (the CDK assets bucket) deleting the key alone would keep the ids as a
    noncurrent version."""
    return (
        f"delete every version of s3://{bucket}/{key} (aws s3api list-object-versions --bucket "
        f"{bucket} --prefix {key}, then delete-object with each --version-id)"
    )


def kept_asset_advice(source: Source) -> str:
    """What to do with a local list's copy in the CDK assets bucket that no handler will
    remove (a request given up as not started: its resource succeeded, so ``cdk deploy`` would
    upload a missing list again for it); empty for a list of the user's own."""
    if not (source.asset and source.key):
        return ""
    return (
        f"; if you remove or rename the request instead, delete every version of "
        f"s3://{source.bucket}/{source.key}, the list's copy in the CDK assets bucket, which "
        "nothing removes"
    )


def tombstone_body(job_name: str) -> bytes:
    """What a tombstone holds: a note naming the job (never ids), longer than what the CLI
    counts as missing (an empty tombstone had the list uploaded again by the next deploy)."""
    return f"removed after data deletion job {job_name} ended\n".encode()


@dataclass(frozen=True)
class CanonicalList:
    """A validated list in a local file, with its counts and hash (never its ids)."""

    path: str
    stats: ListStats
    versions: dict[str, str | None]
    """The S3 version read of each object (``None`` in an unversioned bucket)."""

    def summary(self) -> dict[str, Any]:
        """Counts and hash for logs, events and receipts."""
        return asdict(self.stats)


class Storage:
    """S3 reads and writes of the handler."""

    def __init__(self, client: S3Client) -> None:
        self.client = client

    def canonical_list(self, request: DeletionRequest, workdir: str) -> CanonicalList:
        """Stream the source through the validator into ``workdir``; raise on the first error."""
        versions: dict[str, str | None] = {}
        parts = [
            (key, self._chunks(request.source.bucket, key, versions, request.source.version_id))
            for key in self._keys(request.source)
        ]
        path = os.path.join(workdir, "canonical.csv")
        with open(path, "wb") as sink:
            stats = canonicalize(
                parts,
                sink.write,
                limits=Limits(max_total_bytes=request.max_input_bytes),
                workdir=workdir,
            )
        return CanonicalList(path=path, stats=stats, versions=versions)

    def remove_asset(self, bucket: str, key: str, version_id: str | None, job_name: str) -> None:
        """Leave a tombstone at ``key`` and delete the version that held the list.

        Idempotent. The tombstone keeps the CDK CLI from uploading the list again (it uploads
        an asset when the key is missing or holds at most ``CLI_EMPTY_ASSET_BYTES``); deleting
        the read version (the assets bucket is versioned) removes the ids themselves rather
        than hiding them behind a newer one.
        """
        self.client.put_object(
            Bucket=bucket,
            Key=key,
            Body=tombstone_body(job_name),
            ContentType="text/plain",
            Metadata={TOMBSTONE_METADATA: job_name},
        )
        if version_id:
            self.client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)

    def forget_asset(self, bucket: str, key: str, version_id: str) -> None:
        """Delete the version of an asset that held a list no job will read (idempotent).

        No tombstone: the resource failed, and a later deployment that declares the request
        again must find the key missing, so that the CDK CLI uploads the list again.
        """
        self.client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)

    def stage(self, request: DeletionRequest, canonical: CanonicalList, job_name: str) -> str:
        """Upload the canonical list for ``job_name``; returns the dataLocation.

        One PutObject streamed from the file (botocore reads a file body in chunks, so a list
        of ``MaxInputBytes`` never sits in memory), whose answer says whether the bucket is
        versioned: raises :class:`VersionedBucket` (the version written deleted) if it is.
        """
        key = staged_key(job_name)
        with open(canonical.path, "rb") as body:
            written = self.client.put_object(Bucket=request.bucket, Key=key, Body=body)
        self._unversioned(request.bucket, key, written)
        return data_location(request.bucket, job_name)

    def copy_staged(self, bucket: str, job_name: str, to_job_name: str) -> bool:
        """Stage the list of ``job_name`` again for ``to_job_name`` (a follow-up job).

        Idempotent: ``True`` when the copy exists afterwards; ``False`` when the first job's
        list is gone and no copy was made earlier (nothing left to delete from). Raises
        :class:`VersionedBucket` (the copy deleted) in a versioned bucket.
        """
        key = staged_key(to_job_name)
        try:
            copied = self.client.copy_object(
                Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": staged_key(job_name)}
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                raise
            return self.staged(bucket, to_job_name)
        self._unversioned(bucket, key, copied)
        return True

    def _unversioned(self, bucket: str, key: str, written: dict[str, Any]) -> None:
        """Nothing, if the answer to a write names no version (or the "null" version of a
        bucket whose versioning is suspended: a DeleteObject removes that one); otherwise
        delete exactly the version written and raise :class:`VersionedBucket`."""
        version_id = written.get("VersionId")
        if version_id in (None, "null"):
            return
        try:
            self.client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        except (ClientError, BotoCoreError) as exc:
            raise VersionedBucket(bucket, key, version_id, str(exc)) from exc
        raise VersionedBucket(bucket, key, version_id, None)

    def staged(self, bucket: str, job_name: str) -> bool:
        """Whether the staged list of ``job_name`` exists (asked by listing its key: the roles
        may list the staging prefix, and read it only for a follow-up)."""
        return self.exists(bucket, staged_key(job_name))

    def purge(self, bucket: str, job_name: str) -> None:
        """Delete a staged list once its job is terminal (idempotent)."""
        self.client.delete_object(Bucket=bucket, Key=staged_key(job_name))

    def put_json_once(self, bucket: str, key: str, document: dict[str, Any]) -> bool:
        """Write a small JSON document unless the key exists; ``False`` if it did.

        S3's conditional write (``If-None-Match: *``) decides, so two writers racing for the
        same receipt cannot overwrite each other: the first one's facts stand.
        """
        try:
            self.client.put_object(
                Bucket=bucket,
                Key=key,
                Body=json.dumps(document, indent=2, sort_keys=True).encode(),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "PreconditionFailed":
                return False
            raise
        return True

    def read_json(self, bucket: str, key: str) -> dict[str, Any] | None:
        """A small JSON document, or ``None`` if there is none under ``key``.

        Existence is asked with a listing of exactly that key: without ``s3:ListBucket``, S3
        answers a GetObject of a missing key with AccessDenied rather than NoSuchKey, and the
        handlers may list only with a prefix condition.
        """
        if not self.exists(bucket, key):
            return None
        body = self.client.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            return json.loads(body.read())
        finally:
            body.close()

    def exists(self, bucket: str, key: str) -> bool:
        """Whether ``key`` exists, asked with a listing of exactly that key (the roles may list
        the receipts and staging prefixes, and read only some of what is there)."""
        page = self.client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in page.get("Contents", []))

    def _keys(self, source: Source) -> list[str]:
        """The objects to read; a folder must hold only ``.csv`` parts (and folder markers).

        Anything else (``part-00000``, ``.csv.gz``, ``.tsv`` from an export job) fails the
        request by name: reading only some of a folder would delete only some of the users.
        """
        if source.key is not None:
            return [source.key]
        keys: list[str] = []
        request: dict[str, Any] = {"Bucket": source.bucket, "Prefix": source.prefix}
        while True:
            page = _read(source.description, "listed", self.client.list_objects_v2, **request)
            keys.extend(item["Key"] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                break
            request["ContinuationToken"] = page["NextContinuationToken"]
        csv_keys, ignored = select_csv_keys(keys)
        others = [key for key in ignored if not key.endswith("/")]
        if others:
            shown = ", ".join(others[:MAX_KEYS_SHOWN])
            more = (
                f" and {len(others) - MAX_KEYS_SHOWN} more" if len(others) > MAX_KEYS_SHOWN else ""
            )
            raise SourceError(
                f"{source.description} holds {len(others)} object(s) that are not .csv files "
                f"({shown}{more}): a folder source must contain only the deletion list's CSV "
                "parts; move the other objects or point the request at a folder of its own"
            )
        if not csv_keys:
            raise SourceError(
                f"{source.description} holds no .csv objects: put the deletion list there as "
                "CSV files with the header USER_ID"
            )
        return csv_keys

    def _chunks(
        self,
        bucket: str,
        key: str,
        versions: dict[str, str | None],
        version_id: str | None = None,
    ) -> Iterator[bytes]:
        """Open the object only when the validator reaches it (parts are read in order)."""
        where = f"s3://{bucket}/{key}"
        pinned = {"VersionId": version_id} if version_id is not None else {}
        if version_id is not None:
            where += f" (version {version_id})"
        response = _read(where, "read", self.client.get_object, Bucket=bucket, Key=key, **pinned)
        body = response["Body"]
        removed_after = response.get("Metadata", {}).get(TOMBSTONE_METADATA)
        if removed_after is not None:
            body.close()
            raise SourceRemoved(where, removed_after)
        versions[key] = response.get("VersionId")
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        except (ClientError, BotoCoreError) as exc:
            raise SourceError(f"{where} could not be read to the end: {exc}") from exc
        finally:
            body.close()


def _read(where: str, verb: str, call: Any, **request: Any) -> dict[str, Any]:
    """An S3 read whose failure names the location and the service's answer."""
    try:
        return call(**request)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        hint = SOURCE_HINTS.get(code, "check the location and the handler role's access")
        raise SourceError(
            f"{where} could not be {verb}: {code} ({error.get('Message') or 'no message'}); {hint}"
        ) from exc
    except BotoCoreError as exc:
        raise SourceError(f"{where} could not be {verb}: {exc}") from exc


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    """A private folder under /tmp (Lambda's ephemeral storage) for one invocation."""
    return tempfile.TemporaryDirectory(prefix="pdd-")
