"""Misuse that used to be accepted and silently did the wrong thing: refused at synth, by name.

Each case names the parameter or field and the rule; wrong types are ``TypeError``.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from aws_cdk.region_info import RegionInfo
from personalize_data_deletion import (
    DeletionConfigError,
    PersonalizeDataDeletion,
    UserList,
    UserListError,
)
from personalize_data_deletion.request_file import RequestFileError, load_requests
from personalize_data_deletion.stack import DeletionRequestsStack
from personalize_deletion_runtime.request_rules import partition_of
from synth import ACCOUNT, DATASET_GROUP_ARN, new_stack, synth_template

pytestmark = pytest.mark.synth

SAMPLE_CSV = Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv"


def _request(deletion: PersonalizeDataDeletion, **kwargs) -> None:
    args = {"dataset_group_arn": DATASET_GROUP_ARN, "users": UserList.from_csv(SAMPLE_CSV)}
    deletion.delete_users("r", **(args | kwargs))


# ------------------------------------------------------------------------------ user lists


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (
            "u-1",
            "from_ids ids must be a list (or other iterable) of id strings, not str; for one "
            "user write from_ids([user_id])",
        ),
        (
            b"u-1",
            "from_ids ids must be a list (or other iterable) of id strings, not bytes; for one "
            "user write from_ids([user_id])",
        ),
        (
            42,
            "from_ids ids must be a list (or other iterable) of id strings, not int; for one "
            "user write from_ids([user_id])",
        ),
        (["u-1", 2, None], "from_ids ids must all be strings; got NoneType, int"),
    ],
)
def test_from_ids_refuses_anything_but_strings(ids: object, message: str) -> None:
    # GIVEN what used to delete one user per character ("u", "-", "1") or fail later
    # WHEN / THEN a TypeError naming the parameter
    with pytest.raises(TypeError) as caught:
        UserList.from_ids(ids)
    assert str(caught.value) == message


@pytest.mark.parametrize("path", [None, 42, b"requests/sample-users.csv"])
def test_from_csv_names_itself_when_its_path_has_the_wrong_type(path: object) -> None:
    """GIVEN a path of the wrong type (most often ``os.environ.get(...)`` of an unset variable)
    WHEN it is handed to UserList.from_csv
    THEN a TypeError names the factory, what it takes and what it got, not pathlib's message
    (which names neither, and for None offers bytes, which it then refuses)."""
    with pytest.raises(TypeError) as caught:
        UserList.from_csv(path)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"from_csv path must be a str or pathlib.Path, not {type(path).__name__}"
    )


@pytest.mark.parametrize(
    "ids",
    [
        ["alice\nbob"],  # one id with a line feed: was two users, alice and bob
        ["alice\r\nbob"],  # the same with CRLF
        ["alice\r"],  # an id ending with a control character: was user "alice"
        ["alice", ""],  # an empty id: silently dropped
    ],
    ids=["embedded-lf", "embedded-crlf", "trailing-cr", "empty-id"],
)
def test_from_ids_refuses_an_id_that_is_not_one_valid_id_rather_than_splitting_or_trimming_it(
    ids: list[str],
) -> None:
    """GIVEN inline ids, one of which holds a line break, a CR or nothing
    WHEN a request declares them with UserList.from_ids
    THEN the synth refuses that id (the README: "an id with a ... control character ... fails"),
    instead of joining the ids into CSV text and deleting whatever users its lines name."""
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    with pytest.raises(UserListError) as caught:
        job = deletion.delete_users(
            "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
        )
        pytest.fail(
            f"from_ids({ids!r}) was accepted as a list of {job.user_count} user(s) "
            f"to delete (declared: {len(ids)} id(s))"
        )
    assert str(caught.value).startswith(f"from_ids: id {len(ids)} of {len(ids)}: [")
    assert "alice" not in str(caught.value)


def test_an_inline_id_is_refused_by_position_rule_and_fix_never_by_value() -> None:
    # GIVEN inline ids whose second holds two ids joined by a line break
    # WHEN they are declared THEN the message names the setting, the position, the rule and
    # the fix, and holds no id (user ids are personal data)
    with pytest.raises(UserListError) as caught:
        UserList.from_ids(["u-1", "alice\nbob", "u-3"])
    assert str(caught.value) == (
        "from_ids: id 2 of 3: [forbidden-character] character 6 of the id is the control "
        "character U+000A; ids must be a single unquoted CSV field without control characters. "
        "Fix: pass each user id as a string of its own: a line break or CR in a string is most "
        "often several ids, or a line ending, left in it by the code that read them."
    )


@pytest.mark.parametrize(
    "make_id",
    [
        lambda stack: cdk.CfnParameter(stack, "UserToForget", type="String").value_as_string,
        lambda stack: cdk.Fn.import_value("user-to-forget"),
        lambda stack: ssm.StringParameter.value_for_string_parameter(stack, "/user"),
    ],
    ids=["parameter", "import", "ssm"],
)
def test_from_ids_refuses_an_unresolved_token_instead_of_deleting_its_placeholder_text(
    make_id,
) -> None:
    """GIVEN a user id known only at deploy (a stack parameter, an import, an SSM value)
    WHEN a request declares it inline with UserList.from_ids
    THEN the synth refuses it by position, rule and fix, never staging the token's placeholder
    text (``${Token[TOKEN.n]}``), which passes every CSV rule: the deployment would delete a
    user of that name (none) and report COMPLETED, the intended user never touched."""
    stack = new_stack()
    deletion = PersonalizeDataDeletion(stack, "A")
    with pytest.raises(UserListError) as caught:
        deletion.delete_users(
            "r",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_ids(["u-1", make_id(stack)]),
        )
    assert str(caught.value) == _token_refusal(2, 2)


def _token_refusal(position: int, total: int) -> str:
    return (
        f"from_ids: id {position} of {total}: [token] the id is an unresolved token (a "
        "parameter, an import, an attribute, a list or value CDK or CloudFormation fills in "
        "later); inline ids are written to the list at synth, so the list would hold its "
        "placeholder text, not the user. Fix: pass the id itself, or, for ids known only at "
        "deploy, write them to a CSV object and use from_s3."
    )


@pytest.mark.parametrize(
    "make_ids",
    [
        lambda stack: (
            cdk.CfnParameter(stack, "UsersToForget", type="CommaDelimitedList").value_as_list
        ),
        lambda stack: cdk.Fn.split(
            ",", cdk.CfnParameter(stack, "UsersToForget", type="String").value_as_string
        ),
        lambda stack: cdk.Token.as_list(cdk.Fn.import_value("users-to-forget")),
    ],
    ids=["comma-delimited-parameter", "fn-split", "list-import"],
)
def test_from_ids_refuses_a_list_token_instead_of_deleting_its_placeholder_text(
    make_ids,
) -> None:
    """GIVEN a list of users known only at deploy (a CommaDelimitedList parameter's
    ``value_as_list``, ``Fn.split`` of a parameter, an imported list), which at synth is a
    one-element list holding ``#{Token[TOKEN.n]}``
    WHEN a request declares it inline with UserList.from_ids, alone or among literal ids
    THEN the synth refuses it as it refuses a string token, by position, rule and fix: staged,
    the placeholder would be deleted as a user id (nobody), the job reported COMPLETED, and the
    users the parameter holds never touched."""
    stack = new_stack()
    deletion = PersonalizeDataDeletion(stack, "A")
    with pytest.raises(UserListError) as caught:
        deletion.delete_users(
            "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(make_ids(stack))
        )
    assert str(caught.value) == _token_refusal(1, 1)
    with pytest.raises(UserListError) as caught:
        UserList.from_ids(["u-1", *make_ids(new_stack()), "u-2"])
    assert str(caught.value) == _token_refusal(2, 3)


def test_an_inline_id_that_only_looks_like_a_token_is_an_id() -> None:
    # GIVEN an id holding a token marker but not a token's encoding (no CDK would resolve it)
    ids = ["u-1", "${Token[u-2"]
    # WHEN declared inline THEN it is taken as the id it is (only an unresolved token is refused)
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    job = deletion.delete_users(
        "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
    )
    assert job.user_count == 2


def test_inline_ids_delete_exactly_the_distinct_ids_declared() -> None:
    # GIVEN inline ids, one of them twice, some with characters a CSV line may hold
    ids = ["u-1", "Zoë 1/2", "u-1", "user 3"]
    # WHEN a request declares them
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    job = deletion.delete_users(
        "r", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
    )
    # THEN it deletes one user per distinct id (a repeat is deleted once, as in a CSV)
    assert job.user_count == len(set(ids)) == 3


def test_users_that_is_not_a_user_list_is_a_type_error() -> None:
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    with pytest.raises(TypeError) as caught:
        _request(deletion, users=["u-1"])
    assert str(caught.value) == (
        "request 'r': users must be a UserList (UserList.from_csv, from_ids, from_s3 or "
        "from_s3_prefix), not list"
    )


@pytest.mark.parametrize(
    ("factory", "location", "message"),
    [
        (
            UserList.from_s3,
            "*",
            "from_s3 key '*' contains '*' or '?': IAM would read them as wildcards and grant "
            "more than the list; rename the object or folder",
        ),
        (
            UserList.from_s3_prefix,
            "*/",
            "from_s3_prefix prefix '*/' contains '*' or '?': IAM would read them as wildcards "
            "and grant more than the list; rename the object or folder",
        ),
        (
            UserList.from_s3,
            "lists/user?.csv",
            "from_s3 key 'lists/user?.csv' contains '*' or '?': IAM would read them as "
            "wildcards and grant more than the list; rename the object or folder",
        ),
        (
            UserList.from_s3,
            "lists/${aws:username}.csv",
            "from_s3 key 'lists/${aws:username}.csv' contains '${': IAM would read it as the "
            "start of a policy variable (such as ${aws:username}) and grant another object than "
            "the list; rename the object or folder",
        ),
        (
            UserList.from_s3_prefix,
            "exports/${aws:PrincipalTag/team}/",
            "from_s3_prefix prefix 'exports/${aws:PrincipalTag/team}/' contains '${': IAM would "
            "read it as the start of a policy variable (such as ${aws:username}) and grant "
            "another object than the list; rename the object or folder",
        ),
        (
            UserList.from_s3,
            "削除依頼/2026-11.csv",
            "from_s3 key '削除依頼/2026-11.csv' contains '削' (U+524A): the key becomes part of an "
            "IAM policy, which takes only U+0020 to U+00FF, tab, line feed and carriage return; "
            "rename the object or folder",
        ),
        (
            UserList.from_s3_prefix,
            "données/λ-2026/",
            "from_s3_prefix prefix 'données/λ-2026/' contains 'λ' (U+03BB): the key becomes part "
            "of an IAM policy, which takes only U+0020 to U+00FF, tab, line feed and carriage "
            "return; rename the object or folder",
        ),
    ],
)
def test_s3_locations_that_would_become_iam_wildcards_or_break_the_policy_are_refused(
    factory, location: str, message: str
) -> None:
    """GIVEN an S3 key or prefix with a wildcard, a policy variable or a character IAM refuses
    WHEN it names a source
    THEN it is refused by name: it becomes an IAM resource of the provider's role."""
    bucket = s3.Bucket.from_bucket_name(new_stack(), "B", "users-bucket")
    with pytest.raises(UserListError) as caught:
        factory(bucket, location)
    assert str(caught.value) == message


