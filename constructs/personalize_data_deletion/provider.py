"""The one custom resource provider a stack's deletion requests share.

A Provider costs two Lambda functions, a state machine, roles and log groups. Creating one per
request would grow every template by a dozen resources per deletion; instead it is a singleton
per stack, found again with ``Stack.of(scope).node.try_find_child`` as aws-cdk's EKS cluster
provider and Trigger do.
"""

from __future__ import annotations

from typing import TypedDict

from aws_cdk import Aws, Duration, Names, RemovalPolicy, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from personalize_deletion_runtime.environment import (
    HANDLER_DEADLINE_VARIABLE,
    TRACKER_STATE_MACHINE_VARIABLE,
    TRACKING_TIMEOUT_VARIABLE,
)
from personalize_deletion_runtime.scopes import ENVIRONMENT_VARIABLE as SCOPES_VARIABLE

from constructs import Construct

from .acknowledgements import acknowledge_findings, flatten_resources, wildcard_finding_id
from .grants import grant_job_management, grant_preflight, grant_put_job_events
from .job_events import refuse_nested_prefixes, refuse_shared_request_name
from .lambda_environment import EnvironmentSizeCheck
from .list_assets import ListAssets
from .packaging import RUNTIME_PACKAGE, handler_code
from .provider_findings import acknowledge_framework_findings
from .provider_settings import (
    CLOUDFORMATION_CAP_SECONDS,
    DEFAULT_QUERY_INTERVAL,
    DEFAULT_TOTAL_TIMEOUT,
    SERVICE_TIMEOUT_SLACK_SECONDS,
    ProviderSettings,
    ProviderSettingsError,
)
from .round_trips import add_to_principal_policy
from .source_policies import SourceReadPolicies
from .stack_shared import stack_shared
from .tracker import DeletionTracker

__all__ = [
    "CLOUDFORMATION_CAP_SECONDS",
    "DEFAULT_QUERY_INTERVAL",
    "DEFAULT_TOTAL_TIMEOUT",
    "ON_EVENT_MEMORY_MB",
    "PROVIDER_ID",
    "SERVICE_TIMEOUT_SLACK_SECONDS",
    "DeletionJobProvider",
    "ProviderSettings",
    "ProviderSettingsError",
]

PROVIDER_ID = "PersonalizeDataDeletionProvider"
ON_EVENT_MEMORY_MB = 1024
"""``on_event`` validates and stages lists of up to 100 MB; Lambda's CPU share follows memory
(the benchmark estimates validation throughput at this size)."""


class _CommonFunctionProps(TypedDict):
    """The ``lambda_.Function`` properties both handlers share."""

    runtime: lambda_.Runtime
    architecture: lambda_.Architecture
    code: lambda_.Code
    role: iam.IRole
    logging_format: lambda_.LoggingFormat
    environment: dict[str, str]


class _FunctionName(TypedDict):
    """A handler's ``function_name`` and its ``log_group`` (see ``DeletionJobProvider._named``)."""

    function_name: str
    log_group: logs.ILogGroup


