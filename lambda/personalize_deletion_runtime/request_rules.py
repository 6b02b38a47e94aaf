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
import unicodedata
from collections.abc import Mapping

MAX_JOB_NAME_LENGTH = 63
"""CreateDataDeletionJob's jobName maximum length."""

JOB_NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")
"""The service pattern; every rule here is applied with ``fullmatch`` (the service anchors only
the start, and ``$`` would let a trailing newline through)."""

DIGEST_LENGTH = 12
"""Hex characters of the identity digest: 48 bits, ample for names that also carry the request."""

DEFAULT_PREFIX = "pdd"
PREFIX_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-]{0,15}")
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
    _require_str(prefix, "job_name_prefix")
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise JobNameError(
            f"job_name_prefix {prefix!r} is invalid: use 1-16 letters, digits or '-', "
            "starting with a letter or digit"
        )
    return prefix


def check_request_name(request_name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Validate a request name; the message names the rule and the fix."""
    _require_str(request_name, "request name")
    limit = max_request_name_length(prefix)
    if not request_name:
        raise JobNameError("request name is empty: give each deletion request a short name")
    if len(request_name) > limit:
        raise JobNameError(
            f"request name {request_name!r} is {len(request_name)} characters: at most {limit} "
            f"fit in a 63-character job name with prefix {prefix!r}; shorten the request name"
        )
    if not JOB_NAME_PATTERN.fullmatch(request_name):
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
    return f"{prefix}-{request_name}-{digest}"


def is_job_of(prefix: str, request_name: str, job_name: str) -> bool:
    """Whether ``job_name`` was composed for this request (:func:`compose_job_name`, or its
    follow-up, which keeps the stem): a name from another request is never adopted or
    cancelled through this one."""
    return job_name.startswith(f"{prefix}-{request_name}-")


def follow_up_job_name(job_name: str) -> str:
    """The one further job the guide recommends after interference: same length, its own
    digest (derived from the first job's name), so it is deterministic and never collides."""
    stem, _, _ = job_name.rpartition("-")
    digest = hashlib.sha256(f"{job_name}\nfollow-up".encode()).hexdigest()[:DIGEST_LENGTH]
    return f"{stem}-{digest}"


MAX_TAGS = 50
"""Tags per Personalize resource (the API's list type allows 200; the service's limit is 50)."""
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
TAG_PUNCTUATION = frozenset("_.:/=+-@")
"""Besides letters (\\p{L}), separators (\\p{Z}) and numbers (\\p{N}): the botocore model's
pattern for TagKey and TagValue, ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$."""
ACCOUNT_PATTERN = re.compile(r"\d{12}")
REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")
DATASET_GROUP_NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}")
"""CreateDatasetGroup's name pattern and length."""
DATASET_GROUP_ARN_PATTERN = re.compile(
    rf"arn:(?P<partition>aws(?:-[a-z]+)*):personalize:(?P<region>{REGION_PATTERN.pattern}):"
    rf"(?P<account>{ACCOUNT_PATTERN.pattern}):dataset-group/(?P<name>"
    rf"{DATASET_GROUP_NAME_PATTERN.pattern})"
)
MAX_ARN_LENGTH = 256


def check_tags(tags: object, where: str = "tags") -> dict[str, str]:
    """Apply the service's Tag constraints before any job starts (TooManyTags is final)."""
    if not isinstance(tags, dict):
        raise TypeError(f"{where} must map tag keys to values, not {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise RequestRuleError(
            f"{where}: {len(tags)} tags given, at most {MAX_TAGS} are allowed per Personalize "
            "resource"
        )
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"{where}: tag keys and values must be strings, got {key!r}: {value!r}")
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            raise RequestRuleError(
                f"{where}: tag key {key!r} must be 1-{MAX_TAG_KEY_LENGTH} characters"
            )
        if len(value) > MAX_TAG_VALUE_LENGTH:
            raise RequestRuleError(
                f"{where}: value of tag {key!r} must be at most {MAX_TAG_VALUE_LENGTH} characters"
            )
        for part, text in (("key", key), ("value", value)):
            if text.lower().startswith("aws:"):
                raise RequestRuleError(
                    f"{where}: tag {part} {text!r} uses the reserved prefix 'aws:'"
                )
            if not _tag_text(text):
                raise RequestRuleError(
                    f"{where}: tag {part} {text!r} may contain only letters, digits, spaces and "
                    "_ . : / = + - @ (the service's tag pattern)"
                )
    return tags


def check_dataset_group_arn(arn: str, where: str = "dataset_group_arn") -> str:
    """Reject what cannot be a dataset group ARN, so no job is attempted with it."""
    _require_str(arn, where)
    if len(arn) > MAX_ARN_LENGTH or not DATASET_GROUP_ARN_PATTERN.fullmatch(arn):
        raise RequestRuleError(
            f"{where}: {arn!r} is not a dataset group ARN "
            "(expected arn:<partition>:personalize:<region>:<12-digit account>:dataset-group/"
            f"<name>, at most {MAX_ARN_LENGTH} characters)"
        )
    return arn


