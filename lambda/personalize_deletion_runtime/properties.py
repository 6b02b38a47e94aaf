"""Custom resource properties, parsed the way CloudFormation delivers them: every leaf a string.

A malformed property fails with a reason naming the property and the rule, before anything is
read, staged or started.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .request_rules import (
    RequestRuleError,
    arn_home,
    check_dataset_group_arn,
    check_prefix,
    check_request_name,
    check_tags,
    home_differences,
)
from .user_list import DEFAULT_MAX_TOTAL_BYTES

ROLE_ARN_PATTERN = re.compile(r"arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
"""Both applied with ``fullmatch``: ``$`` would let a trailing newline through."""
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
BOOLEANS = {"true": True, "false": False}
SCOPE = "Scope"
"""The property naming a request's ``PersonalizeDataDeletion`` construct (see ``scopes``)."""

HAND_OFF = "HAND_OFF"
"""Wait up to a bound; then the deployment succeeds and the tracker follows the job (default)."""
WAIT = "WAIT"
"""Wait up to a bound; then fail the deployment (the job keeps running, the tracker records it)."""
SUBMIT_ONLY = "SUBMIT_ONLY"
"""Succeed as soon as Personalize accepted the job; the tracker follows it."""
COMPLETION_POLICIES = (HAND_OFF, WAIT, SUBMIT_ONLY)
DEFAULT_QUERY_INTERVAL_SECONDS = 60
"""How often the deployment polls a job by default (the provider's ``query_interval``)."""
DEFAULT_TOTAL_TIMEOUT_SECONDS = 55 * 60
"""How long the deployment polls by default (the provider's ``total_timeout``)."""


def handler_deadline_seconds(total_timeout_seconds: float, query_interval_seconds: float) -> int:
    """When ``is_complete`` stops waiting: one poll before the framework gives up, so the
    reason CloudFormation shows is ours; also the longest completion bound a request may ask."""
    return int(total_timeout_seconds - query_interval_seconds)


DEFAULT_WAIT_LIMIT_SECONDS = handler_deadline_seconds(
    DEFAULT_TOTAL_TIMEOUT_SECONDS, DEFAULT_QUERY_INTERVAL_SECONDS
)
RETRAIN_NONE = "NONE"
RETRAIN_ALL = "ALL"
"""Every solution of the dataset group gets a new FULL version once the job COMPLETED."""
RETRAIN_LIST = "LIST"
"""The solutions named in ``RetrainSolutions``."""
RETRAIN_POLICIES = (RETRAIN_NONE, RETRAIN_ALL, RETRAIN_LIST)
SOLUTION_ARN_PATTERN = re.compile(
    r"arn:aws(?:-[a-z]+)*:personalize:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:solution/[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}"
)


class PropertyError(ValueError):
    """A resource property that cannot be used; the message names it and the rule."""


@dataclass(frozen=True)
class Source:
    """Where the deletion list is read from: one object (``key``) or a folder (``prefix``)."""

    bucket: str
    key: str | None = None
    prefix: str | None = None
    asset: bool = False
    """A CDK file asset of the app (``from_csv``/``from_ids``): a copy of the list in the CDK
    assets bucket, which the handlers remove once the job has ended."""
    version_id: str | None = None
    """Read this version of ``key`` rather than the current one."""
    revision: str | None = None
    """A label the user changes with the object(s): only its change matters (a new event)."""

    @property
    def description(self) -> str:
        """A location for messages: it names objects, never their content."""
        return f"s3://{self.bucket}/{self.key if self.key is not None else self.prefix}"


@dataclass(frozen=True)
class DeletionRequest:
    """One deletion request, typed."""

    request_name: str
    dataset_group_arn: str
    role_arn: str
    bucket: str
    source: Source
    job_name_prefix: str
    max_input_bytes: int
    purge_staged_input: bool
    tags: dict[str, str] = field(default_factory=dict)
    completion: str = HAND_OFF
    content_sha256: str | None = None
    """The canonical list's SHA-256 computed at synth (local lists): names the job even after
    the list was removed from the assets bucket."""
    preflight: bool = True
    """Check that no import, training or batch job runs on the dataset group before submitting."""
    retrain: str = RETRAIN_NONE
    retrain_solutions: tuple[str, ...] = ()
    update_campaigns: bool = True
    follow_up: bool = False
    """When an import or training started while the job ran, start one more job with the same
    list once they have ended (the guide's advice); needs the pre-flight."""
    """After retraining, point campaigns that do not follow the latest version at the new one."""
    wait_seconds: int | None = None
    """How long the deployment waits for the job; ``None``: as long as the provider allows."""
    scope_id: str | None = field(default=None, compare=False)
    """The request's construct (its ``Scope``), named in its events; ``None`` if not named.
    Not part of what the request is: the older shape of the same request is equal to it."""


