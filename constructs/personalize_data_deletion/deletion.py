"""``PersonalizeDataDeletion``: the bucket, the service role and the requests of one stack.

A user declares deletions with :meth:`PersonalizeDataDeletion.delete_users`; each request is one
custom resource, and everything else (bucket, Personalize role, handlers, provider, tracker)
exists once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_personalize as personalize
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.region_info import RegionInfo
from personalize_deletion_runtime.layout import RECEIPTS_PREFIX, STAGING_PREFIX
from personalize_deletion_runtime.notifications import (
    EVENT_DETAIL_TYPE,
    MODELS_DETAIL_TYPE,
    NOT_STARTED,
    RETRAINING_OUTCOMES,
    STUCK,
)
from personalize_deletion_runtime.request_rules import (
    DEFAULT_PREFIX,
    RequestRuleError,
    check_dataset_group_arn,
    check_prefix,
    check_request_name,
    check_tags,
    dataset_group_environment,
    dataset_group_name,
)
from personalize_deletion_runtime.user_list import Limits

from constructs import Construct

from .acknowledgements import acknowledge, acknowledge_wildcard_resource
from .completion import Completion
from .dependencies import wait_for_datasets
from .job import DeletionJob
from .job_events import EventRuleError, event_rule
from .list_assets import is_token
from .provider import (
    DEFAULT_QUERY_INTERVAL,
    DEFAULT_TOTAL_TIMEOUT,
    DeletionJobProvider,
    ProviderSettings,
)
from .retrain import Retrain
from .sources import UserList
from .tracker import (
    DEFAULT_TRACKING_INTERVAL,
    DEFAULT_TRACKING_TIMEOUT,
    DeletionTracker,
    TrackerSettings,
    retain_role,
)

DEFAULT_MAX_INPUT_BYTES = Limits().max_total_bytes
DEFAULT_STAGED_INPUT_EXPIRATION = Duration.days(7)
DAY_SECONDS = 86_400
JOB_STATUSES = ("COMPLETED", "FAILED", STUCK, NOT_STARTED)
"""The ``status`` values of job events (see :meth:`PersonalizeDataDeletion.on_job_state_change`)."""


class DeletionConfigError(ValueError):
    """A construct setting that would make a deletion unsafe or impossible."""


class PersonalizeDataDeletion(Construct):
    """Everything Amazon Personalize needs around data deletion jobs, once per stack.

    - ``bucket``: inputs staged for Personalize (``staging/``) and receipts (``receipts/``).
      SSE-S3 only: Personalize cannot read inputs encrypted with a customer managed KMS key.
    - ``service_role``: assumed by Personalize to read ``staging/`` and nothing else.
    - a shared provider (two Lambda handlers behind the CDK Provider framework) and a shared
      tracker (a Step Functions state machine) for jobs that outlive the deployment.

    Settings (all optional):

    - ``bucket``: your own SSE-S3 bucket (default: one is created).
    - ``job_name_prefix``: first part of every job name; IAM is scoped to it (default ``pdd``).
    - ``max_input_bytes``: largest list accepted (default 100,000,000, Personalize's limit).
    - ``purge_staged_input``: delete the staged list once its job ended (default ``True``).
    - ``staged_input_expiration``: lifecycle backstop for staged lists (default 7 days; must
      exceed ``tracking_timeout`` by a day, so a queued or pending job can still read its list).
    - ``removal_policy``: of the created bucket (default RETAIN: receipts outlive the stack).
    - ``server_access_logs_bucket``: access logging for the created bucket (default none).
    - ``query_interval`` / ``total_timeout``: how the deployment polls (default 60 s / 55 min).
    - ``log_retention``: of every log group (default one year).
    - ``completion``: default completion policy of the requests (default
      :meth:`Completion.hand_off`, waiting up to the provider's limit).
    - ``tracking_interval`` / ``tracking_timeout``: how the tracker polls a handed-off job and
      when it reports it as stuck (default 10 minutes / 36 hours).
    - ``notification_topic``: an SNS topic that receives every job event, and every "models
      retrained" event once a request retrains (default none).
    - ``preflight``: before submitting, check that no import, training or batch job runs on the
      dataset group, and report imports or trainings that started while a job ran (default on).
    - ``retrain``: what to retrain once a job COMPLETED (default :meth:`Retrain.none`; training
      hours are billed).
    - ``follow_up``: when an import or training started while a job ran, start one further job
      with the same list once they have ended, as the guide recommends (default off; needs
      ``preflight``).
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
        completion: Completion | None = None,
        tracking_interval: Duration = DEFAULT_TRACKING_INTERVAL,
        tracking_timeout: Duration = DEFAULT_TRACKING_TIMEOUT,
        notification_topic: sns.ITopic | None = None,
        preflight: bool = True,
        retrain: Retrain | None = None,
        follow_up: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        # Read from jsii once per construct: requests only do Python with these.
        self._stack = Stack.of(self)
        self._environment = _stack_environment(self._stack)
        self.scope_id = _path_in_stack(self, self._stack)
        """What this construct's requests name as their ``Scope``: its path in the stack."""
        try:
            self.job_name_prefix = check_prefix(job_name_prefix)
        except RequestRuleError as exc:
            raise DeletionConfigError(str(exc)) from exc
        if isinstance(max_input_bytes, bool) or not isinstance(max_input_bytes, int):
            raise TypeError(
                f"max_input_bytes must be an int (bytes), not {type(max_input_bytes).__name__}"
            )
        if not 1 <= max_input_bytes <= DEFAULT_MAX_INPUT_BYTES:
            raise DeletionConfigError(
                f"max_input_bytes is {max_input_bytes}: use 1 to {DEFAULT_MAX_INPUT_BYTES} "
                "(Personalize reads at most 100 MB of input per job)"
            )
        expiration_s = staged_input_expiration.to_seconds()
        if expiration_s < tracking_timeout.to_seconds() + DAY_SECONDS:
            raise DeletionConfigError(
                f"staged_input_expiration ({expiration_s / DAY_SECONDS:g} days) must exceed "
                f"tracking_timeout ({tracking_timeout.to_seconds() / 3600:g} hours) by at least "
                "a day: a queued or pending job still has to read its staged list"
            )
        self.limits = Limits(max_total_bytes=max_input_bytes)
        self.purge_staged_input = purge_staged_input
        self._retains_bucket = bucket is None and removal_policy == RemovalPolicy.RETAIN
        self.bucket = bucket or self._create_bucket(removal_policy, server_access_logs_bucket)
        _check_bucket(self.bucket)
        self._prepare_bucket(staged_input_expiration)
        self.tracker = DeletionTracker.of(
            self,
            TrackerSettings(
                interval=tracking_interval, timeout=tracking_timeout, log_retention=log_retention
            ),
        )
        self.provider = DeletionJobProvider.of(
            self,
            ProviderSettings(
                query_interval=query_interval,
                total_timeout=total_timeout,
                log_retention=log_retention,
            ),
            self.tracker,
        )
        self.completion = self._completion(
            Completion.hand_off() if completion is None else completion, "completion"
        )
        self.preflight = _flag(preflight, "preflight")
        self.retrain = _retrain(Retrain.none() if retrain is None else retrain, "retrain")
        self.follow_up = _flag(follow_up, "follow_up")
        self._follow_up_granted = False
        self.service_role = self._create_service_role()
        self._grant_roles()
        self.provider.serve(
            scope_id=self.scope_id,
            job_name_prefix=self.job_name_prefix,
            bucket_name=self.bucket.bucket_name,
            role_arn=self.service_role.role_arn,
            max_input_bytes=max_input_bytes,
            purge_staged_input=purge_staged_input,
        )
        self._requests: dict[str, DeletionJob] = {}
        self._request_names: set[str] = set()
        self._notification_topic = notification_topic
        self._models_notified = False
        if notification_topic is not None:
            self.on_job_state_change(
                "NotifyTopic",
                target=targets.SnsTopic(notification_topic),
                description="Sends every Personalize data deletion job event to the topic",
            )

    def delete_users(
        self,
        request_name: str,
        *,
        dataset_group_arn: str | personalize.CfnDatasetGroup,
        users: UserList,
        tags: Mapping[str, str] | None = None,
        completion: Completion | None = None,
        preflight: bool | None = None,
        retrain: Retrain | None = None,
        follow_up: bool | None = None,
    ) -> DeletionJob:
        """Declare one deletion: start a data deletion job for ``users`` in the dataset group.

        ``request_name`` becomes part of the job name (with the prefix and an identity digest),
        so it must be short and name-safe; it is also the construct id of the request.
        ``completion``, ``preflight``, ``retrain`` and ``follow_up`` override the construct's
        settings for this request (default: the construct's).
        """
        settings = self._settings(
            request_name, users, tags, completion, preflight, retrain, follow_up
        )
        arn = _dataset_group_arn(self._environment, request_name, dataset_group_arn)
        job = self._job(self, request_name, settings, dataset_group_arn, arn)
        self._requests[request_name] = job
        return job

    def delete_users_from_groups(
        self,
        request_name: str,
        *,
        dataset_groups: Sequence[str | personalize.CfnDatasetGroup],
        users: UserList,
        tags: Mapping[str, str] | None = None,
        completion: Completion | None = None,
        preflight: bool | None = None,
        retrain: Retrain | None = None,
        follow_up: bool | None = None,
    ) -> list[DeletionJob]:
        """Declare one deletion in several dataset groups: one job per group.

        Personalize scopes a job to one dataset group, so the request becomes one resource per
        group (``<request>/<group name>``), each with its own job name (the digest covers the
        group), receipt and tracking; adding a group later adds one resource and starts one
        job, and leaves the others as they were. Every group must be in the stack's account
        and region. The other settings are as for :meth:`delete_users`.
        """
        settings = self._settings(
            request_name, users, tags, completion, preflight, retrain, follow_up
        )
        if isinstance(dataset_groups, str) or not isinstance(dataset_groups, Sequence):
            raise TypeError(
                f"request {request_name!r}: dataset_groups must be a list of dataset group ARNs "
                f"or CfnDatasetGroups, not {type(dataset_groups).__name__}"
            )
        if not dataset_groups:
            raise DeletionConfigError(
                f"request {request_name!r}: dataset_groups is empty: name at least one group"
            )
        if retrain is not None and retrain.solution_arns and len(dataset_groups) > 1:
            raise DeletionConfigError(
                f"request {request_name!r}: Retrain.solutions names solutions of one dataset "
                "group; with several groups use Retrain.all_solutions() or one request per group"
            )
        container = Construct(self, request_name)
        jobs: dict[str, DeletionJob] = {}
        for index, group in enumerate(dataset_groups):
            field = f"dataset_groups[{index}]"
            arn = _dataset_group_arn(self._environment, request_name, group, field)
            key = _group_key(f"request {request_name!r} {field}", group, arn)
            if key in jobs:
                raise DeletionConfigError(
                    f"request {request_name!r} {field}: dataset group {key!r} is named twice; "
                    "each group gets one job"
                )
            jobs[key] = self._job(container, key, settings, group, arn)
            self._requests[f"{request_name}/{key}"] = jobs[key]
        return list(jobs.values())

    def _settings(
        self,
        request_name: str,
        users: UserList,
        tags: Mapping[str, str] | None,
        completion: Completion | None,
        preflight: bool | None,
        retrain: Retrain | None,
        follow_up: bool | None,
    ) -> _RequestSettings:
        """A request's settings checked once, whatever the number of its dataset groups."""
        try:
            check_request_name(request_name, self.job_name_prefix)
        except RequestRuleError as exc:
            raise DeletionConfigError(f"request {request_name!r}: {exc}") from exc
        if request_name in self._request_names:
            raise DeletionConfigError(
                f"request {request_name!r} is declared twice: either rename one request or remove "
                "the duplicate"
            )
        if not isinstance(users, UserList):
            raise TypeError(
                f"request {request_name!r}: users must be a UserList (UserList.from_csv, "
                f"from_ids, from_s3 or from_s3_prefix), not {type(users).__name__}"
            )
        if tags is not None and not isinstance(tags, Mapping):
            raise TypeError(
                f"request {request_name!r}: tags must map tag keys to values, not "
                f"{type(tags).__name__}"
            )
        tag_map = dict(tags or {})
        try:
            check_tags(tag_map, where=f"request {request_name!r} tags")
        except RequestRuleError as exc:
            raise DeletionConfigError(str(exc)) from exc
        policy = (
            self.completion
            if completion is None
            else self._completion(completion, f"request {request_name!r} completion")
        )
        checks = self.preflight if preflight is None else _flag(preflight, "preflight")
        retraining = self.retrain if retrain is None else _retrain(retrain, "retrain")
        further = self.follow_up if follow_up is None else _flag(follow_up, "follow_up")
        if further and not checks:
            raise DeletionConfigError(
                f"request {request_name!r}: follow_up=True needs preflight=True: only the "
                "pre-flight's check finds imports or trainings that started during the job"
            )
        if checks:
            self.provider.grant_preflight()
        if further:
            self._grant_follow_up()
        if retraining.enabled:
            self.tracker.grant_retraining()
            self._notify_models()
        self._request_names.add(request_name)
        return _RequestSettings(request_name, users, tag_map, policy, checks, retraining, further)

    def _job(
        self,
        scope: Construct,
        construct_id: str,
        settings: _RequestSettings,
        group: str | personalize.CfnDatasetGroup,
        arn: str,
    ) -> DeletionJob:
        job = DeletionJob(
            scope,
            construct_id,
            deletion=self,
            request_name=settings.request_name,
            dataset_group_arn=arn,
            users=settings.users,
            tags=settings.tags,
            completion=settings.completion,
            preflight=settings.preflight,
            retrain=settings.retrain,
            follow_up=settings.follow_up,
        )
        if isinstance(group, personalize.CfnDatasetGroup):
            wait_for_datasets(job.resource, group)
        return job

    @property
    def requests(self) -> list[DeletionJob]:
        """The jobs declared so far (one per request and dataset group), in declaration
        order."""
        return list(self._requests.values())

    def on_job_state_change(
        self,
        construct_id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Iterable[str] | None = None,
        description: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule for the job events of this construct's requests.

        One event per job end, whichever path saw it (deployment or tracker): ``status``
        COMPLETED or FAILED, STUCK when the tracker gave up on a running job, NOT_STARTED when a
        queued request was refused. ``statuses`` narrows the rule (default: all of them).
        """
        return self._event_rule(
            construct_id,
            detail_type=EVENT_DETAIL_TYPE,
            statuses=statuses,
            known_statuses=JOB_STATUSES,
            target=target,
            description=description
            or "Personalize data deletion job events of this stack's requests",
        )

    def on_models_retrained(
        self,
        construct_id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Iterable[str] | None = None,
        description: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule for the "models retrained" events of this construct's requests.

        One event per job whose request asked for retraining, once the tracker saw every new
        solution version and campaign update end: ``status`` RETRAINED (``effectiveInModels``
        says whether every model now reflects the deletion), RETRAINING_FAILED, or
        RETRAINING_STUCK when the tracker gave up waiting. ``statuses`` narrows the rule
        (default: all of them).
        """
        return self._event_rule(
            construct_id,
            detail_type=MODELS_DETAIL_TYPE,
            statuses=statuses,
            known_statuses=RETRAINING_OUTCOMES,
            target=target,
            description=description
            or "Personalize data deletion retraining events of this stack's requests",
        )

    def _notify_models(self) -> None:
        """The topic also gets the "models retrained" events, once a request retrains."""
        if self._notification_topic is None or self._models_notified:
            return
        self._models_notified = True
        self.on_models_retrained(
            "NotifyTopicModels",
            target=targets.SnsTopic(self._notification_topic),
            description="Sends every Personalize data deletion retraining event to the topic",
        )

    def _event_rule(
        self,
        construct_id: str,
        *,
        detail_type: str,
        statuses: Iterable[str] | None,
        known_statuses: tuple[str, ...],
        target: events.IRuleTarget | None,
        description: str,
    ) -> events.Rule:
        try:
            return event_rule(
                self,
                construct_id,
                detail_type=detail_type,
                job_name_prefix=self.job_name_prefix,
                statuses=statuses,
                known_statuses=known_statuses,
                target=target,
                description=description,
            )
        except EventRuleError as exc:
            raise DeletionConfigError(str(exc)) from exc

    @property
    def job_failed_alarm(self) -> cloudwatch.Alarm:
        """Alarms when a job of this stack ends FAILED (shared by the stack's constructs)."""
        return self.tracker.job_failed_alarm

    @property
    def tracking_alarm(self) -> cloudwatch.Alarm:
        """Alarms when the tracker could not record a job's end (stuck, faults, timeouts)."""
        return self.tracker.tracking_alarm

    def metric_jobs(self, metric_name: str) -> cloudwatch.Metric:
        """``JobsCompleted``, ``JobsFailed`` or ``JobsStuck`` of this stack, summed per 5 min."""
        return self.tracker.metric_jobs(metric_name)

    def _completion(self, value: object, where: str) -> Completion:
        if not isinstance(value, Completion):
            raise TypeError(
                f"{where} must be a Completion (Completion.hand_off(), Completion.wait() or "
                f"Completion.submit_only()), not {type(value).__name__}"
            )
        try:
            value.wait_seconds(self.provider.settings.handler_deadline_seconds)
        except ValueError as exc:
            raise DeletionConfigError(f"{where}: {exc}") from exc
        return value

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
                    conditions=self._personalize_source_conditions(),
                )
            ),
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PersonalizeListsStagedInputs",
                    principals=[iam.ServicePrincipal("personalize.amazonaws.com")],
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={
                        **self._personalize_source_conditions(),
                        "StringLike": {"s3:prefix": [f"{STAGING_PREFIX}*"]},
                    },
                )
            ),
        ]
        if isinstance(bucket, s3.Bucket) and bucket.policy is not None and self._retains_bucket:
            # Personalize reads staged lists through this policy while a tracked job runs.
            bucket.policy.apply_removal_policy(RemovalPolicy.RETAIN)
        if not all(result.statement_added for result in added):
            Annotations.of(self).add_info(
                f"bucket {bucket.bucket_name} is imported: add to its bucket policy an Allow for "
                f"principal personalize.amazonaws.com of s3:GetObject on {STAGING_PREFIX}* and "
                f"s3:ListBucket with s3:prefix {STAGING_PREFIX}*, both conditioned on "
                "aws:SourceAccount, and expire objects under that prefix with a lifecycle rule"
            )

    def _personalize_source_conditions(self) -> dict[str, object]:
        """Personalize acting for this account and region only (the confused-deputy guard)."""
        return {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnLike": {
                "aws:SourceArn": Stack.of(self).format_arn(service="personalize", resource="*")
            },
        }

    def _create_service_role(self) -> iam.Role:
        """The role Personalize assumes: read the staged inputs, nothing else."""
        role = iam.Role(
            self,
            "PersonalizeRole",
            description="Assumed by Amazon Personalize to read staged data deletion inputs",
            assumed_by=iam.ServicePrincipal(
                "personalize.amazonaws.com", conditions=self._personalize_source_conditions()
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
        # A job handed to the tracker may still be reading (or waiting to read) its list when
        # the stack is deleted: the role Personalize assumes must outlive the stack.
        retain_role(role)
        return role

    def _grant_follow_up(self) -> None:
        """Whoever records a job's end may stage its list again for the follow-up job (a copy
        inside the staging prefix: read the first job's list, write the second's)."""
        if self._follow_up_granted:
            return
        self._follow_up_granted = True
        staging = self.bucket.arn_for_objects(f"{STAGING_PREFIX}*")
        for role in (self.provider.role, self.tracker.function_role):
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[staging])
            )

    def _grant_roles(self) -> None:
        """What the provider's handlers and the tracker's step need for this bucket and role.

        Both may submit a job (PassRole) and record its end (receipts, purge); only the
        provider's handlers stage lists.
        """
        self.provider.grant_job_management(self.job_name_prefix)
        self.tracker.grant_job_management(self.job_name_prefix)
        staging = self.bucket.arn_for_objects(f"{STAGING_PREFIX}*")
        receipts = self.bucket.arn_for_objects(f"{RECEIPTS_PREFIX}*")
        reasons = {
            STAGING_PREFIX: "Lists are staged under a key derived from their job name and "
            "deleted when the job ends; limited to the staging prefix.",
            RECEIPTS_PREFIX: "One receipt per job, named after the job, written once (read "
            "first, so a receipt is never rewritten); limited to the receipts prefix.",
        }
        roles = {self.provider.role: [staging, receipts], self.tracker.function_role: [receipts]}
        for role, writable in roles.items():
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[self.service_role.role_arn],
                    conditions={
                        "StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}
                    },
                )
            )
            for actions, resources in (
                (["s3:PutObject"], writable),
                (["s3:GetObject"], [receipts]),
                (["s3:DeleteObject"], [staging]),
            ):
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=actions, resources=resources)
                )
            # Whether a receipt exists is asked by listing its key (see Storage.read_json).
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[self.bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{RECEIPTS_PREFIX}*"]}},
                )
            )
            for prefix, reason in reasons.items():
                acknowledge_wildcard_resource(
                    role, self.bucket.arn_for_objects(f"{prefix}*"), reason
                )


