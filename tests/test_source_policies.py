"""The handler role's grants to read S3 sources stay within IAM's limits, whatever the keys.

CDK splits a role's default policy by an estimate of 150 characters per ARN holding a token;
sources with long keys made the handler role's inline policy exceed IAM's 10,240 characters,
which IAM refuses at deploy. Sources now go to managed policies sized here exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match
from personalize_data_deletion import DeletionConfigError, PersonalizeDataDeletion, UserList
from personalize_data_deletion.source_policies import (
    MANAGED_POLICY_CHARACTERS,
    SourceRead,
)
from synth import ACCOUNT, DATASET_GROUP_ARN, REGION, synth_template

pytestmark = pytest.mark.synth

HANDLER_ROLE = "PersonalizeDataDeletionProviderHandlerRole"
TOKEN_BUCKET_ARN = "arn:aws-us-gov:s3:::" + "b" * 63
"""A bucket of the stack (its name a token) at its longest, in the longest partition."""


def _worst_case(value: object) -> object:
    """A template value with every token this file's policies hold at its longest."""
    if isinstance(value, list):
        return [_worst_case(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value == {"Ref": "AWS::Partition"}:
        return "aws-us-gov"
    if "Fn::GetAtt" in value:
        assert value["Fn::GetAtt"][1] == "Arn", value
        return TOKEN_BUCKET_ARN
    if "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return delimiter.join(str(_worst_case(part)) for part in parts)
    assert not any(key.startswith(("Fn::", "Ref")) for key in value), value
    return {key: _worst_case(item) for key, item in value.items()}


def _iam_characters(document: object) -> int:
    """What IAM counts: the JSON without whitespace (characters outside ASCII escaped)."""
    return len(json.dumps(_worst_case(document), separators=(",", ":"), ensure_ascii=True))


def _long_key(index: int) -> str:
    return f"privacy/requests/{index:04d}/" + "k" * 220 + ".csv"


def _requests_from_s3(stack: cdk.Stack, count: int) -> None:
    source = s3.Bucket.from_bucket_name(stack, "Requests", "privacy-requests-bucket")
    deletion = PersonalizeDataDeletion(stack, "UserDeletion")
    for index in range(count):
        deletion.delete_users(
            f"r{index}",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_s3(source, _long_key(index)),
        )


def _of_type(template: dict, resource_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def test_the_handler_roles_own_policy_does_not_grow_with_s3_sources(tmp_path: Path) -> None:
    # GIVEN one stack with 1 request and one with 30 requests, each reading one S3 object
    # whose key is 246 characters long
    one = synth_template(lambda stack: _requests_from_s3(stack, 1), tmp_path / "one")
    thirty = synth_template(lambda stack: _requests_from_s3(stack, 30), tmp_path / "thirty")

    # THEN the handler role's inline policy is the same in both (it held 11,415 characters
    # with 30 such sources, over IAM's 10,240 for a role's inline policies)
    def inline(template: dict) -> list[dict]:
        return [
            policy["Properties"]["PolicyDocument"]
            for key, policy in _of_type(template, "AWS::IAM::Policy").items()
            if key.startswith(HANDLER_ROLE)
        ]

    assert inline(thirty) == inline(one)
    # AND the sources' reads are in managed policies of that role, each under IAM's 6,144
    # characters with every token at its longest, every key granted exactly once
    managed = _of_type(thirty, "AWS::IAM::ManagedPolicy")
    sizes = [_iam_characters(p["Properties"]["PolicyDocument"]) for p in managed.values()]
    assert len(sizes) == 2 and max(sizes) <= MANAGED_POLICY_CHARACTERS, sizes
    assert all(
        [ref["Ref"] for ref in p["Properties"]["Roles"]] == [_role_id(thirty)]
        for p in managed.values()
    )
    granted = sorted(
        resource.split(":::", 1)[1]
        for p in managed.values()
        for statement in _worst_case(p["Properties"]["PolicyDocument"])["Statement"]
        for resource in statement["Resource"]
    )
    assert granted == sorted(f"privacy-requests-bucket/{_long_key(i)}" for i in range(30))


def _role_id(template: dict) -> str:
    [role_id] = [k for k in _of_type(template, "AWS::IAM::Role") if k.startswith(HANDLER_ROLE)]
    return role_id


@pytest.mark.parametrize(
    ("actions", "bucket_name", "pattern", "prefix"),
    [
        (["s3:GetObject"], "privacy-requests-bucket", "a/b.csv", None),
        (["s3:GetObject", "s3:GetObjectVersion"], "literal", "é/ü \t.csv", None),
        (["s3:GetObject", "s3:ListBucket"], None, "folder/*", "folder/"),
    ],
    ids=["object", "version-latin-1", "prefix-of-a-stack-bucket"],
)
def test_a_sources_size_is_what_iam_counts_at_the_longest_partition_and_bucket(
    actions: list[str], bucket_name: str | None, pattern: str, prefix: str | None
) -> None:
    # GIVEN a source's reads, on an imported bucket or on one of the stack (its name a token)
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=ACCOUNT, region=REGION))
    bucket = (
        s3.Bucket.from_bucket_name(stack, "B", bucket_name)
        if bucket_name
        else s3.Bucket(stack, "B")
    )
    objects = bucket.arn_for_objects(pattern)
    read = SourceRead(
        actions=actions,
        resources={
            "s3:GetObject": objects,
            "s3:GetObjectVersion": objects,
            "s3:ListBucket": bucket.bucket_arn,
        },
        bucket_name=bucket.bucket_name,
        object_pattern=pattern,
        list_prefix=prefix,
    )
    # WHEN its statements are rendered by CDK and resolved with every token at its longest
    rendered = [stack.resolve(s.to_statement_json()) for s in read.statements()]
    counted = sum(_iam_characters(statement) + 1 for statement in rendered)
    # THEN the size the construct plans with is exactly that (a comma after each statement)
    assert read.characters() == counted


def test_sources_past_the_roles_managed_policy_quota_are_refused_naming_the_request() -> None:
    # GIVEN a stack whose S3 sources have 1,000-character keys: five fit in a managed policy
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=ACCOUNT, region=REGION))
    source = s3.Bucket.from_bucket_name(stack, "Requests", "privacy-requests-bucket")
    deletion = PersonalizeDataDeletion(stack, "UserDeletion")

    def request(index: int) -> None:
        deletion.delete_users(
            f"r{index}",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_s3(source, f"{index:04d}/" + "k" * 991 + ".csv"),
        )

    # WHEN nine managed policies are full (45 sources), the 46th is refused
    for index in range(45):
        request(index)
    with pytest.raises(DeletionConfigError) as caught:
        request(45)
    # THEN the error names the request, the limits and the ways out
    assert str(caught.value) == (
        "request 'r45': the handler role's grants to read the S3 sources of this stack fill 9 "
        "managed policies of 6,144 characters; IAM attaches at most 10 to a role (one is kept "
        "for the role's own policy): declare this request in another stack, or read lists kept "
        "in one folder with one from_s3_prefix"
    )
    role = deletion.provider.role
    policies = [c for c in role.node.children if isinstance(c, iam.ManagedPolicy)]
    assert len(policies) == 9


