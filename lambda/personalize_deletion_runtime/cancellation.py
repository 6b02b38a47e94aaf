"""Cancelling a queued request whose resource CloudFormation deleted before its job existed.

A request QUEUED with the tracker (the dataset group was busy all deployment long) is submitted
later by the tracker's submit step. Should CloudFormation delete its resource first (the
request was removed, or an Update that queued it was rolled back), that submission would be a
deletion the stack no longer declares, and a deletion cannot be undone. So Delete leaves a
marker, and the submit step looks for it right before it would create the job:

- Delete writes ``staging/<job>/cancelled.json`` when the job's list is still staged (a job
  may not have been created from it yet); it never calls Personalize, and a fault is logged,
  never raised: Delete must not fail the stack;
- the tracker's submit step, having found no job of that name, finds the marker and creates
  none: it deletes the staged list and the marker and gives the request up as ``NOT_STARTED``,
  saying why. A job created before the marker was written is not affected (nothing can undo
  it): it is followed and recorded as any;
- a request's follow-up job (``FollowUp``) is such a queued request too: the Delete marks it
  beside the first job when its list is staged already (whatever the Delete's ``FollowUp``
  says: the tracker follows its hand-off's), and a follow-up staged after the
  Delete inherits the first job's marker (``carry_over``), so its submit step creates none;
  every resource whose Create or Update succeeds with ``FollowUp`` on declares its job's
  follow-up (:func:`.cancelled_jobs.on_complete`), so the Delete of another one (a rename,
  a rename rolled back) neither marks it nor lets it inherit the first job's marker;
- a Create or Update that declares the job again and leaves it to be submitted later removes
  the marker (``withdraw``), so an execution that still follows the job submits it; an Update
  that returns to a job it left does so only at its hand-off (its failure revives nothing);
- every resource that leaves a request to be submitted later records itself as a declarer
  (``declare``: an empty ``staging/<job>/declared-by/<digest of its stack and logical id>``) on
  every poll that finds the request not accepted (the first comes right after ``on_event``, which
  submits nothing and so declares nothing: a resource whose waiter never starts leaves no key), and
  again at its hand-off to the tracker (idempotent), whether it started the execution or found one
  following, removing a marker each time. Its key goes when its own event fails without a job
  (``abandon``, ``undeclare``: unless the event kept the resource's job, which the resource still
  declares; a return to a job it left is not kept so: the resource it fails back to declares
  another) and when the job is created, by the deployment or the tracker (``settle``). A Delete
  first removes its own key, then cancels nothing while another resource is recorded: the resource
  that queued the request outlives a renamed copy rolled back, a second stack, a failed ``WAIT``
  copy; and CloudFormation creates a resource under a new logical id (a renamed construct or
  request) before it deletes the old one. A Delete that wrote its marker looks once more and removes
  it if a declarer appeared meanwhile (each side writes, then reads the other's key);
- once the submit step has the job (created or found), cancellation no longer applies: the
  declarer keys and a marker are deleted (``settle``), as on a cancellation (``forget``);
- a Delete under an id CloudFormation generated (a Create it cancelled, never answered) and an
  Update that rolls back a cancelled one (``forsake``) cancel what the cancelled event polled
  for: the job its properties name when they hold the list's hash, and the jobs its resource is
  recorded as declaring; the old waiter itself stops at the marker (:mod:`.superseded`), and its
  resource's own key, which that waiter may write again, keeps nothing alive in a Delete.

Which jobs a Delete or a rollback's Update cancel is :mod:`.cancelled_jobs`'s concern; this
module keeps the marker, the declarer keys and the submit step's side.

The marker lives under the staging prefix, which every role that needs it may already write,
list or delete (no new permission), and the staging lifecycle rule expires a leftover one. It
holds the resource's stack and logical id and the time, never a user id.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from . import submission_record
from .failures import BOOKKEEPING_FAULTS, forget_asset_of_cancelled, forget_copies
from .layout import STAGING_PREFIX
from .personalize_api import JobRequestRejected
from .properties import DeletionRequest
from .services import Services
from .staging import SOURCE_VERSION
from .state import JobTicket, iso

LOGGER = logging.getLogger(__name__)
MARKER = "cancelled.json"
DECLARED_BY = "declared-by/"
FRAMEWORK_CREATE_FAILED = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
"""The Provider framework's physical id for a Create whose ``onEvent`` failed (it answers that
resource's Delete itself, but a handler must not depend on it)."""


class Cancelled(JobRequestRejected):
    """The request's resource was deleted before its job was created: create none."""


def marker_key(job_name: str) -> str:
    return f"{STAGING_PREFIX}{job_name}/{MARKER}"


