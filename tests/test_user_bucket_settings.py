"""Settings of the created bucket given with ``bucket=``: refused, never silently ignored.

``removal_policy`` and ``server_access_logs_bucket`` configure the bucket the construct creates;
with a bucket of the user's they used to be dropped without a word, so a user asking for access
logs of the lists' bucket got none.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from personalize_data_deletion import DeletionConfigError, PersonalizeDataDeletion, UserList
from synth import DATASET_GROUP_ARN, new_stack

pytestmark = pytest.mark.synth


def _users_bucket(stack: cdk.Stack) -> s3.Bucket:
    return s3.Bucket(
        stack,
        "Mine",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
    )


ONE = (
    "{} configures the bucket the construct creates, and bucket is given: set it on bucket "
    "'S/Mine' itself, or leave bucket out"
)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"removal_policy": cdk.RemovalPolicy.DESTROY}, ONE.format("removal_policy")),
        ({"server_access_logs_bucket": "logs"}, ONE.format("server_access_logs_bucket")),
        (
            {"removal_policy": cdk.RemovalPolicy.DESTROY, "server_access_logs_bucket": "logs"},
            "removal_policy and server_access_logs_bucket configure the bucket the construct "
            "creates, and bucket is given: set them on bucket 'S/Mine' itself, or leave bucket "
            "out",
        ),
    ],
)
def test_settings_of_the_created_bucket_are_refused_with_a_users_bucket(
    settings: dict, message: str
) -> None:
    """GIVEN a user's bucket
    WHEN the construct is also given settings that only configure the bucket it creates
    THEN the synth refuses them by name, saying to set them on the user's bucket."""
    stack = new_stack()
    if "server_access_logs_bucket" in settings:
        settings = settings | {"server_access_logs_bucket": s3.Bucket(stack, "Logs")}
    with pytest.raises(DeletionConfigError) as refused:
        PersonalizeDataDeletion(stack, "A", bucket=_users_bucket(stack), **settings)
    assert str(refused.value) == message


def test_the_default_removal_policy_is_accepted_with_a_users_bucket() -> None:
    """GIVEN a user's bucket and removal_policy left at (or set to) its default, RETAIN
    WHEN the construct is created
    THEN nothing is refused: RETAIN asks for nothing the user's bucket lacks."""
    stack = new_stack()
    deletion = PersonalizeDataDeletion(
        stack, "A", bucket=_users_bucket(stack), removal_policy=cdk.RemovalPolicy.RETAIN
    )
    assert deletion.bucket.node.path == "S/Mine"


def test_a_removal_policy_that_is_not_one_is_a_type_error() -> None:
    """GIVEN removal_policy as a string
    WHEN the construct is created
    THEN a TypeError names the setting and the type it needs."""
    with pytest.raises(TypeError) as refused:
        PersonalizeDataDeletion(new_stack(), "A", removal_policy="destroy")  # type: ignore[arg-type]
    assert str(refused.value) == "removal_policy must be a RemovalPolicy, not str"


def _staging_deletions(stack: cdk.Stack, policy_prefix: str) -> list[str]:
    """The version and object deletions a role's policies grant under ``staging/``."""
    resources = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    found = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Policy" or not logical_id.startswith(policy_prefix):
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if "staging/*" not in json.dumps(statement["Resource"]):
                continue
            found += [
                action
                for action in ([actions] if isinstance(actions, str) else actions)
                if action.startswith("s3:DeleteObject")
            ]
    return sorted(found)


HANDLER = "PersonalizeDataDeletionProviderHandlerRoleDefaultPolicy"
STEP = "PersonalizeDataDeletionTrackerStepRoleDefaultPolicy"


