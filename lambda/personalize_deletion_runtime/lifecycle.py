"""The decisions behind the custom resource: which job a request means and when it is done.

``on_event`` and ``is_complete`` take CloudFormation-shaped events (as the Provider framework
forwards them) plus the adapters, and return what the framework expects. They never talk to
CloudFormation themselves: the framework owns the response; raising fails the resource with
the exception's message as the reason.

Safety rules, all enforced here:

- one job per request identity: the job name is derived from the request name, dataset group
  and canonical content, and Personalize refuses a second job with the same name, which
  ``submit`` turns into adoption;
- nothing is started for a list that fails validation (validation precedes staging);
- Delete never calls Personalize and never fails: a deletion cannot be undone, so removing a
  request removes nothing;
- no user id is ever logged, returned or put in a reason: only counts and hashes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .layout import data_location, receipt_key
from .personalize_api import (
    JobRequestRejected,
    JobState,
    JobSubmission,
    PersonalizeJobs,
    TransientFault,
)
from .properties import DeletionRequest, PropertyError, parse_request
from .request_rules import compose_job_name
from .staging import SourceError, Storage, scratch_dir
from .user_list import InputValidationError

LOGGER = logging.getLogger(__name__)
RECEIPT_VERSION = 1
RETRY_AFTER_FAILURE = (
    ". A failed job keeps its name, so deploying the same request adopts it again: "
    "fix the cause, then rename the request to start a new job"
)


class DeletionFailed(RuntimeError):
    """The resource must fail; the message is the CloudFormation reason."""


@dataclass
class Services:
    """What the lifecycle needs from the outside world; fakes in tests, boto3 in Lambda."""

    jobs: PersonalizeJobs
    storage: Storage
    clock: Callable[[], float] = time.time
    deadline_seconds: int = 3300


def on_event(event: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """Start (or adopt) the job for Create/Update; acknowledge Delete without touching anything."""
    request_type = event["RequestType"]
    if request_type == "Delete":
        LOGGER.info(
            "delete: data deletion jobs cannot be undone; nothing is removed from Personalize",
            extra={"physical_id": event.get("PhysicalResourceId")},
        )
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    if request_type not in ("Create", "Update"):
        raise DeletionFailed(f"unknown RequestType {request_type!r}")

    request = _parse(event.get("ResourceProperties", {}))
    with scratch_dir() as workdir:
        canonical = _canonical_list(request, services.storage, workdir)
        job_name = compose_job_name(
            request.job_name_prefix,
            request.request_name,
            request.dataset_group_arn,
            canonical.stats.sha256,
        )
        summary = canonical.summary()
        LOGGER.info(
            "deletion list validated",
            extra={"request": request.request_name, "job_name": job_name, "input": summary},
        )
        same_job = request_type == "Update" and event.get("PhysicalResourceId") == job_name
        if same_job:
            LOGGER.info("update keeps the job identity: no new job", extra={"job_name": job_name})
            submission_arn = ""
        else:
            location = services.storage.stage(request, canonical, job_name)
            submission_arn = _submit(request, job_name, location, services).job_arn or ""
    started = services.clock()
    return {
        "PhysicalResourceId": job_name,
        "JobArn": submission_arn,
        "Deadline": str(int(started) + services.deadline_seconds),
        "StartedAt": _iso(started),
        "Input": summary,
        # An Update that keeps the job reports it but must not rewrite its receipt: the receipt
        # records when the deletion ran, written when the job reached its end.
        "KeptJob": "true" if same_job else "false",
    }


def is_complete(event: Mapping[str, Any], services: Services) -> dict[str, Any]:
    """Poll the job; finish with its attributes, or fail with the service's reason."""
    if event["RequestType"] == "Delete":
        return {"IsComplete": True}
    request = _parse(event.get("ResourceProperties", {}))
    job_name = event["PhysicalResourceId"]
    deadline = float(event.get("Deadline") or 0)
    now = services.clock()
    job_arn = event.get("JobArn")
    try:
        if not job_arn:
            submission = _resubmit(request, job_name, services)
            if submission.job_arn is None:
                return _not_yet(now, deadline, job_name, blocked=submission.blocked_by or "")
            job_arn = submission.job_arn
        state = services.jobs.describe(job_arn)
    except TransientFault as exc:
        if job_arn:  # the job exists; only reading its status failed
            return _not_yet(now, deadline, job_name, status=f"unconfirmed ({exc})")
        return _not_yet(now, deadline, job_name, blocked=str(exc))
    except JobRequestRejected as exc:
        raise DeletionFailed(f"request {request.request_name}: {exc}") from exc
    LOGGER.info("job status", extra={"job_name": job_name, "status": state.status})
    if not state.terminal:
        return _not_yet(now, deadline, job_name, status=state.status)
    if event.get("KeptJob") != "true":
        _finish(request, state, event, services)
    if state.status == "FAILED":
        raise DeletionFailed(
            f"data deletion job {job_name} FAILED: {state.failure_reason or 'no failureReason'}"
            f"{RETRY_AFTER_FAILURE}"
        )
    return {
        "IsComplete": True,
        "Data": {
            "JobArn": state.job_arn,
            "JobName": job_name,
            "Status": state.status,
            "NumDeleted": str(state.num_deleted or 0),
        },
    }


