"""The decisions behind the custom resource: which job a request means and when it is done.

``on_event`` and ``is_complete`` take CloudFormation-shaped events (as the Provider framework
forwards them) plus the adapters, and return what the framework expects. They never talk to
CloudFormation themselves: the framework owns the response; raising fails the resource with
the exception's message as the reason.

How long a deployment waits is the request's completion policy (``Completion`` property):

- ``HAND_OFF`` (default): wait up to the bound; a job still running then, or a request still
  blocked (5 PENDING jobs, the dataset group in use, throttling), is handed to the tracker and
  the resource succeeds with ``Status`` PENDING / IN_PROGRESS / QUEUED and ``TrackedBy``;
- ``WAIT``: wait up to the bound, then fail; a running job is still handed to the tracker so
  that its end is recorded, a blocked request is not started;
- ``SUBMIT_ONLY``: succeed as soon as Personalize accepted the job (blocked: as HAND_OFF).

A job that ends within the bound is reported, recorded and announced here (``outcome.finish``).
``on_event`` stages the list and creates no job; ``is_complete`` submits it (its first call,
which the framework's waiter makes at once) and retries a blocked submission on every poll
(see :mod:`.submission` for why).

Safety rules, all enforced here:

- one job per request identity: the job name is derived from the request name, dataset group
  and canonical content, and Personalize refuses a second job with the same name, which
  ``submit`` turns into adoption;
- nothing is started for a list that fails validation (validation precedes staging);
- Delete never calls Personalize and never fails: a deletion cannot be undone, so removing a
  request removes nothing, and a job being tracked goes on being tracked; a request QUEUED
  with the tracker and not submitted yet is cancelled (:mod:`.cancellation`);
- a FAILED job fails the event, unless the event is an Update, the job is the resource's own
  (its physical id, or one its receipt records for this very resource) and its failure was
  recorded before the event: the resource then stands as it did after the hand-off,
  ``Status`` FAILED (see ``ended``); a Create never does (a request added back after its job
  FAILED is told so);
- no user id is ever logged, returned or put in a reason: only counts and hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from . import cancellation, cancelled_jobs, job_source, submission_record, superseded
from .cfn_events import (
    event_field,
    event_request_type,
    parse_request_in_scope,
    request_wait_seconds,
    resource_properties,
)
from .failures import DeletionFailed
from .intake import take
from .personalize_api import JobNotFound, JobRequestRejected, TransientFault
from .poll import SUBMITTED, Poll
from .services import Services
from .state import TICKET_KEY, JobTicket, StateError
from .submission import resubmit

__all__ = ["DeletionFailed", "Services", "is_complete", "on_event"]

LOGGER = logging.getLogger(__name__)
NOT_FOUND_GRACE_SECONDS = 300
"""How long a job may be invisible to DescribeDataDeletionJob: from the poll that created or
adopted it (its record, :mod:`.submission_record`), or from ``on_event`` for a job it found."""


def on_event(event: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """Create/Update: validate and stage the list, find a job that exists, answer the job's
    name and the ticket; never create a job (see :mod:`.submission`: should the framework
    fail to start its waiter, nothing would follow it). Delete: touch nothing in Personalize."""
    started = services.clock()  # CloudFormation's time limit runs from its request, not our end
    request_type = event_request_type(event)
    if request_type == "Delete":
        LOGGER.info(
            "delete: data deletion jobs cannot be undone; nothing is removed from Personalize "
            "and a job being tracked goes on being tracked",
            extra={"physical_id": event.get("PhysicalResourceId")},
        )
        deleted = event_field(event, "PhysicalResourceId")
        cancelled_jobs.on_delete(event.get("ResourceProperties"), deleted, event, services)
        return {"PhysicalResourceId": deleted}

    request = parse_request_in_scope(resource_properties(event), services)
    wait_seconds = request_wait_seconds(request, services)
    update = request_type == "Update"
    physical_id = event.get("PhysicalResourceId") if update else None
    old_value = event.get("OldResourceProperties") if update else None
    old = old_value if isinstance(old_value, Mapping) else None
    # Staged, never submitted: the first poll does (``_poll``), once the waiter exists, and
    # declares the request while it is not accepted (``_Poll.not_accepted``).
    intake = take(request, physical_id, services, old, event)
    if update:  # a rollback: the job of the event it rolls back was never named to it
        cancelled_jobs.forsake(request, old, event, {str(physical_id), intake.job_name}, services)
    ticket = JobTicket(
        job_name=intake.job_name,
        job_arn=intake.job_arn,
        input=intake.summary,
        started_at=started,
        deadline=started + wait_seconds,
        blockers=intake.blockers,
        kept=physical_id == intake.job_name or intake.returned,
        restaged=intake.restaged,
        returned=intake.returned,
        moved=update
        and (physical_id != intake.job_name or job_source.relisted(request, old, services)),
    )
    return {"PhysicalResourceId": intake.job_name, TICKET_KEY: ticket.to_json()}


def is_complete(event: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """Poll the job; finish it, hand it to the tracker, or fail, as the policy says."""
    if event_request_type(event) == "Delete":
        return {"IsComplete": True}
    request = parse_request_in_scope(resource_properties(event), services)
    try:
        ticket = JobTicket.from_event(event)
    except StateError as exc:
        raise DeletionFailed(str(exc)) from exc
    poll = Poll(event, request, ticket, services)
    try:
        answer = _poll(poll)
    except superseded.Superseded as exc:  # CloudFormation cancelled the event: start nothing
        raise superseded.stop(request, ticket, event, services) from exc
    if answer["IsComplete"]:
        cancelled_jobs.on_complete(request, poll.waiter, services)
    if answer["IsComplete"] and ticket.moved:  # the Update succeeded: index its job
        job_source.remember(request, event, ticket.job_name, services)
    return answer


def _poll(poll: Poll) -> dict[str, Any]:
    """What this poll can learn of the job, and the answer that follows.

    A ticket without an ARN (the job is submitted by the polls): the record of the poll that
    created or adopted the job first (:mod:`.submission_record`), so that once a job exists no
    listing stands between a poll and its ARN; without one, look the job up and submit it
    (:func:`.submission.resubmit`). Only a poll that positively learned that no job exists
    (the record absent, the lookup answered, the create refused) answers "not accepted"; a
    fault on the way is "unknown" (:meth:`.poll.Poll.unknown`), which purges nothing and never
    says that no job was started."""
    request, ticket, services = poll.request, poll.ticket, poll.services
    job_arn, visible_from = ticket.job_arn, ticket.started_at
    unsure: str | None = None  # why "no job" cannot be concluded, when it cannot
    try:
        if not job_arn:
            try:
                known = submission_record.read(request.bucket, ticket.job_name, services)
            except TransientFault as exc:  # unknown: look the job up, but conclude nothing
                known, unsure = None, str(exc)
            if known is None:
                submission = resubmit(request, ticket.job_name, services, waiter=poll.waiter)
                if submission.job_arn is None:
                    blocked_by = submission.blocked_by or "not accepted"
                    if unsure or submission.unknown:
                        return poll.unknown("; ".join(filter(None, (blocked_by, unsure))))
                    return poll.not_accepted(blocked_by)
                # The job exists (created here, or adopted: its own create's answer lost, a
                # crash before this settled): no cancellation applies any more.
                cancellation.settle(request.bucket, ticket.job_name, services)
                known = submission_record.write(
                    request.bucket, ticket.job_name, submission.job_arn, poll.event, services
                )
            job_arn, visible_from = known.job_arn, known.submitted_at
        state = services.jobs.describe(job_arn)
    except TransientFault as exc:
        if job_arn:  # the job exists; only reading its status failed
            return poll.running(job_arn, SUBMITTED, unconfirmed=str(exc))
        return poll.unknown("; ".join(filter(None, (str(exc), unsure))))
    except JobNotFound as exc:
        # A job Personalize has just accepted may not be visible to Describe yet.
        if job_arn and poll.now - visible_from < NOT_FOUND_GRACE_SECONDS:
            return poll.running(job_arn, SUBMITTED, unconfirmed=str(exc))
        raise DeletionFailed(f"request {request.request_name}: {exc}") from exc
    except JobRequestRejected as exc:
        if job_arn:
            raise DeletionFailed(f"request {request.request_name}: {exc}") from exc
        if unsure:  # refused for good, but a job an earlier poll recorded may exist
            poll.release()
            raise DeletionFailed(
                f"request {request.request_name}: {exc}; whether an earlier poll created job "
                f"{ticket.job_name} is unknown ({unsure}): its staged list is kept for it (the "
                "lifecycle rule expires it); deploy again to adopt a job that exists"
            ) from exc
        poll.forget_unread_copies()  # refused for good: no job will ever read the staged list
        # (a job this event would have started: none was; a kept one may exist from before)
        started_none = "" if ticket.kept else "; no job was started"
        raise DeletionFailed(f"request {request.request_name}: {exc}{started_none}") from exc
    LOGGER.info("job status", extra={"job_name": ticket.job_name, "status": state.status})
    if state.terminal:
        return poll.ended(state)
    return poll.running(job_arn, state.status)