@dataclass(frozen=True)
class _RequestSettings:
    request_name: str
    users: UserList
    tags: dict[str, str]
    completion: Completion
    preflight: bool
    retrain: Retrain
    follow_up: bool


def _group_key(where: str, group: str | personalize.CfnDatasetGroup, arn: str) -> str:
    """A fanned-out job's construct id: its dataset group's name, stable across synths."""
    if isinstance(group, personalize.CfnDatasetGroup):
        return group.name if not is_token(group.name) else group.node.id
    if is_token(arn):
        raise DeletionConfigError(
            f"{where} is an unresolved token: a fanned-out request names each "
            "resource after its dataset group, so give the ARN or the CfnDatasetGroup"
        )
    return dataset_group_name(arn)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def _retrain(value: object, name: str) -> Retrain:
    if not isinstance(value, Retrain):
        raise TypeError(
            f"{name} must be a Retrain (Retrain.none(), Retrain.all_solutions() or "
            f"Retrain.solutions([...])), not {type(value).__name__}"
        )
    return value


@dataclass(frozen=True)
class _StackEnvironment:
    """The stack's name and, where concrete, account, region and partition."""

    name: str
    account: str | None
    region: str | None
    partition: str | None


def _stack_environment(stack: Stack) -> _StackEnvironment:
    account, region = stack.account, stack.region
    account = None if is_token(account) else account
    region = None if is_token(region) else region
    partition = RegionInfo.get(region).partition if region is not None else None
    return _StackEnvironment(stack.stack_name, account, region, partition)


