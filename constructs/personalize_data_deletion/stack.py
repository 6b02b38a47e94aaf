"""A ready stack that deploys the deletion requests of a request file."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_sns as sns

from constructs import Construct

from .deletion import DeletionConfigError, PersonalizeDataDeletion
from .request_file import load_requests
from .sources import UserList


class DeletionRequestsStack(Stack):
    """One ``PersonalizeDataDeletion`` and one request per entry of ``request_file``.

    Outputs per request: job ARN, job name, status, numDeleted, the tracker execution that
    follows a handed-off job, and the receipt's location (never user ids). With
    ``notification_topic_arn``, every job event also goes to that SNS topic (its policy must let
    ``events.amazonaws.com`` publish: an imported topic's policy is not changed here).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        request_file: str | Path,
        default_dataset_group_arn: str | None = None,
        notification_topic_arn: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        specs = load_requests(request_file)
        for spec in specs:
            if spec.dataset_group_arn is None and default_dataset_group_arn is None:
                raise DeletionConfigError(
                    f"request {spec.name!r} has no datasetGroupArn: set it in the request file or "
                    "pass -c datasetGroupArn=arn:...:dataset-group/NAME"
                )
        topic = (
            sns.Topic.from_topic_arn(self, "NotificationTopic", notification_topic_arn)
            if notification_topic_arn
            else None
        )
        self.deletion = PersonalizeDataDeletion(self, "UserDeletion", notification_topic=topic)
        for spec in specs:
            job = self.deletion.delete_users(
                spec.name,
                dataset_group_arn=(
                    default_dataset_group_arn
                    if spec.dataset_group_arn is None
                    else spec.dataset_group_arn
                ),
                users=UserList.from_csv(spec.users),
                tags=spec.tags,
                completion=spec.completion,
            )
            outputs = {
                "JobArn": job.job_arn,
                "JobName": job.job_name,
                "Status": job.status,
                "NumDeleted": job.num_deleted,
                "TrackedBy": job.tracked_by,
                "ReceiptUri": job.receipt_uri,
            }
            for attribute, value in outputs.items():
                CfnOutput(job, attribute, value=value, description=f"{spec.name}: {attribute}")
