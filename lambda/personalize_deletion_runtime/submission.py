"""Asking Personalize for the job of a request: create it, or find the one that exists.

Shared by ``is_complete`` (its first poll submits, later polls retry a blocked request) and
the tracker's submit step (a request queued past the deployment), so every path composes the
same call and treats its outcomes alike. ``on_event`` never creates a job: the Provider
framework starts its waiter only after ``on_event`` answers, and should that start fail, the
framework fails the event itself (a Create under its own marker id, whose rollback Delete
never reaches the handlers), so a job created there would run with no poll, no tracker and no
receipt. It only looks (:func:`precheck`): the pre-flight's first check, and a job a retried
event finds running.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from . import cancellation, preflight
from .layout import data_location
from .personalize_api import JobRequestRejected, JobSubmission, TransientFault
from .properties import DeletionRequest
from .services import Services

LOGGER = logging.getLogger(__name__)


def submit(
    request: DeletionRequest,
    job_name: str,
    location: str,
    services: Services,
    *,
    cancellable: bool = False,
) -> JobSubmission:
    """Create (or adopt) the job reading ``location``, and log the outcome without ids.

    With the request's pre-flight on, nothing is submitted while an import, training or batch
    job uses the dataset group: the request is blocked by them, by name (:func:`precheck`).
    """
    checked = precheck(request, job_name, services)
    if checked.job_arn is not None or checked.blocked_by is not None:
        return checked
    if cancellable:  # last thing before the create: a Delete may have come meanwhile
        try:
            cancellation.check(request.bucket, job_name, services)
        except (ClientError, BotoCoreError) as exc:
            raise TransientFault(f"whether the request was cancelled is unknown: {exc}") from exc
    submission = services.jobs.submit(
        job_name=job_name,
        dataset_group_arn=request.dataset_group_arn,
        data_location=location,
        role_arn=request.role_arn,
        tags=request.tags,
    )
    if submission.blocked_by:
        LOGGER.warning(
            "job not started yet", extra={"job_name": job_name, "blocked_by": submission.blocked_by}
        )
    elif submission.adopted:
        LOGGER.info(
            "job already existed: adopted",
            extra={"job_name": job_name, "job_arn": submission.job_arn},
        )
    else:
        LOGGER.info("job started", extra={"job_name": job_name, "job_arn": submission.job_arn})
    return submission


def precheck(request: DeletionRequest, job_name: str, services: Services) -> JobSubmission:
    """What stands before a create, read only: with the pre-flight on, what uses the dataset
    group (the request is blocked by it), or the job a retried event started before those
    began (adopted, never reported as blocked by them); ``JobSubmission(None)`` when nothing
    does, or the pre-flight is off. A pre-flight that cannot get an answer blocks for now."""
    if not request.preflight:
        return JobSubmission(None)
    try:
        busy = preflight.running(request.dataset_group_arn, services.models)
        existing = services.jobs.lookup(request.dataset_group_arn, job_name) if busy else None
    except TransientFault as exc:
        return JobSubmission(None, blocked_by=f"pre-flight check: {exc}")
    if existing is not None:
        return JobSubmission(existing, adopted=True)
    if not busy:
        return JobSubmission(None)
    LOGGER.warning("pre-flight: the dataset group is in use", extra={"job_name": job_name})
    return JobSubmission(
        None,
        blocked_by=preflight.describe(busy),
        blockers=tuple(activity.to_json() for activity in busy[: preflight.MAX_RECORDED]),
    )


def resubmit(
    request: DeletionRequest, job_name: str, services: Services, *, cancellable: bool = False
) -> JobSubmission:
    """Find or submit the job when no earlier step got its ARN.

    That is every ``is_complete`` of a request whose ``on_event`` found no job (a new list: its
    first poll creates the job), a create that was blocked (limits, the dataset group in use),
    and an Update that kept the job identity (the job exists, or its list was staged again).

    The tracker repeats this on every submit step, and a deployment's poll whenever it finds no
    record of a job an earlier poll created (:mod:`.submission_record`, read first), so a job
    may exist already: look it up first, so a running job is followed with reads only and a
    throttled or refused create can never hide it. A fault of that lookup propagates
    (:class:`.personalize_api.TransientFault`): it says nothing about whether a job exists.
    A job is never created from a staged list that is gone (purged by another resource of the
    same job name, say): Personalize would fail it for its missing input, and its name could
    never serve again. ``cancellable`` (the tracker, which submits after the deployment): a
    request whose resource was deleted since is not submitted
    (:class:`.cancellation.Cancelled`, checked right before the create).
    """
    existing = services.jobs.lookup(request.dataset_group_arn, job_name)
    if existing is not None:
        return JobSubmission(existing, adopted=True)
    location = data_location(request.bucket, job_name)
    try:
        staged = services.storage.staged(request.bucket, job_name)
    except (ClientError, BotoCoreError) as exc:
        raise TransientFault(f"the staged list {location} could not be checked: {exc}") from exc
    if not staged:
        raise JobRequestRejected(
            f"the staged list {location} is gone, so job {job_name} is not created from it (it "
            "would fail for its missing input, and its name could not serve again); if the "
            "request's list can still be read and this is the request's own job, deploy a change "
            "that keeps the job (its tags, say) to have the list staged again; otherwise rename "
            "the request"
        )
    return submit(request, job_name, location, services, cancellable=cancellable)
