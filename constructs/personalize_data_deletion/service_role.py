"""The role Personalize assumes, and what the shared handlers need for one construct's bucket.

Each ``PersonalizeDataDeletion`` has its own bucket and service role, while the provider's
handlers and the tracker's step are shared by the stack: every construct grants those shared
roles access to its own bucket prefixes and lets them pass its own service role. The grants
that do not depend on a construct's bucket are in :mod:`.grants`.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from personalize_deletion_runtime.layout import RECEIPTS_PREFIX, STAGING_PREFIX

from constructs import Construct

from .acknowledgements import acknowledge_wildcard_resource
from .deletion_bucket import personalize_source_conditions
from .provider import DeletionJobProvider
from .tracker import DeletionTracker, retain_role


def create_service_role(scope: Construct, bucket: s3.IBucket) -> iam.Role:
    """The role Personalize assumes (id ``PersonalizeRole``): read the staged inputs, nothing
    else."""
    role = iam.Role(
        scope,
        "PersonalizeRole",
        description="Assumed by Amazon Personalize to read staged data deletion inputs",
        assumed_by=iam.ServicePrincipal(
            "personalize.amazonaws.com", conditions=personalize_source_conditions(scope)
        ),
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[bucket.arn_for_objects(f"{STAGING_PREFIX}*")],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{STAGING_PREFIX}*"]}},
        )
    )
    acknowledge_wildcard_resource(
        role,
        bucket.arn_for_objects(f"{STAGING_PREFIX}*"),
        "Personalize reads the staged list whose key the handler picks per job; the "
        "role is limited to the staging prefix.",
    )
    # A job handed to the tracker may still be reading (or waiting to read) its list when
    # the stack is deleted: the role Personalize assumes must outlive the stack.
    retain_role(role)
    return role


def grant_follow_up(
    provider: DeletionJobProvider, tracker: DeletionTracker, bucket: s3.IBucket
) -> None:
    """Whoever records a job's end may stage its list again for the follow-up job (a copy
    inside the staging prefix: read the first job's list, write the second's)."""
    staging = bucket.arn_for_objects(f"{STAGING_PREFIX}*")
    for role in (provider.role, tracker.function_role):
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[staging])
        )


def grant_bucket_and_role(
    provider: DeletionJobProvider,
    tracker: DeletionTracker,
    *,
    bucket: s3.IBucket,
    service_role: iam.IRole,
    job_name_prefix: str,
) -> None:
    """What the provider's handlers and the tracker's step need for this bucket and role.

    Both may submit a job (PassRole) and record its end (receipts, purge); only the
    provider's handlers stage lists.
    """
    provider.grant_job_management(job_name_prefix)
    tracker.grant_job_management(job_name_prefix)
    staging = bucket.arn_for_objects(f"{STAGING_PREFIX}*")
    receipts = bucket.arn_for_objects(f"{RECEIPTS_PREFIX}*")
    reasons = {
        STAGING_PREFIX: "Lists are staged under a key derived from their job name and "
        "deleted when the job ends; limited to the staging prefix.",
        RECEIPTS_PREFIX: "One receipt per job, named after the job, written once (read "
        "first, so a receipt is never rewritten); limited to the receipts prefix.",
    }
    roles = {provider.role: [staging, receipts], tracker.function_role: [receipts]}
    for role, writable in roles.items():
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[service_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}},
            )
        )
        for actions, resources in (
            (["s3:PutObject"], writable),
            (["s3:GetObject"], [receipts]),
            (["s3:DeleteObject"], [staging]),
        ):
            role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
        # Whether a receipt exists is asked by listing its key (see Storage.read_json).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{RECEIPTS_PREFIX}*"]}},
            )
        )
        for prefix, reason in reasons.items():
            acknowledge_wildcard_resource(role, bucket.arn_for_objects(f"{prefix}*"), reason)
