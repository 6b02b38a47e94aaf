"""The request model: what a deletion request in a request file may say, declared once.

The loader (:mod:`.documents`) reads files with these declarations and the committed JSON
Schema (:mod:`.schema`) is generated from them. Value rules come from the handler's runtime
package (the same functions the construct runs at synth and the handler at deploy time), so a
file that passes here cannot fail later for a rule stated differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from personalize_deletion_runtime.properties import (
    BUCKET_PATTERN,
    COMPLETION_POLICIES,
    DEFAULT_WAIT_LIMIT_SECONDS,
    SOLUTION_ARN_PATTERN,
)
from personalize_deletion_runtime.request_rules import (
    ACCOUNT_PATTERN,
    DATASET_GROUP_ARN_PATTERN,
    DATASET_GROUP_NAME_PATTERN,
    DEFAULT_PREFIX,
    JOB_NAME_PATTERN,
    MAX_ARN_LENGTH,
    MAX_TAGS,
    REGION_PATTERN,
    check_arn_partition,
    check_dataset_group_arn,
    check_label,
    check_request_name,
    check_source_key,
    check_tags,
    max_request_name_length,
)

from .fields import (
    Boolean,
    Choice,
    Either,
    Field,
    Integer,
    ListOf,
    Record,
    StringMap,
    Text,
    Type,
)
from .findings import INVALID, WHERE, Findings

RETRAIN_ALL = "ALL"
REVISION_PATTERN = re.compile(r"[!-~]{1,128}")
"""Printable ASCII without spaces: a revision is a label the user changes, nothing more."""
DATASET_GROUP_PATTERN = re.compile(
    f"(?:{DATASET_GROUP_ARN_PATTERN.pattern})|(?:{DATASET_GROUP_NAME_PATTERN.pattern})"
)


def check_group_arn(value: str, where: str = WHERE) -> None:
    """The construct's format rule, and the partition its region implies: the construct asks
    aws-cdk-lib (which a file's reader has no Node for) and refuses the same ARNs in every
    region aws-cdk-lib knows."""
    check_dataset_group_arn(value, where=where)
    check_arn_partition(value, where=where)


def _check_dataset_group(value: str) -> None:
    if value.startswith("arn:"):
        check_group_arn(value)
    elif not DATASET_GROUP_NAME_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is neither a dataset group ARN nor a dataset group name (1-63 letters, "
            "digits, '-' or '_', starting with a letter or digit)"
        )


def _check_s3_key(value: str) -> None:
    check_source_key(value, "key")
    if value.endswith("/"):
        raise ValueError(f"key {value!r} must name one object; use s3Prefix for a folder")


def _check_s3_prefix(value: str) -> None:
    check_source_key(value, "prefix")
    if not value.endswith("/"):
        raise ValueError(f"prefix {value!r} must end with '/' (it names a folder)")


BUCKET = Text(
    rule="bucket-name",
    description="An S3 bucket in the request's account and region.",
    pattern=BUCKET_PATTERN,
    min_length=3,
    max_length=63,
)
REVISION = Text(
    rule="revision",
    description=(
        "Any label you change when the object(s) behind the source change: a changed "
        "revision makes the next deployment read the source again (a new list means a new "
        "job; the same list adopts the job it already started)."
    ),
    pattern=REVISION_PATTERN,
    max_length=128,
)
S3_KEY = Text(rule="s3-key", description="The object's key.", max_length=1024, check=_check_s3_key)
S3_PREFIX = Text(
    rule="s3-prefix",
    description="The folder, ending with '/'.",
    max_length=1024,
    check=_check_s3_prefix,
)
VERSION_ID = Text(
    rule="version-id",
    description=(
        "Read exactly this version (a versioned bucket); a new version id is a new "
        "deployment of the request. Without it, replacing the object starts nothing "
        "until versionId or revision changes."
    ),
    max_length=1024,
    check=lambda value: check_label(value, "versionId", 1024),
)
BUCKET_FIELD = Field("bucket", BUCKET, required=True)
S3_OBJECT = Record(
    description="One CSV object in your bucket, read by the handler at deploy time.",
    fields=(
        BUCKET_FIELD,
        Field("key", S3_KEY, required=True),
        Field("versionId", VERSION_ID),
        Field("revision", REVISION),
    ),
)
S3_FOLDER = Record(
    description="Every .csv object under a folder of your bucket (any other object fails).",
    fields=(BUCKET_FIELD, Field("prefix", S3_PREFIX, required=True), Field("revision", REVISION)),
)
ENVIRONMENT = Record(
    description="An AWS account and region.",
    fields=(
        Field(
            "account",
            Text(
                rule="account", description="12 digits (quote it in YAML).", pattern=ACCOUNT_PATTERN
            ),
            required=True,
        ),
        Field(
            "region",
            Text(
                rule="region",
                description="A region name such as eu-west-1.",
                pattern=REGION_PATTERN,
            ),
            required=True,
        ),
    ),
)
ENVIRONMENTS = ListOf(
    ENVIRONMENT,
    description=(
        "Where dataset groups given by name are: each name becomes one dataset group (and one "
        "job) per environment. Default: the file's environments, else the app's account and "
        "region."
    ),
)
RETRAIN = Record(
    description=(
        "Retrain models once the job COMPLETED, so they forget the users too (training hours "
        "are billed). Default: no retraining."
    ),
    fields=(
        Field(
            "solutions",
            Either(
                (
                    ("string", Choice((RETRAIN_ALL,), description="Every solution of the group.")),
                    (
                        "array",
                        ListOf(
                            Text(
                                rule="solution-arn",
                                pattern=SOLUTION_ARN_PATTERN,
                                max_length=MAX_ARN_LENGTH,
                            ),
                            description="These solutions of the (one) dataset group.",
                        ),
                    ),
                )
            ),
            required=True,
        ),
        Field(
            "updateCampaigns",
            Boolean(
                description=(
                    "Point campaigns that do not follow the latest version at the new one "
                    "(default true)."
                )
            ),
        ),
    ),
)
REQUEST = Record(
    description="One deletion request: which users go from which dataset groups.",
    exactly_one=(("users", "s3", "s3Prefix"),),
    at_most_one=(("datasetGroupArn", "datasetGroups"),),
    extra_keys=("$schema",),
    fields=(
        Field(
            "name",
            Text(
                rule="request-name",
                description=(
                    "Short and unique: part of every job name (with the prefix and a digest)."
                ),
                pattern=JOB_NAME_PATTERN,
                max_length=max_request_name_length(DEFAULT_PREFIX),
                check=lambda value: check_request_name(value, DEFAULT_PREFIX),
            ),
            required=True,
        ),
        Field(
            "users",
            Text(
                rule="users-path",
                description=(
                    "A local CSV (header USER_ID), relative to the request file and inside the "
                    "request folder; shipped as a CDK file asset."
                ),
            ),
        ),
        Field("s3", S3_OBJECT),
        Field("s3Prefix", S3_FOLDER),
        Field(
            "datasetGroupArn",
            Text(
                rule="dataset-group-arn",
                description=(
                    "One dataset group (the request's resource keeps the path it had before "
                    "datasetGroups existed). Default: the app's datasetGroupArn context value."
                ),
                pattern=DATASET_GROUP_ARN_PATTERN,
                max_length=MAX_ARN_LENGTH,
                check=check_group_arn,
            ),
        ),
        Field(
            "datasetGroups",
            ListOf(
                Text(
                    rule="dataset-group",
                    pattern=DATASET_GROUP_PATTERN,
                    max_length=MAX_ARN_LENGTH,
                    check=_check_dataset_group,
                ),
                description=(
                    "Dataset groups (ARNs, or names resolved in each of the request's "
                    "environments): one job per group, each with its own name and receipt."
                ),
            ),
        ),
        Field("environments", ENVIRONMENTS),
        Field(
            "tags",
            StringMap(
                rule="tags",
                description="Tags of every job of the request (the service's rules apply).",
                check=lambda tags: check_tags(tags, where=WHERE),
                max_properties=MAX_TAGS,
            ),
        ),
        Field(
            "completion",
            Choice(
                COMPLETION_POLICIES,
                description="What the deployment does about a long job (default HAND_OFF).",
            ),
        ),
        Field(
            "waitSeconds",
            Integer(
                0,
                DEFAULT_WAIT_LIMIT_SECONDS,
                description="How long the deployment waits at most (default: the longest).",
            ),
        ),
        Field(
            "preflight",
            Boolean(
                description=(
                    "Hold the request while an import, training or batch job uses the dataset "
                    "group (default true)."
                )
            ),
        ),
        Field(
            "followUp",
            Boolean(
                description=(
                    "Start one further job if an import or training started while the job ran "
                    "(default false; needs preflight)."
                )
            ),
        ),
        Field("retrain", RETRAIN),
    ),
)


@dataclass(frozen=True)
class Entries(Type):
    """The ``requests`` list of a manifest: each item is read as its own entry."""

    item: Record
    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if not isinstance(value, list):
            found.add(path, "type", "must be a list of requests")
            return INVALID
        return value

    def schema(self) -> dict[str, Any]:
        return self._described({"type": "array", "items": {"$ref": "#/$defs/request"}})


MANIFEST = Record(
    description="A manifest: several deletion requests in one file.",
    extra_keys=("$schema",),
    fields=(
        Field(
            "environments",
            ListOf(
                ENVIRONMENT,
                description=(
                    "Default environments of the requests that give dataset groups by name."
                ),
            ),
        ),
        Field("requests", Entries(REQUEST, description="The requests."), required=True),
    ),
)
