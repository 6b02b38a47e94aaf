"""``PersonalizeDataDeletion``: the bucket, the service role and the requests of one stack.

A user declares deletions with :meth:`PersonalizeDataDeletion.delete_users`; each request is one
custom resource, and everything else (bucket, Personalize role, handlers, provider, tracker)
exists once. This module only wires those together: settings are checked in :mod:`.settings`,
dataset groups in :mod:`.environment`, the bucket in :mod:`.deletion_bucket`, the service role
and grants in :mod:`.service_role`, and event rules, alarms and metrics come from the
:mod:`.monitoring` mixin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Unpack

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from personalize_deletion_runtime.request_rules import DEFAULT_PREFIX
from personalize_deletion_runtime.user_list import Limits

from constructs import Construct

from .completion import Completion
from .deletion_bucket import (
    RETAINED_ON_DELETE,
    check_bucket,
    create_bucket,
    personalize_source_conditions,
    prepare_bucket,
    refuse_created_bucket_settings,
)
from .dependencies import wait_for_datasets
from .environment import (
    group_key,
    is_dataset_group,
    path_in_stack,
    resolve_dataset_group_arn,
    stack_environment,
)
from .errors import DeletionConfigError
from .few_ids import FewIdsWarning
from .job import DeletionJob, RequestScope
from .monitoring import JOB_STATUSES, DeletionMonitoring
from .provider import (
    DEFAULT_QUERY_INTERVAL,
    DEFAULT_TOTAL_TIMEOUT,
    DeletionJobProvider,
    ProviderSettings,
)
from .retrain import Retrain, check_solutions_of_group
from .service_role import create_service_role, grant_bucket_and_role, grant_follow_up
from .settings import (
    DEFAULT_MAX_INPUT_BYTES,
    DEFAULT_STAGED_INPUT_EXPIRATION,
    ConstructDefaults,
    RequestArguments,
    RequestOptions,
    RequestSettings,
    check_staged_input_expiration,
    flag,
    job_name_prefix_setting,
    max_input_bytes_setting,
    request_settings,
    resource_setting,
    retention_setting,
)
from .sources import UserList
from .tracker import (
    DEFAULT_TRACKING_INTERVAL,
    DEFAULT_TRACKING_TIMEOUT,
    DeletionTracker,
    TrackerSettings,
)

if TYPE_CHECKING:  # imported where used: an app without them does not load them
    from aws_cdk import aws_personalize as personalize
    from aws_cdk import aws_sns as sns

BUCKET_ATTRIBUTES = ("bucket_arn", "bucket_name", "arn_for_objects", "node")
"""What every ``s3.IBucket`` offers (jsii interfaces are not runtime-checkable)."""

__all__ = ["JOB_STATUSES", "DeletionConfigError", "PersonalizeDataDeletion", "RequestOptions"]


class PersonalizeDataDeletion(DeletionMonitoring, Construct):
    """Everything Amazon Personalize needs around data deletion jobs, once per stack.

    - ``bucket``: inputs staged for Personalize (``staging/``) and receipts (``receipts/``).
      SSE-S3 only: Personalize cannot read inputs encrypted with a customer managed KMS key.
    - ``service_role``: assumed by Personalize to read ``staging/`` and nothing else.
    - a shared provider (two Lambda handlers behind the CDK Provider framework) and a shared
      tracker (a Step Functions state machine) for jobs that outlive the deployment.

    :param scope: the construct's parent (a stack or a construct in it).
    :param construct_id: its id; its path in the stack is what its requests name as ``Scope``.
    :param bucket: your own SSE-S3 bucket for staged lists and receipts. Default: one is
        created.
    :param job_name_prefix: first part of every job name; IAM is scoped to it. Default: ``pdd``.
    :param max_input_bytes: largest list accepted. Default: 100,000,000, Personalize's limit.
    :param purge_staged_input: delete the staged list once its job ended. Default: ``True``.
    :param staged_input_expiration: lifecycle backstop for staged lists, in whole days (S3
        lifecycle expiration counts days); must exceed ``tracking_timeout`` by a day, so a
        queued or pending job can still read its list. Default: 7 days.
    :param removal_policy: of the created bucket (refused with ``bucket``, whose own policy
        applies). Default: RETAIN (receipts outlive the stack).
    :param server_access_logs_bucket: access logging for the created bucket (refused with
        ``bucket``: log yours yourself). Default: none.
    :param query_interval: how often the deployment polls a job. Default: 60 seconds.
    :param total_timeout: how long the deployment polls at most (plus two intervals, within
        CloudFormation's hour). Default: 55 minutes.
    :param log_retention: of every log group. Default: one year.
    :param completion: default completion policy of the requests. Default:
        :meth:`Completion.hand_off`, waiting up to the provider's limit.
    :param tracking_interval: how often the tracker reads a handed-off job. Default: 10 minutes.
    :param tracking_timeout: when the tracker reports a job as stuck, at most 887
        ``tracking_interval`` (about 6 days at the default), so that the three runs one
        execution may follow fit Step Functions' 25,000 history events. Default: 36 hours.
    :param notification_topic: an SNS topic that receives every job event, and every "models
        retrained" event once a request retrains. Default: none.
    :param preflight: before submitting, check that no import, training or batch job runs on
        the dataset group, and report imports or trainings that started while a job ran.
        Default: ``True``.
    :param retrain: what to retrain once a job COMPLETED (training hours are billed). Default:
        :meth:`Retrain.none`.
    :param follow_up: when an import or training started while a job ran, start one further
        job with the same list once they have ended, as the guide recommends; needs
        ``preflight``. Default: ``False``.
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
        self._environment = stack_environment(self._stack)
        self.scope_id = path_in_stack(self, self._stack)
        """What this construct's requests name as their ``Scope``: its path in the stack."""
        self.job_name_prefix = job_name_prefix_setting(job_name_prefix)
        max_input_bytes = max_input_bytes_setting(max_input_bytes)
        purge_staged_input = flag(purge_staged_input, "purge_staged_input")
        log_retention = retention_setting(log_retention)
        bucket_kind = "an s3.IBucket (an s3.Bucket, or s3.Bucket.from_bucket_name for a name)"
        resource_setting(bucket, "bucket", bucket_kind, BUCKET_ATTRIBUTES)
        resource_setting(
            server_access_logs_bucket, "server_access_logs_bucket", bucket_kind, BUCKET_ATTRIBUTES
        )
        resource_setting(
            notification_topic,
            "notification_topic",
            "an sns.ITopic (an sns.Topic, or sns.Topic.from_topic_arn for an ARN)",
            ("topic_arn", "node"),
        )
        refuse_created_bucket_settings(bucket, removal_policy, server_access_logs_bucket)
        # The tracker's own limits first: an expiration cannot fix a timeout it refuses.
        tracker_settings = TrackerSettings(
            interval=tracking_interval, timeout=tracking_timeout, log_retention=log_retention
        )
        check_staged_input_expiration(staged_input_expiration, tracker_settings.timeout_seconds)
        self.limits = Limits(max_total_bytes=max_input_bytes)
        self.purge_staged_input = purge_staged_input
        retains_bucket = bucket is None and removal_policy in RETAINED_ON_DELETE
        versioning_suspended = False
        self._bucket_created = bucket is None
        if bucket is None:
            # Created SSE-S3, private and TLS-only: nothing for check_bucket to find or add.
            self.bucket: s3.IBucket = create_bucket(self, removal_policy, server_access_logs_bucket)
        else:
            versioning_suspended = check_bucket(bucket)
            self.bucket = bucket
        source_conditions = personalize_source_conditions(self)
        prepare_bucket(
            self,
            self.bucket,
            staged_input_expiration,
            retain_policy=retains_bucket,
            source_conditions=source_conditions,
            versioning_suspended=versioning_suspended,
        )
        self.tracker = DeletionTracker.of(self, tracker_settings)
        self.provider = DeletionJobProvider.of(
            self,
            ProviderSettings(
                query_interval=query_interval,
                total_timeout=total_timeout,
                log_retention=log_retention,
            ),
            self.tracker,
        )
        self._defaults = ConstructDefaults.checked(
            self.job_name_prefix,
            self.provider.settings.handler_deadline_seconds,
            completion=completion,
            preflight=preflight,
            retrain=retrain,
            follow_up=follow_up,
        )
        self.completion = self._defaults.completion
        self.preflight = self._defaults.preflight
        self.retrain = self._defaults.retrain
        self.follow_up = self._defaults.follow_up
        self._follow_up_granted = False
        self.service_role = create_service_role(self, self.bucket, source_conditions)
        grant_bucket_and_role(
            self.provider,
            self.tracker,
            bucket=self.bucket,
            service_role=self.service_role,
            job_name_prefix=self.job_name_prefix,
            bucket_created=self._bucket_created,
        )
        self.provider.serve(
            scope_id=self.scope_id,
            job_name_prefix=self.job_name_prefix,
            bucket_name=self.bucket.bucket_name,
            role_arn=self.service_role.role_arn,
            max_input_bytes=max_input_bytes,
            purge_staged_input=purge_staged_input,
        )
        self._request_scope = RequestScope(
            provider=self.provider,
            scope_id=self.scope_id,
            job_name_prefix=self.job_name_prefix,
            limits=self.limits,
            few_ids=FewIdsWarning(self),
        )
        self._requests: dict[str, DeletionJob] = {}
        self._request_names: set[str] = set()
        self._notification_topic = notification_topic
        self._models_notified = False
        if notification_topic is not None:
            from aws_cdk import aws_events_targets as targets

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
        **options: Unpack[RequestOptions],
    ) -> DeletionJob:
        """Declare one deletion: start a data deletion job for ``users`` in the dataset group.

        :param request_name: part of the job name (with the prefix and an identity digest), so
            short and name-safe; also the construct id of the request.
        :param dataset_group_arn: the dataset group, as an ARN or a ``CfnDatasetGroup`` of the
            app (the job then waits for its datasets); it must be in the stack's account and
            region.
        :param users: the user ids to delete (:class:`UserList` factories).
        :param options: ``tags``, and the ``completion``, ``preflight``, ``retrain`` and
            ``follow_up`` this request overrides (:class:`RequestOptions` says what each does).
            Default: no tags, the construct's settings.
        """
        call = "PersonalizeDataDeletion.delete_users"
        settings = self._settings(request_name, RequestArguments(call, users, options))
        arn = resolve_dataset_group_arn(self._environment, request_name, dataset_group_arn)
        job = self._job(self, request_name, settings, dataset_group_arn, arn)
        self._requests[request_name] = job
        return job

    def delete_users_from_groups(
        self,
        request_name: str,
        *,
        dataset_groups: Sequence[str | personalize.CfnDatasetGroup],
        users: UserList,
        **options: Unpack[RequestOptions],
    ) -> list[DeletionJob]:
        """Declare one deletion in several dataset groups: one job per group.

        Personalize scopes a job to one dataset group, so the request becomes one resource per
        group (``<request>/<group name>``), each with its own job name (the digest covers the
        group), receipt and tracking; adding a group later adds one resource and starts one
        job, and leaves the others as they were. Every group must be in the stack's account
        and region.

        :param request_name: as for :meth:`delete_users`; each job's id is its group's name.
        :param dataset_groups: the dataset groups (ARNs or ``CfnDatasetGroup``), each once;
            with several, ``Retrain.solutions`` is refused (its solutions are one group's).
        :param users: the user ids to delete in every group.
        :param options: as for :meth:`delete_users`, for every job (see
            :class:`RequestOptions`). Default: no tags, the construct's settings.
        """
        call = "PersonalizeDataDeletion.delete_users_from_groups"
        settings = self._settings(request_name, RequestArguments(call, users, options))
        if isinstance(dataset_groups, str) or not isinstance(dataset_groups, Sequence):
            raise TypeError(
                f"request {request_name!r}: dataset_groups must be a list of dataset group ARNs "
                f"or CfnDatasetGroups, not {type(dataset_groups).__name__}"
            )
        if not dataset_groups:
            raise DeletionConfigError(
                f"request {request_name!r}: dataset_groups is empty: name at least one group"
            )
        if settings.retrain.solution_arns and len(dataset_groups) > 1:
            # The construct's own Retrain.solutions too: its solutions are one group's as well.
            raise DeletionConfigError(
                f"request {request_name!r} {settings.retrain_setting}: Retrain.solutions names "
                "solutions of one dataset group; with several groups pass "
                "retrain=Retrain.all_solutions() or Retrain.none() to the request, or declare "
                "one request per group"
            )
        container = Construct(self, request_name)
        jobs: dict[str, DeletionJob] = {}
        for index, group in enumerate(dataset_groups):
            field = f"dataset_groups[{index}]"
            arn = resolve_dataset_group_arn(self._environment, request_name, group, field)
            key = group_key(f"request {request_name!r} {field}", group, arn)
            if key in jobs:
                raise DeletionConfigError(
                    f"request {request_name!r} {field}: dataset group {key!r} is named twice; "
                    "each group gets one job"
                )
            jobs[key] = self._job(container, key, settings, group, arn)
            self._requests[f"{request_name}/{key}"] = jobs[key]
        return list(jobs.values())

    def _settings(self, request_name: str, given: RequestArguments) -> RequestSettings:
        """A request's settings checked once, whatever the number of its dataset groups; the
        shared roles get what the request needs (pre-flight, follow-up, retraining)."""
        settings = request_settings(
            request_name, given, defaults=self._defaults, declared=self._request_names
        )
        self.provider.claim_request(self.scope_id, self.job_name_prefix, request_name)
        if settings.preflight:
            self.provider.grant_preflight()
        if settings.follow_up and not self._follow_up_granted:
            self._follow_up_granted = True
            grant_follow_up(
                self.provider, self.tracker, self.bucket, bucket_created=self._bucket_created
            )
        if settings.retrain.enabled:
            self.tracker.grant_retraining()
            self._notify_models()
        self._request_names.add(request_name)
        return settings

    def _job(
        self,
        scope: Construct,
        construct_id: str,
        settings: RequestSettings,
        group: str | personalize.CfnDatasetGroup,
        arn: str,
    ) -> DeletionJob:
        check_solutions_of_group(
            settings.retrain,
            f"request {settings.request_name!r} {settings.retrain_setting}",
            arn,
            account=self._environment.account,
            region=self._environment.region,
        )
        job = DeletionJob(
            scope,
            construct_id,
            request_scope=self._request_scope,
            dataset_group_arn=arn,
            settings=settings,
        )
        if is_dataset_group(group):
            wait_for_datasets(job.resource, group)
        return job

    @property
    def requests(self) -> list[DeletionJob]:
        """The jobs declared so far (one per request and dataset group), in declaration
        order."""
        return list(self._requests.values())