KNOWN_PROPERTIES = frozenset(
    {
        "ServiceToken",
        "ServiceTimeout",
        "RequestName",
        SCOPE,
        "DatasetGroupArn",
        "RoleArn",
        "Bucket",
        "Source",
        "JobNamePrefix",
        "MaxInputBytes",
        "PurgeStagedInput",
        "Tags",
        "Completion",
        "WaitSeconds",
        "ContentSha256",
        "Preflight",
        "Retrain",
        "RetrainSolutions",
        "UpdateCampaigns",
        "FollowUp",
    }
)


def parse_request(properties: Mapping[str, Any]) -> DeletionRequest:
    """Turn ``ResourceProperties`` into a :class:`DeletionRequest` or raise PropertyError."""
    unknown = sorted(set(properties) - KNOWN_PROPERTIES)
    if unknown:
        raise PropertyError(
            f"unknown property {', '.join(unknown)}: this handler takes "
            f"{', '.join(sorted(KNOWN_PROPERTIES))}"
        )
    prefix = _string(properties, "JobNamePrefix")
    request_name = _string(properties, "RequestName")
    try:
        check_prefix(prefix)
    except RequestRuleError as exc:
        raise PropertyError(f"invalid property JobNamePrefix: {exc}") from exc
    try:
        check_request_name(request_name, prefix)
    except RequestRuleError as exc:
        raise PropertyError(f"invalid property RequestName: {exc}") from exc
    try:
        arn = check_dataset_group_arn(
            _string(properties, "DatasetGroupArn"), where="DatasetGroupArn"
        )
        tags = check_tags(_tags(properties.get("Tags", {})), where="Tags")
    except RequestRuleError as exc:
        raise PropertyError(f"invalid property: {exc}") from exc
    role_arn = _string(properties, "RoleArn")
    if not ROLE_ARN_PATTERN.fullmatch(role_arn) or len(role_arn) > 256:
        raise PropertyError(f"property RoleArn {role_arn!r} is not an IAM role ARN")
    return DeletionRequest(
        request_name=request_name,
        dataset_group_arn=arn,
        role_arn=role_arn,
        bucket=_bucket(properties, "Bucket"),
        source=_source(properties.get("Source")),
        job_name_prefix=prefix,
        max_input_bytes=_max_input_bytes(properties),
        purge_staged_input=_boolean(properties, "PurgeStagedInput"),
        tags=tags,
        # Absent in templates written before completion policies existed (a rollback can send
        # those to this code): they mean the default.
        completion=_choice(properties, "Completion", COMPLETION_POLICIES, default=HAND_OFF),
        wait_seconds=(
            _whole_number(properties, "WaitSeconds") if "WaitSeconds" in properties else None
        ),
        content_sha256=(
            _sha256(properties, "ContentSha256") if "ContentSha256" in properties else None
        ),
        preflight=_boolean(properties, "Preflight") if "Preflight" in properties else True,
        update_campaigns=(
            _boolean(properties, "UpdateCampaigns") if "UpdateCampaigns" in properties else True
        ),
        follow_up=_follow_up(properties),
        scope_id=_string(properties, SCOPE) if SCOPE in properties else None,
        **_retraining(properties, arn),
    )


def _follow_up(properties: Mapping[str, Any]) -> bool:
    follow_up = _boolean(properties, "FollowUp") if "FollowUp" in properties else False
    if follow_up and "Preflight" in properties and not _boolean(properties, "Preflight"):
        raise PropertyError(
            "property FollowUp 'true' needs the pre-flight: only its check finds imports or "
            "trainings that started during the job; remove Preflight 'false'"
        )
    return follow_up


def _string(properties: Mapping[str, Any], name: str) -> str:
    value = properties.get(name)
    if value is None:
        raise PropertyError(f"property {name} is required")
    if not isinstance(value, str) or not value:
        raise PropertyError(f"property {name} must be a non-empty string")
    return value


def _matching(
    properties: Mapping[str, Any], name: str, pattern: re.Pattern[str], problem: str
) -> str:
    """A string property ``pattern`` matches whole; ``problem`` says what it is otherwise."""
    value = _string(properties, name)
    if not pattern.fullmatch(value):
        raise PropertyError(f"property {name} {value!r} {problem}")
    return value


def _bucket(properties: Mapping[str, Any], name: str) -> str:
    return _matching(properties, name, BUCKET_PATTERN, "is not an S3 bucket name")


def _positive_int(properties: Mapping[str, Any], name: str) -> int:
    return _whole_number(properties, name, kind="positive whole number", least=1)