def _declarers_prefix(job_name: str) -> str:
    return f"{STAGING_PREFIX}{job_name}/{DECLARED_BY}"


def declarer_key(job_name: str, event: Mapping[str, Any]) -> str:
    """The key recording that the event's resource declares ``job_name``: a digest of its stack
    and logical id (keys name no stack or resource)."""
    resource = f"{event.get('StackId')}\n{event.get('LogicalResourceId')}"
    digest = hashlib.sha256(resource.encode()).hexdigest()[:32]
    return _declarers_prefix(job_name) + digest


def _declarers(bucket: str, job_name: str, services: Services) -> list[str]:
    prefix = _declarers_prefix(job_name)
    page = services.storage.client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=100)
    return [item["Key"] for item in page.get("Contents", [])]


def declare(
    bucket: str,
    job_name: str,
    event: Mapping[str, Any],
    services: Services,
    *,
    withdrawing: bool = True,
) -> None:
    """Record the event's resource as declaring ``job_name``, then remove a Delete's marker
    unless not ``withdrawing`` (a return's polls: its hand-off withdraws it, so a return that
    fails revives nothing) (idempotent; a fault is logged: a Delete may then cancel the
    request, as without a record)."""
    try:
        services.storage.client.put_object(
            Bucket=bucket, Key=declarer_key(job_name, event), Body=b"", ContentType="text/plain"
        )
        if withdrawing:
            withdraw(bucket, job_name, services)
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "the resource could not be recorded as declaring the queued request, or a Delete's "
            "marker not removed, so a Delete of another resource may cancel it: should it end "
            "NOT_STARTED with DeletionCancelled while this resource still declares it, change a "
            "tag of the request and deploy",
            extra={"job_name": job_name, "error": str(exc)},
        )


def cancel(
    bucket: str,
    job_name: str,
    event: Mapping[str, Any],
    services: Services,
) -> bool:
    """Remove the event's resource's declarer key; then mark ``job_name`` as no longer declared
    if its list is staged and no other resource is recorded as declaring it. ``True`` if
    marked."""
    client = services.storage.client
    try:
        client.delete_object(Bucket=bucket, Key=declarer_key(job_name, event))
        if not services.storage.staged(bucket, job_name):
            return False
        if _still_declared(bucket, job_name, event, services):
            return False
        client.put_object(
            Bucket=bucket,
            Key=marker_key(job_name),
            Body=json.dumps(
                {
                    "jobName": job_name,
                    "stackId": event.get("StackId"),
                    "logicalResourceId": event.get("LogicalResourceId"),
                    "cancelledAt": iso(services.clock()),
                },
                sort_keys=True,
            ).encode(),
            ContentType="application/json",
        )
        if _still_declared(bucket, job_name, event, services):  # declared meanwhile
            client.delete_object(Bucket=bucket, Key=marker_key(job_name))
            return False
    except BOOKKEEPING_FAULTS as exc:
        execution = (
            services.tracker.execution_arn(job_name) if services.tracker else "of the tracker"
        )
        LOGGER.warning(
            "delete: the queued request could not be marked cancelled, so the tracker may "
            "still submit it: if it must not run, stop the execution that follows it before "
            f"it does (aws stepfunctions stop-execution --execution-arn {execution})",
            extra={"job_name": job_name, "error": str(exc)},
        )
        return False
    LOGGER.info(
        "delete: a queued request, if not submitted yet, will not be", extra={"job_name": job_name}
    )
    return True


def declared_by_others(
    bucket: str, job_name: str, event: Mapping[str, Any], services: Services
) -> bool:
    """Whether a resource other than the event's is recorded as declaring ``job_name``. The
    event's own resource's key does not count: while it is being deleted or rolled back, no
    event of it declares that job but a waiter CloudFormation cancelled (:mod:`.superseded`),
    whose poll may write the key again right after the Delete removed it."""
    own = declarer_key(job_name, event)
    return any(key != own for key in _declarers(bucket, job_name, services))


def _still_declared(
    bucket: str, job_name: str, event: Mapping[str, Any], services: Services
) -> bool:
    if not declared_by_others(bucket, job_name, event, services):
        return False
    LOGGER.info(
        "delete: another resource declares the queued request (the one that queued it, a "
        "renamed construct or request, another stack): not cancelled",
        extra={"job_name": job_name},
    )
    return True


def check(bucket: str, job_name: str, services: Services) -> None:
    """Raise :class:`Cancelled` if a Delete marked ``job_name`` and no resource declares it
    since (an Update returning to it declares it while it polls but withdraws the marker only
    once it succeeds; while it polls, its key keeps the request). S3 faults propagate: the
    caller retries rather than submit a request that may be cancelled."""
    marked = services.storage.exists(bucket, marker_key(job_name))
    if marked and not _declarers(bucket, job_name, services):
        raise Cancelled(
            f"the resource that declared job {job_name} was deleted by CloudFormation before "
            "the job was created (the request was removed from the stack, or the update that "
            "queued it was rolled back), so no job is created and its staged list is deleted; "
            "declare the request again to delete that list"
        )


