"""A request on a CfnDatasetGroup waits for the group's CfnDatasets, from a nested stack too."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_personalize as personalize
from personalize_data_deletion import PersonalizeDataDeletion, UserList
from synth import ACCOUNT, REGION

pytestmark = pytest.mark.synth


def _parent_with_group(app: cdk.App) -> tuple[cdk.Stack, personalize.CfnDatasetGroup]:
    parent = cdk.Stack(app, "Parent", env=cdk.Environment(account=ACCOUNT, region=REGION))
    group = personalize.CfnDatasetGroup(parent, "Group", name="shop")
    for dataset_type in ("Users", "Interactions"):
        personalize.CfnDataset(
            parent,
            dataset_type,
            dataset_group_arn=group.attr_dataset_group_arn,
            dataset_type=dataset_type,
            name=dataset_type.lower(),
            schema_arn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:schema/{dataset_type.lower()}",
        )
    return parent, group


@pytest.mark.parametrize("depth", [1, 2])
def test_a_request_in_a_nested_stack_waits_for_the_parents_datasets(depth: int) -> None:
    """GIVEN a CfnDatasetGroup and its CfnDatasets in a stack, and a request on that group
    declared in a nested stack of it (one or two levels down)
    WHEN the app is synthesized
    THEN the parent's nested stack resource depends on every dataset of the group, as the
    README promises ("wherever they are declared"): the job used to start in parallel with
    the datasets' creation, with nothing to delete from."""
    app = cdk.App()
    parent, group = _parent_with_group(app)
    scope: cdk.Stack = parent
    for level in range(depth):
        scope = cdk.NestedStack(scope, f"Deletions{level}")
    PersonalizeDataDeletion(scope, "UserDeletion").delete_users(
        "r", dataset_group_arn=group, users=UserList.from_ids(["u"])
    )
    template = app.synth().get_stack_by_name("Parent").template
    [nested] = [
        resource
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::CloudFormation::Stack"
    ]
    assert {"Users", "Interactions"} <= set(nested.get("DependsOn", []))
