"""The tracker gives up a job that ended: its end recorded or not, and what was left undone.

A give-up of a job whose end is known (the tracker read it, or the deployment handed it over
ended, for its retraining or follow-up) is never a ``STUCK`` job: no event goes out and nothing
is counted. What the cause says depends on the receipt, which is looked up rather than guessed:

- no receipt (``DeletionNotRecorded``): the end was read, but recording it failed;
- a receipt (``DeletionNotFinished``): the deletion is recorded (by the deployment, or by a
  finish step before the failure), and what follows it was not done: the follow-up job the
  receipt names, or the retraining whose models receipt it promises. A follow-up that ended
  FAILED is retrained too (its first job COMPLETED) though its own receipt promises nothing
  (``retraining: null``): the first job's receipt promises that models receipt, so a
  follow-up's give-up looks there as well.
"""

from __future__ import annotations

import logging
from typing import Any

from .failures import BOOKKEEPING_FAULTS
from .layout import models_receipt_key, models_receipt_uri, receipt_key, receipt_uri
from .properties import RETRAIN_NONE, DeletionRequest
from .services import Services
from .state import TrackedJob

LOGGER = logging.getLogger(__name__)
JOB_NOT_RECORDED = "DeletionNotRecorded"
"""``outcome.error`` of an ended job whose receipt is missing (its recording failed)."""
JOB_NOT_FINISHED = "DeletionNotFinished"
"""``outcome.error`` of an ended job whose receipt exists, the tracker having failed before what
follows it (its follow-up job, its retraining) was done."""
RETAG = "change a tag of the request and deploy (an unchanged request is not sent again)"


def give_up_ended(
    job: TrackedJob,
    request: DeletionRequest,
    status: str,
    error: str,
    retrack: str | None,
    services: Services,
) -> TrackedJob:
    """The execution gives up job ``job`` known to have ended ``status``, its step having failed
    with ``error`` (``Error: message``); ``retrack`` is how to start the next execution (``None``
    after the last name)."""
    read = (job.seen or {}).get("checkedAt")
    when = f"read at {read}" if read else "as the deployment read it"
    try:
        receipt = services.storage.read_json(request.bucket, receipt_key(job.job_name))
        missing = "is missing" if receipt is None else ""
    except BOOKKEEPING_FAULTS as exc:
        receipt, missing = None, f"may be missing (it could not be read: {exc})"
    again = f"{retrack}, or " if retrack else ""
    if receipt is None:
        cause = (
            f"job {job.job_name} ended {status} ({when}), but recording its end failed "
            f"({error}): its receipt {missing} (and its {status} event, if the failure came "
            f"first){_waiting(request)}; to record it, {again}{RETAG}"
        )
        LOGGER.error("job ended, not recorded", extra={"job_name": job.job_name})
        return _ended(job, status, JOB_NOT_RECORDED, cause)
    try:
        undone = _undone(job, request, receipt, services)
    except BOOKKEEPING_FAULTS as exc:
        promises = receipt_uri(request.bucket, job.job_name)
        if job.follow_up_of is not None:
            promises = f"{promises} or {receipt_uri(request.bucket, job.follow_up_of)}"
        undone = (
            f"whether its retraining was recorded could not be read ({exc}); if "
            f"{promises} promises a models receipt that is missing, the retraining was not "
            "done"
        )
    recorded = (
        f"job {job.job_name} ended {status} ({when}) and is recorded (its receipt: "
        f"{receipt_uri(request.bucket, job.job_name)}), but the tracker failed ({error})"
    )
    if undone is None:
        return _ended(job, status, JOB_NOT_FINISHED, f"{recorded}; nothing else was left to do")
    LOGGER.error("job recorded, what follows it not done", extra={"job_name": job.job_name})
    return _ended(job, status, JOB_NOT_FINISHED, f"{recorded}: {undone}{_how(retrack)}")


def _undone(
    job: TrackedJob, request: DeletionRequest, receipt: dict[str, Any], services: Services
) -> str | None:
    """What the receipt says follows the job and no record shows done, or ``None``."""
    follow_up = receipt.get("followUp") if job.follow_up_of is None else None
    if isinstance(follow_up, str) and follow_up:
        return (
            f"its follow-up job {follow_up} (the receipt names it: imports or trainings ran "
            "during the job) was not submitted, nor the retraining after it, if asked for"
        )
    retraining = receipt.get("retraining")
    asked = "it asked for"
    if not isinstance(retraining, dict) and job.follow_up_of is not None:
        retraining = _promised_by_first(job.follow_up_of, job.job_name, request, services)
        asked = f"job {job.follow_up_of}'s receipt promises after it"
    if not isinstance(retraining, dict):
        return None
    if services.storage.exists(request.bucket, models_receipt_key(job.job_name)):
        return None
    return (
        f"the retraining {asked} (Retrain {retraining.get('policy')}) was not done, and "
        f"its models receipt ({retraining.get('receiptUri')}) not written: the models still "
        "reflect the deleted users"
    )


def _promised_by_first(
    first: str, follow_up: str, request: DeletionRequest, services: Services
) -> dict[str, Any] | None:
    """The retraining job ``first``'s receipt promises after its ``follow_up`` (its models
    receipt named after the follow-up), or ``None``. A follow-up that ended FAILED records
    ``retraining: null`` yet is retrained (the first job COMPLETED: the users are gone from
    the datasets), so its own receipt cannot tell whether a retraining is owed."""
    receipt = services.storage.read_json(request.bucket, receipt_key(first))
    retraining = (receipt or {}).get("retraining")
    if not isinstance(retraining, dict):
        return None
    if retraining.get("receiptUri") != models_receipt_uri(request.bucket, follow_up):
        return None
    return retraining


def _waiting(request: DeletionRequest) -> str:
    """What waits for the record of the job: the retraining asked for, and its models receipt
    (the one a first job's receipt promises for its follow-up, too), written by no one else."""
    if request.retrain == RETRAIN_NONE:
        return ""
    return "; the retraining waits for that record: it is not done, nor its models receipt written"


def _how(retrack: str | None) -> str:
    if retrack:
        return f"; to have it done, {retrack} (it finds the receipt and goes on from there)"
    return (
        "; no execution name is left to re-track it: rename the request and deploy to run a "
        "new deletion job with the same list, or train new solution versions and update their "
        "campaigns yourself"
    )


def _ended(job: TrackedJob, status: str, error: str, cause: str) -> TrackedJob:
    return job.evolve(
        last_status=status, outcome={"status": status, "error": error, "cause": cause}
    )
