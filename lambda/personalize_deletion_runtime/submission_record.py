"""What the poll that created a request's job learned, kept for the polls after it.

The Provider framework passes ``on_event``'s answer unchanged to every ``is_complete`` poll, so
the ticket of a request whose job a poll created never gets the job's ARN. Each later poll used
to find the job again by name (``ListDataDeletionJobs``), and a listing that failed (throttled,
say) read as "no job": at the deadline a running job had its staged list deleted and was
reported "no job was started" (``WAIT``) or ``QUEUED`` (``hand_off``), and the grace for a job
invisible to Describe counted from ``on_event``, not from the create.

So the poll that creates (or adopts) the job writes ``staging/<job>/submitted.json`` before it
answers: the job's ARN, when the poll had it, and the stack and logical id of the resource
whose poll wrote it (never a user id). Every poll whose ticket has no ARN reads it first and
describes the job by that ARN, without a listing. A record that cannot be read is *unknown*
(:class:`RecordUnknown`), never "no record": the caller then may look the job up as before,
but must not conclude that no job exists.

Read as receipts are: a listing of exactly the key, then ``GetObject`` (S3 answers a
``GetObject`` of a missing key with AccessDenied unless the caller may list the bucket without
a prefix condition, so the listing is what tells "absent" from "refused"); the provider's role
may read this key and no other object under ``staging/``. The record goes with the staged
list: when the job's end is recorded (``outcome.finish``), a request is cancelled
(``cancellation.forget``), or its event fails without a job (``failures.forget_copies``); the
staging lifecycle rule expires one left behind (a ``STUCK`` job's, a fault's).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .layout import submission_record_key
from .personalize_api import TransientFault
from .services import Services
from .state import iso, parse_iso

LOGGER = logging.getLogger(__name__)


class RecordUnknown(TransientFault):
    """Whether a poll recorded the job could not be found out: not "no job"."""


@dataclass(frozen=True)
class Submitted:
    """A job a poll created or adopted: its ARN, and when that poll had it."""

    job_arn: str
    submitted_at: float


def write(
    bucket: str, job_name: str, job_arn: str, event: Mapping[str, Any], services: Services
) -> Submitted:
    """Record that ``job_arn`` serves ``job_name`` as of now; a fault is logged (later polls
    then look the job up by name, as before the record existed, and treat a failed lookup as
    unknown). Returns what was (or would have been) recorded."""
    submitted = Submitted(job_arn, services.clock())
    body = {
        "jobName": job_name,
        "jobArn": job_arn,
        "submittedAt": iso(submitted.submitted_at),
        "stackId": event.get("StackId"),
        "logicalResourceId": event.get("LogicalResourceId"),
    }
    try:
        services.storage.client.put_object(
            Bucket=bucket,
            Key=submission_record_key(job_name),
            Body=json.dumps(body, sort_keys=True).encode(),
            ContentType="application/json",
        )
    except (ClientError, BotoCoreError) as exc:
        LOGGER.warning(
            "the job's submission could not be recorded: later polls look it up by name",
            extra={"job_name": job_name, "error": str(exc)},
        )
    return submitted


def read(bucket: str, job_name: str, services: Services) -> Submitted | None:
    """The recorded job, ``None`` when no poll recorded one; :class:`RecordUnknown` when the
    record cannot be read (a fault, or a body that is not a record)."""
    try:
        body = services.storage.read_json(bucket, submission_record_key(job_name))
    except (ClientError, BotoCoreError, ValueError) as exc:
        raise RecordUnknown(f"the record of job {job_name}'s submission: {exc}") from exc
    if body is None:
        return None
    try:
        return Submitted(str(body["jobArn"]), parse_iso(str(body["submittedAt"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordUnknown(
            f"the record of job {job_name}'s submission is malformed: {exc!r}"
        ) from exc


def remove(bucket: str, job_name: str, services: Services) -> None:
    """Delete the record (idempotent; a fault is logged: the staging lifecycle rule expires
    it, and a record left behind names a job that exists, which is still true)."""
    try:
        services.storage.client.delete_object(Bucket=bucket, Key=submission_record_key(job_name))
    except (ClientError, BotoCoreError) as exc:
        LOGGER.warning(
            "the record of a job's submission was not deleted; the lifecycle rule expires it",
            extra={"job_name": job_name, "error": str(exc)},
        )