def _path_in_stack(construct: Construct, stack: Stack) -> str:
    """A construct's path below its stack: unique there, and stable unless it is renamed."""
    path, root = construct.node.path, stack.node.path
    return path[len(root) + 1 :] if root and path.startswith(f"{root}/") else path


def _dataset_group_arn(
    stack: _StackEnvironment,
    request_name: str,
    value: str | personalize.CfnDatasetGroup,
    field: str = "dataset_group_arn",
) -> str:
    """The request's dataset group, checked as far as synth can: format, and environment.

    A job runs in its dataset group's account and region; when the stack's are known, a group
    elsewhere would only fail at deploy time, after the list was staged.
    """
    where = f"request {request_name!r} {field}"
    if isinstance(value, personalize.CfnDatasetGroup):
        return value.attr_dataset_group_arn
    if not isinstance(value, str):
        raise TypeError(
            f"{where} must be a string or a CfnDatasetGroup, not {type(value).__name__}"
        )
    if is_token(value):
        return value
    try:
        check_dataset_group_arn(value, where=where)
    except RequestRuleError as exc:
        raise DeletionConfigError(str(exc)) from exc
    partition, region, account = dataset_group_environment(value)
    expected = {"account": stack.account, "region": stack.region, "partition": stack.partition}
    found = {"partition": partition, "region": region, "account": account}
    wrong = [
        name
        for name in ("account", "region", "partition")
        if expected[name] not in (None, found[name])
    ]
    if wrong:
        raise DeletionConfigError(
            f"{where}: {value!r} is in {', '.join(f'{n} {found[n]}' for n in wrong)}, but stack "
            f"{stack.name!r} deploys to {', '.join(f'{n} {expected[n]}' for n in wrong)}: a "
            "data deletion job runs in its dataset group's account and region; declare the "
            "request in a stack of that environment"
        )
    return value