def _resubmit(request: DeletionRequest, job_name: str, services: Services) -> JobSubmission:
    """Find or (re)submit the job when ``on_event`` could not get an ARN.

    ``on_event`` returns no ARN when the create was blocked (limits, training in progress) or
    when an Update kept the job identity. The staged list exists in the first case; in the
    second the job exists, so submitting adopts it.

    The framework re-sends the same event on every poll, so once a poll has started the job
    every later poll lands here too: look the job up first, so a running job is polled with
    reads only and a throttled or refused create can never hide it.
    """
    existing = services.jobs.lookup(request.dataset_group_arn, job_name)
    if existing is not None:
        return JobSubmission(existing, adopted=True)
    return _submit(request, job_name, data_location(request.bucket, job_name), services)


def _submit(
    request: DeletionRequest, job_name: str, location: str, services: Services
) -> JobSubmission:
    """Create (or adopt) the job reading ``location``, and log the outcome without ids."""
    submission = services.jobs.submit(
        job_name=job_name,
        dataset_group_arn=request.dataset_group_arn,
        data_location=location,
        role_arn=request.role_arn,
        tags=request.tags,
    )
    _log_submission(job_name, submission.job_arn, submission.adopted, submission.blocked_by)
    return submission


def _not_yet(
    now: float, deadline: float, job_name: str, *, status: str | None = None, blocked: str = ""
) -> dict[str, Any]:
    if now < deadline:
        return {"IsComplete": False}
    if status is not None:
        raise DeletionFailed(
            f"data deletion job {job_name} is still {status} at the deployment's time limit: "
            "the job keeps running in Personalize (jobs can take up to a day); deploy again "
            "later with the same request to adopt it and record its result"
        )
    raise DeletionFailed(
        f"data deletion job {job_name} could not be started before the deployment's time "
        f"limit: {blocked}; no job was started, deploy again once the blocker clears"
    )


def _finish(
    request: DeletionRequest, state: JobState, event: Mapping[str, Any], services: Services
) -> None:
    """Purge the staged list and write the receipt; both are idempotent."""
    if request.purge_staged_input:
        services.storage.purge(request.bucket, state.job_name or event["PhysicalResourceId"])
    receipt = {
        "version": RECEIPT_VERSION,
        "requestName": request.request_name,
        "datasetGroupArn": request.dataset_group_arn,
        "jobArn": state.job_arn,
        "jobName": event["PhysicalResourceId"],
        "status": state.status,
        "numDeleted": state.num_deleted,
        "failureReason": state.failure_reason,
        "input": event.get("Input"),
        "stagedInputPurged": request.purge_staged_input,
        "startedAt": event.get("StartedAt"),
        "finishedAt": _iso(services.clock()),
        "stackId": event.get("StackId"),
        "logicalResourceId": event.get("LogicalResourceId"),
    }
    services.storage.put_json(request.bucket, receipt_key(event["PhysicalResourceId"]), receipt)
    LOGGER.info(
        "job finished",
        extra={"job_name": event["PhysicalResourceId"], "status": state.status},
    )


def _parse(properties: Mapping[str, Any]) -> DeletionRequest:
    try:
        return parse_request(properties)
    except PropertyError as exc:
        raise DeletionFailed(str(exc)) from exc


def _canonical_list(request: DeletionRequest, storage: Storage, workdir: str):
    try:
        return storage.canonical_list(request, workdir)
    except (InputValidationError, SourceError) as exc:
        raise DeletionFailed(
            f"request {request.request_name}: deletion list rejected, no job started: {exc}"
        ) from exc


def _log_submission(job_name: str, arn: str | None, adopted: bool, blocked: str | None) -> None:
    if blocked:
        LOGGER.warning("job not started yet", extra={"job_name": job_name, "blocked_by": blocked})
    elif adopted:
        LOGGER.info("job already existed: adopted", extra={"job_name": job_name, "job_arn": arn})
    else:
        LOGGER.info("job started", extra={"job_name": job_name, "job_arn": arn})


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
