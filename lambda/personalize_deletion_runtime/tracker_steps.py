"""The tracker's Lambda steps: the work its state machine cannot do with a direct integration.

The state machine itself waits, polls ``DescribeDataDeletionJob`` and decides (no Lambda per
poll); it calls this code only to submit a request that was queued at deployment, to finish a
job that ended (the same ``outcome.finish`` the deployment uses), and to give up. Each step
takes the execution's state (:class:`~.state.TrackedJob`) and returns the next one.

Event: ``{"step": "submit" | "finish" | "give_up", "execution": <execution ARN>,
"state": <TrackedJob JSON>}``. A step that raises is retried by the state machine.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from . import cancellation, retraining
from .layout import receipt_uri
from .outcome import TRACKER, JobRecord, finish, give_up
from .personalize_api import JobRequestRejected, JobSubmission, TransientFault
from .properties import DeletionRequest
from .services import Services
from .state import QUEUED, TrackedJob, iso, parse_iso
from .submission import resubmit

LOGGER = logging.getLogger(__name__)
JOB_NOT_STARTED = "DeletionJobNotStarted"
JOB_STUCK = "DeletionJobStuck"
CANCELLED = "DeletionCancelled"
"""``error.Error`` of a queued request whose resource CloudFormation deleted first."""
FOLLOW_UP = "FOLLOW_UP"
"""``outcome.status`` when the finish step queued the further job (the definition's Choice)."""


class StepError(RuntimeError):
    """A step called with an event it cannot act on (a bug or a hand-made execution input)."""


def run(event: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """Run one step and return the execution's next state."""
    step = event.get("step")
    execution = event.get("execution")
    if not isinstance(execution, str) or not execution:
        raise StepError("event field 'execution' (the execution ARN) is required")
    job = TrackedJob.from_json(event.get("state"))
    request = services.scopes.request(job.request)
    if step == "submit":
        after = _submit(job, request, services)
    elif step == "finish":
        after = _finish(job, request, execution, services)
    elif step == "retrain":
        after = _retrain(job, request, execution, services)
    elif step == "give_up":
        after = _give_up(job, request, execution, services)
    else:
        raise StepError(f"unknown step {step!r}: expected submit, finish, retrain or give_up")
    return after.to_json()


def _submit(job: TrackedJob, request: DeletionRequest, services: Services) -> TrackedJob:
    """Try once more to start a queued request; give up for good refusals or at the limit,
    and when its resource was deleted meanwhile (no job is created, its list is deleted)."""
    try:
        submission = resubmit(request, job.job_name, services, cancellable=True)
    except TransientFault as exc:
        submission = JobSubmission(None, blocked_by=str(exc))
    except cancellation.Cancelled as exc:
        cancellation.forget(request.bucket, job.job_name, services)
        LOGGER.warning("queued request cancelled: no job created", extra={"job_name": job.job_name})
        return job.evolve(give_up=True, error={"Error": CANCELLED, "Cause": str(exc)})
    except JobRequestRejected as exc:
        return job.evolve(give_up=True, error={"Error": "JobRequestRejected", "Cause": str(exc)})
    if submission.job_arn is not None:
        return job.evolve(job_arn=submission.job_arn, last_status="PENDING", blocked_by=None)
    return job.evolve(
        blocked_by=submission.blocked_by,
        give_up=services.clock() >= parse_iso(job.give_up_at),
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
            blockers=(),
            seen=None,
            outcome={"status": FOLLOW_UP, "receiptUri": receipt_uri(request.bucket, job.job_name)},
        )
    return job.evolve(
        last_status=state.status,
        outcome={"status": state.status, "receiptUri": receipt_uri(request.bucket, job.job_name)},
        retraining=(
            retraining.plan(request, services.clock(), services.tracking_timeout_seconds)
            if state.status == "COMPLETED"
            else {"requested": False}
        ),
    )


def _retrain(
    job: TrackedJob, request: DeletionRequest, execution: str, services: Services
) -> TrackedJob:
    """One round of retraining; once everything ended, record it (receipt and event)."""
    planned = job.retraining
    if planned is None or not planned.get("requested"):
        raise StepError(f"job {job.job_name} has no retraining to advance")
    state = retraining.advance(planned, request, job.job_name, services)
    if state["done"]:
        state = retraining.record(state, _record(job, request, execution), services)
    return job.evolve(retraining=state)


def _give_up(
    job: TrackedJob, request: DeletionRequest, execution: str, services: Services
) -> TrackedJob:
    last_status = str((job.seen or {}).get("status") or job.last_status)
    if job.error is not None:
        reason = f"{job.error.get('Error')}: {job.error.get('Cause')}"
    elif job.job_arn is None:
        reason = f"Personalize had not accepted the request by {job.give_up_at}: {job.blocked_by}"
    else:
        reason = f"the job was still {last_status} at {job.give_up_at}, the tracking limit"
    detail = give_up(_record(job, request, execution), job.job_arn, last_status, reason, services)
    error = JOB_STUCK if job.job_arn else JOB_NOT_STARTED
    advice = (
        "it may still end: deploy the same request again, or start the tracker by hand, to "
        "record its result"
        if job.job_arn
        else "no job was started"
        if job.error is not None and job.error.get("Error") == CANCELLED
        else "no job was started; deploy again once the cause is fixed"
    )
    return job.evolve(
        last_status=last_status,
        outcome={"status": detail["status"], "error": error, "cause": f"{reason}; {advice}"},
    )


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
