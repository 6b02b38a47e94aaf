"""What happens when a job ends, whichever path saw it end: one ``finish``, used by all.

The deployment (``is_complete``), the tracker's finish step and any later adoption (a redeploy,
a rollback, an Update that keeps the job) call :func:`finish`. It is idempotent and first-writer
wins: every call removes the copies of the list (the staged one, and for a local list the CDK
asset); the first one also publishes the event, counts the outcome and writes the receipt;
every later call finds the receipt and leaves it, so a receipt is never rewritten with other
facts and an adoption never announces an old deletion again.

A receipt records the job's own times (``creationDateTime``/``lastUpdatedDateTime``), never the
clock of whoever happened to look. The event is published before the receipt is written: a
crash in between repeats the event on retry (EventBridge delivers at least once anyway) rather
than losing it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import cancellation, preflight, submission_record
from .layout import models_receipt_uri, receipt_key, receipt_uri
from .notifications import (
    JOBS_COMPLETED,
    JOBS_FAILED,
    JOBS_STUCK,
    NOT_STARTED,
    STUCK,
    bounded_reason,
    scope_field,
    stack_name,
)
from .personalize_api import JobRequestRejected, JobState, TransientFault
from .properties import RETRAIN_NONE, DeletionRequest
from .request_rules import follow_up_job_name
from .services import Services
from .staging import SOURCE_VERSION, VersionedBucket
from .state import Origin, iso, parse_iso

LOGGER = logging.getLogger(__name__)
RECEIPT_VERSION = 2
DEPLOYMENT = "deployment"
TRACKER = "tracker"
CLOCK_SKEW_SECONDS = 1
"""How far apart two Lambda invocations' clocks may be taken to be (they are synchronized to
well within this): the margin :func:`recorded_before` allows."""


@dataclass(frozen=True)
class JobRecord:
    """What the receipt and the event say besides the job's own state."""

    request: DeletionRequest
    job_name: str
    input: dict[str, Any]
    origin: Origin
    recorded_by: str
    """``deployment`` or ``tracker``: which path saw the end."""
    tracked_by: str | None = None
    """The tracker execution that followed the job, if one did."""
    requested_at: float | None = None
    """When the deployment's ``on_event`` began."""
    blockers: tuple[dict[str, Any], ...] | None = ()
    """What the pre-flight found running at its first check; ``None`` when this record cannot
    know (the job was created by an event whose facts are not at hand)."""
    follow_up_of: str | None = None
    """The job this one follows up (the guide's further job after interference)."""


def finish(record: JobRecord, state: JobState, services: Services) -> dict[str, Any]:
    """Purge, announce, count and record a terminal job, once; return its receipt."""
    request = record.request
    key = receipt_key(record.job_name)
    existing = services.storage.read_json(request.bucket, key)
    if existing is None:
        interference = _interference(record, state, services)
        follow_up = _follow_up(record, state, interference, services)
    if request.purge_staged_input:
        # Also when the job was recorded before: an adoption (a rollback, a redeploy) stages
        # the list again before it finds the job, and that copy must not stay behind.
        services.storage.purge(request.bucket, record.job_name)
    # The polls' record of the job's submission: of no use once it ended (no ids: always).
    submission_record.remove(request.bucket, record.job_name, services)
    source = request.source
    if source.asset and source.key is not None:
        # The app's own copy in the CDK assets bucket, once nothing needs it (the job ended).
        services.storage.remove_asset(
            source.bucket, source.key, record.input.get(SOURCE_VERSION), record.job_name
        )
    if existing is not None:
        LOGGER.info("job already recorded", extra={"job_name": record.job_name})
        return existing
    receipt = {
        "version": RECEIPT_VERSION,
        "requestName": request.request_name,
        "datasetGroupArn": request.dataset_group_arn,
        "jobName": record.job_name,
        "jobArn": state.job_arn,
        "status": state.status,
        "numDeleted": state.num_deleted,
        "failureReason": state.failure_reason,
        "startedAt": state.created_at,
        "finishedAt": state.updated_at,
        "durationSeconds": state.duration_seconds,
        "input": record.input,
        "stagedInputPurged": request.purge_staged_input,
        "completion": record.origin.completion,
        "recordedBy": record.recorded_by,
        "trackedBy": record.tracked_by,
        "recordedAt": iso(services.clock()),
        "stackId": record.origin.stack_id,
        "logicalResourceId": record.origin.logical_resource_id,
        "preflight": _preflight(record, state),
        "interference": interference,
        "followUp": follow_up,
        "followUpOf": record.follow_up_of,
        "retraining": (
            None
            if request.retrain == RETRAIN_NONE or state.status != "COMPLETED"
            else {
                "policy": request.retrain,
                # Retraining follows the last job: the follow-up, when there is one.
                "receiptUri": models_receipt_uri(request.bucket, follow_up or record.job_name),
            }
        ),
    }
    services.notifier.publish(
        _detail(
            record,
            state.status,
            receipt_uri(request.bucket, record.job_name),
            {**receipt, "warning": _warning(interference, follow_up)},
        )
    )
    _count(JOBS_COMPLETED if state.status == "COMPLETED" else JOBS_FAILED, record, services)
    if not services.storage.put_json_once(request.bucket, key, receipt):
        LOGGER.info("receipt written concurrently: kept", extra={"job_name": record.job_name})
        return services.storage.read_json(request.bucket, key) or receipt
    LOGGER.info("job finished", extra={"job_name": record.job_name, "status": state.status})
    return receipt


