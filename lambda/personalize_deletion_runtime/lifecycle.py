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

from . import cancellation, job_source, superseded
from .cfn_events import (
    event_field,
    event_request_type,
    parse_request_in_scope,
    request_wait_seconds,
    resource_properties,
)
from .failures import BOOKKEEPING_FAULTS, DeletionFailed, bounded
from .intake import take
from .layout import receipt_uri
from .outcome import CLOCK_SKEW_SECONDS, DEPLOYMENT, JobRecord, failure_recorded, finish
from .personalize_api import JobNotFound, JobRequestRejected, JobState, TransientFault
from .properties import (
    RETRAIN_NONE,
    SUBMIT_ONLY,
    WAIT,
    DeletionRequest,
)
from .services import Services
from .state import QUEUED, TICKET_KEY, JobTicket, Origin, StateError, TrackedJob, iso, parse_iso
from .submission import resubmit
from .tracking import TrackerError

__all__ = ["DeletionFailed", "Services", "is_complete", "on_event"]

LOGGER = logging.getLogger(__name__)
NOT_YET = "pending"
"""Attribute value for what is not known yet (``NumDeleted`` of a running job, ``JobArn`` of a
queued request)."""
NOT_TRACKED = "none"
"""``TrackedBy`` when the deployment itself saw the job end."""
SUBMITTED = "SUBMITTED"
"""``Status`` when Personalize accepted the job but its status could not be read at hand-off."""
RETRY_AFTER_FAILURE = (
    ". A failed job keeps its name, so deploying the same request adopts it again: "
    "fix the cause, then rename the request to start a new job"
)
MAX_FAILURE_REASON_BYTES = 1_800
"""Personalize's failureReason inside our reason; the receipt keeps it whole."""
NOT_FOUND_GRACE_SECONDS = 300
"""How long after ``on_event`` a job may be invisible to DescribeDataDeletionJob."""


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
        cancellation.on_delete(event.get("ResourceProperties"), deleted, event, services)
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
        cancellation.forsake(request, old, event, {str(physical_id), intake.job_name}, services)
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
    try:
        answer = _poll(_Poll(event, request, ticket, services))
    except superseded.Superseded as exc:  # CloudFormation cancelled the event: start nothing
        raise superseded.stop(request, ticket, event, services) from exc
    if answer["IsComplete"] and ticket.moved:  # the Update succeeded: index its job
        job_source.remember(request, event, ticket.job_name, services)
    return answer


def _poll(poll: _Poll) -> dict[str, Any]:
    request, ticket, services = poll.request, poll.ticket, poll.services
    job_arn = ticket.job_arn
    try:
        if not job_arn:
            submission = resubmit(request, ticket.job_name, services, waiter=poll.waiter)
            if submission.job_arn is None:
                return poll.not_accepted(submission.blocked_by or "not accepted")
            if not submission.adopted:  # created here: no cancellation applies any more
                cancellation.settle(request.bucket, ticket.job_name, services)
            job_arn = submission.job_arn
        state = services.jobs.describe(job_arn)
    except TransientFault as exc:
        if job_arn:  # the job exists; only reading its status failed
            return poll.running(job_arn, SUBMITTED, unconfirmed=str(exc))
        return poll.not_accepted(str(exc))
    except JobNotFound as exc:
        # A job Personalize has just accepted may not be visible to Describe yet.
        if job_arn and poll.now - ticket.started_at < NOT_FOUND_GRACE_SECONDS:
            return poll.running(job_arn, SUBMITTED, unconfirmed=str(exc))
        raise DeletionFailed(f"request {request.request_name}: {exc}") from exc
    except JobRequestRejected as exc:
        if job_arn:
            raise DeletionFailed(f"request {request.request_name}: {exc}") from exc
        poll.forget_unread_copies()  # refused for good: no job will ever read the staged list
        # (a job this event would have started: none was; a kept one may exist from before)
        started_none = "" if ticket.kept else "; no job was started"
        raise DeletionFailed(f"request {request.request_name}: {exc}{started_none}") from exc
    LOGGER.info("job status", extra={"job_name": ticket.job_name, "status": state.status})
    if state.terminal:
        return poll.ended(state)
    return poll.running(job_arn, state.status)