@pytest.mark.parametrize("factory", [UserList.from_s3, UserList.from_s3_prefix])
def test_an_s3_location_unknown_until_deploy_is_refused(factory) -> None:
    # GIVEN a key or prefix that is a CloudFormation token (a parameter's value)
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "B", "users-bucket")
    location = cdk.CfnParameter(stack, "ListKey").value_as_string
    # WHEN it names a source THEN it is refused by name: the synth could neither check it for
    # wildcards nor size its IAM grant
    with pytest.raises(UserListError) as caught:
        factory(bucket, location)
    name = "from_s3 key" if factory == UserList.from_s3 else "from_s3_prefix prefix"
    assert str(caught.value) == (
        f"{name} must be known at synth, not a CloudFormation token (a parameter, an import, "
        "an attribute): it becomes an IAM resource, which the synth checks for wildcards and "
        "sizes against IAM's limits; pass the key itself"
    )


def test_latin_1_s3_keys_are_taken() -> None:
    # GIVEN keys with accented letters (within the characters IAM policies take)
    bucket = s3.Bucket.from_bucket_name(new_stack(), "B", "users-bucket")
    # WHEN they name a source THEN they are taken
    UserList.from_s3(bucket, "données/liste-été.csv")
    UserList.from_s3_prefix(bucket, "données/")


