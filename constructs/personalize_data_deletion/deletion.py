"""``PersonalizeDataDeletion``: the bucket, the service role and the requests of one stack.

A user declares deletions with :meth:`PersonalizeDataDeletion.delete_users`; each request is one
custom resource, and everything else (bucket, Personalize role, handlers, provider) exists once.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_personalize as personalize
from aws_cdk import aws_s3 as s3
from personalize_deletion_runtime.layout import RECEIPTS_PREFIX, STAGING_PREFIX
from personalize_deletion_runtime.request_rules import (
    DEFAULT_PREFIX,
    RequestRuleError,
    check_dataset_group_arn,
    check_prefix,
    check_request_name,
    check_tags,
)
from personalize_deletion_runtime.user_list import Limits

from constructs import Construct

from .acknowledgements import acknowledge, acknowledge_wildcard_resource
from .job import DeletionJob
from .provider import (
    DEFAULT_QUERY_INTERVAL,
    DEFAULT_TOTAL_TIMEOUT,
    DeletionJobProvider,
    ProviderSettings,
)
from .sources import UserList

DEFAULT_MAX_INPUT_BYTES = Limits().max_total_bytes
DEFAULT_STAGED_INPUT_EXPIRATION = Duration.days(7)


class DeletionConfigError(ValueError):
    """A construct setting that would make a deletion unsafe or impossible."""


class PersonalizeDataDeletion(Construct):
    """Everything Amazon Personalize needs around data deletion jobs, once per stack.

    - ``bucket``: inputs staged for Personalize (``staging/``) and receipts (``receipts/``).
      SSE-S3 only: Personalize cannot read inputs encrypted with a customer managed KMS key.
    - ``service_role``: assumed by Personalize to read ``staging/`` and nothing else.
    - a shared provider (two Lambda handlers behind the CDK Provider framework).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket | None = None,
        job_name_prefix: str = DEFAULT_PREFIX,
        max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES,
        purge_staged_input: bool = True,
        staged_input_expiration: Duration = DEFAULT_STAGED_INPUT_EXPIRATION,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        server_access_logs_bucket: s3.IBucket | None = None,
        query_interval: Duration = DEFAULT_QUERY_INTERVAL,
        total_timeout: Duration = DEFAULT_TOTAL_TIMEOUT,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        super().__init__(scope, construct_id)
        try:
            self.job_name_prefix = check_prefix(job_name_prefix)
        except RequestRuleError as exc:
            raise DeletionConfigError(str(exc)) from exc
        if max_input_bytes < 1:
            raise DeletionConfigError(f"max_input_bytes is {max_input_bytes}: it must be positive")
        self.limits = Limits(max_total_bytes=max_input_bytes)
        self.purge_staged_input = purge_staged_input
        self.bucket = bucket or self._create_bucket(removal_policy, server_access_logs_bucket)
        _reject_customer_kms(self.bucket)
        self._prepare_bucket(staged_input_expiration)
        self.provider = DeletionJobProvider.of(
            self,
            ProviderSettings(
                query_interval=query_interval,
                total_timeout=total_timeout,
                log_retention=log_retention,
            ),
        )
        self.service_role = self._create_service_role()
        self._grant_handler()
        self._requests: dict[str, DeletionJob] = {}

    def delete_users(
        self,
        request_name: str,
        *,
        dataset_group_arn: str | personalize.CfnDatasetGroup,
        users: UserList,
        tags: Mapping[str, str] | None = None,
    ) -> DeletionJob:
        """Declare one deletion: start a data deletion job for ``users`` in the dataset group.

        ``request_name`` becomes part of the job name (with the prefix and an identity digest),
        so it must be short and name-safe; it is also the construct id of the request.
        """
        try:
            check_request_name(request_name, self.job_name_prefix)
        except RequestRuleError as exc:
            raise DeletionConfigError(f"request {request_name!r}: {exc}") from exc
        if request_name in self._requests:
            raise DeletionConfigError(
                f"request {request_name!r} is declared twice: either rename one request or remove "
                "the duplicate"
            )
        arn = _dataset_group_arn(request_name, dataset_group_arn)
        tag_map = dict(tags or {})
        try:
            check_tags(tag_map, where=f"request {request_name!r} tags")
        except RequestRuleError as exc:
            raise DeletionConfigError(str(exc)) from exc
        job = DeletionJob(
            self,
            request_name,
            deletion=self,
            dataset_group_arn=arn,
            users=users,
            tags=tag_map,
        )
        self._requests[request_name] = job
        return job

    @property
    def requests(self) -> list[DeletionJob]:
        """The requests declared so far, in declaration order."""
        return list(self._requests.values())

    def _create_bucket(
        self,
        removal_policy: RemovalPolicy,
        access_logs: s3.IBucket | None,
    ) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
            removal_policy=removal_policy,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="deletion-inputs/" if access_logs else None,
        )
        if access_logs is None:
            acknowledge(
                bucket,
                "AwsSolutions-S1",
                "Server access logging needs a second bucket; pass "
                "server_access_logs_bucket to enable it. Handler reads and writes are logged "
                "by CloudTrail data events if the account enables them.",
            )
        return bucket

    def _prepare_bucket(self, expiration: Duration) -> None:
        """Lifecycle backstop and Personalize's read access, on our bucket or the user's own.

        An imported bucket cannot be changed from here: the synth says what it needs.
        """
        bucket = self.bucket
        if isinstance(bucket, s3.Bucket):
            # Backstop: the handler purges each staged list once its job ends; anything a
            # failed deployment leaves behind expires here. Receipts are kept.
            bucket.add_lifecycle_rule(
                id="ExpireStagedInputs",
                prefix=STAGING_PREFIX,
                expiration=expiration,
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        added = [
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PersonalizeReadsStagedInputs",
                    principals=[iam.ServicePrincipal("personalize.amazonaws.com")],
                    actions=["s3:GetObject"],
                    resources=[bucket.arn_for_objects(f"{STAGING_PREFIX}*")],
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            ),
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PersonalizeListsStagedInputs",
                    principals=[iam.ServicePrincipal("personalize.amazonaws.com")],
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                        "StringLike": {"s3:prefix": [f"{STAGING_PREFIX}*"]},
                    },
                )
            ),
        ]
        if not all(result.statement_added for result in added):
            Annotations.of(self).add_info(
                f"bucket {bucket.bucket_name} is imported: add to its bucket policy an Allow for "
                f"principal personalize.amazonaws.com of s3:GetObject on {STAGING_PREFIX}* and "
                f"s3:ListBucket with s3:prefix {STAGING_PREFIX}*, both conditioned on "
                "aws:SourceAccount, and expire objects under that prefix with a lifecycle rule"
            )

    def _create_service_role(self) -> iam.Role:
        """The role Personalize assumes: read the staged inputs, nothing else."""
        role = iam.Role(
            self,
            "PersonalizeRole",
            description="Assumed by Amazon Personalize to read staged data deletion inputs",
            assumed_by=iam.ServicePrincipal(
                "personalize.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": Stack.of(self).format_arn(
                            service="personalize", resource="*"
                        )
                    },
                },
            ),
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects(f"{STAGING_PREFIX}*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{STAGING_PREFIX}*"]}},
            )
        )
        acknowledge_wildcard_resource(
            role,
            self.bucket.arn_for_objects(f"{STAGING_PREFIX}*"),
            "Personalize reads the staged list whose key the handler picks per job; the "
            "role is limited to the staging prefix.",
        )
        return role

    def _grant_handler(self) -> None:
        """What the shared handlers need for this construct's bucket and role."""
        role = self.provider.role
        self.provider.grant_job_management(self.job_name_prefix)
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.service_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}},
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[
                    self.bucket.arn_for_objects(f"{STAGING_PREFIX}*"),
                    self.bucket.arn_for_objects(f"{RECEIPTS_PREFIX}*"),
                ],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:DeleteObject"],
                resources=[self.bucket.arn_for_objects(f"{STAGING_PREFIX}*")],
            )
        )
        reasons = {
            STAGING_PREFIX: "The handler stages each list under a key derived from its job name "
            "and deletes it when the job ends; limited to the staging prefix.",
            RECEIPTS_PREFIX: "The handler writes one receipt per job, named after the job; "
            "limited to the receipts prefix.",
        }
        for prefix, reason in reasons.items():
            acknowledge_wildcard_resource(role, self.bucket.arn_for_objects(f"{prefix}*"), reason)


def _dataset_group_arn(request_name: str, value: str | personalize.CfnDatasetGroup) -> str:
    if isinstance(value, personalize.CfnDatasetGroup):
        return value.attr_dataset_group_arn
    if not isinstance(value, str):
        raise DeletionConfigError(
            f"request {request_name!r}: dataset_group_arn must be a string or a CfnDatasetGroup"
        )
    if Token.is_unresolved(value):
        return value
    try:
        return check_dataset_group_arn(value, where=f"request {request_name!r} dataset_group_arn")
    except RequestRuleError as exc:
        raise DeletionConfigError(str(exc)) from exc


def _reject_customer_kms(bucket: s3.IBucket) -> None:
    """Personalize cannot read inputs encrypted with a customer managed key: fail at synth."""
    if bucket.encryption_key is not None:
        raise DeletionConfigError(
            f"bucket {bucket.node.path!r} is encrypted with a customer managed KMS key: Amazon "
            "Personalize cannot read data deletion inputs encrypted that way; use a bucket with "
            "SSE-S3 (BucketEncryption.S3_MANAGED) or let the construct create one"
        )