def carry_over(bucket: str, first: str, follow_up: str, services: Services) -> None:
    """The follow-up job ``follow_up`` was just staged: if a Delete marked its first job
    ``first`` and no resource declares that job or the follow-up since, mark the follow-up
    too. The Delete came while the first job ran, before the follow-up's list existed to be
    marked, and the follow-up is a request queued with the tracker, which must create no job
    the stack no longer declares. S3 faults propagate: the caller retries rather than queue a
    follow-up that may be cancelled."""
    marker = services.storage.read_json(bucket, marker_key(first))
    if marker is None or _declarers(bucket, first, services):
        return
    if _declarers(bucket, follow_up, services):  # a resource declares it (a renamed construct)
        return
    services.storage.client.put_object(
        Bucket=bucket,
        Key=marker_key(follow_up),
        Body=json.dumps(
            {**marker, "jobName": follow_up, "followUpOf": first}, sort_keys=True
        ).encode(),
        ContentType="application/json",
    )
    LOGGER.info(
        "a Delete cancelled the request: its follow-up job will not be submitted",
        extra={"job_name": follow_up},
    )


def forget(
    request: DeletionRequest,
    job_name: str,
    services: Services,
    source_version_id: str | None,
    *,
    follow_up: bool,
) -> str:
    """After a cancellation: delete the staged list (whatever ``PurgeStagedInput`` says: no
    job will read it), the marker, the declarer keys, a poll's record of a submission (none is
    expected: a recorded job is found, not cancelled) and the asset version the list was read
    from; returns what the cause adds about that copy
    (:func:`.failures.forget_asset_of_cancelled`)."""
    services.storage.purge(request.bucket, job_name)
    _clear(request.bucket, job_name, services)
    submission_record.remove(request.bucket, job_name, services)
    return forget_asset_of_cancelled(request, job_name, services, source_version_id, follow_up)


def settle(bucket: str, job_name: str, services: Services) -> None:
    """The submit step has the job: no cancellation applies any more; delete the marker and
    the declarer keys (a fault is logged: the staging lifecycle rule expires them)."""
    try:
        _clear(bucket, job_name, services)
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "the declarer keys of a submitted request were not deleted",
            extra={"job_name": job_name, "error": str(exc)},
        )


def _clear(bucket: str, job_name: str, services: Services) -> None:
    for key in [marker_key(job_name), *_declarers(bucket, job_name, services)]:
        services.storage.client.delete_object(Bucket=bucket, Key=key)


def withdraw(bucket: str, job_name: str, services: Services) -> None:
    """A Create or Update declares ``job_name`` again: remove a Delete's marker (idempotent)."""
    services.storage.client.delete_object(Bucket=bucket, Key=marker_key(job_name))


def undeclare(bucket: str, job_name: str, event: Mapping[str, Any], services: Services) -> None:
    """The event's resource no longer declares ``job_name`` (its event failed without a job):
    remove its key, so that it keeps no request alive (a fault is logged: the staging rule
    expires the key)."""
    try:
        services.storage.client.delete_object(Bucket=bucket, Key=declarer_key(job_name, event))
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "the declarer key of a failed event was not deleted",
            extra={"job_name": job_name, "error": str(exc)},
        )


def abandon(
    request: DeletionRequest, ticket: JobTicket, event: Mapping[str, Any], services: Services
) -> None:
    """The event fails and no job will read its list: its resource no longer declares the job,
    and the staged list and the asset version go, unless the resource keeps that job: an Update
    that kept the job identity (of a request QUEUED with the tracker, say) fails back to a
    resource that still declares it and needs both, and CloudFormation's rollback reads the
    asset again; only a copy that Update staged again goes. A return (``ticket.returned``)
    keeps the copies but not its key: the resource it fails back to declares another job."""
    release(request, ticket, event, services)
    if ticket.kept:
        if ticket.restaged:
            forget_copies(request, ticket.job_name, services)
        return
    forget_copies(request, ticket.job_name, services, ticket.input.get(SOURCE_VERSION))


def release(
    request: DeletionRequest, ticket: JobTicket, event: Mapping[str, Any], services: Services
) -> None:
    """The event fails before its job exists: its resource stops declaring the job, unless it
    keeps it (an Update that kept the job fails back to a resource that still declares it; a
    return does not: the resource it fails back to declares another job)."""
    if not ticket.kept or ticket.returned:
        undeclare(request.bucket, ticket.job_name, event, services)