def test_s3_sources_check_their_argument_types() -> None:
    with pytest.raises(TypeError, match=r"^from_s3 bucket must be an s3\.IBucket, not str$"):
        UserList.from_s3("users-bucket", "a.csv")
    bucket = s3.Bucket.from_bucket_name(new_stack(), "B", "users-bucket")
    with pytest.raises(TypeError, match=r"^from_s3_prefix prefix must be a string, not int$"):
        UserList.from_s3_prefix(bucket, 7)


# ---------------------------------------------------------------------------- names, tags


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"job_name_prefix": "pdd\n"},
            DeletionConfigError,
            "job_name_prefix 'pdd\\n' is invalid: use 1-16 letters, digits or '-', starting "
            "with a letter or digit",
        ),
        ({"job_name_prefix": 7}, TypeError, "job_name_prefix must be a string, not int"),
        ({"max_input_bytes": True}, TypeError, "max_input_bytes must be an int (bytes), not bool"),
        ({"max_input_bytes": "100"}, TypeError, "max_input_bytes must be an int (bytes), not str"),
        ({"max_input_bytes": 1.5}, TypeError, "max_input_bytes must be an int (bytes), not float"),
        (
            {"max_input_bytes": 100_000_001},
            DeletionConfigError,
            "max_input_bytes is 100000001: use 1 to 100000000 (Personalize reads at most 100 MB "
            "of input per job)",
        ),
        # purge_staged_input went into DELETION_SCOPES as given: a non-bool made the handlers
        # refuse every request of every construct of the stack, at deploy
        *(
            (
                {"purge_staged_input": value},
                TypeError,
                f"purge_staged_input must be True or False, not {type(value).__name__}",
            )
            for value in ("no", "false", 0, None)
        ),
        # durations as seconds raised AttributeError ('int' object has no attribute ...)
        *(
            (
                {name: 600},
                TypeError,
                f"{name} must be a Duration (Duration.seconds, minutes, hours or days), not int",
            )
            for name in (
                "staged_input_expiration",
                "tracking_interval",
                "tracking_timeout",
                "query_interval",
                "total_timeout",
            )
        ),
        (
            {"staged_input_expiration": cdk.Duration.hours(61)},
            DeletionConfigError,
            "staged_input_expiration (2 days 13 hours) is not a whole number of days: the S3 "
            "lifecycle rule that expires staged lists counts days; use Duration.days(3)",
        ),
        (
            {"log_retention": 365},
            TypeError,
            "log_retention must be a logs.RetentionDays (e.g. RetentionDays.ONE_YEAR), not int",
        ),
        *(
            (
                {name: "deletions-bucket"},
                TypeError,
                f"{name} must be an s3.IBucket (an s3.Bucket, or s3.Bucket.from_bucket_name "
                "for a name), not str",
            )
            for name in ("bucket", "server_access_logs_bucket")
        ),
        (
            {"notification_topic": f"arn:aws:sns:us-east-1:{ACCOUNT}:privacy"},
            TypeError,
            "notification_topic must be an sns.ITopic (an sns.Topic, or sns.Topic.from_topic_arn "
            "for an ARN), not str",
        ),
    ],
)
def test_construct_settings_are_checked_by_type_and_rule(
    kwargs: dict, error: type[Exception], message: str
) -> None:
    """GIVEN a construct setting of the wrong type or breaking its rule
    WHEN the construct is created
    THEN it is refused at synth naming the setting (and the rule and the fix): a TypeError for
    a wrong type, never jsii's AttributeError or RuntimeError naming its own parameter."""
    with pytest.raises(error) as caught:
        PersonalizeDataDeletion(new_stack(), "A", **kwargs)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "message"),
    [
        (
            "abc\n",
            {},
            DeletionConfigError,
            "request 'abc\\n': request name 'abc\\n' must start with a letter or digit and "
            "contain only letters, digits, '-' and '_' (job name pattern "
            "^[a-zA-Z0-9][a-zA-Z0-9\\-_]*)",
        ),
        (
            "r",
            {"tags": {"ticket": "PRIV#1"}},
            DeletionConfigError,
            "request 'r' tags: tag value 'PRIV#1' may contain only letters, digits, spaces and "
            "_ . : / = + - @ (the service's tag pattern)",
        ),
        (
            "r",
            {"tags": {"owner": "aws:privacy"}},
            DeletionConfigError,
            "request 'r' tags: tag value 'aws:privacy' uses the reserved prefix 'aws:'",
        ),
        (
            "r",
            {"tags": [("ticket", "PRIV-1")]},
            TypeError,
            "request 'r': tags must map tag keys to values, not list",
        ),
        (
            "r",
            {"tags": {"ticket": 1234}},
            TypeError,
            "request 'r' tags: tag keys and values must be strings, got 'ticket': 1234",
        ),
    ],
)
def test_request_values_are_checked_by_type_and_rule(
    name: str, kwargs: dict, error: type[Exception], message: str
) -> None:
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    args = {"dataset_group_arn": DATASET_GROUP_ARN, "users": UserList.from_csv(SAMPLE_CSV)}
    with pytest.raises(error) as caught:
        deletion.delete_users(name, **(args | kwargs))
    assert str(caught.value) == message


