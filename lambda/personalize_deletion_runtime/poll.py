"""One ``is_complete`` poll: the event, its request and ticket, and the answers it can give.

:mod:`.lifecycle` decides what a poll learned (the job's state, that it is not accepted yet,
or that whether it exists is unknown); this module turns that into what the Provider framework
expects: ``IsComplete`` false, the resource's attributes, a hand-off to the tracker, or
:class:`.failures.DeletionFailed` with the reason CloudFormation shows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from . import cancellation, superseded
from .cfn_events import event_field
from .failures import BOOKKEEPING_FAULTS, DeletionFailed, bounded
from .layout import receipt_uri
from .outcome import CLOCK_SKEW_SECONDS, DEPLOYMENT, JobRecord, failure_recorded, finish
from .personalize_api import JobState, job_arn_for
from .properties import RETRAIN_NONE, SUBMIT_ONLY, WAIT, DeletionRequest
from .services import Services
from .state import QUEUED, JobTicket, Origin, TrackedJob, iso, parse_iso
from .tracking import TrackerError

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


class Poll:
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

    def unknown(self, why: str) -> dict[str, Any]:
        """Whether Personalize has the job could not be found out (a fault reading the poll's
        record, looking the job up, or answering the create): not "no job".

        Polled again while there is time (declared, as a request not accepted). At the bound,
        ``hand_off``/``submit_only`` queue it with the tracker as ``not_accepted`` does: its
        submit step looks the job up by name first and adopts one that exists, so a job is
        followed whether or not one was created. ``WAIT`` starts nothing after its deployment
        failed, so its tracker gets the ARN a job of that name has (composed): it follows a job
        that exists to its end, and stops (``STUCK``, its reads refused) should none; the
        staged list stays (a job may read it; the lifecycle rule expires it), and the reason
        says neither that no job was started nor that one runs."""
        if not self.at_limit or self.request.completion != WAIT:
            try:
                return self.not_accepted(why)
            except superseded.Superseded:
                return self._unknown_superseded(why)
        self.release()
        try:
            job_arn, execution = self._follow_to_read()
            tracked = (
                f"the tracker follows {job_arn} should it exist, and records its end "
                f"({execution}); should none exist, its reads fail and it stops within about "
                "half an hour, reporting it STUCK"
            )
        except TrackerError as exc:
            tracked = f"it could not be handed to the tracker ({exc})"
        raise DeletionFailed(
            f"whether data deletion job {self.job_name} was created could not be found out by "
            f"the deployment's time limit: {why}. Its staged list is kept for it (the bucket's "
            f"lifecycle rule expires it); {tracked}. Deploy the request again (a tag change) to "
            "adopt the job if it exists, or to start it once the cause clears"
        )

    def _unknown_superseded(self, why: str) -> dict[str, Any]:
        """CloudFormation cancelled this event (its own resource's marker), and whether its job
        exists is unknown: it may run (an earlier poll created it). Purging its list then could
        fail a running job and leave no record of it (:func:`.superseded.stop` is for a job
        known not to exist), and nothing may start one the stack no longer declares. So nothing
        is deleted and nothing is queued: the resource stops declaring the request, and the
        tracker gets the ARN a job of that name has (composed), as for a ``WAIT`` event unsure
        at its limit: it only reads (it never creates), follows and records a job that exists,
        and reports ``STUCK`` should none (its reads refused), keeping the list for the
        bucket's lifecycle rule. Its key goes whatever the event kept: a kept job's key would
        keep the request alive for any other path that submits."""
        cancellation.undeclare(self.request.bucket, self.job_name, self.event, self.services)
        try:
            job_arn, execution = self._follow_to_read()
            settled = (
                f"the tracker ({execution}) only reads {job_arn}: it follows and records the "
                "job should it exist, and should none, creates none and reports it STUCK within "
                "about half an hour; the staged list is kept (the bucket's lifecycle rule "
                "expires it)"
            )
        except TrackerError as exc:
            settled = (
                f"it could not be handed to the tracker ({exc}); the staged list is kept (the "
                "bucket's lifecycle rule expires it): look the job up with aws personalize "
                "list-data-deletion-jobs"
            )
        LOGGER.warning(
            "waiter of a cancelled event, unsure whether its job exists: handed over to read",
            extra={"job_name": self.job_name},
        )
        raise DeletionFailed(
            f"request {self.request.request_name}: CloudFormation deleted or rolled back this "
            "resource after this event began, and whether its data deletion job "
            f"{self.job_name} exists could not be found out ({why}): nothing is deleted and "
            f"no job is started; {settled}"
        )

    def _follow_to_read(self) -> tuple[str, str]:
        """For an event that cannot find out whether its job exists: the ARN a job of its name
        has (composed), and the tracker execution handed that ARN, which only reads (it never
        creates): it follows and records a job that exists, and reports ``STUCK`` should none.
        Raises :class:`.tracking.TrackerError`."""
        job_arn = job_arn_for(self.request.dataset_group_arn, self.job_name)
        return job_arn, self._follow(job_arn, SUBMITTED, None)

    def release(self) -> None:
        """The event fails, not knowing whether its job exists: the resource stops declaring
        it (:func:`.cancellation.release`), and every copy of the list stays."""
        cancellation.release(self.request, self.ticket, self.event, self.services)

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
