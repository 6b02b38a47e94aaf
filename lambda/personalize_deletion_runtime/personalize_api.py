"""A thin adapter over the three Personalize calls, mapping every error to an outcome.

Outcomes, not exceptions, for what the lifecycle must decide on:

- ``ResourceAlreadyExistsException`` -> the job exists (a retry, redeploy or rollback started it):
  adopt it, found by name in the dataset group's job list;
- ``LimitExceededException`` (throttling, or 5 PENDING jobs in the dataset group),
  ``ResourceInUseException`` (documented only as "resource in use") and transient faults that
  outlived botocore's retries -> blocked: try again on the next poll, until the deadline;
- ``InvalidInputException``, ``ResourceNotFoundException``, ``TooManyTagsException`` and any
  other client error -> :class:`JobRequestRejected`, final, with the service's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .request_rules import dataset_group_environment
from .state import iso, parse_iso

BLOCKING_CODES = {
    "LimitExceededException": "Personalize limit reached (request rate, or 5 PENDING deletion "
    "jobs per dataset group)",
    "ResourceInUseException": (
        "Personalize reports the dataset group in use (ResourceInUseException)"
    ),
}
TRANSIENT_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
}
REFUSAL_CODES = {"ThrottlingException", "TooManyRequestsException"}
"""Transient answers that refuse the call (nothing was done); the others are server faults,
after which a create may have taken effect."""
FINAL_HINTS = {
    "InvalidInputException": "check the request's values and the staged input",
    "ResourceNotFoundException": "the dataset group (or role) does not exist in this account and "
    "region",
    "TooManyTagsException": "reduce the request's tags",
    "AccessDeniedException": "the handler role is not allowed this call",
}
ACTIVE_STATUSES = {"PENDING", "IN_PROGRESS"}
TERMINAL_STATUSES = {"COMPLETED", "FAILED"}


class PersonalizeClient(Protocol):
    """The subset of boto3's Personalize client this adapter uses."""

    def create_data_deletion_job(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_data_deletion_job(self, **kwargs: Any) -> dict[str, Any]: ...
    def list_data_deletion_jobs(self, **kwargs: Any) -> dict[str, Any]: ...


class JobRequestRejected(RuntimeError):
    """Personalize refused the request for good; retrying cannot help."""


class TransientFault(RuntimeError):
    """A read failed in a way the next poll may not see (throttling, 5xx, network)."""


class JobNotFound(JobRequestRejected):
    """DescribeDataDeletionJob does not know the job: final, unless it was created moments ago
    (a new job may not be visible yet; callers decide how long to allow for that)."""


@dataclass(frozen=True)
class JobSubmission:
    """The outcome of asking for a job: its ARN, or what blocked it for now."""

    job_arn: str | None
    adopted: bool = False
    blocked_by: str | None = None
    blockers: tuple[dict[str, Any], ...] = ()
    """What the pre-flight found running (kinds, ARNs, statuses), when it blocked."""
    unknown: bool = False
    """Not accepted as far as this call knows, but a job may exist: the create was answered
    with a server fault or not at all, or Personalize said the job exists and it could not be
    found. Never a reason to conclude that no job was started."""


@dataclass(frozen=True)
class JobState:
    """What DescribeDataDeletionJob says about a job."""

    job_arn: str
    job_name: str
    status: str
    num_deleted: int | None
    failure_reason: str | None
    dataset_group_arn: str | None = None
    created_at: str | None = None
    """The job's own ``creationDateTime`` (UTC, ISO 8601): when the deletion was accepted."""
    updated_at: str | None = None
    """The job's ``lastUpdatedDateTime``: for a terminal job, when the deletion ended."""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def duration_seconds(self) -> int | None:
        """How long the job ran, from its own timestamps (``None`` while they are unknown)."""
        if self.created_at is None or self.updated_at is None:
            return None
        return round(parse_iso(self.updated_at) - parse_iso(self.created_at))


class PersonalizeJobs:
    """Create, find and describe data deletion jobs."""

    def __init__(self, client: PersonalizeClient) -> None:
        self.client = client

    def submit(
        self,
        *,
        job_name: str,
        dataset_group_arn: str,
        data_location: str,
        role_arn: str,
        tags: dict[str, str],
    ) -> JobSubmission:
        """Create the job, or adopt the one a previous attempt created under the same name."""
        request: dict[str, Any] = {
            "jobName": job_name,
            "datasetGroupArn": dataset_group_arn,
            "dataSource": {"dataLocation": data_location},
            "roleArn": role_arn,
        }
        if tags:
            request["tags"] = [{"tagKey": k, "tagValue": v} for k, v in sorted(tags.items())]
        try:
            response = self.client.create_data_deletion_job(**request)
        except ClientError as exc:
            code = _code(exc)
            if code == "ResourceAlreadyExistsException":
                try:
                    return JobSubmission(self.find(dataset_group_arn, job_name), adopted=True)
                except TransientFault as fault:
                    # It exists; only finding it failed for now. The caller tries again.
                    return JobSubmission(None, blocked_by=str(fault), unknown=True)
            if code in BLOCKING_CODES:
                return JobSubmission(None, blocked_by=f"{BLOCKING_CODES[code]}: {_message(exc)}")
            if code in TRANSIENT_CODES:
                return JobSubmission(
                    None,
                    blocked_by=f"{code} from Personalize: {_message(exc)}",
                    unknown=code not in REFUSAL_CODES,  # a server fault: it may have created it
                )
            raise _rejected("CreateDataDeletionJob", job_name, exc) from exc
        except BotoCoreError as exc:  # no answer: the create may have reached Personalize
            return JobSubmission(None, blocked_by=f"Personalize unreachable: {exc}", unknown=True)
        return JobSubmission(response["dataDeletionJobArn"])

    def find(self, dataset_group_arn: str, job_name: str) -> str:
        """The ARN of the job named ``job_name``, which Personalize says exists, in the group.

        The dataset group's list is searched first (all pages). A job it does not show yet is
        asked for by ARN (composed from the name): listings can lag a create. Only a job that
        is really in another dataset group is a final refusal; one nobody shows yet is a
        ``TransientFault``, tried again on the next poll, never a reason to rename the request
        (which would start a second deletion).
        """
        arn = self.lookup(dataset_group_arn, job_name)
        if arn is not None:
            return arn
        try:
            state = self.describe(job_arn_for(dataset_group_arn, job_name))
        except JobNotFound as exc:
            raise TransientFault(
                f"data deletion job {job_name} exists but is not visible yet: {exc}"
            ) from exc
        if state.dataset_group_arn in (None, dataset_group_arn):
            return state.job_arn
        raise JobRequestRejected(
            f"data deletion job {job_name} already exists in dataset group "
            f"{state.dataset_group_arn}, not in {dataset_group_arn}: job names are unique per "
            "account and region; either rename the request or set another job_name_prefix"
        )

    def lookup(self, dataset_group_arn: str, job_name: str) -> str | None:
        """Like :meth:`find`, but ``None`` when the dataset group has no such job."""
        request: dict[str, Any] = {"datasetGroupArn": dataset_group_arn, "maxResults": 100}
        while True:
            page = _call(
                self.client.list_data_deletion_jobs, "ListDataDeletionJobs", job_name, request
            )
            for summary in page.get("dataDeletionJobs", []):
                if summary.get("jobName") == job_name:
                    return summary["dataDeletionJobArn"]
            if not page.get("nextToken"):
                return None
            request["nextToken"] = page["nextToken"]

    def describe(self, job_arn: str) -> JobState:
        """The job's current state."""
        job = _call(
            self.client.describe_data_deletion_job,
            "DescribeDataDeletionJob",
            job_arn,
            {"dataDeletionJobArn": job_arn},
        )["dataDeletionJob"]
        return JobState(
            job_arn=job.get("dataDeletionJobArn", job_arn),
            job_name=job.get("jobName", ""),
            status=job.get("status", "UNKNOWN"),
            num_deleted=job.get("numDeleted"),
            failure_reason=job.get("failureReason"),
            dataset_group_arn=job.get("datasetGroupArn"),
            created_at=_timestamp(job.get("creationDateTime")),
            updated_at=_timestamp(job.get("lastUpdatedDateTime")),
        )


def _call(method: Any, operation: str, subject: str, request: dict[str, Any]) -> dict[str, Any]:
    """Call a read operation; transient faults become TransientFault, the rest final."""
    try:
        return method(**request)
    except ClientError as exc:
        code = _code(exc)
        if code in TRANSIENT_CODES or code == "LimitExceededException":
            raise TransientFault(f"{operation} {code}: {_message(exc)}") from exc
        if code == "ResourceNotFoundException" and operation == "DescribeDataDeletionJob":
            raise JobNotFound(
                f"{operation} for {subject} failed with {code}: {_message(exc)}"
            ) from exc
        raise _rejected(operation, subject, exc) from exc
    except BotoCoreError as exc:
        raise TransientFault(f"{operation} could not reach Personalize: {exc}") from exc


def job_arn_for(dataset_group_arn: str, job_name: str) -> str:
    """The ARN Personalize gives a job of that name in the dataset group's account and region."""
    partition, region, account = dataset_group_environment(dataset_group_arn)
    return f"arn:{partition}:personalize:{region}:{account}:data-deletion-job/{job_name}"


def _timestamp(value: Any) -> str | None:
    """botocore parses timestamps into aware datetimes; receipts keep them as ISO 8601 UTC."""
    return iso(value.timestamp()) if isinstance(value, datetime) else None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or "no message"


def _rejected(operation: str, subject: str, exc: ClientError) -> JobRequestRejected:
    code = _code(exc)
    hint = FINAL_HINTS.get(code, "see the message")
    return JobRequestRejected(
        f"{operation} for {subject} failed with {code}: {_message(exc)} ({hint})"
    )
