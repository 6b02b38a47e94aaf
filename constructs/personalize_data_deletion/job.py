"""One deletion request: a single custom resource and its attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CustomResource

from constructs import Construct

from .sources import UserList

if TYPE_CHECKING:
    from .deletion import PersonalizeDataDeletion

RESOURCE_TYPE = "Custom::PersonalizeDataDeletionJob"


class DeletionJob(Construct):
    """A data deletion job as a CloudFormation resource.

    Its properties carry locations and settings, never user ids. Its attributes resolve once the
    job is COMPLETED: ``job_arn``, ``job_name``, ``status`` and ``num_deleted``.
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.request_name = construct_id
        source = users.bind(
            self,
            request_name=construct_id,
            provider=deletion.provider,
            limits=deletion.limits,
        )
        properties: dict[str, object] = {
            "RequestName": construct_id,
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
        """Final status reported by Personalize (COMPLETED when the deployment succeeds)."""
        return self.resource.get_att_string("Status")

    @property
    def num_deleted(self) -> str:
        """``numDeleted`` reported by Personalize, as a string (CloudFormation attributes are)."""
        return self.resource.get_att_string("NumDeleted")
