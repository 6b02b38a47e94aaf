"""The role Personalize assumes, and what the shared handlers need for one construct's bucket.

Each ``PersonalizeDataDeletion`` has its own bucket and service role, while the provider's
handlers and the tracker's step are shared by the stack: every construct grants those shared
roles access to its own bucket prefixes and lets them pass its own service role. The grants
that do not depend on a construct's bucket are in :mod:`.grants`.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from personalize_deletion_runtime.layout import (
    RECEIPTS_PREFIX,
    STAGING_PREFIX,
    SUBMISSION_RECORD,
)

from constructs import Construct

from .acknowledgements import (
    acknowledge_findings,
    acknowledge_wildcard_resource,
    flatten_resources,
    wildcard_finding_id,
)
from .provider import DeletionJobProvider
from .round_trips import add_to_principal_policy
from .tracker import DeletionTracker, retain_role


def create_service_role(
    scope: Construct, bucket: s3.IBucket, source_conditions: dict[str, object]
) -> iam.Role:
    """The role Personalize assumes (id ``PersonalizeRole``): read the staged inputs, nothing
    else (``source_conditions``: the confused-deputy guard of
    :func:`~.deletion_bucket.personalize_source_conditions`)."""
    role = iam.Role(
        scope,
        "PersonalizeRole",
        description="Assumed by Amazon Personalize to read staged data deletion inputs",
        assumed_by=iam.ServicePrincipal("personalize.amazonaws.com", conditions=source_conditions),
    )
    staging = bucket.arn_for_objects(f"{STAGING_PREFIX}*")
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[staging]))
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{STAGING_PREFIX}*"]}},
        )
    )
    acknowledge_wildcard_resource(
        role,
        staging,
        "Personalize reads the staged list whose key the handler picks per job; the "
        "role is limited to the staging prefix.",
    )
    # A job handed to the tracker may still be reading (or waiting to read) its list when
    # the stack is deleted: the role Personalize assumes must outlive the stack.
    retain_role(role)
    return role


def version_deletions(bucket_created: bool) -> list[str]:
    """``s3:DeleteObjectVersion`` for a bucket the synth cannot see unversioned (the user's):
    a handler that finds it versioned at deploy deletes exactly the version it just wrote. The
    bucket the construct creates is unversioned, so its roles never need it."""
    return [] if bucket_created else ["s3:DeleteObjectVersion"]


def grant_follow_up(
    provider: DeletionJobProvider,
    tracker: DeletionTracker,
    bucket: s3.IBucket,
    *,
    bucket_created: bool,
) -> None:
    """Whoever records a job's end may stage its list again for the follow-up job (a copy
    inside the staging prefix: read the first job's list, write the second's, and, in a bucket
    of the user's, delete exactly the version written if it turns out versioned)."""
    staging = bucket.arn_for_objects(f"{STAGING_PREFIX}*")
    actions = [*version_deletions(bucket_created), "s3:GetObject", "s3:PutObject"]
    for role in (provider.role, tracker.function_role):
        add_to_principal_policy(role, iam.PolicyStatement(actions=actions, resources=[staging]))


def grant_bucket_and_role(
    provider: DeletionJobProvider,
    tracker: DeletionTracker,
    *,
    bucket: s3.IBucket,
    service_role: iam.IRole,
    job_name_prefix: str,
    bucket_created: bool,
) -> None:
    """What the provider's handlers and the tracker's step need for this bucket and role.

    Both may submit a job (PassRole) and record its end (receipts, purge); only the
    provider's handlers stage lists, and delete exactly the version a list was staged as when
    a user's bucket turns out versioned at deploy (``s3:DeleteObjectVersion``, staging prefix
    only; ``bucket_created``: the construct's own, unversioned bucket, which never needs it).
    """
    provider.grant_job_management(job_name_prefix)
    tracker.grant_job_management(job_name_prefix)
    staging = bucket.arn_for_objects(f"{STAGING_PREFIX}*")
    receipts = bucket.arn_for_objects(f"{RECEIPTS_PREFIX}*")
    # The polls' record of a job they submitted (no ids): the provider's polls read it, and
    # no other object under staging/ (see submission_record); the tracker never reads it.
    records = bucket.arn_for_objects(f"{STAGING_PREFIX}*/{SUBMISSION_RECORD}")
    # Read once: every statement below names them (each read is a jsii round trip).
    service_role_arn, bucket_arn = service_role.role_arn, bucket.bucket_arn
    flat_staging, flat_receipts, flat_records = flatten_resources(
        Stack.of(provider), [staging, receipts, records]
    )
    findings = [
        (
            wildcard_finding_id(flat_staging),
            "Lists are staged under a key derived from their job name and deleted when the job "
            "ends, beside a queued request's cancellation marker and declarer keys (no ids); "
            "in a user's bucket found versioned at deploy, only the version just written is "
            "deleted; limited to the staging prefix.",
        ),
        (
            wildcard_finding_id(flat_receipts),
            "One receipt per job, named after the job, written once (read first, so a receipt "
            "is never rewritten), and under sources/ the job each list identity named last (a "
            "digest and a job name, no ids); limited to the receipts prefix.",
        ),
    ]
    roles = {
        provider.role: (
            [staging, receipts],
            ["s3:DeleteObject", *version_deletions(bucket_created)],
            [receipts, records],
        ),
        tracker.function_role: ([receipts], ["s3:DeleteObject"], [receipts]),
    }
    for role, (writable, deletions, readable) in roles.items():
        add_to_principal_policy(
            role,
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[service_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}},
            ),
        )
        for actions, resources in (
            (["s3:PutObject"], writable),
            (["s3:GetObject"], readable),
            (deletions, [staging]),
        ):
            add_to_principal_policy(role, iam.PolicyStatement(actions=actions, resources=resources))
        # Whether a receipt or a staged list exists is asked by listing its key (see
        # Storage.read_json and Storage.staged): no job is created from a list that is gone.
        add_to_principal_policy(
            role,
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket_arn],
                conditions={
                    "StringLike": {"s3:prefix": [f"{RECEIPTS_PREFIX}*", f"{STAGING_PREFIX}*"]}
                },
            ),
        )
        acknowledge_findings(role, findings)
    acknowledge_findings(
        provider.role,
        [
            (
                wildcard_finding_id(flat_records),
                "The record a poll leaves of the job it submitted (an ARN and a time, no ids) "
                "beside each job's staged list, read by the later polls; limited to that name "
                "under the staging prefix.",
            )
        ],
    )