def dataset_group_environment(arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of a checked dataset group ARN."""
    match = DATASET_GROUP_ARN_PATTERN.fullmatch(arn)
    if match is None:
        raise RequestRuleError(f"{arn!r} is not a dataset group ARN")
    return match["partition"], match["region"], match["account"]


def dataset_group_name(arn: str) -> str:
    """The name part of a checked dataset group ARN."""
    match = DATASET_GROUP_ARN_PATTERN.fullmatch(arn)
    if match is None:
        raise RequestRuleError(f"{arn!r} is not a dataset group ARN")
    return match["name"]


PARTITION_PREFIXES = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)
"""The region-name prefixes of the partitions other than ``aws`` (``us-isob-`` before
``us-iso-``, which it starts with). The one table: the construct, the request files,
``pdd-validate`` and the names composed into ARNs all read it, and a test holds it to
aws-cdk-lib's ``RegionInfo`` for every region that knows."""

ARN_HOME = ("account", "region", "partition")
"""What places a resource: two ARNs that differ in any of these are in different places."""


def partition_of(region: str) -> str:
    """The AWS partition a region's name implies: ``aws`` unless a prefix says otherwise."""
    return next((name for prefix, name in PARTITION_PREFIXES if region.startswith(prefix)), "aws")


def arn_home(arn: str) -> dict[str, str]:
    """The partition, region and account of an ARN that has the usual six parts."""
    parts = arn.split(":")
    return {"partition": parts[1], "region": parts[3], "account": parts[4]}


def home_differences(found: Mapping[str, str], expected: Mapping[str, str | None]) -> list[str]:
    """Which of account, region and partition differ (``None`` in ``expected``: unknown, not
    compared), in that order, so messages name them the same way everywhere."""
    return [part for part in ARN_HOME if expected[part] not in (None, found[part])]


def check_arn_partition(arn: str, where: str) -> str:
    """An ARN whose partition is not the one its region's name implies names no resource: in
    that region's own partition the handler refuses it at deploy, and nothing deploys it to
    another. Used where the partition cannot be asked of aws-cdk-lib (request files and
    ``pdd-validate`` run without Node)."""
    home = arn_home(arn)
    implied = partition_of(home["region"])
    if home["partition"] != implied:
        raise RequestRuleError(
            f"{where}: {arn!r} is in partition {home['partition']}, but region "
            f"{home['region']} is in partition {implied}: write arn:{implied}:... (an ARN's "
            "partition is its region's)"
        )
    return arn


def dataset_group_arn(name: str, account: str, region: str) -> str:
    """The ARN of the dataset group ``name`` in an account and region, checked."""
    partition = partition_of(region)
    return check_dataset_group_arn(
        f"arn:{partition}:personalize:{region}:{account}:dataset-group/{name}"
    )


def check_source_key(key: str, name: str) -> str:
    """S3 keys of a source become IAM resources: ``*`` and ``?`` would widen the grant, ``${``
    would start a policy variable (IAM substitutes it), and a policy document takes only tab,
    line feed, carriage return and U+0020 to U+00FF (IAM's quotas), so IAM would refuse the
    role's policy at deploy for any other character."""
    _require_str(key, name)
    if "*" in key or "?" in key:
        raise RequestRuleError(
            f"{name} {key!r} contains '*' or '?': IAM would read them as wildcards and grant "
            "more than the list; rename the object or folder"
        )
    if "${" in key:
        raise RequestRuleError(
            f"{name} {key!r} contains '${{': IAM would read it as the start of a policy "
            "variable (such as ${aws:username}) and grant another object than the list; rename "
            "the object or folder"
        )
    outside = next((char for char in key if not _in_iam_policy_charset(char)), None)
    if outside is not None:
        raise RequestRuleError(
            f"{name} {key!r} contains {outside!r} (U+{ord(outside):04X}): the key becomes part "
            "of an IAM policy, which takes only U+0020 to U+00FF, tab, line feed and carriage "
            "return; rename the object or folder"
        )
    return key


def check_label(value: object, name: str, limit: int) -> str:
    """A label a user pastes into a request (an S3 version id, a revision): S3 and the
    request's properties keep it byte for byte, so a space copied from a console would name
    another version than the one reviewed; 1 to ``limit`` printable characters, no
    surrounding whitespace. The construct and request files both apply it."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
    if not value or len(value) > limit or not value.isprintable() or value != value.strip():
        raise RequestRuleError(
            f"{name} {value!r} must be 1 to {limit} printable characters without surrounding spaces"
        )
    return value


def _in_iam_policy_charset(char: str) -> bool:
    return char in "\t\n\r" or "\u0020" <= char <= "\u00ff"


def _tag_text(text: str) -> bool:
    return all(char in TAG_PUNCTUATION or unicodedata.category(char)[0] in "LZN" for char in text)


def _require_str(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")
