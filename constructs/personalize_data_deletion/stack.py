"""Ready stacks for request files: one stack per account and region, inside a CDK ``Stage``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, Environment, Stack, Stage, Token
from aws_cdk import aws_sns as sns
from personalize_deletion_requests import (
    MAX_JOBS_PER_STACK,
    Job,
    RequestFileError,
    placement_path,
    plan,
    read_pins,
)
from personalize_deletion_requests import Environment as RequestEnvironment
from personalize_deletion_requests.placement import read_jobs

from constructs import Construct

from .deletion import PersonalizeDataDeletion
from .errors import DeletionConfigError
from .request_file import declare
from .settings import whole_number

DEFAULT_STACK_NAME = "PersonalizeDataDeletion"
TOPIC_ARN = re.compile(r"arn:[a-z0-9-]+:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}(?:\.fifo)?")
"""An SNS topic ARN; its groups are the region and the account."""


def topic_environment(arn: object) -> RequestEnvironment | None:
    """The account and region of ``notification_topic_arn``, or ``None`` where none is given
    (or, a token, where it is unknown until deploy); a malformed ARN is refused, naming it,
    rather than dropped or left for jsii to reject."""
    if arn is None or arn == "":
        return None
    if not isinstance(arn, str):
        raise TypeError(f"notification_topic_arn must be a string, not {type(arn).__name__}")
    if Token.is_unresolved(arn):
        return None
    found = TOPIC_ARN.fullmatch(arn)
    if found is None:
        raise DeletionConfigError(
            f"notification_topic_arn {arn!r} is not an SNS topic ARN (arn:<partition>:sns:"
            "<region>:<12-digit account>:<topic name>); copy the topic's ARN from SNS"
        )
    region, account = found.groups()
    return RequestEnvironment(account, region)


def resolve_request_file(
    request_file: str | Path,
    *,
    default_dataset_group_arn: str | None = None,
    default_environment: RequestEnvironment | None = None,
) -> list[Job]:
    """Every job a request file (manifest or folder) declares, or :class:`RequestFileError`
    listing every problem (files, lists and dataset groups alike).

    :param request_file: a manifest (JSON or YAML) or a folder of request files.
    :param default_dataset_group_arn: the group of requests that name none. Default: none
        (such a request is a problem).
    :param default_environment: where dataset groups given by name are, unless the file says.
        Default: none.
    """
    _, jobs, problems = read_jobs(
        request_file,
        default_environment=default_environment,
        default_dataset_group_arn=default_dataset_group_arn,
    )
    if problems:
        raise RequestFileError(problems)
    return jobs


class DeletionRequestsStack(Stack):
    """One ``PersonalizeDataDeletion`` and the jobs of a request file, in one environment.

    Give ``jobs`` (what :class:`DeletionRequestsStage` does) or ``request_file``.

    Outputs per job: job ARN, job name, status, numDeleted, the tracker execution that follows
    a handed-off job, and the receipt's location (never user ids).

    :param scope: the app or stage.
    :param construct_id: the stack's id.
    :param request_file: a request file (manifest or folder); every job of the file must then
        be in this stack's account and region. Default: none (give ``jobs``).
    :param jobs: resolved jobs, all of this stack's environment. Default: none (give
        ``request_file``).
    :param default_dataset_group_arn: with ``request_file``, the group of requests that name
        none. Default: none.
    :param notification_topic_arn: an SNS topic that also receives every job event (its policy
        must let ``events.amazonaws.com`` publish: an imported topic's policy is not changed
        here); a malformed ARN is refused. Default: none.
    :param kwargs: the ``Stack`` props (``env``, ``stack_name``, ``description``...).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        request_file: str | Path | None = None,
        jobs: Sequence[Job] | None = None,
        default_dataset_group_arn: str | None = None,
        notification_topic_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if (request_file is None) == (jobs is None):
            raise TypeError("give exactly one of request_file and jobs")
        topic_environment(notification_topic_arn)  # checked: a malformed ARN is refused
        if jobs is None:
            assert request_file is not None  # exactly one of the two, checked above
            jobs = resolve_request_file(
                request_file,
                default_dataset_group_arn=default_dataset_group_arn,
                default_environment=self._environment(),
            )
        topic = (
            sns.Topic.from_topic_arn(self, "NotificationTopic", notification_topic_arn)
            if notification_topic_arn
            else None
        )
        self.deletion = PersonalizeDataDeletion(self, "UserDeletion", notification_topic=topic)
        for job in declare(self.deletion, jobs):
            outputs = {
                "JobArn": job.job_arn,
                "JobName": job.job_name,
                "Status": job.status,
                "NumDeleted": job.num_deleted,
                "TrackedBy": job.tracked_by,
                "ReceiptUri": job.receipt_uri,
            }
            label = job.request_name + (
                "" if job.node.id == job.request_name else f" in {job.node.id}"
            )
            # `cdk diff` shows an added resource by type alone, but an added output with its
            # description: the count and hash make a new request's list reviewable (no ids).
            reviewed = (
                f" ({job.user_count} users, list SHA-256 {job.content_sha256})"
                if job.content_sha256 is not None
                else ""
            )
            for attribute, value in outputs.items():
                described = f"{label}: {attribute}" + (reviewed if attribute == "JobName" else "")
                CfnOutput(job, attribute, value=value, description=described)

    def _environment(self) -> RequestEnvironment | None:
        if Token.is_unresolved(self.account) or Token.is_unresolved(self.region):
            return None
        return RequestEnvironment(self.account, self.region)


