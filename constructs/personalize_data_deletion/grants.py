"""IAM statements the provider's handlers and the tracker's step both need, written once.

Both start jobs (a request queued at deployment is submitted by the tracker) and both record a
job's end (receipt, purge, event), so both roles get these grants, each scoped as tightly as the
action allows (``policy_sentry`` lists which resource types each action takes).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from personalize_deletion_runtime.notifications import EVENT_SOURCE

from .acknowledgements import acknowledge, acknowledge_wildcard_resource


def grant_job_management(role: iam.IRole, job_name_prefix: str, *, list_jobs: bool) -> None:
    """Create and describe jobs named ``<prefix>-*``; with ``list_jobs``, list them too."""
    job_arns = Stack.of(role).format_arn(
        service="personalize", resource=f"data-deletion-job/{job_name_prefix}-*"
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["personalize:CreateDataDeletionJob", "personalize:DescribeDataDeletionJob"],
            resources=[job_arns],
        )
    )
    acknowledge_wildcard_resource(
        role,
        job_arns,
        "Job names are derived per request at deploy time; the grant is limited to names "
        "with this construct's prefix.",
    )
    if list_jobs:
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["personalize:ListDataDeletionJobs"], resources=["*"])
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "personalize:ListDataDeletionJobs has no resource type (it is filtered by dataset "
            "group in the request); it is used only to adopt a job a retry already created.",
        )


def grant_put_job_events(role: iam.IRole) -> None:
    """Put this library's job events on the account's default event bus, and nothing else."""
    bus = Stack.of(role).format_arn(service="events", resource="event-bus", resource_name="default")
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:PutEvents"],
            resources=[bus],
            conditions={"StringEquals": {"events:source": EVENT_SOURCE}},
        )
    )
