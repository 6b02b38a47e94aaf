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

from .layout import receipt_key, receipt_uri
from .notifications import (
    JOBS_COMPLETED,
    JOBS_FAILED,
    JOBS_STUCK,
    NOT_STARTED,
    STUCK,
    bounded_reason,
    stack_name,
)
from .personalize_api import JobState
from .properties import DeletionRequest
from .services import Services
from .state import Origin, iso

LOGGER = logging.getLogger(__name__)
RECEIPT_VERSION = 2
DEPLOYMENT = "deployment"
TRACKER = "tracker"


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


def finish(record: JobRecord, state: JobState, services: Services) -> dict[str, Any]:
    """Purge, announce, count and record a terminal job, once; return its receipt."""
    request = record.request
    if request.purge_staged_input:
        # Also when the job was recorded before: an adoption (a rollback, a redeploy) stages
        # the list again before it finds the job, and that copy must not stay behind.
        services.storage.purge(request.bucket, record.job_name)
    source = request.source
    if source.asset and source.key is not None:
        # The app's own copy in the CDK assets bucket, once nothing needs it (the job ended).
        services.storage.remove_asset(
            source.bucket, source.key, record.input.get("sourceVersionId"), record.job_name
        )
    key = receipt_key(record.job_name)
    existing = services.storage.read_json(request.bucket, key)
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
    }
    services.notifier.publish(
        _detail(record, state.status, receipt_uri(request.bucket, record.job_name), receipt)
    )
    _count(JOBS_COMPLETED if state.status == "COMPLETED" else JOBS_FAILED, record, services)
    if not services.storage.put_json_once(request.bucket, key, receipt):
        LOGGER.info("receipt written concurrently: kept", extra={"job_name": record.job_name})
        return services.storage.read_json(request.bucket, key) or receipt
    LOGGER.info("job finished", extra={"job_name": record.job_name, "status": state.status})
    return receipt


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
        "recordedBy": record.recorded_by,
        "trackedBy": record.tracked_by,
        "completion": record.origin.completion,
        "stackId": record.origin.stack_id,
    }


def _count(metric: str, record: JobRecord, services: Services) -> None:
    services.notifier.count(
        metric, stack_name(record.origin.stack_id), int(services.clock() * 1000)
    )
