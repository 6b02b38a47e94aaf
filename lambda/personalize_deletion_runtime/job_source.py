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

Neither holds any id: the digest covers locations and labels, the record a job name.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .layout import receipt_key
from .properties import DeletionRequest, PropertyError
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
    """The job ``physical_id`` replaced, if the properties are the ones that produced it."""
    replaced: dict[str, str] | None
    """What a new job started by this Update records it replaced (``None``: unknown)."""


def examine(
    request: DeletionRequest,
    physical_id: str,
    old_properties: Mapping[str, Any] | None,
    services: Services,
) -> Evidence:
    """Whether ``request`` names the list of job ``physical_id``, or of the job it replaced
    (see the module's docstring)."""
    identity = source_identity(request)
    recorded = recorded_input(request.bucket, physical_id, services)
    old = _identity_of(old_properties, services) if old_properties is not None else None
    kept: dict[str, Any] | None = None
    if recorded is not None and recorded.get(SOURCE_IDENTITY) == identity:
        kept = recorded
    elif old == identity:
        kept = recorded if recorded is not None else {}
    mine = old or (recorded or {}).get(SOURCE_IDENTITY)
    return Evidence(
        kept=kept,
        returns_to=None if kept is not None else _replaced_by(request, identity, recorded),
        replaced={JOB_NAME: physical_id, SOURCE_IDENTITY: mine} if isinstance(mine, str) else None,
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
    own_prefix = f"{request.job_name_prefix}-{request.request_name}-"
    return job_name if isinstance(job_name, str) and job_name.startswith(own_prefix) else None


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
    tracker = services.tracker
    if tracker is None:
        return None
    try:
        execution = tracker.client.describe_execution(executionArn=tracker.execution_arn(job_name))
        job = json.loads(execution["input"])["job"]
    except (ClientError, BotoCoreError, KeyError, TypeError, ValueError):
        return None  # no execution (never handed off, or purged 90 days after it closed)
    return dict(job["input"]) if isinstance(job.get("input"), Mapping) else None


def _identity_of(properties: Mapping[str, Any], services: Services) -> str | None:
    """The source identity of earlier properties, if this handler can still parse them."""
    try:
        return source_identity(services.scopes.request(properties))
    except PropertyError:
        return None