def failure_recorded(
    bucket: str,
    job_name: str,
    origin: Origin,
    own: bool,
    services: Services,
    *,
    update: bool,
    since: float,
) -> bool:
    """Whether a FAILED job's end was recorded before the event began (its receipt exists,
    FAILED, ``recordedAt`` before ``since``: see :func:`recorded_before`) for this resource:
    ``own`` (the job is the resource's physical id: an Update that kept it, a rollback to it),
    or, for an ``update`` only, the receipt names the same stack and logical id (a rollback to
    the job a successful rename replaced). The failure was announced then (event,
    ``JobsFailed``) and the resource stood with the job (or the event that recorded it failed);
    failing an event for it again would leave the stack ``UPDATE_ROLLBACK_FAILED``. A failure
    first seen now, or recorded since the event began (by this very event, whose answer the
    framework did not get and asks for again, or by a tracker meanwhile: this event is the
    first deployment to see it), recorded for another resource, or met by a Create (the request
    removed and added back under the same logical id: its user must not believe the deletion
    ran) is not known (the event fails). A receipt that cannot be read: not known."""
    try:
        receipt = services.storage.read_json(bucket, receipt_key(job_name))
    except (ClientError, BotoCoreError, ValueError):
        return False
    if receipt is None or receipt.get("status") != "FAILED":
        return False
    if not recorded_before(receipt, since):
        return False
    return own or (
        update
        and receipt.get("stackId") == origin.stack_id
        and receipt.get("logicalResourceId") == origin.logical_resource_id
    )


def recorded_before(receipt: dict[str, Any], since: float) -> bool:
    """Whether ``receipt`` was written before ``since`` (the event's ``on_event`` began, by its
    clock: the ticket's ``startedAt``).

    ``recordedAt`` is whole seconds, cut (not rounded) by the writer's clock (another Lambda
    invocation, or the tracker's), so it counts as before only if the whole second it names,
    plus :data:`CLOCK_SKEW_SECONDS` for the two clocks, ended before ``since``: a receipt this
    event wrote (after its ``on_event``, and after its job was seen FAILED) never passes, and a
    rollback, which begins after the failed event was answered, passes once that margin has
    gone by (should it come sooner, it fails saying the job FAILED, and CloudFormation's
    continue-update-rollback succeeds). A receipt without a readable ``recordedAt``: not
    before (the event fails rather than report a failure it cannot place in time as known).
    """
    value = receipt.get("recordedAt")
    try:
        recorded = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        recorded = None
    return recorded is not None and recorded + 1 + CLOCK_SKEW_SECONDS <= since


def give_up(
    record: JobRecord, job_arn: str | None, last_status: str, reason: str, services: Services
) -> dict[str, Any]:
    """Announce that the tracker stops without an end from Personalize; return the event detail.

    ``STUCK`` while a job exists (it may still end: its staged list stays for it to read);
    ``NOT_STARTED`` when none does (the staged list is purged: nothing will read it).
    """
    status = STUCK if job_arn else NOT_STARTED
    if job_arn is None and record.request.purge_staged_input:
        services.storage.purge(record.request.bucket, record.job_name)
    detail = _detail(
        record,
        status,
        None,
        {
            "jobArn": job_arn,
            "failureReason": reason,
            "lastStatus": last_status,
            "recordedAt": iso(services.clock()),
        },
    )
    services.notifier.publish(detail)
    _count(JOBS_STUCK, record, services)
    LOGGER.warning(
        "tracker gave up", extra={"job_name": record.job_name, "status": status, "why": reason}
    )
    return detail


