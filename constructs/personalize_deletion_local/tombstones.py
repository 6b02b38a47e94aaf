"""Repairing list assets uploaded again over tombstones (after upgrading, a cdk gc, a --force).

Once a local list's job ended, the handlers of earlier versions replaced its CDK asset with an
*empty* tombstone. The CDK CLI counts an object of at most 22 bytes as a missing asset (an empty
zip), so the next ``cdk deploy`` uploaded the list again over it; the request had not changed,
so no handler ran to remove that copy, and it stayed. Handlers now leave a tombstone the CLI
counts as published, but copies uploaded before stay until removed.

:func:`plan` finds them under a prefix of the CDK assets bucket: a key whose history holds a
tombstone belongs to a job that ended (job names are never reused), so every version there that
is not a tombstone is a list no job will read again. :func:`apply` deletes those versions and
leaves a current tombstone where the CLI would otherwise upload. Keys without a tombstone in
their history are left alone: jobs still running or never started, or, in a bucket without
versioning, lists uploaded again over a tombstone they replaced (the command warns). Nothing
read here is printed but keys, version ids, job names and counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from personalize_deletion_runtime.request_rules import MAX_JOB_NAME_LENGTH
from personalize_deletion_runtime.staging import (
    CLI_EMPTY_ASSET_BYTES,
    TOMBSTONE_METADATA,
    tombstone_body,
)


class AssetsBucketClient(Protocol):
    """The S3 calls the repair makes (boto3's S3 client has them)."""

    def get_bucket_versioning(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_paginator(self, operation_name: str) -> Any: ...
    def head_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def delete_object(self, **kwargs: Any) -> dict[str, Any]: ...
    def put_object(self, **kwargs: Any) -> dict[str, Any]: ...


LONGEST_TOMBSTONE_BYTES = len(tombstone_body("j" * MAX_JOB_NAME_LENGTH))
"""A tombstone names a job (at most 63 characters): any larger version holds a list."""


@dataclass
class KeyRepair:
    """What one list key needs: the versions holding a list to delete, and a new tombstone."""

    key: str
    job_name: str
    list_versions: list[str] = field(default_factory=list)
    put_tombstone: bool = False

    @property
    def needed(self) -> bool:
        return bool(self.list_versions) or self.put_tombstone

    def describe(self) -> str:
        actions = []
        if self.list_versions:
            actions.append(
                f"delete {len(self.list_versions)} version(s) holding the list "
                f"({', '.join(self.list_versions)})"
            )
        if self.put_tombstone:
            actions.append("put a tombstone the CDK CLI counts as published")
        return f"{self.key} (job {self.job_name} ended): " + "; ".join(actions)


@dataclass
class Plan:
    """Every list key under a prefix: those to repair, and how many were fine or left alone."""

    repairs: list[KeyRepair]
    already_right: int
    without_tombstone: int


def plan(s3: AssetsBucketClient, bucket: str, prefix: str = "") -> Plan:
    """Read the versions of every ``.csv`` key under ``prefix`` and decide what each needs."""
    repairs: list[KeyRepair] = []
    already_right = without_tombstone = 0
    for key, entries in _history(s3, bucket, prefix).items():
        tombstones: dict[str, str] = {}
        for entry in entries:
            if "Size" in entry and entry["Size"] <= LONGEST_TOMBSTONE_BYTES:
                head = s3.head_object(Bucket=bucket, Key=key, **_version(entry))
                job_name = head.get("Metadata", {}).get(TOMBSTONE_METADATA)
                if job_name is not None:
                    tombstones[entry["VersionId"]] = job_name
        if not tombstones:
            without_tombstone += 1
            continue
        latest = entries[0]
        repair = KeyRepair(
            key=key,
            job_name=next(iter(tombstones.values())),
            list_versions=[
                entry["VersionId"]
                for entry in entries
                if "Size" in entry and entry["VersionId"] not in tombstones
            ],
            put_tombstone=latest.get("VersionId") not in tombstones
            or latest.get("Size", 0) <= CLI_EMPTY_ASSET_BYTES,
        )
        if repair.needed:
            repairs.append(repair)
        else:
            already_right += 1
    return Plan(repairs, already_right, without_tombstone)


def apply(s3: AssetsBucketClient, bucket: str, repair: KeyRepair) -> None:
    """Delete the list versions first, then put the tombstone (so a failure part-way leaves
    no list behind a tombstone, and running again finishes the work)."""
    for version_id in repair.list_versions:
        s3.delete_object(Bucket=bucket, Key=repair.key, VersionId=version_id)
    if repair.put_tombstone:
        s3.put_object(
            Bucket=bucket,
            Key=repair.key,
            Body=tombstone_body(repair.job_name),
            ContentType="text/plain",
            Metadata={TOMBSTONE_METADATA: repair.job_name},
        )


def repair(
    s3: AssetsBucketClient,
    bucket: str,
    prefix: str,
    *,
    dry_run: bool,
    out: Callable[[str], None],
    faults: tuple[type[Exception], ...] = (),
) -> bool:
    """Plan, say what is (or would be) done, and do it unless ``dry_run``; ``False`` if a key
    could not be repaired (``faults`` of one key are reported and the others go on)."""
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        out(
            f"warning: s3://{bucket} is not versioned: an upload replaced each tombstone there, "
            "so a list uploaded again cannot be told from the list of a job still running; "
            "such keys are left alone"
        )
    found = plan(s3, bucket, prefix)
    failed = 0
    for item in found.repairs:
        if dry_run:
            out("would " + item.describe())
            continue
        try:
            apply(s3, bucket, item)
        except faults as exc:
            failed += 1
            out(f"could not repair {item.key}: {exc}")
            continue
        out(item.describe())
    verb = "would repair" if dry_run else "repaired"
    out(
        f"s3://{bucket}/{prefix}: {verb} {len(found.repairs) - failed} list key(s)"
        + (f", {failed} could not be repaired" if failed else "")
        + f"; {found.already_right} already hold only a tombstone the CLI counts as published; "
        f"{found.without_tombstone} have no tombstone in their history and are left alone"
    )
    return failed == 0


def _history(s3: AssetsBucketClient, bucket: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Versions and delete markers of every ``.csv`` key, newest first."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            if entry["Key"].endswith(".csv"):
                by_key.setdefault(entry["Key"], []).append(entry)
    for entries in by_key.values():
        entries.sort(key=lambda entry: (entry["IsLatest"], entry["LastModified"]), reverse=True)
    return by_key


def _version(entry: dict[str, Any]) -> dict[str, str]:
    """How to name one listed version in a request: the current one of a bucket whose
    versioning is off or suspended is ``null``, which some S3 implementations refuse by name."""
    if entry["VersionId"] == "null" and entry.get("IsLatest"):
        return {}
    return {"VersionId": entry["VersionId"]}