class DeletionRequestsStage(Stage):
    """Every job of a request file, in one stack per (account, region), inside one ``Stage``.

    A job runs in its dataset group's account and region, so each environment gets its own
    stack, deployed with ``cdk deploy --all`` or as a CDK Pipelines stage. An environment with
    more jobs than one stack carries gets further stacks, ``<stack_name>-2`` and so on, filled
    in declaration order (a placement file keeps every recorded job in its stack).

    :param scope: the app (or a parent stage).
    :param construct_id: the stage's id.
    :param request_file: a manifest (JSON or YAML) or a folder of request files.
    :param default_dataset_group_arn: the group of requests that name none. Default: none.
    :param default_environment: where dataset groups given by name go when neither the request
        nor its file lists environments. Default: none.
    :param notification_topic_arn: an SNS topic that receives every job event; used by the
        stacks of its own account and region, and the others get a warning saying so (an ARN
        that is malformed, a token, or in no environment of the jobs is refused). Default: none.
    :param stack_name: name of each environment's first stack. Default:
        ``PersonalizeDataDeletion``, the name the app's single stack always had.
    :param jobs_per_stack: most jobs in one stack, 1 to :data:`MAX_JOBS_PER_STACK`. Default:
        :data:`MAX_JOBS_PER_STACK`.
    :param description: of every stack. Default: none.
    :param kwargs: the ``Stage`` props (``env``, ``outdir``...).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        request_file: str | Path,
        default_dataset_group_arn: str | None = None,
        default_environment: RequestEnvironment | None = None,
        notification_topic_arn: str | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
        jobs_per_stack: int = MAX_JOBS_PER_STACK,
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        whole_number(
            jobs_per_stack,
            "jobs_per_stack",
            (1, MAX_JOBS_PER_STACK),
            "a stack holds at most 200 outputs, six per job",
            error=ValueError,
        )
        jobs = resolve_request_file(
            request_file,
            default_dataset_group_arn=default_dataset_group_arn,
            default_environment=default_environment,
        )
        if notification_topic_arn is not None and Token.is_unresolved(notification_topic_arn):
            raise DeletionConfigError(
                "notification_topic_arn must be known at synth, not a token: the stage gives "
                "the topic to the stacks of its account and region; pass the ARN itself"
            )
        topic_at = topic_environment(notification_topic_arn)
        self.stacks: list[DeletionRequestsStack] = []
        pins = read_pins(placement_path(request_file))
        planned = plan(jobs, jobs_per_stack, pins)
        if topic_at is not None and planned and topic_at not in planned:
            raise DeletionConfigError(
                f"notification_topic_arn {notification_topic_arn!r} is in account "
                f"{topic_at.account}, region {topic_at.region}, where no job of the request "
                "file runs, so no job event would reach it (the stage gives a topic the events "
                "of its own account and region); name a topic in "
                + " or ".join(f"account {e.account}, region {e.region}" for e in planned)
            )
        for environment, shards in planned.items():
            for index, shard in enumerate(shards):
                suffix = "" if index == 0 else f"-{index + 1}"
                topic = notification_topic_arn if environment == topic_at else None
                self.stacks.append(
                    DeletionRequestsStack(
                        self,
                        f"{environment.account}-{environment.region}{suffix}",
                        jobs=shard,
                        notification_topic_arn=topic,
                        stack_name=f"{stack_name}{suffix}",
                        env=Environment(account=environment.account, region=environment.region),
                        description=description,
                    )
                )
                if topic_at is not None and topic is None:
                    Annotations.of(self.stacks[-1]).add_warning_v2(
                        "@personalize-data-deletion/notification-topic-elsewhere",
                        f"notification_topic_arn {notification_topic_arn!r} is in account "
                        f"{topic_at.account}, region {topic_at.region}: the job events of this "
                        f"stack (account {environment.account}, region {environment.region}) "
                        "are not sent to it; the stage gives a topic the events of its own "
                        "account and region",
                    )