def test_fifty_tags_with_unicode_letters_are_accepted() -> None:
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    tags = {f"k{i}": "Zoë Æther 1/2 = ½ @ x:y" for i in range(50)}
    _request(deletion, tags=tags)
    assert len(deletion.requests) == 1


# -------------------------------------------------------------------- dataset group ARNs


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        (
            "arn:aws:personalize::123456789012:dataset-group/x",
            "request 'r' dataset_group_arn: 'arn:aws:personalize::123456789012:dataset-group/x' "
            "is not a dataset group ARN (expected arn:<partition>:personalize:<region>:<12-digit "
            "account>:dataset-group/<name>, at most 256 characters)",
        ),
        (
            "arn:aws:personalize:us-east-1:1234:dataset-group/x",
            "request 'r' dataset_group_arn: 'arn:aws:personalize:us-east-1:1234:dataset-group/x' "
            "is not a dataset group ARN (expected arn:<partition>:personalize:<region>:<12-digit "
            "account>:dataset-group/<name>, at most 256 characters)",
        ),
        (
            "arn:aws:personalize:eu-west-1:111122223333:dataset-group/x",
            "request 'r' dataset_group_arn: 'arn:aws:personalize:eu-west-1:111122223333:"
            "dataset-group/x' is in account 111122223333, region eu-west-1, but stack 'S' "
            "deploys to account 123456789012, region us-east-1: a data deletion job runs in its "
            "dataset group's account and region; declare the request in a stack of that "
            "environment",
        ),
        (
            "arn:aws-cn:personalize:us-east-1:123456789012:dataset-group/x",
            "request 'r' dataset_group_arn: 'arn:aws-cn:personalize:us-east-1:123456789012:"
            "dataset-group/x' is in partition aws-cn, but stack 'S' deploys to partition aws: a "
            "data deletion job runs in its dataset group's account and region; declare the "
            "request in a stack of that environment",
        ),
    ],
)
def test_dataset_groups_are_checked_against_the_stacks_environment(arn: str, message: str) -> None:
    deletion = PersonalizeDataDeletion(new_stack(), "A")
    with pytest.raises(DeletionConfigError) as caught:
        _request(deletion, dataset_group_arn=arn)
    assert str(caught.value) == message


