"""The tracker: one Step Functions standard state machine per stack that follows jobs to their end.

CloudFormation waits at most an hour for a custom resource; a data deletion job can take a day.
What the deployment cannot wait for is handed to this tracker: one execution per job (named
after the job, so a repeated hand-off finds the execution that already follows it), polling on
a managed engine that runs for up to a year, with no Lambda invocation per poll.

Like the provider it is a singleton per stack (``Stack.of(scope).node.try_find_child``), so the
k-th request adds one resource, not a tracker.

Removal while tracked: a running execution needs its state machine, its Lambda step, their
roles and policies, the Personalize service role and the deletion bucket. Deleting the stack (or
rolling back the deployment that created it) must not take them away from a job still being
followed, so they are all retained (``DeletionPolicy: Retain``); the README says how to remove
them once ``ListExecutions --status-filter RUNNING`` is empty.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import cast

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from personalize_deletion_runtime.environment import TRACKING_TIMEOUT_VARIABLE
from personalize_deletion_runtime.notifications import (
    JOBS_COMPLETED,
    JOBS_FAILED,
    JOBS_STUCK,
    METRIC_DIMENSION,
    METRIC_NAMESPACE,
)

from constructs import Construct, IConstruct

from .acknowledgements import acknowledge, acknowledge_wildcard_resource
from .durations import DurationSettings, PollingRule, readable
from .grants import grant_job_management, grant_put_job_events, grant_retraining
from .packaging import RUNTIME_PACKAGE, handler_code
from .round_trips import add_to_principal_policy
from .stack_shared import stack_shared
from .tracker_definition import (
    EVENTS_PER_READ,
    MAX_HISTORY_EVENTS,
    MAX_READS_PER_RUN,
    longest_tracking_timeout,
    reads_per_run,
    tracker_definition,
)

TRACKER_ID = "PersonalizeDataDeletionTracker"
DEFAULT_TRACKING_INTERVAL = Duration.minutes(10)
DEFAULT_TRACKING_TIMEOUT = Duration.hours(36)


def retain_role(role: iam.Role) -> None:
    """Keep a role and its default policy when the stack goes: a running execution needs them."""
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    # A Policy applies it to its CfnPolicy, as the role does to its CfnRole (two fewer round
    # trips than reading the default child here).
    cast(iam.Policy, role.node.find_child("DefaultPolicy")).apply_removal_policy(
        RemovalPolicy.RETAIN
    )


class TrackerSettingsError(ValueError):
    """Tracker settings the engine or the product cannot honour."""


TRACKING_RULE = PollingRule(
    (60, 3600),
    "reads cost state transitions; Personalize jobs take minutes to hours",
    TrackerSettingsError,
    at_least=3600,
)


@dataclass(frozen=True, eq=False)
class TrackerSettings(DurationSettings):
    """How the stack's tracker follows jobs; one value per stack because the tracker is shared.

    ``interval``: time between two status reads of a job (default 10 minutes: a job takes
    minutes to a day, and each read costs three state transitions). ``timeout``: how long a job
    is followed before the tracker reports it as stuck (default 36 hours, above Personalize's
    "up to a day"). Settings are equal when their durations are (jsii's ``Duration`` objects
    compare by identity).

    :param interval: time between two status reads of a job, 1 minute to 1 hour. Default: 10
        minutes.
    :param timeout: how long a job is followed before it is reported as stuck, at most 887
        intervals (Step Functions' history holds 25,000 events). Default: 36 hours.
    :param log_retention: of the tracker's log groups. Default: one year.
    """

    _duration_names = ("tracking_interval", "tracking_timeout")

    interval: Duration = DEFAULT_TRACKING_INTERVAL
    timeout: Duration = DEFAULT_TRACKING_TIMEOUT
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        interval, timeout = self._read(TRACKING_RULE)
        reads = reads_per_run(interval, timeout)
        if reads > MAX_READS_PER_RUN:
            longest = longest_tracking_timeout(int(interval))
            slowest = math.ceil(timeout / (MAX_READS_PER_RUN - 1))
            fix = (
                f" or raise tracking_interval to at least {readable(slowest)}"
                if slowest <= TRACKING_RULE.interval_bounds[1]
                else ""
            )
            # "three runs": PLANNED_RUNS, the runs one execution may follow in a row.
            raise TrackerSettingsError(
                f"tracking_timeout ({readable(timeout)}) takes up to {reads:,} status reads of "
                f"tracking_interval ({readable(interval)}) per run, and one tracker execution "
                "may follow three runs (the job, a follow-up job, retraining) at about "
                f"{EVENTS_PER_READ} history events per read, while Step Functions fails an "
                f"execution beyond {MAX_HISTORY_EVENTS:,} events: lower tracking_timeout to at "
                f"most {readable(longest)}{fix}"
            )

    @property
    def interval_seconds(self) -> float:
        """``interval`` in seconds, as read once (no jsii round trip)."""
        return self._seconds[0]

    @property
    def timeout_seconds(self) -> float:
        """``timeout`` in seconds, as read once (no jsii round trip)."""
        return self._seconds[1]


class DeletionTracker(Construct):
    """The stack's tracker: state machine, its Lambda step, roles, logs, metrics and alarms.

    Get the stack's one tracker with :meth:`of`; ``PersonalizeDataDeletion`` does.

    :param scope: the stack.
    :param construct_id: the tracker's id in the stack.
    :param settings: how the tracker follows jobs.
    """

    @classmethod
    def of(cls, scope: Construct, settings: TrackerSettings) -> DeletionTracker:
        """Return the stack's tracker, creating it on first use.

        :param scope: any construct of the stack.
        :param settings: the tracker's settings; they must equal those of an existing tracker.
        """
        return stack_shared(
            scope,
            TRACKER_ID,
            DeletionTracker,
            settings,
            lambda stack: cls(stack, TRACKER_ID, settings=settings),
            error=TrackerSettingsError,
            what="tracker",
        )

    def __init__(self, scope: Construct, construct_id: str, *, settings: TrackerSettings) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self._granted_prefixes: set[str] = set()
        self._retraining_granted = False
        self.function_role = iam.Role(
            self,
            "StepRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Submits queued Personalize data deletion jobs and records their end",
        )
        self.function = lambda_.Function(
            self,
            "Step",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            code=handler_code(),
            handler=f"{RUNTIME_PACKAGE.name}.handlers.track",
            description="Tracker steps: submit a queued deletion job, record its end, give up",
            role=self.function_role,
            memory_size=256,
            timeout=Duration.minutes(2),
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self._log_group("StepLogs"),
            # The limit of a follow-up job's run and of retraining, which the step starts.
            environment={TRACKING_TIMEOUT_VARIABLE: str(int(settings.timeout_seconds))},
        )
        self.function.log_group.grant_write(self.function_role)
        grant_put_job_events(self.function_role)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Runs the Personalize data deletion tracker",
        )
        add_to_principal_policy(
            self.role,
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.function.function_arn]
            ),
        )
        definition = tracker_definition(
            interval_seconds=int(settings.interval_seconds),
            timeout_seconds=int(settings.timeout_seconds),
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(json.dumps(definition, indent=1)),
            definition_substitutions={
                "TrackerFunctionArn": self.function.function_arn,
                "Partition": Aws.PARTITION,
            },
            role=self.role,
            comment="Follows Amazon Personalize data deletion jobs that outlive a deployment",
            logs=sfn.LogOptions(
                destination=self._log_group("Logs"),
                level=sfn.LogLevel.ALL,
                include_execution_data=False,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        # cfn-lint checks the definition string but not with its substitutions, and its ARN
        # pattern knows only the "aws" partition; the tests lint the substituted definition.
        cast(sfn.CfnStateMachine, self.state_machine.node.default_child).add_metadata(
            "cfn-lint", {"config": {"ignore_checks": ["E3601"]}}
        )
        self.function.apply_removal_policy(RemovalPolicy.RETAIN)
        for role in (self.function_role, self.role):
            retain_role(role)
        self.job_failed_alarm = self._alarm(
            "JobFailedAlarm",
            self.metric_jobs(JOBS_FAILED),
            "A Personalize data deletion job of this stack ended FAILED: its receipt and the "
            "job's failureReason say why",
        )
        self.tracking_alarm = self._alarm(
            "TrackingAlarm",
            self.metric_tracking_failures(),
            "The deletion tracker gave up on a job (stuck, or never accepted) or one of its "
            "executions failed, timed out or was stopped: the job's end is not recorded",
        )
        self._acknowledge_findings()

    @property
    def state_machine_arn(self) -> str:
        return self.state_machine.state_machine_arn

    def metric_jobs(self, metric_name: str) -> cloudwatch.Metric:
        """Jobs of this stack that ended with ``JobsCompleted``, ``JobsFailed``, ``JobsStuck``.

        :param metric_name: ``JobsCompleted``, ``JobsFailed`` or ``JobsStuck``.
        """
        if metric_name not in (JOBS_COMPLETED, JOBS_FAILED, JOBS_STUCK):
            raise ValueError(
                f"metric_name {metric_name!r}: use {JOBS_COMPLETED}, {JOBS_FAILED} or {JOBS_STUCK}"
            )
        return cloudwatch.Metric(
            namespace=METRIC_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={METRIC_DIMENSION: Aws.STACK_NAME},
            statistic="Sum",
            period=Duration.minutes(5),
        )

    def metric_tracking_failures(self) -> cloudwatch.MathExpression:
        """Executions that ended without recording a job's end: failed, timed out, aborted."""
        machine = self.state_machine
        return cloudwatch.MathExpression(
            expression="failed + timedOut + aborted",
            using_metrics={
                "failed": machine.metric_failed(statistic="Sum"),
                "timedOut": machine.metric_timed_out(statistic="Sum"),
                "aborted": machine.metric_aborted(statistic="Sum"),
            },
            label="Tracker executions without a recorded end",
            period=Duration.minutes(5),
        )

    def grant_job_management(self, job_name_prefix: str) -> None:
        """Let the tracker read (and its step create) jobs named with ``job_name_prefix``.

        :param job_name_prefix: a construct's job name prefix (granted once per prefix).
        """
        if job_name_prefix in self._granted_prefixes:
            return
        self._granted_prefixes.add(job_name_prefix)
        grant_job_management(
            self.function_role, job_name_prefix, list_jobs=len(self._granted_prefixes) == 1
        )
        job_arns = Stack.of(self).format_arn(
            service="personalize", resource=f"data-deletion-job/{job_name_prefix}-*"
        )
        add_to_principal_policy(
            self.role,
            iam.PolicyStatement(
                actions=["personalize:DescribeDataDeletionJob"], resources=[job_arns]
            ),
        )
        acknowledge_wildcard_resource(
            self.role,
            job_arns,
            "The tracker reads the status of jobs whose names are derived at deploy time; "
            "limited to names with this construct's prefix.",
        )

    def grant_retraining(self) -> None:
        """Let the tracker's step retrain solutions and update campaigns (once, when asked)."""
        if self._retraining_granted:
            return
        self._retraining_granted = True
        grant_retraining(self.function_role)

    def grant_start(self, grantee: iam.IGrantable) -> None:
        """Let ``grantee`` start executions and look up existing ones (idempotent hand-off).

        :param grantee: the provider's handlers' role.
        """
        stack = Stack.of(self)
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.state_machine.grant_start_execution(grantee)
        add_to_principal_policy(
            grantee.grant_principal,
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]),
        )
        acknowledge_wildcard_resource(
            cast(IConstruct, grantee.grant_principal),
            executions,
            "Execution names are the job names derived at deploy time; describing them is "
            "limited to this tracker's executions.",
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.Metric | cloudwatch.MathExpression,
        description: str,
    ) -> cloudwatch.Alarm:
        """Any one occurrence in five minutes; no data is no news. Actions are the user's."""
        return metric.create_alarm(
            self,
            construct_id,
            alarm_description=description,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    def _log_group(self, construct_id: str) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            construct_id,
            retention=self.settings.log_retention,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.state_machine,
            "AwsSolutions-SF2",
            "X-Ray tracing of the tracker adds cost without insight: each execution is a wait "
            "loop around one status read.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions log delivery (logs:CreateLogDelivery and related actions) accepts "
            "only '*' as resource.",
        )