class _Poll:
    """One ``is_complete`` call: the event, its request and ticket, and what it can answer."""

    def __init__(
        self,
        event: Mapping[str, Any],
        request: DeletionRequest,
        ticket: JobTicket,
        services: Services,
    ) -> None:
        self.event = event
        self.request = request
        self.ticket = ticket
        self.services = services
        self.now = services.clock()
        self.job_name = ticket.job_name
        self.waiter = superseded.Waiter(event, ticket.started_at, request.bucket, self.job_name)
        self.origin = Origin(
            stack_id=event_field(event, "StackId"),
            logical_resource_id=event_field(event, "LogicalResourceId"),
            completion=request.completion,
        )

    @property
    def at_limit(self) -> bool:
        return self.now >= self.ticket.deadline

    def ended(self, state: JobState) -> dict[str, Any]:
        """Record the end (once) and report it; a FAILED job fails the resource, unless it is
        the resource's own and was recorded before this event (``_failure_known``)."""
        known = state.status == "FAILED" and self._failure_known()
        requested_at, blockers = self._preflight_facts(state)
        record = JobRecord(
            request=self.request,
            job_name=self.job_name,
            input=self.ticket.input,
            origin=self.origin,
            recorded_by=DEPLOYMENT,
            requested_at=requested_at,
            blockers=blockers,
        )
        try:
            receipt = finish(record, state, self.services)
            tracked_by = receipt.get("trackedBy") or NOT_TRACKED
            if state.status == "COMPLETED" and (
                self.request.retrain != RETRAIN_NONE or receipt.get("followUp")
            ):
                # The deletion is recorded; a follow-up job and retraining take hours: the
                # tracker does them.
                tracked_by = self._hand_off(state.job_arn, state.status, None)
        except BOOKKEEPING_FAULTS as exc:
            # The deletion has ended; only writing it down failed. Never report that as the
            # deletion failing: retry on the next poll, and at the limit let the tracker
            # (which retries on its own) write the receipt.
            LOGGER.warning(
                "recording the job's end failed; will retry",
                extra={"job_name": self.job_name, "error": str(exc)},
            )
            if not self.at_limit:
                return {"IsComplete": False}
            tracked_by = self._hand_off(state.job_arn, state.status, None)
        answer = self._answer(state.job_arn, state.status, str(state.num_deleted or 0), tracked_by)
        if state.status != "FAILED":
            return answer
        reason = bounded(
            state.failure_reason or "no failureReason",
            MAX_FAILURE_REASON_BYTES,
            f"... (cut: {receipt_uri(self.request.bucket, self.job_name)} has it whole)",
        )
        if known:
            LOGGER.warning(
                "the resource's job FAILED before; kept", extra={"job_name": self.job_name}
            )
            answer["Data"]["FailureReason"] = reason
            return answer
        raise DeletionFailed(
            f"data deletion job {self.job_name} FAILED: {reason}{RETRY_AFTER_FAILURE}"
        )

    def _preflight_facts(
        self, state: JobState
    ) -> tuple[float | None, tuple[dict[str, Any], ...] | None]:
        """When the job was requested and what its pre-flight found first. This event's own,
        unless the job is older than the event (an Update recording a job an earlier event
        created, as a STUCK job's advice has it): then the hand-off's, from the tracker's
        input; unknown (``None``) when that cannot be read, rather than this event's check,
        which never held that job back."""
        created = parse_iso(state.created_at) if state.created_at else None
        if created is None or created + CLOCK_SKEW_SECONDS >= self.ticket.started_at:
            return self.ticket.started_at, self.ticket.blockers
        tracker = self.services.tracker
        handed = tracker.handed_off(self.job_name) if tracker is not None else None
        if handed is None or handed.job_name != self.job_name or handed.requested_at is None:
            return None, None
        return parse_iso(handed.requested_at), handed.blockers

    def _failure_known(self) -> bool:
        """See :func:`.outcome.failure_recorded` (the resource's own job: its physical id;
        recorded before this event's ``on_event`` began, so that the same event delivered
        again after it recorded the failure fails again)."""
        return failure_recorded(
            self.request.bucket,
            self.job_name,
            self.origin,
            self.ticket.kept,
            self.services,
            update=self.event.get("RequestType") == "Update",
            since=self.ticket.started_at,
        )

    def running(self, job_arn: str, status: str, unconfirmed: str | None = None) -> dict[str, Any]:
        """The job exists and has not ended."""
        policy = self.request.completion
        if (unconfirmed is None and policy == SUBMIT_ONLY) or (self.at_limit and policy != WAIT):
            return self._answer(job_arn, status, NOT_YET, self._hand_off(job_arn, status, None))
        if not self.at_limit:
            return {"IsComplete": False}
        raise DeletionFailed(self._wait_expired(job_arn, status, unconfirmed))

    def not_accepted(self, blocked_by: str) -> dict[str, Any]:
        """Personalize has not accepted the job yet (limits, the dataset group in use, faults).

        While it polls, the resource declares the request (:func:`.superseded.declare`, on
        every such poll: idempotent), so that another resource's Delete cancels nothing it
        still waits for; a return withdraws no Delete's marker before its hand-off (its
        failure must revive no cancelled request). Declared here, not in ``on_event``: a
        resource whose waiter never starts polls nothing, and leaves no key behind. A marker
        its own resource wrote since the event began stops it (:mod:`.superseded`)."""
        if not self.at_limit:
            superseded.declare(self.waiter, self.services, withdrawing=not self.ticket.returned)
            return {"IsComplete": False}
        if self.request.completion != WAIT:
            superseded.before_hand_off(self.waiter, self.services)
            execution = self._hand_off(None, QUEUED, blocked_by)
            # Whoever started the execution: the Delete of another resource declaring the job
            # (a renamed copy, another stack) must not cancel it while this one declares it.
            superseded.declare(self.waiter, self.services)
            return self._answer(NOT_YET, QUEUED, NOT_YET, execution)
        self.forget_unread_copies()
        raise DeletionFailed(
            f"data deletion job {self.job_name} could not be started before the deployment's "
            f"time limit: {blocked_by}; no job was started, deploy again once the blocker clears"
        )

    def forget_unread_copies(self) -> None:
        """The event fails and no job will read its list (:func:`.cancellation.abandon`)."""
        cancellation.abandon(self.request, self.ticket, self.event, self.services)

    def _hand_off(self, job_arn: str | None, status: str, blocked_by: str | None) -> str:
        """The ARN of the tracker execution that follows the job; fails the resource if none."""
        try:
            execution = self._follow(job_arn, status, blocked_by)
        except TrackerError as exc:
            if job_arn is None:
                cancellation.release(self.request, self.ticket, self.event, self.services)
            raise DeletionFailed(
                f"data deletion job {self.job_name} ({status}) could not be handed to the "
                f"tracker: {exc}. Nothing was lost: deploy again to hand it off"
            ) from exc
        LOGGER.info(
            "handed to the tracker",
            extra={"job_name": self.job_name, "status": status, "execution": execution},
        )
        return execution

    def _follow(self, job_arn: str | None, status: str, blocked_by: str | None) -> str:
        if self.services.tracker is None:
            raise TrackerError("no tracker is configured for this handler")
        properties = {
            key: value
            for key, value in self.event.get("ResourceProperties", {}).items()
            if key != "ServiceToken"
        }
        tracked = TrackedJob(
            request=properties,
            job_name=self.job_name,
            job_arn=job_arn,
            input=self.ticket.input,
            origin=self.origin,
            since=iso(self.now),
            give_up_at=iso(self.now + self.services.tracking_timeout_seconds),
            last_status=status,
            blocked_by=blocked_by,
            requested_at=iso(self.ticket.started_at),
            blockers=self.ticket.blockers,
        )
        return self.services.tracker.follow(tracked)

    def _wait_expired(self, job_arn: str, status: str, unconfirmed: str | None) -> str:
        seen = f"{status} ({unconfirmed})" if unconfirmed else status
        try:
            execution = self._follow(job_arn, status, None)
            tracked = f"the tracker follows it to its end and records its receipt ({execution})"
        except TrackerError as exc:
            tracked = (
                f"it could not be handed to the tracker ({exc}): deploy again later with the "
                "same request to adopt it and record its result"
            )
        return (
            f"data deletion job {self.job_name} is still {seen} at the deployment's time limit "
            "(completion policy WAIT): the job keeps running in Personalize (jobs can take up "
            f"to a day); {tracked}. Completion.hand_off() lets the deployment succeed while "
            "the job runs"
        )

    def _answer(
        self, job_arn: str, status: str, num_deleted: str, tracked_by: str
    ) -> dict[str, Any]:
        return {
            "IsComplete": True,
            "Data": {
                "JobArn": job_arn,
                "JobName": self.job_name,
                "Status": status,
                "NumDeleted": num_deleted,
                "TrackedBy": tracked_by,
                "ReceiptUri": receipt_uri(self.request.bucket, self.job_name),
            },
        }