SSE_S3 = "AES256"
BLOCK_PUBLIC_ACCESS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _check_bucket(bucket: s3.IBucket) -> None:
    """The deletion bucket holds lists of user ids: SSE-S3, never public, TLS only.

    A bucket of this app is checked (encryption, public access) or fixed (a TLS-only statement
    is added if missing); an imported one cannot be inspected, so the synth says what it needs.
    """
    where = f"bucket {bucket.node.path!r}"
    if bucket.encryption_key is not None:
        raise DeletionConfigError(
            f"{where} is encrypted with a customer managed KMS key: this construct stages "
            "inputs only with SSE-S3, because Personalize would need grants on that key (in its "
            "key policy) that the construct does not manage; use BucketEncryption.S3_MANAGED or "
            "let the construct create the bucket"
        )
    if not isinstance(bucket, s3.Bucket):
        Annotations.of(bucket).add_info(
            f"{where} is imported: make sure it uses SSE-S3 default encryption, blocks all "
            "public access and denies requests without TLS (aws:SecureTransport false); the "
            "construct cannot check that"
        )
        return
    stack = Stack.of(bucket)
    # The L1 properties as one plain value: reading cfn.public_access_block_configuration
    # through its getter would re-map jsii's shared BlockPublicAccess.BLOCK_ALL object to an
    # interface proxy, breaking every later BLOCK_ALL in the process.
    properties = stack.resolve(bucket.node.default_child._cfn_properties)
    encryption = properties.get("bucketEncryption") or {}
    algorithms = sorted(
        {
            rule.get("serverSideEncryptionByDefault", {}).get("sseAlgorithm", SSE_S3)
            for rule in encryption.get("serverSideEncryptionConfiguration", [])
        }
        - {SSE_S3}
    )
    if algorithms:
        raise DeletionConfigError(
            f"{where} uses {', '.join(algorithms)} encryption: the construct supports SSE-S3 "
            "(BucketEncryption.S3_MANAGED) only, because Personalize's service role would need "
            "KMS grants the construct does not manage"
        )
    public = properties.get("publicAccessBlockConfiguration")
    if public is not None and not all(public.get(name) is True for name in BLOCK_PUBLIC_ACCESS):
        raise DeletionConfigError(
            f"{where} does not block all public access: lists of user ids must never be public; "
            "use block_public_access=BlockPublicAccess.BLOCK_ALL"
        )
    policy = stack.resolve(bucket.policy.document.to_json()) if bucket.policy else {}
    if "aws:SecureTransport" not in json.dumps(policy):
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
