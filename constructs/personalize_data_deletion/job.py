"""One deletion request: a single custom resource and its attributes.

A job gets what it shares with the other requests of its construct as one explicit value,
:class:`RequestScope`, not the construct itself: the job depends on the provider and a few
settings, never on ``PersonalizeDataDeletion`` (which imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

from aws_cdk import CfnResource, Token
from personalize_deletion_runtime.properties import HAND_OFF, SCOPE
from personalize_deletion_runtime.request_rules import compose_job_name
from personalize_deletion_runtime.user_list import Limits

from constructs import Construct

from .few_ids import FEW_IDS, FewIdsWarning
from .list_assets import is_token
from .provider import DeletionJobProvider
from .settings import RequestSettings
from .sources import JobNamer

RESOURCE_TYPE = "Custom::PersonalizeDataDeletionJob"


@dataclass(frozen=True)
class RequestScope:
    """What every request of one ``PersonalizeDataDeletion`` shares, built once by it.

    :param provider: the stack's shared provider: its service token is the resource's, its
        settings bound the completion wait, and local lists become its assets.
    :param scope_id: the construct's path in its stack, which requests name as their
        ``Scope`` (the handlers find the construct's bucket, role and prefix by it).
    :param job_name_prefix: first part of every job name of the construct.
    :param limits: what a local list may hold (the construct's ``max_input_bytes``).
    :param few_ids: the construct's warning for local lists of few ids.
    """

    provider: DeletionJobProvider
    scope_id: str
    job_name_prefix: str
    limits: Limits
    few_ids: FewIdsWarning


class _Attribute:
    """A string attribute of a job's resource, read as ``job.<name>``: a token in the template
    (``Fn::GetAtt``) that CloudFormation resolves once the deployment is done with the job."""

    def __init__(self, attribute: str, doc: str) -> None:
        self.attribute = attribute
        self.__doc__ = doc

    @overload
    def __get__(self, job: None, owner: type[Any]) -> _Attribute: ...
    @overload
    def __get__(self, job: DeletionJob, owner: type[Any]) -> str: ...
    def __get__(self, job: DeletionJob | None, owner: type[Any]) -> _Attribute | str:
        if job is None:
            return self
        return Token.as_string(job.resource.get_att(self.attribute))

    def __set__(self, job: DeletionJob, value: object) -> None:
        """Read-only, like a property without a setter: CloudFormation sets the value."""
        raise AttributeError(f"{self.attribute} is set by CloudFormation, not assigned")


class DeletionJob(Construct):
    """A data deletion job as a CloudFormation resource.

    Its properties carry what identifies the request (name, construct, dataset group, the list's
    hash or location) and the settings it overrides, never user ids: what every request of a
    construct shares (role, bucket, prefix, limits) is in the handlers' environment, so each
    request costs the template only its own bytes. Its attributes resolve when
    the deployment is done with the request: either the job ended in time (``status``
    COMPLETED, ``num_deleted`` a count, ``tracked_by`` ``none``), or it was handed to the
    tracker (``status`` PENDING, IN_PROGRESS or QUEUED, ``num_deleted`` ``pending``,
    ``tracked_by`` the execution ARN). ``receipt_uri`` says where the receipt is or will be.

    Declare jobs with :meth:`PersonalizeDataDeletion.delete_users` (or
    ``delete_users_from_groups``), which checks the settings and builds these props.

    :param scope: the construct the job belongs to (the deletion construct, or a request's
        container when it fans out).
    :param construct_id: the job's id: the request name, or its dataset group's name.
    :param request_scope: what the job shares with the construct's other requests.
    :param dataset_group_arn: the dataset group's ARN (a token for a group of the app).
    :param settings: the request's checked settings (its name, list, tags, completion,
        pre-flight, retraining and follow-up), one value whatever its number of groups.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        request_scope: RequestScope,
        dataset_group_arn: str,
        settings: RequestSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.request_name = settings.request_name
        """The request this job belongs to (several jobs share it when it fans out)."""
        self.dataset_group_arn = dataset_group_arn
        # A fanned-out job's list is its own asset object (removed when this job ends).
        label = (
            None if construct_id == self.request_name else f"{self.request_name} ({construct_id})"
        )
        source = settings.users.bind(
            self,
            request_name=self.request_name,
            provider=request_scope.provider,
            limits=request_scope.limits,
            job_name=_job_namer(
                request_scope.job_name_prefix, self.request_name, dataset_group_arn
            ),
            label=label,
        )
        provider = request_scope.provider
        properties: dict[str, object] = {"ServiceToken": provider.service_token}
        service_timeout = provider.settings.request_service_timeout
        if service_timeout is not None:
            properties["ServiceTimeout"] = service_timeout
        properties.update(
            {
                "RequestName": self.request_name,
                SCOPE: request_scope.scope_id,
                "DatasetGroupArn": dataset_group_arn,
            }
        )
        if source.properties is not None:
            properties["Source"] = source.properties
        if source.content_sha256 is not None:
            # Names the job (with the request and the group) and shows a reviewer of `cdk diff`
            # whether the list changed; an unchanged list leaves it unchanged. The id count is
            # not a property (22 template bytes per request): ``user_count`` gives it to outputs.
            properties["ContentSha256"] = source.content_sha256
        self.content_sha256 = source.content_sha256
        """The canonical list's SHA-256 for a local list, else ``None`` (read at deploy)."""
        self.user_count = source.user_count
        """How many distinct ids a local list deletes, else ``None``: for an output's
        description, which `cdk diff` shows for an added request (request-file stacks do so)."""
        if source.user_count is not None and source.user_count < FEW_IDS:
            request_scope.few_ids.add(self.request_name, source.user_count)
        if settings.tags:
            properties["Tags"] = settings.tags
        completion, retrain = settings.completion, settings.retrain
        if completion.policy != HAND_OFF:  # absent means HAND_OFF to the handler
            properties["Completion"] = completion.policy
        if not settings.preflight:
            properties["Preflight"] = "false"
        if settings.follow_up:
            properties["FollowUp"] = "true"
        if retrain.enabled:
            properties["Retrain"] = retrain.policy
            if retrain.solution_arns:
                properties["RetrainSolutions"] = list(retrain.solution_arns)
            if not retrain.update_campaigns:
                properties["UpdateCampaigns"] = "false"
        wait_seconds = completion.wait_seconds(provider.settings.handler_deadline_seconds)
        if wait_seconds is not None:
            properties["WaitSeconds"] = str(wait_seconds)
        self.completion = completion
        # The L1 resource itself: no DeletionPolicy/UpdateReplacePolicy (CloudFormation's
        # default, Delete, is what a custom resource gets anyway), one jsii call. Its id keeps
        # the logical id of the CustomResource this used to be (``Default`` is hidden in ids).
        self.resource = CfnResource(self, "Resource", type=RESOURCE_TYPE, properties=properties)

    # What the deployment resolves once it is done with the job (``help()`` shows each).
    job_arn = _Attribute("JobArn", "ARN of the data deletion job.")
    job_name = _Attribute("JobName", "Job name: prefix, request name and an identity digest.")
    status = _Attribute("Status", "COMPLETED if it ended in time, else PENDING/IN_PROGRESS/QUEUED.")
    num_deleted = _Attribute("NumDeleted", "``numDeleted`` as a string; ``pending`` if tracked.")
    tracked_by = _Attribute("TrackedBy", "ARN of the tracker's execution for the job, or ``none``.")
    receipt_uri = _Attribute("ReceiptUri", "``s3://<bucket>/receipts/<job>.json``, once it ended.")


def _job_namer(prefix: str, request_name: str, dataset_group_arn: str) -> JobNamer:
    """The job's name for a list's hash, as the handler will compose it (``None`` for a
    dataset group that is a token: its ARN, hence the name, is known at deploy time only)."""
    if is_token(dataset_group_arn):
        return lambda _sha256: None
    return lambda sha256: compose_job_name(prefix, request_name, dataset_group_arn, sha256)
