"""Constructs per stack: the handlers' environment must stay within Lambda's 4 KB.

``DELETION_SCOPES`` lists every ``PersonalizeDataDeletion`` construct of a stack; Lambda
refuses a function whose variables, as one JSON object, exceed 4 KB, and only at deploy. The
synth bounds each handler's environment with every token at its longest value and refuses a
stack that could exceed it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.region_info import RegionInfo
from personalize_data_deletion import PersonalizeDataDeletion, UserList
from personalize_data_deletion.lambda_environment import handler_environment_bounds
from synth import ACCOUNT, DATASET_GROUP_ARN, REGION, new_stack, synth_template, users_bucket

pytestmark = pytest.mark.synth

SAMPLE_CSV = Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv"


def _request(deletion: PersonalizeDataDeletion) -> None:
    deletion.delete_users(
        "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_csv(SAMPLE_CSV)
    )


# With default settings, a local list (the environment then names the assets bucket) and an
# environment-agnostic stack (the assets bucket is a token too), as README's Design notes say.
MOST_CONSTRUCTS_PER_STACK = 12
LONGEST_CONSTRUCT_ID = 16
HANDLERS = (
    "PersonalizeDataDeletionProvider/OnEvent",
    "PersonalizeDataDeletionProvider/IsComplete",
    "PersonalizeDataDeletionTracker/Step",
)


def _constructs(count: int) -> tuple[cdk.Stack, PersonalizeDataDeletion]:
    stack = new_stack(cdk.Environment())
    for index in range(count):
        deletion = PersonalizeDataDeletion(stack, f"{index:02d}".rjust(LONGEST_CONSTRUCT_ID, "D"))
    _request(deletion)
    return stack, deletion


def _too_large(function: str, size: int) -> str:
    return (
        f"  [S/PersonalizeDataDeletionProvider] stack S: the environment variables of Lambda "
        f"function {function} take up to {size:,} bytes with 13 PersonalizeDataDeletion "
        "constructs in the stack (DELETION_SCOPES lists each; measured as Lambda does, one JSON "
        "object, every CloudFormation token at its longest value), above Lambda's 4 KB limit "
        "(4,096 bytes): `cdk deploy` would fail. Use fewer PersonalizeDataDeletion constructs in "
        "this stack (one construct serves any number of requests and dataset groups) or split "
        "them across stacks"
    )


def test_the_most_constructs_the_handlers_environment_holds_synthesize() -> None:
    # GIVEN as many constructs as fit in the handlers' environment in the worst case
    stack, deletion = _constructs(MOST_CONSTRUCTS_PER_STACK)
    # WHEN the app synthesizes
    cdk.Stage.of(stack).synth()
    # THEN it passes, the largest environment within Lambda's 4,096 bytes
    assert handler_environment_bounds(deletion.provider) == dict(
        zip(HANDLERS, [4093, 4093, 3884], strict=True)
    )


def test_one_construct_more_than_the_handlers_environment_holds_is_refused_at_synth() -> None:
    # GIVEN one construct more: DELETION_SCOPES would exceed Lambda's 4 KB at deploy
    stack, _ = _constructs(MOST_CONSTRUCTS_PER_STACK + 1)
    # WHEN the app synthesizes (every construct added) / THEN it is refused, naming the stack,
    # each function, the count, the bound, the limit and the fix
    with pytest.raises(RuntimeError) as caught:
        cdk.Stage.of(stack).synth()
    assert str(caught.value).splitlines() == [
        "ValidationFailedWithErrors: Validation failed with the following errors:",
        _too_large(HANDLERS[0], 4394),
        _too_large(HANDLERS[1], 4394),
        _too_large(HANDLERS[2], 4185),
    ]


# The longest value of each token, as this test takes it (independently of the product).
LONGEST_PARTITION = "aws-us-gov"
LONGEST_REGION = "us-isof-south-1"
PSEUDO_PARAMETERS = {
    "AWS::Partition": LONGEST_PARTITION,
    "AWS::Region": LONGEST_REGION,
    "AWS::AccountId": ACCOUNT,
}


def _worst_case(value: str | dict, resources: dict) -> str:
    """A resolved template value with every token at its longest value."""
    if isinstance(value, str):
        return value
    [(function, argument)] = value.items()
    if function == "Fn::Join":
        return argument[0].join(_worst_case(part, resources) for part in argument[1])
    if function == "Ref" and argument in PSEUDO_PARAMETERS:
        return PSEUDO_PARAMETERS[argument]
    resource = resources[argument if function == "Ref" else argument[0]]
    kind, properties = resource["Type"], resource.get("Properties", {})
    if (function, kind) == ("Ref", "AWS::S3::Bucket"):
        assert "BucketName" not in properties
        return "b" * 63
    if (function, kind) == ("Fn::GetAtt", "AWS::IAM::Role") and argument[1] == "Arn":
        assert "RoleName" not in properties
        return f"arn:{LONGEST_PARTITION}:iam::{ACCOUNT}:role{properties.get('Path', '/')}{'r' * 64}"
    if (function, kind) == ("Ref", "AWS::StepFunctions::StateMachine"):
        assert "StateMachineName" not in properties
        return f"arn:{LONGEST_PARTITION}:states:{LONGEST_REGION}:{ACCOUNT}:stateMachine:{'m' * 80}"
    raise AssertionError(f"no longest value known for {value}")


def test_the_environment_bound_is_the_template_resolved_with_every_token_at_its_longest(
    tmp_path: Path,
) -> None:
    # GIVEN constructs with a created bucket, a bucket of the stack, an imported one, a list
    deletions: list[PersonalizeDataDeletion] = []

    def build(stack: cdk.Stack) -> None:
        own = users_bucket(stack, "Own")
        imported = s3.Bucket.from_bucket_name(stack, "Imported", "deletions-bucket")
        deletions.append(PersonalizeDataDeletion(stack, "Created"))
        deletions.append(PersonalizeDataDeletion(stack, "OwnBucket", bucket=own))
        deletions.append(PersonalizeDataDeletion(stack, "ImportedBucket", bucket=imported))
        _request(deletions[0])

    template = synth_template(build, tmp_path)
    resources = template["Resources"]
    # WHEN each handler's variables are resolved with every token at its longest value and
    # measured as Lambda measures them (one JSON object of keys and values)
    worst = {}
    for logical_id, resource in resources.items():
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        if resource["Type"] == "AWS::Lambda::Function" and "DELETION_SCOPES" in variables:
            # e.g. PersonalizeDataDeletionProviderOnEventBDBCAEEB: its path in the stack
            function = re.sub(r"(OnEvent|IsComplete|Step)[0-9A-F]{8}$", r"/\1", logical_id)
            resolved = {name: _worst_case(value, resources) for name, value in variables.items()}
            worst[function] = len(json.dumps(resolved, separators=(",", ":")).encode())
    # THEN the construct's bound for each handler is exactly that: an upper bound, not a loose one
    assert sorted(worst) == sorted(HANDLERS)
    assert handler_environment_bounds(deletions[0].provider) == worst
    # AND the longest partition and region are those of every region aws-cdk-lib knows
    regions = RegionInfo.regions
    assert max(len(region.name) for region in regions) == len(LONGEST_REGION)
    assert max(len(region.partition) for region in regions) == len(LONGEST_PARTITION)


def test_a_bucket_of_another_stack_counts_as_a_bucket_name_and_an_unknown_token_as_empty(
    tmp_path: Path,
) -> None:
    # GIVEN a construct whose bucket is in another stack (a cross-stack Fn::ImportValue)
    app = cdk.App(outdir=str(tmp_path))
    env = cdk.Environment(account=ACCOUNT, region=REGION)
    own = s3.Bucket(
        cdk.Stack(app, "Buckets", env=env),
        "Own",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
    )
    stack = cdk.Stack(app, "S", env=env)
    deletion = PersonalizeDataDeletion(stack, "D", bucket=own)
    # AND a variable of the user's whose token the check cannot bound (a parameter's value)
    extra = cdk.CfnParameter(stack, "Extra").value_as_string
    deletion.provider.on_event.add_environment("EXTRA", extra)
    # WHEN the app synthesizes
    app.synth()
    # THEN the other stack's bucket counts as long as a bucket the construct creates, and the
    # parameter as empty ('"EXTRA":""' and a comma): the check refuses only what it can bound
    created = handler_environment_bounds(PersonalizeDataDeletion(new_stack(), "D").provider)
    assert handler_environment_bounds(deletion.provider) == created | {
        HANDLERS[0]: created[HANDLERS[0]] + len('"EXTRA":"",')
    }
