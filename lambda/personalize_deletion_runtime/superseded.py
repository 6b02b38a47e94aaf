"""A waiter that polls on after CloudFormation moved past its event: it must start nothing.

CloudFormation does not stop the Provider framework's waiter when it cancels a resource's
Create or Update in progress (another resource failed; aws-cdk#26139): it goes on to roll the
stack back (a Delete of the resource, or an Update back to its old properties) while the old
waiter keeps polling a request blocked at submission. Should that waiter create the job once
the blocker clears, it would start a deletion the stack no longer declares, and a deletion
cannot be undone. Its own poll would also have withdrawn the marker saying so.

So the Delete's marker (``staging/<job>/cancelled.json``) records who wrote it and when (the
resource's stack and logical id, ``cancelledAt``; never a user id), and a waiter reads it:

- right before it would create the job (:func:`check`, as the tracker's submit step does),
  before it hands a blocked request to the tracker, and on every poll that declares the request
  (:func:`declare`, which writes the resource's declarer key first, then reads the marker);
- a marker its OWN resource wrote since its event began (``ticket.started_at``, with
  :data:`.outcome.CLOCK_SKEW_SECONDS` for the two invocations' clocks: a marker counts as older
  only if it is clearly so) is the cancellation of its event (:class:`Superseded`): the waiter
  creates no job, never withdraws that marker, releases its key and fails the event; knowing no
  job exists, it deletes the staged list unless another resource declares the job
  (:func:`stop`); unsure whether one exists, it deletes nothing and hands the tracker only the
  ARN a job of that name has, to read, never to create (``poll.Poll._unknown_superseded``).
  CloudFormation sends a
  resource no event while one is in progress, so such a marker can only come from a Delete or a
  rollback after the event was cancelled;
- a marker written before its event began (the request removed, then added back) or by another
  resource is withdrawn as before: the event declares the request again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import cancellation
from .failures import BOOKKEEPING_FAULTS, DeletionFailed, forget_copies
from .outcome import CLOCK_SKEW_SECONDS
from .personalize_api import TransientFault
from .properties import DeletionRequest
from .services import Services
from .staging import SOURCE_VERSION
from .state import JobTicket, parse_iso

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Waiter:
    """A deployment's poll: its event (stack and logical id), when its ``on_event`` began, and
    the job it would create."""

    event: Mapping[str, Any]
    since: float
    bucket: str
    job_name: str


class Superseded(Exception):
    """The waiter's resource was deleted or rolled back since its event began: create none."""


def written_since(marker: Mapping[str, Any] | None, waiter: Waiter) -> bool:
    """Whether ``marker`` was written by the waiter's own resource and not clearly before its
    event began (``cancelledAt`` is whole seconds, cut: that second, plus the clocks' skew, must
    end before ``since``; an unreadable time counts as since: stop rather than create)."""
    if not marker:
        return False
    event = waiter.event
    own = marker.get("stackId") == event.get("StackId") and marker.get(
        "logicalResourceId"
    ) == event.get("LogicalResourceId")
    if not own:
        return False
    written = marker.get("cancelledAt")
    try:
        at = parse_iso(written) if isinstance(written, str) else None
    except ValueError:
        at = None
    return at is None or at + 1 + CLOCK_SKEW_SECONDS > waiter.since


def _marker(bucket: str, job_name: str, services: Services) -> dict[str, Any] | None:
    return services.storage.read_json(bucket, cancellation.marker_key(job_name))


def check(waiter: Waiter, services: Services) -> None:
    """Raise :class:`Superseded` if the waiter's event was cancelled (see the module). S3
    faults propagate: the caller creates nothing it cannot tell is still declared."""
    if written_since(_marker(waiter.bucket, waiter.job_name, services), waiter):
        raise Superseded(waiter.job_name)


def declare(waiter: Waiter, services: Services, *, withdrawing: bool = True) -> None:
    """:func:`.cancellation.declare` for a waiter: record its resource, then read the marker;
    raise :class:`Superseded` for its own resource's since its event began (never withdrawn),
    withdraw any other if ``withdrawing``. Written first, read after: a Delete that removed
    the key just written has its marker read here (faults are logged, as a declaration's)."""
    bucket, job_name = waiter.bucket, waiter.job_name
    cancellation.declare(bucket, job_name, waiter.event, services, withdrawing=False)
    try:
        marker = _marker(bucket, job_name, services)
        if written_since(marker, waiter):
            raise Superseded(job_name)
        if withdrawing and marker is not None:
            cancellation.withdraw(bucket, job_name, services)
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "whether a Delete marked the request could not be read, or its marker not removed",
            extra={"job_name": job_name, "error": str(exc)},
        )


def before_hand_off(waiter: Waiter, services: Services) -> None:
    """:func:`check` before a blocked request is handed to the tracker (no execution for a
    cancelled event); a fault is logged: the declaration after the hand-off reads it again."""
    try:
        check(waiter, services)
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning("marker not read", extra={"job_name": waiter.job_name, "error": str(exc)})


def check_before_create(waiter: Waiter, services: Services) -> None:
    """:func:`check` right before a create, an S3 fault retried as the blocker of the poll."""
    try:
        check(waiter, services)
    except (ClientError, BotoCoreError) as exc:
        raise TransientFault(f"whether the request was cancelled is unknown: {exc}") from exc


def stop(
    request: DeletionRequest, ticket: JobTicket, event: Mapping[str, Any], services: Services
) -> DeletionFailed:
    """The waiter's event was cancelled: release its key, delete the staged list (and the copy
    of the list's asset this event read) unless another resource declares the job, leave the
    marker; the failure to raise (CloudFormation has moved on: it only explains the logs)."""
    bucket, job_name = request.bucket, ticket.job_name
    cancellation.undeclare(bucket, job_name, event, services)
    try:
        declared = cancellation.declared_by_others(bucket, job_name, event, services)
    except BOOKKEEPING_FAULTS as exc:  # the staging lifecycle rule expires the list
        LOGGER.warning("declarers not listed", extra={"job_name": job_name, "error": str(exc)})
        declared = True
    if not declared:
        version = None if ticket.kept else ticket.input.get(SOURCE_VERSION)
        forget_copies(request, job_name, services, version)
    LOGGER.warning("waiter of a cancelled event: no job created", extra={"job_name": job_name})
    return DeletionFailed(
        f"request {request.request_name}: CloudFormation deleted or rolled back this resource "
        "after this event began (it cancelled the event; its waiter polls on), so this poll "
        f"creates no job {job_name} and stops: the stack no longer declares it"
    )
