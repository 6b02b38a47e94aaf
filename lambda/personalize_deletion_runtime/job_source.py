"""Whether an Update's list is the one that produced the resource's job, without reading it.

A job's name holds the hash of the list read when the job was named, and an ``s3``/``s3Prefix``
source without a pinned version is read again by every event that reads it: an Update that
changes only the request's tags, or CloudFormation's rollback to the properties that created
the job, would read whatever the object holds now, and a changed object would name (and
start) a second job, or fail validation and leave the stack ``UPDATE_ROLLBACK_FAILED``.

So every input summary records ``sourceIdentity``: a digest of the properties that define the
list (job name prefix, request name, dataset group, every ``Source`` field, ``ContentSha256``;
never the tags, the completion policy or anything else that does not name the list). It
travels in the ticket, the tracker's state and the receipt. An Update keeps the resource's job
without reading the source when its list properties are proven to be the job's:

- they equal ``OldResourceProperties``'s (what CloudFormation last applied produced the
  physical id), or
- the job's receipt, or the input of the tracker execution that follows it, records the same
  ``sourceIdentity`` (a rollback returns to properties that the failed Update had changed).

An Update that replaces the resource's job by a new one records in the new job's summary what
it replaced (``replaced``: ``{jobName, sourceIdentity}``, the identity of the properties that
produced the old job: ``OldResourceProperties``'s). A later Update whose list properties match
that identity returns the resource to the replaced job without reading the source, if the job
exists or its list is staged: CloudFormation's rollback past a successful Update (its
properties are the old ones, its physical id the new job), or a deliberate return to the old
properties (whose list was that job's). A new ``Revision`` reads the source again.

That record looks back one step only. A return is itself an Update that CloudFormation may roll
back (props of the job left, physical id the job returned to, whose record names neither), so
every Update that moves a resource from one job to another also writes, per resource and source
identity, the job those properties named: ``receipts/sources/<digest>.json``, the digest of the
resource's stack id, logical id and the identity (``index_key``), holding ``{jobName,
sourceIdentity}``. Only the resource's own entries are read: the bucket serves every resource
and stack, and another's history says nothing of what this resource's properties named.

- The entry for the identity it LEFT (-> the job it left) is written by ``on_event`` before
  anything is staged, submitted or returned to: it is true whatever the event's outcome, and a
  rollback of a return needs it. Should that write fail, the event fails and starts nothing
  (its rollback keeps the job by record).
- The entry for its own identity (-> the job it moves to) is written only once the event
  succeeds (``is_complete`` answers complete): a failed Update's job must not capture the next
  deployment of those properties. A fault there is logged: the job exists or is queued.

An Update whose list properties match no record of the resource's job but one of its entries
goes to that job unread, on the same terms. An index,
rather than a record on the job returned to, because that job's receipt is written once and
its tracker input is fixed; and under ``receipts/`` because the handler may already write and
list there, and nothing there expires (a return may come months after the job it leaves).

Should the job that properties are proven to name be gone (never created, its list purged),
the source is read, and an Update whose list then names another job fails and starts none.

None holds any id: the digest covers locations and labels, the record a job name.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .failures import BOOKKEEPING_FAULTS, DeletionFailed
from .layout import receipt_key, source_key
from .properties import DeletionRequest, PropertyError
from .request_rules import is_job_of
from .services import Services

LOGGER = logging.getLogger(__name__)
SOURCE_IDENTITY = "sourceIdentity"
"""The field of an input summary (ticket, tracker state, receipt) naming the list's source."""
REPLACED = "replaced"
"""The field of a new job's input summary naming the job it replaced and that job's identity."""
JOB_NAME = "jobName"
IDENTITY_LENGTH = 16


def source_identity(request: DeletionRequest) -> str:
    """A digest of what defines the request's list (see the module's docstring)."""
    source = request.source
    document = {
        "prefix": request.job_name_prefix,
        "requestName": request.request_name,
        "datasetGroupArn": request.dataset_group_arn,
        "contentSha256": request.content_sha256,
        "source": {
            "bucket": source.bucket,
            "key": source.key,
            "prefix": source.prefix,
            "asset": source.asset,
            "versionId": source.version_id,
            "revision": source.revision,
        },
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:IDENTITY_LENGTH]


@dataclass(frozen=True)
class Evidence:
    """What an Update's properties prove about the resource's job ``physical_id``."""

    kept: dict[str, Any] | None
    """The job's input summary if the properties name its list (``{}`` when proven by
    ``OldResourceProperties`` and no record of the job says more); ``None`` if unproven."""
    returns_to: str | None
    """The job the properties named before, if not ``physical_id``: the one it replaced, if
    they are the ones that produced it, else the one the index names."""
    replaced: dict[str, str] | None
    """What a new job started by this Update records it replaced (``None``: unknown)."""


def examine(
    request: DeletionRequest,
    physical_id: str,
    old_properties: Mapping[str, Any] | None,
    resource: Mapping[str, Any],
    services: Services,
) -> Evidence:
    """Whether ``request`` names the list of job ``physical_id``, or of the job it replaced
    (see the module's docstring); ``resource``: the event (its stack and logical id)."""
    identity = source_identity(request)
    recorded = recorded_input(request.bucket, physical_id, services)
    old = _identity_of(old_properties, services) if old_properties is not None else None
    kept: dict[str, Any] | None = None
    returns_to: str | None = None
    if recorded is not None and recorded.get(SOURCE_IDENTITY) == identity:
        kept = recorded
    elif old == identity:
        kept = recorded if recorded is not None else {}
    else:
        returns_to = _replaced_by(request, identity, recorded) or named_by(
            request, resource, services
        )
        if returns_to == physical_id:  # the index says so, though no record of the job did
            kept, returns_to = recorded if recorded is not None else {}, None
    mine = old or (recorded or {}).get(SOURCE_IDENTITY)
    return Evidence(
        kept=kept,
        returns_to=returns_to,
        replaced={JOB_NAME: physical_id, SOURCE_IDENTITY: mine} if isinstance(mine, str) else None,
    )