@pytest.mark.parametrize("follow_up", [False, True])
def test_only_a_users_bucket_lets_roles_delete_a_staged_version(follow_up: bool) -> None:
    """GIVEN one stack whose construct creates its bucket, one given an imported bucket
    WHEN each declares a request (with or without a follow-up)
    THEN only the user's bucket, which may turn out versioned at deploy, lets the handlers
    delete a staged version (and the tracker's step, for a follow-up's copy); the construct's
    own bucket is unversioned, so its roles may only delete objects."""
    deletions = {}
    for imported in (False, True):
        stack = new_stack()
        bucket = s3.Bucket.from_bucket_name(stack, "Mine", "deletions-bucket") if imported else None
        deletion = PersonalizeDataDeletion(stack, "A", bucket=bucket, follow_up=follow_up)
        deletion.delete_users(
            "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(["u"])
        )
        deletions[imported] = (_staging_deletions(stack, HANDLER), _staging_deletions(stack, STEP))
    # (both roles purge staged lists: s3:DeleteObject)
    assert deletions[False] == (["s3:DeleteObject"], ["s3:DeleteObject"])
    copy = ["s3:DeleteObjectVersion"] if follow_up else []
    assert deletions[True] == (
        ["s3:DeleteObject", "s3:DeleteObjectVersion", *copy],
        ["s3:DeleteObject", *copy],
    )


def _tls_denies(stack: cdk.Stack, bucket: s3.Bucket) -> list[dict]:
    """The policy's statements that deny every S3 action without TLS to anyone, on the bucket
    and all its objects."""
    whole = [stack.resolve(bucket.bucket_arn), stack.resolve(bucket.arn_for_objects("*"))]
    [policy] = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy").values()
    return [
        statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Principal"] == {"AWS": "*"}
        and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        and statement["Action"] == "s3:*"
        and statement["Resource"] == whole
    ]


def _bucket_without_enforce_ssl(stack: cdk.Stack) -> s3.Bucket:
    return s3.Bucket(
        stack,
        "Mine",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )


NO_TLS = {"Bool": {"aws:SecureTransport": "false"}}
ANYONE = [iam.AnyPrincipal()]


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(
            lambda b: iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=ANYONE,
                actions=["s3:PutObject"],
                resources=[b.arn_for_objects("uploads/*")],
                conditions=NO_TLS,
            ),
            id="one-action-one-prefix",
        ),
        pytest.param(
            lambda b: iam.PolicyStatement(
                principals=[iam.AccountRootPrincipal()],
                actions=["s3:GetObject"],
                resources=[b.arn_for_objects("*")],
                conditions={"Bool": {"aws:SecureTransport": "true"}},
            ),
            id="an-allow-naming-the-key",
        ),
        pytest.param(
            lambda b: iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AccountRootPrincipal()],
                actions=["s3:*"],
                resources=[b.bucket_arn, b.arn_for_objects("*")],
                conditions=NO_TLS,
            ),
            id="one-principal",
        ),
        pytest.param(
            lambda b: iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=ANYONE,
                actions=["s3:*"],
                resources=[b.arn_for_objects("*")],
                conditions=NO_TLS,
            ),
            id="objects-but-not-the-bucket",
        ),
        pytest.param(
            lambda b: iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=ANYONE,
                actions=["s3:*"],
                resources=[b.bucket_arn, b.arn_for_objects("*")],
                conditions={**NO_TLS, "StringEquals": {"aws:PrincipalAccount": "111122223333"}},
            ),
            id="a-narrowing-condition",
        ),
    ],
)
def test_a_bucket_with_a_partial_tls_statement_still_gets_a_tls_only_deny(statement) -> None:
    """GIVEN the user's SSE-S3, private bucket whose policy mentions aws:SecureTransport, but
    in a statement that does not deny every S3 action without TLS to anyone on the bucket and
    all its objects (one action on uploads/*, an Allow, one principal, objects only, another
    condition)
    WHEN it becomes a deletion bucket
    THEN the construct adds the TLS-only deny (s3:* on the bucket and /*): staged lists under
    staging/ are never readable over plain HTTP."""
    stack = new_stack()
    bucket = _bucket_without_enforce_ssl(stack)
    bucket.add_to_resource_policy(statement(bucket))
    deletion = PersonalizeDataDeletion(stack, "UserDeletion", bucket=bucket)
    deletion.delete_users(
        "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(["u-1"])
    )
    assert len(_tls_denies(stack, bucket)) == 1


