"""A job's attributes are what CloudFormation resolves for its resource, and only that."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from personalize_data_deletion import DeletionJob, PersonalizeDataDeletion, UserList
from synth import ACCOUNT, DATASET_GROUP_ARN, REGION

pytestmark = pytest.mark.synth

ATTRIBUTES = {
    "job_arn": "JobArn",
    "job_name": "JobName",
    "status": "Status",
    "num_deleted": "NumDeleted",
    "tracked_by": "TrackedBy",
    "receipt_uri": "ReceiptUri",
}


def _job() -> tuple[cdk.Stack, DeletionJob]:
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=ACCOUNT, region=REGION))
    deletion = PersonalizeDataDeletion(stack, "Deletion")
    job = deletion.delete_users(
        "r1", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(["u-1"])
    )
    return stack, job


def test_each_attribute_is_a_get_att_of_the_jobs_resource() -> None:
    # GIVEN a declared job
    stack, job = _job()
    logical_id = stack.get_logical_id(job.resource)
    # WHEN its attributes are read
    resolved = {name: stack.resolve(getattr(job, name)) for name in ATTRIBUTES}
    # THEN each is a string token for the resource's attribute of that name
    assert resolved == {
        name: {"Fn::GetAtt": [logical_id, attribute]} for name, attribute in ATTRIBUTES.items()
    }
    assert all(isinstance(getattr(job, name), str) for name in ATTRIBUTES)


def test_attributes_are_read_only_and_documented() -> None:
    # GIVEN a declared job
    _, job = _job()
    # WHEN an attribute is assigned
    with pytest.raises(AttributeError) as refused:
        job.status = "COMPLETED"  # type: ignore[misc]
    # THEN it is refused, and every attribute says what it holds where help() shows it
    assert str(refused.value) == "Status is set by CloudFormation, not assigned"
    assert all(getattr(DeletionJob, name).__doc__ for name in ATTRIBUTES)