def test_an_environment_agnostic_stack_checks_only_the_arns_format() -> None:
    deletion = PersonalizeDataDeletion(new_stack(cdk.Environment()), "A")
    _request(
        deletion, dataset_group_arn="arn:aws:personalize:eu-west-1:111122223333:dataset-group/x"
    )
    assert len(deletion.requests) == 1


def test_the_partition_a_region_name_implies_is_region_infos_for_every_region_it_knows() -> None:
    # What lets the check accept a group without loading RegionInfo into the jsii kernel.
    known = {region.name: region.partition for region in RegionInfo.regions}
    assert "cn-north-1" in known
    assert {name: partition_of(name) for name in known} == known


@pytest.mark.parametrize(
    ("region", "arn_partition"),
    [("cn-north-1", "aws-cn"), ("us-isob-east-1", "aws-iso-b"), ("xx-future-1", "aws-new")],
)
def test_a_group_in_the_stacks_partition_or_in_a_region_unknown_to_region_info_is_accepted(
    region: str, arn_partition: str
) -> None:
    deletion = PersonalizeDataDeletion(
        new_stack(cdk.Environment(account=ACCOUNT, region=region)), "A"
    )
    arn = f"arn:{arn_partition}:personalize:{region}:{ACCOUNT}:dataset-group/x"
    _request(deletion, dataset_group_arn=arn)
    assert len(deletion.requests) == 1


