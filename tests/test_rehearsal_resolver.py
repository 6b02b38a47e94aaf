"""Template values as CloudFormation would resolve them in the rehearsal's simulated account."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from personalize_deletion_local.rehearsal.assembly import Template
from personalize_deletion_local.rehearsal.errors import Unsupported
from personalize_deletion_local.rehearsal.resolver import Resolver

pytestmark = pytest.mark.fast

ACCOUNT, REGION = "111122223333", "eu-west-1"


def template(resources: dict[str, Any], **body: Any) -> Template:
    return Template(
        name="Shop",
        display="Shop",
        body={"Resources": resources, **body},
        directory=Path("."),
        account=ACCOUNT,
        region=REGION,
        assets={},
        construct_paths={"Request": "/Shop/Deletion/q4/Resource/Default"},
    )


def request(dataset_group_arn: Any) -> dict[str, Any]:
    return {
        "Type": "Custom::PersonalizeDataDeletionJob",
        "Properties": {"DatasetGroupArn": dataset_group_arn, "MaxInputBytes": 100, "X": True},
    }


def test_a_same_stack_dataset_group_resolves_to_its_arn() -> None:
    # GIVEN a request on the GetAtt (and one on the Ref) of a dataset group of the same stack
    resolver = Resolver(
        template(
            {
                "Group": {"Type": "AWS::Personalize::DatasetGroup", "Properties": {"Name": "shop"}},
                "Request": request({"Fn::GetAtt": ["Group", "DatasetGroupArn"]}),
            }
        )
    )

    # WHEN the request's properties are resolved
    properties = resolver.properties("Request")

    # THEN the value is the group's ARN in the stack's account and region; leaves are strings
    assert properties == {
        "DatasetGroupArn": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/shop",
        "MaxInputBytes": "100",
        "X": "true",
    }
    assert resolver.resolve({"Ref": "Group"}) == properties["DatasetGroupArn"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param(
            {"Fn::GetAtt": ["Solution", "SolutionArn"]},
            "GetAtt Solution.SolutionArn of AWS::Personalize::Solution",
            id="GetAtt of an unsupported type",
        ),
        pytest.param(
            {"Fn::ImportValue": "shared-group"},
            "Fn::ImportValue shared-group (no stack deployed before exports it)",
            id="import nobody exports",
        ),
        pytest.param(
            {"Fn::GetAZs": ""},
            "Fn::GetAZs is not supported by the rehearsal",
            id="unsupported function",
        ),
    ],
)
def test_a_value_it_cannot_resolve_makes_the_request_unsupported(value: Any, reason: str) -> None:
    # GIVEN a request whose dataset group comes from something the rehearsal cannot resolve
    resolver = Resolver(
        template(
            {
                "Solution": {"Type": "AWS::Personalize::Solution", "Properties": {}},
                "Request": request(value),
            }
        )
    )
    # WHEN its properties are resolved THEN it is unsupported, naming the request and the value
    with pytest.raises(Unsupported) as raised:
        resolver.properties("Request")
    assert str(raised.value) == f"properties of Shop/Deletion/q4: {reason}"


def test_imports_nested_outputs_and_sub_resolve_from_what_was_deployed() -> None:
    # GIVEN an export of a stack deployed before, and a nested stack with an output
    parent = Resolver(
        template({"Inner": {"Type": "AWS::CloudFormation::Stack", "Properties": {}}}),
        exports={"shared-group": "arn:aws:personalize:eu-west-1:111122223333:dataset-group/x"},
    )
    child_template = template(
        {"Bucket": {"Type": "AWS::S3::Bucket"}}, Outputs={"Name": {"Value": {"Ref": "Bucket"}}}
    )
    child_template.name = "Shop-Inner"
    parent.nested["Inner"] = Resolver(child_template)

    # WHEN values referring to them are resolved
    imported = parent.resolve({"Fn::ImportValue": "shared-group"})
    output = parent.resolve({"Fn::GetAtt": ["Inner", "Outputs.Name"]})
    substituted = parent.resolve(
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::Region}-${!Literal}"}
    )

    # THEN they are what the earlier deployment made, with CloudFormation-like names
    assert imported == "arn:aws:personalize:eu-west-1:111122223333:dataset-group/x"
    suffix = hashlib.sha256(b"Shop-Inner-Bucket").hexdigest()[:8]
    assert output == f"shop-inner-bucket-{suffix}"
    assert substituted == "arn:aws:s3:::eu-west-1-${Literal}"