class DeletionJobProvider(Construct):
    """Lambda handlers and the Provider framework behind every deletion request of a stack.

    Get the stack's one provider with :meth:`of`; ``PersonalizeDataDeletion`` does.

    :param scope: the stack.
    :param construct_id: the provider's id in the stack.
    :param settings: how the provider polls.
    :param tracker: the stack's tracker, to which what the deployment does not wait for is
        handed.
    """

    @classmethod
    def of(
        cls, scope: Construct, settings: ProviderSettings, tracker: DeletionTracker
    ) -> DeletionJobProvider:
        """Return the stack's provider, creating it on first use.

        :param scope: any construct of the stack.
        :param settings: the provider's settings; they must equal those of an existing provider.
        :param tracker: the stack's tracker (a singleton too): what the deployment does not wait
            for is handed to it.
        """
        return stack_shared(
            scope,
            PROVIDER_ID,
            DeletionJobProvider,
            settings,
            lambda stack: cls(stack, PROVIDER_ID, settings=settings, tracker=tracker),
            error=ProviderSettingsError,
            what="provider",
        )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ProviderSettings,
        tracker: DeletionTracker,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.tracker = tracker
        self._granted_asset_buckets: set[str] = set()
        self._granted_prefixes: set[str] = set()
        self._scopes: list[dict[str, object]] = []
        self._request_names: dict[tuple[str, str], str] = {}
        self._preflight_granted = False
        stack = Stack.of(self)
        self.list_assets = ListAssets(stack)
        """Local lists of every request of the stack, as file assets."""
        self._stack = stack
        # Read once: grants per assets bucket and DELETION_SCOPES use them.
        self._partition, self._region, self._account = Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID
        self._assets_served: object = None
        self.role = iam.Role(
            self,
            "HandlerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Starts and polls Amazon Personalize data deletion jobs",
        )
        self.source_reads = SourceReadPolicies(self.role)
        """Where requests reading the user's S3 objects grant the handlers those reads."""
        common: _CommonFunctionProps = {
            "runtime": lambda_.Runtime.PYTHON_3_14,
            "architecture": lambda_.Architecture.ARM_64,
            "code": handler_code(),
            "role": self.role,
            "logging_format": lambda_.LoggingFormat.JSON,
            "environment": {
                HANDLER_DEADLINE_VARIABLE: str(settings.handler_deadline_seconds),
                TRACKER_STATE_MACHINE_VARIABLE: tracker.state_machine_arn,
                TRACKING_TIMEOUT_VARIABLE: str(int(tracker.settings.timeout_seconds)),
            },
        }
        self.on_event = lambda_.Function(
            self,
            "OnEvent",
            handler=f"{RUNTIME_PACKAGE.name}.handlers.on_event",
            **self._named("OnEvent"),
            description="Validates and stages a deletion list, then starts the deletion job",
            # Staging streams up to the input limit through /tmp: room for the spill files
            # used for de-duplication and for the canonical copy.
            memory_size=ON_EVENT_MEMORY_MB,
            ephemeral_storage_size=Size.mebibytes(2048),
            timeout=Duration.minutes(10),
            **common,
        )
        self.is_complete = lambda_.Function(
            self,
            "IsComplete",
            handler=f"{RUNTIME_PACKAGE.name}.handlers.is_complete",
            **self._named("IsComplete"),
            description="Polls a data deletion job, purges staged input, writes the receipt",
            memory_size=256,
            timeout=Duration.minutes(2),
            **common,
        )
        for function in (self.on_event, self.is_complete):
            # Our own role (shared by both handlers) gets no AWS managed policy (the basic
            # execution role would write to any log group): only its own log groups.
            function.log_group.grant_write(self.role)
        tracker.grant_start(self.role)
        grant_put_job_events(self.role)
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.on_event,
            is_complete_handler=self.is_complete,
            query_interval=settings.query_interval,
            total_timeout=settings.total_timeout,
            log_group=self._log_group("FrameworkLogs"),
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=self._log_group("WaiterLogs"),
                level=sfn.LogLevel.ALL,
                # Execution data would copy resource properties into another log group.
                include_execution_data=False,
            ),
        )
        acknowledge_framework_findings(self.provider, [self.on_event, self.is_complete])
        self.service_token = self.provider.service_token
        """The ServiceToken every deletion custom resource of the stack uses (read once)."""
        # Once every construct of the stack is served: DELETION_SCOPES grows with each.
        self.node.add_validation(EnvironmentSizeCheck(self))

    @property
    def served(self) -> list[dict[str, object]]:
        """Every ``PersonalizeDataDeletion`` construct the handlers serve, as written into
        ``DELETION_SCOPES``."""
        return self._scopes

    def grant_list_assets(self, bucket_name: str, identity: str) -> None:
        """Let the handlers read list assets in ``bucket_name`` and, once a job ended, replace
        one with a tombstone and delete the version that held the ids: one statement per role
        and assets bucket, whatever the number of requests.

        Asset keys follow job names (or content hashes), so naming each key would grow the
        policies (two statements) with every request; ``*.csv`` in the assets bucket is the
        narrowest pattern that stays constant. The handlers write there only at the key of the
        list they read and validated against the request's ``ContentSha256``.

        :param bucket_name: the assets bucket.
        :param identity: what tells assets buckets apart (granted once per identity).
        """
        if identity in self._granted_asset_buckets:
            return
        self._granted_asset_buckets.add(identity)
        lists = f"arn:{self._partition}:s3:::{bucket_name}/*.csv"
        add_to_principal_policy(
            self.role, iam.PolicyStatement(actions=["s3:GetObject"], resources=[lists])
        )
        (flat,) = flatten_resources(self._stack, [lists])
        for role in (self.role, self.tracker.function_role):
            add_to_principal_policy(
                role,
                iam.PolicyStatement(
                    actions=["s3:PutObject", "s3:DeleteObjectVersion"], resources=[lists]
                ),
            )
            acknowledge_findings(
                role,
                [
                    (
                        wildcard_finding_id(flat),
                        "Local lists are CDK file assets named after their jobs in the assets "
                        "bucket; *.csv there is the narrowest grant that does not grow the policy "
                        "with every request. Writes: a tombstone at, and the deletion of, the "
                        "version of the one list whose job ended.",
                    )
                ],
            )
        if self.list_assets.location != self._assets_served:
            self._write_scopes()

    def serve(
        self,
        *,
        scope_id: str,
        job_name_prefix: str,
        bucket_name: str,
        role_arn: str,
        max_input_bytes: int,
        purge_staged_input: bool,
    ) -> None:
        """Let the handlers act for one ``PersonalizeDataDeletion`` construct, and only so.

        The handlers (and the tracker's step) read what they serve from their environment:
        requests name their construct (``Scope``) and take its prefix, bucket, role, limit and
        purge setting from there; a request naming another scope, or (in the older shape)
        another prefix, bucket, role or a larger limit, or a dataset group outside this stack's
        account and region, is refused.

        :param scope_id: the construct's path in the stack, which its requests name.
        :param job_name_prefix: the construct's job name prefix.
        :param bucket_name: the construct's bucket.
        :param role_arn: the construct's Personalize service role.
        :param max_input_bytes: the construct's list size limit.
        :param purge_staged_input: whether the construct's staged lists are deleted once their
            job ended.
        """
        refuse_nested_prefixes(self._scopes, scope_id, job_name_prefix)
        self._scopes.append(
            {
                "id": scope_id,
                "prefix": job_name_prefix,
                "bucket": bucket_name,
                "roleArn": role_arn,
                "maxInputBytes": max_input_bytes,
                "purgeStagedInput": purge_staged_input,
            }
        )
        self._write_scopes()

    def claim_request(self, scope_id: str, job_name_prefix: str, request_name: str) -> None:
        """Refuse a request name that a construct sharing the prefix declared in this stack:
        both would compose one job name (see :func:`refuse_shared_request_name`).

        :param scope_id: the declaring construct's path in the stack.
        :param job_name_prefix: its job name prefix.
        :param request_name: the request it declares.
        """
        refuse_shared_request_name(self._request_names, scope_id, job_name_prefix, request_name)

    def _write_scopes(self) -> None:
        """The handlers' ``DELETION_SCOPES``: rewritten whole when a construct is served or the
        stack's assets location becomes known (never per request)."""
        location = self.list_assets.location
        self._assets_served = location
        value: dict[str, object] = {
            "partition": self._partition,
            "region": self._region,
            "account": self._account,
            "scopes": self._scopes,
        }
        if location is not None:
            value["assets"] = {"bucket": location.bucket, "keyPrefix": location.key_prefix}
        text = self._stack.to_json_string(value)
        for function in (self.on_event, self.is_complete, self.tracker.function):
            function.add_environment(SCOPES_VARIABLE, text)

    def grant_preflight(self) -> None:
        """Let the handlers and the tracker's step list what runs on dataset groups (once)."""
        if self._preflight_granted:
            return
        self._preflight_granted = True
        for role in (self.role, self.tracker.function_role):
            grant_preflight(role)

    def grant_job_management(self, job_name_prefix: str) -> None:
        """Let the handlers create, describe and list jobs named with ``job_name_prefix``.

        :param job_name_prefix: a construct's job name prefix (granted once per prefix).
        """
        if job_name_prefix in self._granted_prefixes:
            return
        self._granted_prefixes.add(job_name_prefix)
        grant_job_management(self.role, job_name_prefix, list_jobs=len(self._granted_prefixes) == 1)

    def _log_group(self, construct_id: str, name: str | None = None) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            construct_id,
            log_group_name=name,
            retention=self.settings.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def _named(self, suffix: str) -> _FunctionName:
        """A function name and a log group at Lambda's default ``/aws/lambda/<name>``.

        A failure reason the Provider framework writes ends with ``Logs: /aws/lambda/<function
        name>``: with its own log group elsewhere, that pointer would lead nowhere. The name is
        derived from the construct path (unique in the app, at most 64 characters).
        """
        name = (
            Names.unique_resource_name(self, max_length=63 - len(suffix), separator="-")
            + f"-{suffix}"
        )
        return {
            "function_name": name,
            "log_group": self._log_group(f"{suffix}Logs", name=f"/aws/lambda/{name}"),
        }