def _max_input_bytes(properties: Mapping[str, Any]) -> int:
    value = _positive_int(properties, "MaxInputBytes")
    if value > DEFAULT_MAX_TOTAL_BYTES:
        raise PropertyError(
            f"property MaxInputBytes {value} exceeds Personalize's input limit of "
            f"{DEFAULT_MAX_TOTAL_BYTES} bytes"
        )
    return value


def _whole_number(
    properties: Mapping[str, Any], name: str, *, kind: str = "whole number", least: int = 0
) -> int:
    value = _string(properties, name)
    if not (value.isascii() and value.isdigit()) or int(value) < least:
        raise PropertyError(f"property {name} {value!r} must be a {kind} (a string of digits)")
    return int(value)


def _choice(
    properties: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str
) -> str:
    if name not in properties:
        return default
    value = _string(properties, name)
    if value not in allowed:
        raise PropertyError(f"property {name} {value!r} must be one of {', '.join(allowed)}")
    return value


def _retraining(properties: Mapping[str, Any], dataset_group_arn: str) -> dict[str, Any]:
    policy = _choice(properties, "Retrain", RETRAIN_POLICIES, default=RETRAIN_NONE)
    solutions = properties.get("RetrainSolutions", [])
    if not isinstance(solutions, list) or not all(isinstance(item, str) for item in solutions):
        raise PropertyError("property RetrainSolutions must be a list of solution ARNs")
    if (policy == RETRAIN_LIST) != bool(solutions):
        raise PropertyError(
            "property RetrainSolutions lists the solutions to retrain with Retrain LIST, and "
            "only then"
        )
    group = arn_home(dataset_group_arn)
    for solution in solutions:
        if not SOLUTION_ARN_PATTERN.fullmatch(solution):
            raise PropertyError(f"property RetrainSolutions: {solution!r} is not a solution ARN")
        if home_differences(arn_home(solution), group):
            raise PropertyError(
                f"property RetrainSolutions: {solution!r} is not in the dataset group's account "
                "and region"
            )
    # Each solution once, in the order first listed. The construct refuses a repeat, but a
    # template edited by hand (or synthesized before that check) may hold one, and so may two
    # tokens that resolve to one ARN: planned twice, the solution was trained again and
    # again. Not refused: a tracker already following such a request's job, and every later
    # Update or Delete of its resource, parse these properties, and none may fail for a
    # repeat whose only meaning is "retrain this solution".
    return {"retrain": policy, "retrain_solutions": tuple(dict.fromkeys(solutions))}


def _sha256(properties: Mapping[str, Any], name: str) -> str:
    return _matching(properties, name, SHA256_PATTERN, "must be 64 lowercase hex digits")


def _boolean(properties: Mapping[str, Any], name: str) -> bool:
    value = _string(properties, name)
    if value.lower() not in BOOLEANS:
        raise PropertyError(f"property {name} {value!r} must be 'true' or 'false'")
    return BOOLEANS[value.lower()]


def _tags(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PropertyError("property Tags must map tag keys to string values")
    return dict(value)


def _source(value: Any) -> Source:
    if not isinstance(value, Mapping):
        raise PropertyError("property Source must be an object with Bucket and Key or Prefix")
    unknown = sorted(set(value) - {"Bucket", "Key", "Prefix", "Asset", "VersionId", "Revision"})
    if unknown:
        raise PropertyError(f"property Source has unknown field(s) {unknown}")
    if "Bucket" not in value:
        raise PropertyError("property Source.Bucket is required")
    bucket = _bucket(value, "Bucket")
    key, prefix = value.get("Key"), value.get("Prefix")
    if (key is None) == (prefix is None):
        raise PropertyError("property Source must have exactly one of Key or Prefix")
    if key is not None and (not isinstance(key, str) or not key or key.endswith("/")):
        raise PropertyError("property Source.Key must name one object (not ending in '/')")
    if prefix is not None and (not isinstance(prefix, str) or not prefix.endswith("/")):
        raise PropertyError("property Source.Prefix must be a folder ending in '/'")
    asset = _boolean(value, "Asset") if "Asset" in value else False
    if asset and key is None:
        raise PropertyError("property Source.Asset needs Source.Key: an asset is one object")
    version_id = _string(value, "VersionId") if "VersionId" in value else None
    if version_id is not None and key is None:
        raise PropertyError(
            "property Source.VersionId needs Source.Key: a version is of one object"
        )
    revision = _string(value, "Revision") if "Revision" in value else None
    return Source(
        bucket=bucket,
        key=key,
        prefix=prefix,
        asset=asset,
        version_id=version_id,
        revision=revision,
    )
