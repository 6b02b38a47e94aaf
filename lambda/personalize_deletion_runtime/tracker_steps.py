"""The tracker's Lambda steps: the work its state machine cannot do with a direct integration.

The state machine itself waits, polls ``DescribeDataDeletionJob`` and decides (no Lambda per
poll); it calls this code only to submit a request that was queued at deployment, to finish a
job that ended (the same ``outcome.finish`` the deployment uses), to retrain, to give up, and to
renew the tracking limit of an execution started by hand to re-track a job (``retrack``), and
to record a retraining whose step failed for good (``retrain_stopped``) before the execution
fails. Each step takes the execution's state (:class:`~.state.TrackedJob`) and returns the next
one.

Event: ``{"step": "submit" | "finish" | "retrain" | "retrain_stopped" | "give_up" | "retrack",
"execution":
<execution ARN>, "state": <TrackedJob JSON>}``. A step that raises is retried by the state
machine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from . import cancellation, retraining, retraining_outcome, retraining_record
from .ended_give_up import give_up_ended
from .last_look import CANCELLED, last_look, submission_unknown
from .layout import receipt_uri
from .outcome import TRACKER, JobRecord, finish, give_up
from .personalize_api import (
    JobRequestRejected,
    JobState,
    JobSubmission,
    TransientFault,
)
from .properties import RETRAIN_NONE, DeletionRequest
from .services import Services
from .staging import SOURCE_VERSION, kept_asset_advice
from .state import QUEUED, TrackedJob, iso, parse_iso
from .submission import resubmit
from .tracking import execution_names

LOGGER = logging.getLogger(__name__)
JOB_NOT_STARTED = "DeletionJobNotStarted"
JOB_STUCK = "DeletionJobStuck"
ENDED = ("COMPLETED", "FAILED")
FOLLOW_UP = "FOLLOW_UP"
"""``outcome.status`` when the finish step queued the further job (the definition's Choice)."""
FOLLOW_UP_NOT_STARTED = (
    "the follow-up job was not started, and will not be (its staged list is deleted): users "
    "that imports or trainings brought back while job {first} ran may still be in the "
    "datasets; to delete them, rename the request and deploy (a new job reads the list again)"
)
RETRACK = "retrack"
"""Top-level input field of an execution started by hand to re-track a job (``"retrack":
true``): its first step renews the tracking limit from the time it runs, so that an input copied
from an execution that gave up does not give up again at its first read."""


RETRAIN_STOPPED = "retrain_stopped"
"""The step the definition runs when the retrain step failed for good (definition: same value)."""


class StepError(RuntimeError):
    """A step called with an event it cannot act on (a bug or a hand-made execution input)."""


def run(event: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """Run one step and return the execution's next state."""
    step = event.get("step")
    execution = event.get("execution")
    if not isinstance(execution, str) or not execution:
        raise StepError("event field 'execution' (the execution ARN) is required")
    job = TrackedJob.from_json(event.get("state"))
    request = services.scopes.tracked_request(
        job.request, job.job_name, job.job_arn, job.follow_up_of
    )
    if step == "submit":
        after = _submit(job, request, services)
    elif step == "finish":
        after = _finish(job, request, execution, services)
    elif step == "retrain":
        after = _retrain(job, request, execution, services)
    elif step == RETRAIN_STOPPED:
        after = _retrain_stopped(job, request, execution, services)
    elif step == "give_up":
        after = _give_up(job, request, execution, services)
    elif step == RETRACK:
        after = _retrack(job, services)
    else:
        raise StepError(
            f"unknown step {step!r}: expected submit, finish, retrain, {RETRAIN_STOPPED}, give_up "
            "or retrack"
        )
    return after.to_json()


def _submit(job: TrackedJob, request: DeletionRequest, services: Services) -> TrackedJob:
    """Try once more to start a queued request; give up for good refusals or at the limit,
    and when its resource was deleted meanwhile (no job is created, its list is deleted). A
    last create that may have taken effect (a server fault, no answer) is recorded as such
    (:func:`.last_look.submission_unknown`): the give-up must not say no job was started.

    A follow-up job's first check is its pre-flight's first check (a request queued by the
    deployment had its own there, in ``blockers`` already): what it finds is recorded."""
    first_check = job.follow_up_of is not None and job.blocked_by is None and not job.blockers
    try:
        submission = resubmit(request, job.job_name, services, cancellable=True)
    except TransientFault as exc:
        submission = JobSubmission(None, blocked_by=str(exc))
    except cancellation.Cancelled as exc:
        asset = cancellation.forget(
            request,
            job.job_name,
            services,
            job.input.get(SOURCE_VERSION),
            follow_up=job.follow_up_of is not None,
        )
        LOGGER.warning("queued request cancelled: no job created", extra={"job_name": job.job_name})
        return job.evolve(give_up=True, error={"Error": CANCELLED, "Cause": f"{exc}{asset}"})
    except JobRequestRejected as exc:
        return job.evolve(give_up=True, error={"Error": "JobRequestRejected", "Cause": str(exc)})
    if submission.job_arn is not None:  # a Delete can no longer cancel it: keys of no use
        cancellation.settle(request.bucket, job.job_name, services)
        return job.evolve(job_arn=submission.job_arn, last_status="PENDING", blocked_by=None)
    at_limit = services.clock() >= parse_iso(job.give_up_at)
    return job.evolve(
        blocked_by=submission.blocked_by,
        blockers=submission.blockers if first_check else job.blockers,
        give_up=at_limit,
        # The last create may have taken effect: the give-up must not conclude "no job".
        error=submission_unknown(submission.blocked_by)
        if at_limit and submission.unknown
        else job.error,
    )


def _finish(
    job: TrackedJob, request: DeletionRequest, execution: str, services: Services
) -> TrackedJob:
    if job.job_arn is None:
        raise StepError(f"finish needs the ARN of job {job.job_name}; the state has none")
    state = services.jobs.describe(job.job_arn)
    if not state.terminal:
        raise StepError(f"job {job.job_name} is {state.status}: finish is for ended jobs")
    receipt = finish(_record(job, request, execution), state, services)
    follow_up = receipt.get("followUp") if job.follow_up_of is None else None
    if follow_up:
        # The guide's further job: queued like a blocked request (the pre-flight holds it
        # until the interfering work has ended), then followed, recorded and retrained as any.
        now = services.clock()
        return job.evolve(
            job_name=follow_up,
            job_arn=None,
            follow_up_of=job.job_name,
            since=iso(now),
            give_up_at=iso(now + services.tracking_timeout_seconds),
            last_status=QUEUED,
            blocked_by=None,
            requested_at=iso(now),  # held back from now, by what its first check finds
            blockers=(),
            seen=None,
            outcome={"status": FOLLOW_UP, "receiptUri": receipt_uri(request.bucket, job.job_name)},
        )
    return job.evolve(
        last_status=state.status,
        outcome={"status": state.status, "receiptUri": receipt_uri(request.bucket, job.job_name)},
        retraining=_retraining(job, request, state, receipt, services),
    )


def _retraining(
    job: TrackedJob,
    request: DeletionRequest,
    state: JobState,
    receipt: Mapping[str, Any],
    services: Services,
) -> dict[str, Any]:
    """Retrain after a COMPLETED job; after a FAILED follow-up job too, since the first job
    COMPLETED: its users are gone from the datasets and the models should forget them. The
    models receipt the first job's receipt promises (named after the follow-up) then says
    what was retrained, and that the follow-up failed (``caveat``; never ``effectiveInModels``).
    Whatever the job's receipt found during it (imports or trainings, or that it could not
    tell) limits the retraining too: the models receipt never claims more than that receipt.
    """
    found = retraining_outcome.interference_caveat(job.job_name, receipt.get("interference"))
    if state.status == "COMPLETED":
        return retraining.start(
            request, job.job_name, services, deleted_at=state.updated_at, caveat=found
        )
    if job.follow_up_of is None:
        return {"requested": False}
    caveat = (
        f"the follow-up job {job.job_name} FAILED (see its receipt): retrained after job "
        f"{job.follow_up_of} COMPLETED, which removed the users from the datasets, but data "
        f"imported or trained while {job.follow_up_of} ran may still hold them; run another "
        "deletion job to be sure"
    )
    caveat = f"{caveat}; {found}" if found else caveat
    return retraining.start(request, job.job_name, services, deleted_at=None, caveat=caveat)


def _retrain(
    job: TrackedJob, request: DeletionRequest, execution: str, services: Services
) -> TrackedJob:
    """One round of retraining; once everything ended, record it (receipt and event).

    Every round first looks for the models receipt (one S3 read): another execution (an
    adoption in another stack, a re-track) may have recorded this job's retraining while this
    one still ran, and a campaign moved after that receipt would be a production change no
    receipt records. A receipt found then, unless this execution wrote it (a retry of the round
    that did, which publishes its event again), ends the retraining as recorded elsewhere:
    nothing more is trained, moved or announced. An input that carries a plan (an execution
    started by hand, say) is checked the same way before its first round."""
    planned = job.retraining
    if planned is None or not planned.get("requested"):
        raise StepError(f"job {job.job_name} has no retraining to advance")
    recorded = retraining.recorded_elsewhere(
        request, job.job_name, services, execution, planned.get("startedAt")
    )
    if recorded is not None:
        return job.evolve(retraining={**recorded, "done": True})
    state = retraining.advance(planned, request, job.job_name, services)
    if state["done"]:
        state = retraining_record.record(state, _record(job, request, execution), services)
    return job.evolve(retraining=state)


def _retrain_stopped(
    job: TrackedJob, request: DeletionRequest, execution: str, services: Services
) -> TrackedJob:
    """The retrain step failed for good: record the retraining as it is read now (receipt and
    event; nothing if it was recorded already) and keep the error, with which the execution
    then fails (``TrackerFailed``, its alarm)."""
    planned = job.retraining
    if planned is None or not planned.get("requested"):
        return job
    state = retraining.stopped(
        planned, _error_summary(job.error), _deletion_said(job), request, job.job_name, services
    )
    state = retraining_record.record(state, _record(job, request, execution), services)
    return job.evolve(retraining=state)


def _deletion_said(job: TrackedJob) -> str:
    """What the deletion receipt this retraining follows records, as a stopped retraining's
    caveat says it: a follow-up job that FAILED is retrained too (its first job COMPLETED),
    and its receipt says FAILED, so the caveat must not say the deletion COMPLETED."""
    status = (job.outcome or {}).get("status")
    if job.follow_up_of is not None and status != "COMPLETED":
        return (
            f"The follow-up job {job.job_name} {status or 'did not complete'} (see its "
            f"receipt) after job {job.follow_up_of} COMPLETED, which removed the users from "
            "the datasets,"
        )
    return "The deletion COMPLETED (see its receipt)"


def _error_summary(error: Mapping[str, Any] | None) -> str:
    """``Error: message`` of a caught step error; the message from Lambda's error document
    (its ``errorMessage``, without the stack trace) when the cause is one."""
    if not error:
        return "no error recorded"
    cause = error.get("Cause")
    try:
        document = json.loads(cause) if isinstance(cause, str) else None
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("errorMessage"), str):
        cause = document["errorMessage"]
    return f"{error.get('Error')}: {cause}"


def _give_up(
    job: TrackedJob, request: DeletionRequest, execution: str, services: Services
) -> TrackedJob:
    last_status = str((job.seen or {}).get("status") or job.last_status)
    if job.job_arn is not None and last_status in ENDED:
        # Read ended by the tracker, or handed over ended (for a retraining, a follow-up).
        following = _next_execution(job, execution)
        retrack = (
            f"start an execution of this state machine named {following} with this "
            f'execution\'s input and "{RETRACK}": true added at its top level'
            if following is not None
            else None
        )
        return give_up_ended(
            job, request, last_status, _error_summary(job.error), retrack, services
        )
    job, looked = last_look(job, request, services)
    if looked is not None:
        reason = looked
    elif job.error is not None:
        reason = _error_summary(job.error)
    elif job.job_arn is None:
        reason = f"Personalize had not accepted the request by {job.give_up_at}: {job.blocked_by}"
    else:
        reason = f"the job was still {last_status} at {job.give_up_at}, the tracking limit"
    record = _record(job, request, execution)
    detail = give_up(record, job.job_arn, last_status, reason, services)
    error = JOB_STUCK if job.job_arn else JOB_NOT_STARTED
    advice = (
        _stuck_advice(job, execution)
        if job.job_arn
        else "no job was started"
        if job.error is not None and job.error.get("Error") == CANCELLED
        else FOLLOW_UP_NOT_STARTED.format(first=job.follow_up_of)
        if job.follow_up_of is not None
        else "no job was started; once the cause is fixed, change a tag of the request and "
        "deploy (an unchanged request is not sent again)" + kept_asset_advice(request.source)
    )
    if job.follow_up_of is not None and request.retrain != RETRAIN_NONE:
        # The first job's receipt promises the models receipt of this follow-up: write it.
        retraining_record.not_retrained(record, _not_retrained(job, detail["status"]), services)
    return job.evolve(
        last_status=last_status,
        outcome={"status": detail["status"], "error": error, "cause": f"{reason}; {advice}"},
    )


def _not_retrained(job: TrackedJob, status: str) -> str:
    first = (
        f"the follow-up job {job.job_name} did not end ({status}; see its event), and the "
        "retraining waits for it: training while a deletion job may still run or start is what "
        f"the Personalize guide advises against. Job {job.follow_up_of} COMPLETED (the users "
        "are gone from the datasets) but the models still reflect them: "
    )
    if job.job_arn is None:  # never started, and never will: its staged list is deleted
        return first + (
            "the follow-up job will not start (its staged list is deleted); rename the request "
            "and deploy to run a new deletion job with the same list, then train new solution "
            "versions and update their campaigns once it has ended"
        )
    return first + (
        "once the follow-up job has ended, train new solution versions and update their "
        "campaigns yourself"
    )


def _stuck_advice(job: TrackedJob, execution: str) -> str:
    """How to record the end of a job still running at the tracking limit."""
    retag = "change a tag of the request and deploy (an unchanged request is not sent again)"
    following = _next_execution(job, execution)
    if following is None:
        return (
            f"it may still end: the tracker has used every execution name it follows this job "
            f"under (up to {execution.rsplit(':', 1)[-1]}), so neither a re-track nor a deploy "
            "can record it; read its end with aws personalize describe-data-deletion-job "
            f"--data-deletion-job-arn {job.job_arn}"
        )
    return (
        f"it may still end: to record its end, start an execution of this state machine named "
        f'{following} with this execution\'s input and "{RETRACK}": true added at its top '
        f"level (it follows the job for another tracking limit), or {retag}"
    )


def _retrack(job: TrackedJob, services: Services) -> TrackedJob:
    """An execution started by hand with ``"retrack": true``: a new tracking limit from now,
    and nothing left of the execution it was copied from (its give-up, error or outcome)."""
    now = services.clock()
    return job.evolve(
        since=iso(now),
        give_up_at=iso(now + services.tracking_timeout_seconds),
        give_up=False,
        seen=None,
        error=None,
        outcome=None,
    )


def _next_execution(job: TrackedJob, execution: str) -> str | None:
    """The name after this execution's in the order the deployment uses (``<job>-2``, ...);
    ``None`` after the last one (or a name outside them): the deployment's hand-off and the
    checks of whether a tracker follows a job look at those names only."""
    names = execution_names(job.follow_up_of or job.job_name)
    current = execution.rsplit(":", 1)[-1]
    if current in names[:-1]:
        return names[names.index(current) + 1]
    return None


def _record(job: TrackedJob, request: DeletionRequest, execution: str) -> JobRecord:
    """What the tracker's receipt and event say besides the job's own state."""
    return JobRecord(
        request=request,
        job_name=job.job_name,
        input=job.input,
        origin=job.origin,
        recorded_by=TRACKER,
        tracked_by=execution,
        requested_at=parse_iso(job.requested_at) if job.requested_at else None,
        blockers=job.blockers,
        follow_up_of=job.follow_up_of,
    )
