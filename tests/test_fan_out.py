"""Fan-out, environments and reviewable diffs, on synthesized templates.

One request naming N dataset groups is N resources with distinct job names; adding a group
adds one; an unchanged list leaves every property byte-identical while a changed one shows its
count and hash; a request file over two regions is two stacks of one Stage. The synths are
shared by the tests of this module (they are the slow part).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_personalize as personalize
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks
from personalize_data_deletion import DeletionConfigError, PersonalizeDataDeletion, UserList
from personalize_data_deletion.stack import DeletionRequestsStage
from personalize_deletion_runtime.request_rules import compose_job_name
from personalize_deletion_runtime.user_list import validate_file
from synth import ACCOUNT, REGION, cfn_lint, synth_template

pytestmark = pytest.mark.synth

RESOURCE_TYPE = "Custom::PersonalizeDataDeletionJob"
IDS = ("fan-user-0001", "fan-user-0002", "fan-user-0003")
GROUPS = [
    f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/{name}"
    for name in ("shop", "catalog", "video", "music")
]
EU_GROUP = "arn:aws:personalize:eu-west-1:210987654321:dataset-group/shop-eu"


def _jobs(template: dict) -> dict[str, dict]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == RESOURCE_TYPE
    }


def _synth(tmp: Path, csv: str, groups: list[str]) -> dict:
    """A stack with one request fanned out to ``groups``, its list at ``tmp/users.csv``."""
    (tmp / "users.csv").write_text(csv)

    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users_from_groups(
            "gdpr-2026-11", dataset_groups=groups, users=UserList.from_csv(tmp / "users.csv")
        )

    return synth_template(build, tmp / "cdk.out")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """three groups; the same list with a blank line and CRLF plus a fourth group; a changed
    list in the three groups."""
    csv = "USER_ID\n" + "\n".join(IDS) + "\n"
    three = tmp_path_factory.mktemp("three")
    return {
        "three": _synth(three, csv, GROUPS[:3]),
        "three:out": three / "cdk.out",
        "four": _synth(tmp_path_factory.mktemp("four"), csv.replace("\n", "\r\n") + "\r\n", GROUPS),
        "changed": _synth(tmp_path_factory.mktemp("changed"), csv + "fan-user-0004\n", GROUPS[:3]),
    }


def test_one_request_in_three_groups_is_three_resources_with_distinct_job_names(
    templates: dict[str, Any],
) -> None:
    jobs = _jobs(templates["three"])
    assert len(jobs) == 3
    properties = [job["Properties"] for job in jobs.values()]
    # THEN each resource is the request in one group, with the list's hash (its id count goes
    # to outputs, not into 22 more bytes per resource)
    assert sorted(p["DatasetGroupArn"] for p in properties) == sorted(GROUPS[:3])
    assert {p["RequestName"] for p in properties} == {"gdpr-2026-11"}
    assert [p for p in properties if "UserCount" in p] == []
    # AND the job names the handler composes from them are distinct
    names = {
        compose_job_name("pdd", p["RequestName"], p["DatasetGroupArn"], p["ContentSha256"])
        for p in properties
    }
    assert len(names) == 3
    # AND each job reads its own copy of the list (removed when that job ends), an asset the
    # handler finds by the job's name, so no request names a location
    assert [p for p in properties if "Source" in p] == []
    assets = json.loads(next(Path(templates["three:out"]).glob("*.assets.json")).read_text())
    keys = {
        destination["objectKey"]
        for asset in assets["files"].values()
        for destination in asset["destinations"].values()
    }
    assert {f"{name}.csv" for name in names} <= keys
    # AND the template stays clean for cfn-lint (cdk-nag ran at synth)
    assert cfn_lint(templates["three"]) == []


def test_adding_a_group_adds_one_resource_and_leaves_the_others_byte_identical(
    templates: dict[str, Any],
) -> None:
    # GIVEN the same request with a fourth group, its list re-saved with CRLF and a blank line
    three, four = templates["three"], templates["four"]
    # THEN the three resources are unchanged, byte for byte: no event, so no second job
    for logical_id, resource in _jobs(three).items():
        assert json.dumps(four["Resources"][logical_id], sort_keys=True) == json.dumps(
            resource, sort_keys=True
        )
    # AND exactly one resource is added, the new group's job; no grant changes (the roles
    # read and remove list assets by one *.csv grant)
    added = sorted(set(four["Resources"]) - set(three["Resources"]))
    [new_job] = [logical_id for logical_id in added if logical_id in _jobs(four)]
    assert added == [new_job]
    assert four["Resources"][new_job]["Properties"]["DatasetGroupArn"] == GROUPS[3]
    changed = sorted(
        logical_id
        for logical_id in three["Resources"]
        if json.dumps(three["Resources"][logical_id], sort_keys=True)
        != json.dumps(four["Resources"][logical_id], sort_keys=True)
    )
    assert changed == []


def test_a_changed_list_shows_its_count_and_hash_and_means_new_jobs(
    templates: dict[str, Any], tmp_path: Path
) -> None:
    before, after = _jobs(templates["three"]), _jobs(templates["changed"])
    assert before.keys() == after.keys()
    (tmp_path / "new.csv").write_text("USER_ID\n" + "\n".join(IDS) + "\nfan-user-0004\n")
    expected = validate_file(tmp_path / "new.csv")
    for logical_id, resource in before.items():
        old, new = resource["Properties"], after[logical_id]["Properties"]
        # THEN a reviewer sees whether the list changed
        assert new["ContentSha256"] == expected.sha256 != old["ContentSha256"]
        # AND the job name changes with the list: the Update starts a new job
        assert compose_job_name(
            "pdd", new["RequestName"], new["DatasetGroupArn"], new["ContentSha256"]
        ) != compose_job_name(
            "pdd", old["RequestName"], old["DatasetGroupArn"], old["ContentSha256"]
        )
    # AND no id is anywhere in the template
    rendered = json.dumps(templates["changed"])
    assert not any(user_id in rendered for user_id in (*IDS, "fan-user-0004"))


def test_fan_out_refuses_what_it_cannot_name_or_place() -> None:
    deletion = PersonalizeDataDeletion(
        cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=ACCOUNT, region=REGION)), "D"
    )
    users = UserList.from_s3(
        s3.Bucket.from_bucket_name(deletion, "B", "privacy-lists"), "a.csv", revision="1"
    )
    with pytest.raises(TypeError) as caught:
        deletion.delete_users_from_groups("r1", dataset_groups=GROUPS[0], users=users)
    assert str(caught.value) == (
        "request 'r1': dataset_groups must be a list of dataset group ARNs or CfnDatasetGroups, "
        "not str"
    )
    with pytest.raises(DeletionConfigError) as refused:
        deletion.delete_users_from_groups("r2", dataset_groups=[], users=users)
    assert str(refused.value) == "request 'r2': dataset_groups is empty: name at least one group"
    with pytest.raises(DeletionConfigError) as twice:
        deletion.delete_users_from_groups("r3", dataset_groups=[GROUPS[0]] * 2, users=users)
    assert str(twice.value) == (
        "request 'r3' dataset_groups[1]: dataset group 'shop' is named twice; each group gets "
        "one job"
    )
    with pytest.raises(DeletionConfigError) as elsewhere:
        deletion.delete_users_from_groups("r4", dataset_groups=[EU_GROUP], users=users)
    assert str(elsewhere.value).startswith(
        f"request 'r4' dataset_groups[0]: '{EU_GROUP}' is in account 210987654321, region eu-west-1"
    )
    with pytest.raises(DeletionConfigError) as again:
        deletion.delete_users("r1", dataset_group_arn=GROUPS[0], users=users)
    assert str(again.value) == (
        "request 'r1' is declared twice: either rename one request or remove the duplicate"
    )


# ------------------------------------------------------------------- one stack, in order


def test_a_local_list_fanned_out_to_groups_of_the_stack_is_one_object_per_job(
    tmp_path: Path,
) -> None:
    # GIVEN one local list fanned out to two dataset groups the stack creates (their ARNs, so
    # the job names, are only known at deploy time)
    (tmp_path / "users.csv").write_text("USER_ID\n" + "\n".join(IDS) + "\n")

    def build(stack: cdk.Stack) -> None:
        groups = [personalize.CfnDatasetGroup(stack, n, name=n.lower()) for n in ("Shop", "Tv")]
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users_from_groups(
            "r1", dataset_groups=groups, users=UserList.from_csv(tmp_path / "users.csv")
        )

    template = synth_template(build, tmp_path / "cdk.out")
    # THEN each job names its own list object: when one job ends and its object is removed,
    # the other job's list is still there for its deployment to read
    sources = [job["Properties"]["Source"] for job in _jobs(template).values()]
    assert len(sources) == 2
    assert {source["Asset"] for source in sources} == {"true"}
    assert len({source["Key"] for source in sources}) == 2


def test_a_request_on_a_group_of_the_stack_waits_for_its_datasets(tmp_path: Path) -> None:
    stacks: list[cdk.Stack] = []

    def build(stack: cdk.Stack) -> None:
        stacks.append(stack)
        group = personalize.CfnDatasetGroup(stack, "Shop", name="shop")
        other = personalize.CfnDatasetGroup(stack, "Other", name="other")
        lists = s3.Bucket(
            stack,
            "Lists",
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            server_access_logs_bucket=s3.Bucket.from_bucket_name(stack, "Logs", "access-logs"),
        )
        deletion = PersonalizeDataDeletion(stack, "UserDeletion")
        deletion.delete_users_from_groups(
            "r1",
            dataset_groups=[group],
            users=UserList.from_s3(lists, "r1.csv", version_id="v1"),
        )
        # declared after the request: found at synth all the same
        for name, owner in (("Users", group), ("Items", group), ("Elsewhere", other)):
            personalize.CfnDataset(
                stack,
                name,
                name=name.lower(),
                dataset_group_arn=owner.attr_dataset_group_arn,
                dataset_type=name.upper() if name != "Elsewhere" else "INTERACTIONS",
                schema_arn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:schema/{name.lower()}",
            )

    template = synth_template(build, tmp_path)
    [job] = _jobs(template).values()
    # THEN the job waits for the two datasets of its group, not for the other group's
    datasets = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Personalize::Dataset"
    }
    assert sorted(set(job["DependsOn"]) & datasets) == sorted(
        d for d in datasets if not d.startswith("Elsewhere")
    )
    # AND the pinned version is in the source, read with s3:GetObjectVersion
    assert job["Properties"]["Source"]["VersionId"] == "v1"
    assert "s3:GetObjectVersion" in json.dumps(template)
    # AND a synth warning says the stack's own bucket is empty on the first deployment
    Annotations.from_stack(stacks[0]).has_warning(
        "/Test/UserDeletion/r1/shop",
        Match.string_like_regexp(
            "request 'r1' reads 'r1.csv' from bucket 'Test/Lists', which this stack creates: it "
            "is empty on the first deployment"
        ),
    )


# ---------------------------------------------------------------------------- environments


def test_a_two_region_request_file_is_two_stacks_of_one_stage(tmp_path: Path) -> None:
    # GIVEN a request in a group of us-east-1 and one of eu-west-1 (another account too)
    shutil.copy(Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv", tmp_path)
    (tmp_path / "requests.json").write_text(
        json.dumps(
            {
                "requests": [
                    {
                        "name": "gdpr-2026-11",
                        "users": "sample-users.csv",
                        "datasetGroups": [GROUPS[0], EU_GROUP],
                    },
                    {
                        "name": "gdpr-2026-12",
                        "users": "sample-users.csv",
                        "datasetGroups": ["music"],
                        "environments": [{"account": ACCOUNT, "region": REGION}],
                    },
                ]
            }
        )
    )
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stage = DeletionRequestsStage(app, "Deletions", request_file=tmp_path / "requests.json")
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth().get_nested_assembly("assembly-Deletions")
    # THEN one stack per (account, region), named as the app's single stack always was
    stacks = {(s.environment.account, s.environment.region): s for s in assembly.stacks}
    assert sorted(stacks) == [(ACCOUNT, REGION), ("210987654321", "eu-west-1")]
    assert {s.stack_name for s in assembly.stacks} == {"PersonalizeDataDeletion"}
    assert [s.stack_name for s in stage.stacks] == ["PersonalizeDataDeletion"] * 2
    # AND each stack holds the jobs of its own environment
    groups = {
        env: sorted(j["Properties"]["DatasetGroupArn"] for j in _jobs(s.template).values())
        for env, s in stacks.items()
    }
    assert groups == {
        (ACCOUNT, REGION): sorted([GROUPS[0], GROUPS[3]]),
        ("210987654321", "eu-west-1"): [EU_GROUP],
    }


def test_a_request_file_change_shows_the_new_count_and_hash_to_cdk_diff(tmp_path: Path) -> None:
    # GIVEN a request file whose list is synthesized three times: as filed, re-saved with CRLF
    # and a blank line, and with one more user
    def synth(csv: str, name: str) -> dict:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "users.csv").write_text(csv)
        request = {"name": "gdpr-2026-11", "users": "users.csv", "datasetGroups": [GROUPS[0]]}
        (folder / "requests.json").write_text(json.dumps({"requests": [request]}))
        app = cdk.App(outdir=str(folder / "cdk.out"))
        DeletionRequestsStage(app, "Deletions", request_file=folder / "requests.json")
        [stack] = app.synth().get_nested_assembly("assembly-Deletions").stacks
        return stack.template

    csv = "USER_ID\n" + "\n".join(IDS) + "\n"
    filed = synth(csv, "filed")
    resaved = synth(csv.replace("\n", "\r\n") + "\r\n", "resaved")
    grown = synth(csv + "fan-user-0004\n", "grown")

    def described(template: dict) -> list[str]:
        return [o["Description"] for k, o in template["Outputs"].items() if "JobName" in k]

    # THEN the JobName output (which cdk diff shows with its description) says how many users
    # and which list; a re-saved list changes nothing at all, a grown one both
    hashes = [validate_file(tmp_path / name / "users.csv").sha256 for name in ("filed", "grown")]
    job = "gdpr-2026-11 in shop: JobName"
    assert described(filed) == [f"{job} (3 users, list SHA-256 {hashes[0]})"]
    assert json.dumps(resaved, sort_keys=True) == json.dumps(filed, sort_keys=True)
    assert described(grown) == [f"{job} (4 users, list SHA-256 {hashes[1]})"]
