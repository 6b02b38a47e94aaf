"""What ``on_event`` makes of a request's list: validated and staged, or known by hash.

Nothing here creates a job: the first ``is_complete`` poll submits it from the staged list
(see :mod:`.submission` for why). What this finds is read only: a job that exists already (a
retried event, an Update that keeps it, a list known by its hash) and the pre-flight's first
check.

The job name is the list's identity, so it needs the canonical list's SHA-256: read from the
source (validated on the way, staged for Personalize), or, for a local list that was removed
from the CDK assets bucket after its job ended, taken from the hash the construct computed at
synth (``ContentSha256``). A list known only by its hash can name a job that exists (an Update,
a rollback, a redeploy adopts it) but can start none. An Update whose list properties are
proven to be those of the resource's job keeps that job without reading the source at all
(see :mod:`.job_source`): an unpinned S3 object may hold another list by now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .failures import DeletionFailed, forget_copies
from .job_source import (
    REPLACED,
    SOURCE_IDENTITY,
    examine,
    leave,
    recorded_input,
    source_identity,
)
from .personalize_api import JobRequestRejected, TransientFault
from .properties import DeletionRequest
from .request_rules import compose_job_name
from .services import Services
from .staging import (
    SOURCE_VERSION,
    CanonicalList,
    SourceError,
    SourceRemoved,
    VersionedBucket,
    scratch_dir,
)
from .submission import precheck
from .user_list import InputValidationError

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Intake:
    """The job a request names, its ARN if the job exists already (adopted: a retried event, an
    Update that kept it, a list known by its hash), the list's counts, and what the pre-flight
    found running at its first check."""

    job_name: str
    job_arn: str | None
    summary: dict[str, Any]
    blockers: tuple[dict[str, Any], ...] = ()
    restaged: bool = False
    """An Update that kept the job staged its list again (no copy was there): a failure of
    that event removes the copy, the only one it may remove (see ``JobTicket.kept``)."""
    returned: bool = False
    """An Update returned the resource to the job its job replaced (a rollback past a
    successful Update) or its index names: the resource's job, as one it kept (see
    ``JobTicket.kept``), but declared by this event only (see ``JobTicket.returned``)."""


def take(
    request: DeletionRequest,
    physical_id: str | None,
    services: Services,
    old_properties: Mapping[str, Any] | None = None,
    resource: Mapping[str, Any] | None = None,
) -> Intake:
    """Read, validate, stage and check (never submit); ``physical_id`` (and
    ``old_properties``) are the resource's on an Update, ``resource`` its event (stack and
    logical id: its index)."""
    resource = resource or {}
    proven: str | None = None
    """The job the properties are proven to name, which neither exists nor has its list staged:
    the list must be read to stage it, and must name that job."""
    replaced = None
    if physical_id is not None:
        evidence = examine(request, physical_id, old_properties, resource, services)
        replaced = evidence.replaced
        if evidence.kept is not None:
            kept = _kept_unread(request, physical_id, evidence.kept, services)
            if kept is not None:
                return kept
            proven = physical_id
        elif evidence.returns_to is not None:
            earlier = recorded_input(request.bucket, evidence.returns_to, services) or {}
            returned = _kept_unread(request, evidence.returns_to, earlier, services)
            if returned is not None:
                leave(request, resource, replaced, services)  # its own entry: once it succeeds
                return Intake(returned.job_name, returned.job_arn, returned.summary, returned=True)
            proven = evidence.returns_to
    with scratch_dir() as workdir:
        try:
            canonical = services.storage.canonical_list(request, workdir)
        except SourceRemoved as removed:
            return _known_by_hash(request, physical_id, removed, services)
        except (InputValidationError, SourceError) as exc:
            raise DeletionFailed(
                f"request {request.request_name}: deletion list rejected, no job started: {exc}"
            ) from exc
        sha256 = canonical.stats.sha256
        if request.content_sha256 not in (None, sha256):
            raise DeletionFailed(
                f"request {request.request_name}: the list at {request.source.description} is "
                f"not the one validated at synth (SHA-256 {sha256[:12]}..., expected "
                f"{request.content_sha256[:12]}...): synthesize and deploy again; no job started"
            )
        job_name = _job_name(request, sha256)
        if proven is not None and job_name != proven:
            raise DeletionFailed(_not_the_list(request, proven, sha256, proven == physical_id))
        summary = canonical.summary()
        summary[SOURCE_IDENTITY] = source_identity(request)
        if replaced is not None and job_name != physical_id:
            summary[REPLACED] = replaced  # what a later Update may return to (job_source)
        if request.source.asset and request.source.key is not None:
            summary[SOURCE_VERSION] = canonical.versions.get(request.source.key)
        LOGGER.info(
            "deletion list validated",
            extra={"request": request.request_name, "job_name": job_name, "input": summary},
        )
        if physical_id == job_name:
            LOGGER.info("update keeps the job identity: no new job", extra={"job_name": job_name})
            job_arn, restaged = _existing_or_staged(request, canonical, job_name, services)
            return Intake(job_name, job_arn, summary, restaged=restaged)
        if physical_id is not None:  # an Update moves: index the job it leaves, first
            leave(request, resource, replaced, services)
        try:
            services.storage.stage(request, canonical, job_name)
        except VersionedBucket as exc:  # the staged version is deleted; the asset's goes too
            forget_copies(
                request, job_name, services, summary.get(SOURCE_VERSION), purge_staged=False
            )
            raise _versioned(request, exc) from exc
        LOGGER.info("list staged: the first poll submits the job", extra={"job_name": job_name})
        try:
            checked = precheck(request, job_name, services)
        except JobRequestRejected as exc:
            forget_copies(request, job_name, services, summary.get(SOURCE_VERSION))
            raise DeletionFailed(
                f"request {request.request_name}: {exc}; no job was started"
            ) from exc
        return Intake(job_name, checked.job_arn, summary, checked.blockers)


def _not_the_list(request: DeletionRequest, job_name: str, sha256: str, kept: bool) -> str:
    """Why an Update whose list properties name ``job_name`` (gone: not created, its list not
    staged) starts no job for the other list its source holds now."""
    why = (
        "this Update changes none of the properties that define the list (Source, "
        "RequestName, DatasetGroupArn, JobNamePrefix)"
        if kept
        else "this Update's properties that define the list (Source, RequestName, "
        "DatasetGroupArn, JobNamePrefix) are the ones that named it (a return to them, or "
        "CloudFormation's rollback), and it neither exists nor has its list staged"
    )
    return (
        f"request {request.request_name}: {request.source.description} no longer holds "
        f"the list job {job_name} was named for (SHA-256 {sha256[:12]}... now), and {why}, so "
        "no job is started for what it holds now: to delete that list, change "
        "Source.Revision or pin Source.VersionId; to have job "
        f"{job_name} started, put its list back; no job started"
    )


def _kept_unread(
    request: DeletionRequest, physical_id: str, recorded: dict[str, Any], services: Services
) -> Intake | None:
    """The resource's job, kept without reading the source, if Personalize has it or its
    list is staged (a QUEUED request: the submission reads that copy); ``None`` otherwise."""
    try:
        job_arn = services.jobs.lookup(request.dataset_group_arn, physical_id)
    except (JobRequestRejected, TransientFault):
        job_arn = None
    if job_arn is None:
        try:
            if not services.storage.staged(request.bucket, physical_id):
                return None
        except (ClientError, BotoCoreError):
            return None
    LOGGER.info(
        "update keeps (or returns to) the resource's job: its list properties are the job's, "
        "the source is not read",
        extra={"job_name": physical_id},
    )
    summary = recorded or {SOURCE_IDENTITY: source_identity(request)}
    return Intake(physical_id, job_arn, summary)


def _existing_or_staged(
    request: DeletionRequest, canonical: CanonicalList, job_name: str, services: Services
) -> tuple[str | None, bool]:
    """The ARN of the job an Update kept, if Personalize has it; otherwise, if no copy is
    staged, the list is staged again (and ``True``), because ``is_complete`` will submit the
    job from there: one that never started was QUEUED (its copy is there), or NOT_STARTED once
    the tracker gave up and purged it. A lookup Personalize refuses for good (the dataset group
    is gone) stages nothing: no job can be created, and ``is_complete`` says why."""
    try:
        job_arn = services.jobs.lookup(request.dataset_group_arn, job_name)
    except JobRequestRejected:
        return None, False
    except TransientFault:
        job_arn = None
    if job_arn is not None:
        return job_arn, False
    try:
        if services.storage.staged(request.bucket, job_name):
            return None, False
    except (ClientError, BotoCoreError) as exc:  # stage all the same: the same bytes
        LOGGER.warning("staged list not checked", extra={"job_name": job_name, "error": str(exc)})
    try:
        services.storage.stage(request, canonical, job_name)
    except VersionedBucket as exc:  # the version staged is deleted; the job keeps its asset
        raise _versioned(request, exc) from exc
    return None, True


def _versioned(request: DeletionRequest, exc: VersionedBucket) -> DeletionFailed:
    """The failure of a request whose list was refused by a versioned deletion bucket."""
    return DeletionFailed(f"request {request.request_name}: {exc}; no job was started")


def _known_by_hash(
    request: DeletionRequest, physical_id: str | None, removed: SourceRemoved, services: Services
) -> Intake:
    if request.content_sha256 is None:
        raise DeletionFailed(
            f"request {request.request_name}: deletion list rejected, no job started: {removed}"
        )
    job_name = _job_name(request, request.content_sha256)
    summary = {
        "sha256": request.content_sha256,
        "sourceRemovedAfterJob": removed.job_name,
        SOURCE_IDENTITY: source_identity(request),
    }
    if physical_id == job_name:
        return Intake(job_name, None, summary)
    try:
        job_arn = services.jobs.lookup(request.dataset_group_arn, job_name)
    except (TransientFault, JobRequestRejected) as exc:
        raise DeletionFailed(
            f"request {request.request_name}: {removed}; job {job_name} could not be looked up "
            f"({exc}): deploy again"
        ) from exc
    if job_arn is None and removed.job_name != job_name:
        # A key named by a hash (the dataset group was a token at synth) serves every job of
        # its request and list: another group's, a replaced group's, another stack's.
        raise DeletionFailed(
            f"request {request.request_name}: {removed}, and no job {job_name} exists to adopt: "
            "that key held the list of every job of this request and list (its dataset group "
            "was not known at synth), so no job can be started from it; rename the request, "
            "and the synth publishes its list under a new key"
        )
    if job_arn is None:
        raise DeletionFailed(
            f"request {request.request_name}: {removed}, and no job {job_name} exists to adopt: "
            "the list is gone, so no job can be started from it; declare the list again"
        )
    LOGGER.info("list known by its hash: job adopted", extra={"job_name": job_name})
    return Intake(job_name, job_arn, summary)


def _job_name(request: DeletionRequest, sha256: str) -> str:
    return compose_job_name(
        request.job_name_prefix, request.request_name, request.dataset_group_arn, sha256
    )