def _detail(
    record: JobRecord, status: str, uri: str | None, facts: dict[str, Any]
) -> dict[str, Any]:
    """The event detail: the same keys for every status, ``None`` where a fact is unknown."""
    return {
        "requestName": record.request.request_name,
        "jobName": record.job_name,
        "jobArn": facts.get("jobArn"),
        "datasetGroupArn": record.request.dataset_group_arn,
        "status": status,
        "lastStatus": facts.get("lastStatus", status),
        "numDeleted": facts.get("numDeleted"),
        "failureReason": bounded_reason(facts.get("failureReason")),
        "receiptUri": uri,
        "startedAt": facts.get("startedAt"),
        "finishedAt": facts.get("finishedAt"),
        "durationSeconds": facts.get("durationSeconds"),
        "recordedAt": facts.get("recordedAt"),
        "warning": facts.get("warning"),
        "followUp": facts.get("followUp"),
        "recordedBy": record.recorded_by,
        "trackedBy": record.tracked_by,
        "completion": record.origin.completion,
        "stackId": record.origin.stack_id,
        **scope_field(record.request.scope_id),
    }


def _preflight(record: JobRecord, state: JobState) -> dict[str, Any]:
    """Whether the pre-flight ran, what it found first, and how long the job was held back.

    ``heldBackSeconds`` runs from the request to the job's creation, whatever held it back:
    what the first check found, what a later check found (the poll's or the tracker's check
    right before its create, which can find work the first did not), the dataset group's
    limits, throttling. Later checks are not recorded (a poll keeps nothing of a blocked
    attempt), so ``blockersAfterFirstCheck`` says so (``None``: unknown) rather than let an
    empty ``blockersAtFirstCheck`` read as "held back by nothing"."""
    held = None
    if record.requested_at is not None and state.created_at is not None:
        held = max(0, round(parse_iso(state.created_at) - record.requested_at))
    return {
        "checked": record.request.preflight,
        "blockersAtFirstCheck": None if record.blockers is None else list(record.blockers),
        "blockersAfterFirstCheck": None,
        "heldBackSeconds": held,
    }


def _interference(record: JobRecord, state: JobState, services: Services) -> dict[str, Any] | None:
    """Imports and trainings that started while the job ran: the guide's "not guaranteed" case.

    Checked with the pre-flight (same calls); a failed check is recorded, never a reason to lose
    the record of a deletion that has ended.
    """
    if not record.request.preflight:
        return None
    try:
        found = preflight.started_between(
            record.request.dataset_group_arn, state.created_at, state.updated_at, services.models
        )
    except (TransientFault, JobRequestRejected) as exc:
        return {"checked": False, "why": str(exc), "started": []}
    return {"checked": True, "started": [activity.to_json() for activity in found]}


def _follow_up(
    record: JobRecord,
    state: JobState,
    interference: dict[str, Any] | None,
    services: Services,
) -> str | None:
    """The further job the guide recommends after interference (opt-in, one at most).

    Its list is staged before this job's copy is purged; the tracker submits it once the
    pre-flight finds the interfering work ended. None is queued when the bucket has become
    versioned since the first list was staged (its copy is deleted, the reason logged): the
    event's warning says to run another deletion job, and a deployment of one names the
    bucket and the fix.
    """
    request = record.request
    if not (
        request.follow_up
        and record.follow_up_of is None
        and state.status == "COMPLETED"
        and interference is not None
        and interference["started"]
    ):
        return None
    name = follow_up_job_name(record.job_name)
    try:
        copied = services.storage.copy_staged(request.bucket, record.job_name, name)
    except VersionedBucket as exc:  # versioned since the list was staged: the copy is deleted
        LOGGER.error("follow-up not staged", extra={"job_name": name, "error": str(exc)})
        return None
    if not copied:
        LOGGER.warning("follow-up not possible: the list is gone", extra={"job_name": name})
        return None
    # A Delete while this job ran marked it only: the follow-up, queued now, inherits that.
    cancellation.carry_over(request.bucket, record.job_name, name, services)
    return name


def _warning(interference: dict[str, Any] | None, follow_up: str | None) -> str | None:
    if interference is None:
        return None
    if not interference["checked"]:
        return f"whether an import or training ran during the job is unknown: {interference['why']}"
    if not interference["started"]:
        return None
    advice = (
        f"follow-up job {follow_up} starts once they have ended"
        if follow_up
        else "run another deletion job once they have ended"
    )
    return (
        f"{len(interference['started'])} import(s) or training(s) started while the job ran: "
        "Personalize does not guarantee the users are deleted from models trained meanwhile; "
        f"{advice} (see the receipt)"
    )


def _count(metric: str, record: JobRecord, services: Services) -> None:
    services.notifier.count(
        metric, stack_name(record.origin.stack_id), int(services.clock() * 1000)
    )