# ---------------------------------------------------------------------------- request files


def test_an_empty_dataset_group_in_a_request_file_is_an_error_not_the_default(
    tmp_path: Path,
) -> None:
    # GIVEN a request whose datasetGroupArn is present but empty
    path = tmp_path / "requests.json"
    (tmp_path / "users.csv").write_bytes(SAMPLE_CSV.read_bytes())
    path.write_text(
        json.dumps({"requests": [{"name": "r", "users": "users.csv", "datasetGroupArn": ""}]})
    )
    # WHEN / THEN it is refused, naming the file, entry and field (only an absent key defaults)
    with pytest.raises(RequestFileError) as caught:
        load_requests(path)
    assert str(caught.value) == (
        f"{path}: requests[0]: datasetGroupArn: [dataset-group-arn] must not be empty"
    )
    # AND an absent key still falls back to the default
    path.write_text(json.dumps({"requests": [{"name": "r", "users": "users.csv"}]}))
    stack = DeletionRequestsStack(
        cdk.App(), "S", request_file=path, default_dataset_group_arn=DATASET_GROUP_ARN
    )
    assert stack.deletion.requests[0].request_name == "r"


# ----------------------------------------------------------------------------------- buckets


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"encryption": s3.BucketEncryption.KMS_MANAGED},
            "bucket 'S/Own' uses aws:kms encryption: the construct supports SSE-S3 "
            "(BucketEncryption.S3_MANAGED) only, because Personalize's service role would need "
            "KMS grants the construct does not manage",
        ),
        (
            {"encryption": s3.BucketEncryption.DSSE_MANAGED},
            "bucket 'S/Own' uses aws:kms:dsse encryption: the construct supports SSE-S3 "
            "(BucketEncryption.S3_MANAGED) only, because Personalize's service role would need "
            "KMS grants the construct does not manage",
        ),
        (
            {"block_public_access": s3.BlockPublicAccess.BLOCK_ACLS},
            "bucket 'S/Own' does not block all public access: lists of user ids must never be "
            "public; use block_public_access=BlockPublicAccess.BLOCK_ALL",
        ),
    ],
)
def test_a_users_bucket_that_could_expose_lists_is_refused(props: dict, message: str) -> None:
    stack = new_stack()
    own = s3.Bucket(stack, "Own", **props)
    with pytest.raises(DeletionConfigError) as caught:
        PersonalizeDataDeletion(stack, "A", bucket=own)
    assert str(caught.value) == message
    # AND reading the bucket's settings left CDK's shared constants intact
    s3.Bucket(stack, "Later", block_public_access=s3.BlockPublicAccess.BLOCK_ALL)


