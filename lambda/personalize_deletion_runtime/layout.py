"""Where things live in the deletion bucket; shared by the construct (IAM scopes) and handler."""

STAGING_PREFIX = "staging/"
"""Canonical lists Personalize reads; the only prefix its service role may read."""

RECEIPTS_PREFIX = "receipts/"
"""One JSON receipt per terminal job; kept when the stack is deleted."""


SOURCES_PREFIX = f"{RECEIPTS_PREFIX}sources/"
"""Per resource and source identity (a digest of the properties that define a list), the job
it named last: kept with the receipts, which outlive the stack and never expire (see
:mod:`.job_source`)."""


def source_key(digest: str) -> str:
    """Which job a resource's list properties named, by the digest of the resource and their
    identity (no ids: a digest, a name)."""
    return f"{SOURCES_PREFIX}{digest}.json"


def staged_key(job_name: str) -> str:
    """The staged list of one job: one file, so dataLocation names exactly what was checked."""
    return f"{STAGING_PREFIX}{job_name}/users.csv"


SUBMISSION_RECORD = "submitted.json"
"""Beside a staged list: the job a poll created or adopted for it (ARN, time, resource; no ids)."""


def submission_record_key(job_name: str) -> str:
    """The record of the poll that created (or adopted) the job (see ``submission_record``)."""
    return f"{STAGING_PREFIX}{job_name}/{SUBMISSION_RECORD}"


def receipt_key(job_name: str) -> str:
    """The receipt of one job."""
    return f"{RECEIPTS_PREFIX}{job_name}.json"


def data_location(bucket: str, job_name: str) -> str:
    """The ``dataSource.dataLocation`` of one job: its staged list."""
    return f"s3://{bucket}/{staged_key(job_name)}"


def receipt_uri(bucket: str, job_name: str) -> str:
    """Where the receipt of one job is (or will be, once the job has ended)."""
    return f"s3://{bucket}/{receipt_key(job_name)}"


def models_receipt_key(job_name: str) -> str:
    """How the retraining after the job went (written once it ended)."""
    return f"{RECEIPTS_PREFIX}{job_name}.models.json"


def models_receipt_uri(bucket: str, job_name: str) -> str:
    return f"s3://{bucket}/{models_receipt_key(job_name)}"