def _filled_role() -> tuple[cdk.Stack, iam.Role]:
    """A stack whose S3 sources fill the nine managed policies the handler role gives them."""
    stack = cdk.Stack(
        cdk.App(context={"@aws-cdk/aws-iam:minimizePolicies": True}),
        "S",
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )
    source = s3.Bucket.from_bucket_name(stack, "Requests", "privacy-requests-bucket")
    deletion = PersonalizeDataDeletion(stack, "UserDeletion")
    for index in range(45):
        deletion.delete_users(
            f"r{index}",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_s3(source, f"{index:04d}/" + "k" * 991 + ".csv"),
        )
    return stack, deletion.provider.role


def test_the_roles_managed_policies_are_counted_once_cdk_has_split_its_own_policy() -> None:
    # GIVEN a handler role whose sources fill nine managed policies: it synthesizes
    stack, role = _filled_role()
    cdk.Stage.of(stack).synth()
    # AND one whose own policy also grew past CDK's 10,000-character estimate (as many
    # KMS-encrypted source buckets would make it), so that CDK splits overflow policies off
    stack, role = _filled_role()
    for index in range(100):
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{index:08d}-0000-0000-0000-0000"],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
                | {"StringLike": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::b{index}/*"}},
            )
        )
    # WHEN it synthesizes THEN it is refused: IAM would refuse the role's policies at deploy
    with pytest.raises(RuntimeError) as caught:
        cdk.Stage.of(stack).synth()
    assert str(caught.value).splitlines() == [
        "ValidationFailedWithErrors: Validation failed with the following errors:",
        "  [S/PersonalizeDataDeletionProvider/HandlerRole] the handler role would have 13 "
        "managed policies (9 holding S3 sources' reads, 4 that CDK split off the role's own "
        "policy); IAM attaches at most 10 to a role unless its quota is raised: declare some of "
        "this stack's requests in another stack",
    ]


def test_a_source_read_for_several_dataset_groups_is_granted_once(tmp_path: Path) -> None:
    # GIVEN one request reading one S3 object, fanned out to three dataset groups
    def build(stack: cdk.Stack) -> None:
        source = s3.Bucket.from_bucket_name(stack, "Requests", "privacy-requests-bucket")
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users_from_groups(
            "r",
            dataset_groups=[f"{DATASET_GROUP_ARN}-{n}" for n in range(3)],
            users=UserList.from_s3(source, "a/b.csv"),
        )

    template = synth_template(build, tmp_path)
    # THEN the handlers may read it through one statement naming it once
    [policy] = _of_type(template, "AWS::IAM::ManagedPolicy").values()
    assert _worst_case(policy["Properties"]["PolicyDocument"])["Statement"] == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": "arn:aws-us-gov:s3:::privacy-requests-bucket/a/b.csv",
        }
    ]


@pytest.mark.parametrize(
    ("factory", "location", "granted"),
    [
        (UserList.from_s3, "a/b.csv", "s3:GetObject"),
        (UserList.from_s3_prefix, "folder/", "s3:GetObject, s3:ListBucket"),
    ],
)
def test_an_imported_source_bucket_is_noted_with_exactly_what_was_granted(
    factory, location: str, granted: str
) -> None:
    # GIVEN a request reading from a bucket the stack imports
    stack = cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=ACCOUNT, region=REGION))
    source = s3.Bucket.from_bucket_name(stack, "Requests", "privacy-requests-bucket")
    PersonalizeDataDeletion(stack, "UserDeletion").delete_users(
        "r", dataset_group_arn=DATASET_GROUP_ARN, users=factory(source, location)
    )
    # WHEN the stack's notes are read THEN the one about the bucket names the actions granted
    notes = [
        str(note.entry.data)
        for note in Annotations.from_stack(stack).find_info("*", Match.any_value())
    ]
    [note] = [n for n in notes if "from an imported bucket" in n]
    assert note == (
        f"request 'r' reads s3://privacy-requests-bucket/{location} from an imported bucket: the "
        f"handler role was granted {granted} on it; if the bucket is in another account or its "
        "policy denies by default, allow that role in the bucket policy (and kms:Decrypt on its "
        "key, if any)"
    )