def test_a_users_bucket_without_tls_enforcement_gets_it(tmp_path: Path) -> None:
    # GIVEN a user's SSE-S3, private bucket without enforce_ssl
    def build(stack: cdk.Stack) -> None:
        own = s3.Bucket(
            stack,
            "Own",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_bucket=s3.Bucket.from_bucket_name(stack, "Logs", "logs-bucket"),
        )
        PersonalizeDataDeletion(stack, "UserDeletion", bucket=own)

    # WHEN synthesized (cdk-nag's S10 would refuse a bucket without TLS enforcement)
    template = synth_template(build, tmp_path)
    # THEN its policy denies every request without TLS
    [policy] = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::S3::BucketPolicy"
    ]
    denies = [s for s in policy if s["Effect"] == "Deny"]
    assert [(s["Action"], s["Condition"]) for s in denies] == [
        ("s3:*", {"Bool": {"aws:SecureTransport": "false"}})
    ]


def test_an_imported_bucket_gets_a_note_of_what_it_must_have() -> None:
    stack = new_stack()
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "deletions-bucket")
    PersonalizeDataDeletion(stack, "A", bucket=imported)
    notes = [
        entry.data
        for child in stack.node.find_all()
        for entry in child.node.metadata
        if entry.type == "aws:cdk:info"
    ]
    assert (
        "bucket 'S/Imported' is imported: make sure it uses SSE-S3 default encryption, blocks "
        "all public access, denies requests without TLS (aws:SecureTransport false) and is not "
        "versioned (a versioned bucket keeps every staged list of user ids as a noncurrent "
        "version after its purge); the construct cannot check that"
    ) in notes


# ------------------------------------------------------------------------ keyword options


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda d: _request(d, complection=None),
            "PersonalizeDataDeletion.delete_users() got an unexpected keyword argument "
            "'complection'",
        ),
        (
            lambda d: d.delete_users_from_groups(
                "r",
                dataset_groups=[DATASET_GROUP_ARN],
                users=UserList.from_csv(SAMPLE_CSV),
                retrain_solutions=[],
            ),
            "PersonalizeDataDeletion.delete_users_from_groups() got an unexpected keyword "
            "argument 'retrain_solutions'",
        ),
        (
            lambda d: d.on_job_state_change("Rule", status=["FAILED"]),
            "PersonalizeDataDeletion.on_job_state_change() got an unexpected keyword argument "
            "'status'",
        ),
        (
            lambda d: d.on_models_retrained("Rule", targets=[]),
            "PersonalizeDataDeletion.on_models_retrained() got an unexpected keyword argument "
            "'targets'",
        ),
    ],
)
def test_a_misspelt_option_is_refused_as_python_refuses_an_unknown_keyword(
    declare, message: str
) -> None:
    # GIVEN a construct
    deletion = PersonalizeDataDeletion(new_stack(), "D")
    # WHEN an option is misspelt (options are typed keywords, declared once for each method)
    with pytest.raises(TypeError) as refused:
        declare(deletion)
    # THEN it is refused by name, nothing declared
    assert str(refused.value) == message
    assert deletion.requests == []
