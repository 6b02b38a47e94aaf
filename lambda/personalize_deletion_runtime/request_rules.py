"""Rules for a deletion request's values: job names, tags, dataset group ARNs.

Deterministic data deletion job names.

The job name is the idempotency key of the whole product: Personalize keeps job names unique in
an account and region, so a retried, redeployed or rolled-back request that composes the same
name can never start a second job. The name therefore depends on exactly what makes a deletion
different (request name, dataset group, canonical input content) and on nothing else (tags,
stack names, timestamps).

This module is imported both by the Lambda handler and, at synth time, by the construct, so the
name rules are written once.
"""

from __future__ import annotations

import hashlib
import re

MAX_JOB_NAME_LENGTH = 63
"""CreateDataDeletionJob's jobName maximum length."""

JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
"""The service pattern, anchored at both ends (the service anchors only the start)."""

DIGEST_LENGTH = 12
"""Hex characters of the identity digest: 48 bits, ample for names that also carry the request."""

DEFAULT_PREFIX = "pdd"
PREFIX_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]{0,15}$")
_SEPARATORS = 2


class RequestRuleError(ValueError):
    """A request value that breaks a CreateDataDeletionJob constraint."""


class JobNameError(RequestRuleError):
    """A request name or prefix that cannot become part of a valid job name."""


def max_request_name_length(prefix: str = DEFAULT_PREFIX) -> int:
    """How long a request name may be so that the composed job name fits in 63 characters."""
    return MAX_JOB_NAME_LENGTH - len(prefix) - DIGEST_LENGTH - _SEPARATORS


def check_prefix(prefix: str) -> str:
    """Validate the construct-owned job name prefix (IAM policies are scoped to it)."""
    if not PREFIX_PATTERN.match(prefix):
        raise JobNameError(
            f"job_name_prefix {prefix!r} is invalid: use 1-16 letters, digits or '-', "
            "starting with a letter or digit"
        )
    return prefix


def check_request_name(request_name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Validate a request name; the message names the rule and the fix."""
    limit = max_request_name_length(prefix)
    if not request_name:
        raise JobNameError("request name is empty: give each deletion request a short name")
    if len(request_name) > limit:
        raise JobNameError(
            f"request name {request_name!r} is {len(request_name)} characters: at most {limit} "
            f"fit in a 63-character job name with prefix {prefix!r}; shorten the request name"
        )
    if not JOB_NAME_PATTERN.match(request_name):
        raise JobNameError(
            f"request name {request_name!r} must start with a letter or digit and contain only "
            "letters, digits, '-' and '_' (job name pattern ^[a-zA-Z0-9][a-zA-Z0-9\\-_]*)"
        )
    return request_name


def compose_job_name(
    prefix: str, request_name: str, dataset_group_arn: str, content_sha256: str
) -> str:
    """Compose the job name from the deletion's identity.

    Same request, dataset group and canonical content -> same name; a change to the content or
    the dataset group -> a new name, hence a new job.
    """
    check_prefix(prefix)
    check_request_name(request_name, prefix)
    identity = f"{dataset_group_arn}\n{content_sha256}".encode()
    digest = hashlib.sha256(identity).hexdigest()[:DIGEST_LENGTH]
    name = f"{prefix}-{request_name}-{digest}"
    assert len(name) <= MAX_JOB_NAME_LENGTH and JOB_NAME_PATTERN.match(name)
    return name


MAX_TAGS = 200
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
DATASET_GROUP_ARN_PATTERN = re.compile(
    r"^arn:([a-z\d-]+):personalize:[^:]*:[^:]*:dataset-group/.+$"
)
MAX_ARN_LENGTH = 256


def check_tags(tags: dict[str, str], where: str = "tags") -> dict[str, str]:
    """Apply the service's Tag constraints before any job starts (TooManyTags is final)."""
    if len(tags) > MAX_TAGS:
        raise RequestRuleError(f"{where}: {len(tags)} tags given, at most {MAX_TAGS} are allowed")
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            raise RequestRuleError(
                f"{where}: tag key {key!r} must be 1-{MAX_TAG_KEY_LENGTH} characters"
            )
        if key.lower().startswith("aws:"):
            raise RequestRuleError(f"{where}: tag key {key!r} uses the reserved prefix 'aws:'")
        if not isinstance(value, str) or len(value) > MAX_TAG_VALUE_LENGTH:
            raise RequestRuleError(
                f"{where}: value of tag {key!r} must be a string of at most "
                f"{MAX_TAG_VALUE_LENGTH} characters"
            )
    return tags


def check_dataset_group_arn(arn: str, where: str = "dataset_group_arn") -> str:
    """Reject what cannot be a dataset group ARN, so no job is attempted with it."""
    if len(arn) > MAX_ARN_LENGTH or not DATASET_GROUP_ARN_PATTERN.match(arn):
        raise RequestRuleError(
            f"{where}: {arn!r} is not a dataset group ARN "
            "(expected arn:<partition>:personalize:<region>:<account>:dataset-group/<name>, "
            f"at most {MAX_ARN_LENGTH} characters)"
        )
    return arn