def test_a_bucket_that_already_denies_plain_http_gets_no_second_deny() -> None:
    """GIVEN the user's bucket with enforce_ssl=True (CDK's deny of s3:* without TLS)
    WHEN it becomes a deletion bucket
    THEN its policy has that one deny, not a copy of it."""
    stack = new_stack()
    bucket = _users_bucket(stack)
    PersonalizeDataDeletion(stack, "UserDeletion", bucket=bucket)
    assert len(_tls_denies(stack, bucket)) == 1


def _separate_tls_policy(stack: cdk.Stack, bucket: s3.Bucket, construct_id: str) -> None:
    policy = s3.BucketPolicy(stack, construct_id, bucket=bucket)
    policy.document.add_statements(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=ANYONE,
            actions=["s3:*"],
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            conditions=NO_TLS,
        )
    )


def test_a_users_bucket_with_its_own_bucket_policy_never_gets_a_second_one() -> None:
    """GIVEN the user's bucket whose policy is a separate s3.BucketPolicy (MinePolicy, holding
    the TLS-only deny), so bucket.policy is unset
    WHEN it becomes a deletion bucket, for two constructs
    THEN the construct's statements go into that one policy (the TLS deny it already holds,
    Personalize's reads of staging/): S3 keeps one policy per bucket, so a second
    AWS::S3::BucketPolicy would replace it, or be replaced (Personalize loses its read, every
    job fails; or the user's statements vanish)."""
    stack = new_stack()
    bucket = _bucket_without_enforce_ssl(stack)
    _separate_tls_policy(stack, bucket, "MinePolicy")
    for construct_id in ("UserDeletion", "OtherDeletion"):
        deletion = PersonalizeDataDeletion(stack, construct_id, bucket=bucket)
        deletion.delete_users(
            f"r-{construct_id}",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_ids([f"u-{n}" for n in range(12)]),
        )
    policies = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy")
    [(name, policy)] = policies.items()
    assert name.startswith("MinePolicy")
    assert policy["Properties"]["Bucket"] == stack.resolve(bucket.bucket_name)
    assert len(_tls_denies(stack, bucket)) == 1
    sids = [s.get("Sid") for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert sids == [None, "PersonalizeReadsStagedInputs", "PersonalizeListsStagedInputs"]


def test_a_users_bucket_with_a_low_level_bucket_policy_is_refused() -> None:
    """GIVEN the user's bucket whose policy is an L1 s3.CfnBucketPolicy, a JSON document the
    construct cannot add to
    WHEN it becomes a deletion bucket
    THEN the synth refuses it, naming the policy and the fix, rather than writing a second
    policy for the bucket."""
    stack = new_stack()
    bucket = _users_bucket(stack)
    s3.CfnBucketPolicy(stack, "Raw", bucket=bucket.bucket_name, policy_document={"Statement": []})
    with pytest.raises(DeletionConfigError) as caught:
        PersonalizeDataDeletion(stack, "UserDeletion", bucket=bucket)
    assert str(caught.value) == (
        "bucket 'S/Mine' has several bucket policies ('S/Mine/Policy', 'S/Raw'): S3 keeps one "
        "policy per bucket, so whichever CloudFormation writes last would replace the other "
        "(Personalize's read of the staged lists, or the bucket's own statements); keep one "
        "policy per bucket: add its statements with bucket.add_to_resource_policy (or pass "
        "enforce_ssl=True) instead, or declare one s3.BucketPolicy for the bucket before the "
        "construct, which then adds its statements to it"
    )


def test_a_bucket_policy_declared_after_the_construct_fails_the_synth() -> None:
    """GIVEN a deletion bucket of the user's, then a separate s3.BucketPolicy for it declared
    after the construct (which already added its statements to the bucket's own policy)
    WHEN the app synthesizes
    THEN it fails, naming both policies: deployed, one would replace the other."""
    stack = new_stack()
    bucket = _bucket_without_enforce_ssl(stack)
    PersonalizeDataDeletion(stack, "UserDeletion", bucket=bucket)
    _separate_tls_policy(stack, bucket, "LatePolicy")
    with pytest.raises(RuntimeError) as caught:
        Template.from_stack(stack)
    assert (
        "bucket 'S/Mine' has several bucket policies ('S/Mine/Policy', 'S/LatePolicy'): S3 keeps "
        "one policy per bucket"
    ) in str(caught.value)