def index_key(resource: Mapping[str, Any], identity: str) -> str:
    """The index entry of ``identity`` for the event's resource: a digest of its stack id,
    logical id and the identity (keys name no stack or resource)."""
    named = f"{resource.get('StackId')}\n{resource.get('LogicalResourceId')}\n{identity}"
    return source_key(hashlib.sha256(named.encode()).hexdigest()[:32])


def named_by(
    request: DeletionRequest, resource: Mapping[str, Any], services: Services
) -> str | None:
    """The job the request's list properties named last for this resource (its index entry),
    if one is written and named for this request. A fault fails the Update: not knowing, it
    would read the source."""
    key = index_key(resource, source_identity(request))
    try:
        document = services.storage.read_json(request.bucket, key)
    except (ClientError, BotoCoreError, ValueError) as exc:
        raise DeletionFailed(
            f"request {request.request_name}: whether these list properties named a job before "
            f"could not be read ({exc}), so the source is not read either; deploy again; no job "
            "started"
        ) from exc
    job_name = (document or {}).get(JOB_NAME)
    return job_name if isinstance(job_name, str) and _own(request, job_name) else None


def write_entry(
    bucket: str, resource: Mapping[str, Any], identity: str, job_name: str, services: Services
) -> None:
    """Index ``job_name`` as the job this resource's list properties ``identity`` named (S3
    faults propagate: see :func:`leave` and :func:`remember`)."""
    services.storage.client.put_object(
        Bucket=bucket,
        Key=index_key(resource, identity),
        Body=json.dumps({JOB_NAME: job_name, SOURCE_IDENTITY: identity}).encode(),
        ContentType="application/json",
    )


def leave(
    request: DeletionRequest,
    resource: Mapping[str, Any],
    left: Mapping[str, str] | None,
    services: Services,
) -> None:
    """An Update moves the resource off job ``left``: index it under the identity that named
    it, before anything is started. A fault fails the event: without the entry, a rollback to
    those properties would read the source and could start a job for a list nobody checked."""
    if left is None:
        return
    try:
        write_entry(request.bucket, resource, left[SOURCE_IDENTITY], left[JOB_NAME], services)
    except BOOKKEEPING_FAULTS as exc:
        raise DeletionFailed(
            f"request {request.request_name}: which job the list properties this Update leaves "
            f"named ({left[JOB_NAME]}) could not be written to {request.bucket} ({exc}), so a "
            "rollback to them could not return to it unread; nothing was started: deploy again"
        ) from exc


def remember(
    request: DeletionRequest, resource: Mapping[str, Any], job_name: str, services: Services
) -> None:
    """The Update that moved the resource to ``job_name`` succeeded: index it under the
    request's identity. A fault is logged: the job exists or is queued already, and failing
    a deletion that succeeded would mislead."""
    try:
        write_entry(request.bucket, resource, source_identity(request), job_name, services)
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "which job these list properties named was not written: a later Update back to "
            "them reads the source again, and fails if it holds another list",
            extra={"job_name": job_name, "error": str(exc)},
        )


def _replaced_by(
    request: DeletionRequest, identity: str, recorded: Mapping[str, Any] | None
) -> str | None:
    """The job the recorded job replaced, if it was produced by properties of ``identity``
    (and is named for this request)."""
    replaced = (recorded or {}).get(REPLACED)
    if not isinstance(replaced, Mapping) or replaced.get(SOURCE_IDENTITY) != identity:
        return None
    job_name = replaced.get(JOB_NAME)
    return job_name if isinstance(job_name, str) and _own(request, job_name) else None


def _own(request: DeletionRequest, job_name: str) -> bool:
    return is_job_of(request.job_name_prefix, request.request_name, job_name)


def recorded_input(bucket: str, job_name: str, services: Services) -> dict[str, Any] | None:
    """The input summary a record of ``job_name`` holds: its receipt (written when it ended),
    else the input of the tracker execution that follows it; ``None`` if neither can be read
    (a fault is logged: the caller then reads the source, as before)."""
    try:
        receipt = services.storage.read_json(bucket, receipt_key(job_name))
    except (ClientError, BotoCoreError, ValueError) as exc:
        LOGGER.warning("receipt not read", extra={"job_name": job_name, "error": str(exc)})
        receipt = None
    if receipt is not None and isinstance(receipt.get("input"), Mapping):
        return dict(receipt["input"])
    document = services.tracker.started_with(job_name) if services.tracker is not None else None
    job = (document or {}).get("job")
    if not isinstance(job, Mapping) or not isinstance(job.get("input"), Mapping):
        return None
    return dict(job["input"])


def relisted(
    request: DeletionRequest, old_properties: Mapping[str, Any] | None, services: Services
) -> bool:
    """Whether an Update changes the list properties (a new revision of the same list, say),
    even if it keeps its job: its success then indexes the job under the new ones too, so that
    a later rollback to them keeps the job unread."""
    if old_properties is None:
        return False
    return _identity_of(old_properties, services) != source_identity(request)


def _identity_of(properties: Mapping[str, Any], services: Services) -> str | None:
    """The source identity of earlier properties, if this handler can still parse them."""
    try:
        return source_identity(services.scopes.request(properties))
    except PropertyError:
        return None
