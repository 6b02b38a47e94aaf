"""One deletion request: a single custom resource and its attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CustomResource

from constructs import Construct

from .completion import Completion
from .retrain import Retrain
from .sources import UserList

if TYPE_CHECKING:
    from .deletion import PersonalizeDataDeletion

RESOURCE_TYPE = "Custom::PersonalizeDataDeletionJob"


class DeletionJob(Construct):
    """A data deletion job as a CloudFormation resource.

    Its properties carry locations and settings, never user ids. Its attributes resolve when
    the deployment is done with the request: either the job ended in time (``status``
    COMPLETED, ``num_deleted`` a count, ``tracked_by`` ``none``), or it was handed to the
    tracker (``status`` PENDING, IN_PROGRESS or QUEUED, ``num_deleted`` ``pending``,
    ``tracked_by`` the execution ARN). ``receipt_uri`` says where the receipt is or will be.
    """

    def __init__(
        self,
        scope: PersonalizeDataDeletion,
        construct_id: str,
        *,
        deletion: PersonalizeDataDeletion,
        dataset_group_arn: str,
        users: UserList,
        tags: dict[str, str],
        completion: Completion,
        preflight: bool = True,
        retrain: Retrain | None = None,
        follow_up: bool = False,
        request_name: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.request_name = construct_id if request_name is None else request_name
        """The request this job belongs to (several jobs share it when it fans out)."""
        self.dataset_group_arn = dataset_group_arn
        source = users.bind(
            self,
            request_name=self.request_name,
            provider=deletion.provider,
            limits=deletion.limits,
        )
        properties: dict[str, object] = {
            "RequestName": self.request_name,
            "DatasetGroupArn": dataset_group_arn,
            "RoleArn": deletion.service_role.role_arn,
            "Bucket": deletion.bucket.bucket_name,
            "Source": source.properties,
            "JobNamePrefix": deletion.job_name_prefix,
            "MaxInputBytes": str(deletion.limits.max_total_bytes),
            "PurgeStagedInput": str(deletion.purge_staged_input).lower(),
        }
        if tags:
            properties["Tags"] = tags
        if source.content_sha256 is not None:
            # What a reviewer of `cdk diff` needs: whether the list changed, and how many users
            # it deletes. Both follow from the list, so an unchanged list changes neither.
            properties["ContentSha256"] = source.content_sha256
            properties["UserCount"] = str(source.user_count)
        self.content_sha256 = source.content_sha256
        """The canonical list's SHA-256 for a local list, else ``None`` (read at deploy)."""
        self.user_count = source.user_count
        """How many distinct ids a local list deletes, else ``None``."""
        properties["Completion"] = completion.policy
        if not preflight:
            properties["Preflight"] = "false"
        if follow_up:
            properties["FollowUp"] = "true"
        if retrain is not None and retrain.enabled:
            properties["Retrain"] = retrain.policy
            if retrain.solution_arns:
                properties["RetrainSolutions"] = list(retrain.solution_arns)
            if not retrain.update_campaigns:
                properties["UpdateCampaigns"] = "false"
        wait_seconds = completion.wait_seconds(deletion.provider.settings.handler_deadline_seconds)
        if wait_seconds is not None:
            properties["WaitSeconds"] = str(wait_seconds)
        self.completion = completion
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=deletion.provider.service_token,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=deletion.provider.settings.service_timeout,
        )

    @property
    def job_arn(self) -> str:
        """ARN of the data deletion job."""
        return self.resource.get_att_string("JobArn")

    @property
    def job_name(self) -> str:
        """Deterministic job name: prefix, request name and an identity digest."""
        return self.resource.get_att_string("JobName")

    @property
    def status(self) -> str:
        """COMPLETED if the job ended in time; else PENDING, IN_PROGRESS or QUEUED (tracked)."""
        return self.resource.get_att_string("Status")

    @property
    def num_deleted(self) -> str:
        """``numDeleted`` as a string (CloudFormation attributes are); ``pending`` if tracked."""
        return self.resource.get_att_string("NumDeleted")

    @property
    def tracked_by(self) -> str:
        """ARN of the tracker execution that follows the job, or ``none``."""
        return self.resource.get_att_string("TrackedBy")

    @property
    def receipt_uri(self) -> str:
        """``s3://<bucket>/receipts/<job name>.json``: written once the job has ended."""
        return self.resource.get_att_string("ReceiptUri")
