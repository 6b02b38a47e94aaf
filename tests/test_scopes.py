"""The handlers act only on what their environment says they serve, never on the event's word.

Anyone allowed to invoke a handler could otherwise start an irreversible deletion on any dataset
group the role reaches, with another role or bucket.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import lifecycle_support as support
import pytest
from lifecycle_support import (
    ACCOUNT,
    ROLE,
    STAGING_BUCKET,
    World,
    cfn_event,
    play,
    properties,
)
from personalize_data_deletion import PersonalizeDataDeletion
from personalize_deletion_runtime import tracker_steps
from personalize_deletion_runtime.scopes import Scope, ScopeError, Scopes
from synth import synth_template

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"DatasetGroupArn": "arn:aws:personalize:us-east-1:111122223333:dataset-group/theirs"},
            "property DatasetGroupArn 'arn:aws:personalize:us-east-1:111122223333:dataset-group/"
            f"theirs' is outside this handler's account {ACCOUNT} and region us-east-1 "
            "(partition aws)",
        ),
        (
            {"DatasetGroupArn": f"arn:aws:personalize:eu-west-1:{ACCOUNT}:dataset-group/x"},
            f"property DatasetGroupArn 'arn:aws:personalize:eu-west-1:{ACCOUNT}:dataset-group/x'"
            f" is outside this handler's account {ACCOUNT} and region us-east-1 (partition aws)",
        ),
        (
            {"JobNamePrefix": "evil"},
            "property JobNamePrefix 'evil' is not served by this handler (it serves 'pdd')",
        ),
        (
            {"Bucket": "someone-elses-bucket"},
            "property Bucket 'someone-elses-bucket' is not the one this handler serves for job "
            "name prefix 'pdd'",
        ),
        (
            {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"},
            f"property RoleArn 'arn:aws:iam::{ACCOUNT}:role/Admin' is not the one this handler "
            "serves for job name prefix 'pdd'",
        ),
        (
            {"Extra": "x"},
            "unknown property Extra: this handler takes Bucket, Completion, ContentSha256, "
            "DatasetGroupArn, FollowUp, JobNamePrefix, MaxInputBytes, Preflight, "
            "PurgeStagedInput, RequestName, Retrain, RetrainSolutions, RoleArn, ServiceTimeout, "
            "ServiceToken, Source, Tags, UpdateCampaigns, UserCount, WaitSeconds",
        ),
    ],
)
def test_a_request_outside_the_handlers_scope_starts_nothing(
    world: World, change: dict, reason: str
) -> None:
    # GIVEN a hand-made event naming something the handler was not deployed for
    # WHEN it is sent
    outcome = play(cfn_event("Create", properties(**change)), world)
    # THEN it is refused by name before anything is read, staged or started
    assert outcome.reason == reason
    assert world.double.calls == []
    assert world.s3_calls == []


def test_a_larger_input_limit_than_the_construct_allows_is_refused(world: World) -> None:
    world.services.scopes = Scopes(
        partition="aws",
        region="us-east-1",
        account=ACCOUNT,
        scopes=(Scope("pdd", STAGING_BUCKET, ROLE, 1000),),
    )
    outcome = play(cfn_event("Create", properties(MaxInputBytes="1001")), world)
    assert (
        outcome.reason == "property MaxInputBytes 1001 exceeds the 1000 bytes this handler allows"
    )


def test_a_handler_without_scopes_serves_nothing_but_still_deletes_resources(
    world: World,
) -> None:
    # GIVEN a handler whose environment lacks DELETION_SCOPES
    world.services.scopes = Scopes.from_json(None)
    # WHEN a Create arrives THEN it is refused saying why
    created = play(cfn_event("Create", properties()), world)
    assert created.reason == (
        "the handler's environment has no DELETION_SCOPES: it serves no request (deploy it with "
        "the PersonalizeDataDeletion construct)"
    )
    # AND a Delete still succeeds: removing a request never fails
    deleted = play(cfn_event("Delete", properties(), physical_id="pdd-x"), world)
    assert (deleted.reason, deleted.physical_id) == (None, "pdd-x")


def test_the_trackers_step_refuses_a_foreign_request_too(world: World) -> None:
    # GIVEN a tracker state naming a role this handler does not serve
    world.double.run_seconds = 5000
    play(cfn_event("Create", properties()), world, step=100)
    state = world.tracker_input(support.expected_job_name(support.USERS_CSV))
    state["request"]["RoleArn"] = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    # WHEN a step runs THEN it refuses (a permanent error: no retry)
    with pytest.raises(ScopeError, match="property RoleArn"):
        tracker_steps.run({"step": "submit", "execution": "x", "state": state}, world.services)


def test_the_synthesized_handlers_serve_exactly_the_stacks_constructs(tmp_path: Path) -> None:
    # GIVEN two deletion constructs in one stack
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "A")
        PersonalizeDataDeletion(stack, "B", job_name_prefix="other", max_input_bytes=1000)

    template = synth_template(build, tmp_path)
    # THEN both handlers and the tracker's step carry the same scopes: the stack's account and
    # region, and each construct's prefix, bucket, service role and limit
    values = {
        logical_id: resource["Properties"]["Environment"]["Variables"]["DELETION_SCOPES"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and "DELETION_SCOPES" in json.dumps(resource["Properties"].get("Environment", {}))
    }
    assert sorted(re.sub(r"[0-9A-F]{8}$", "", k) for k in values) == [
        "PersonalizeDataDeletionProviderIsComplete",
        "PersonalizeDataDeletionProviderOnEvent",
        "PersonalizeDataDeletionTrackerStep",
    ]
    [value] = {json.dumps(v, sort_keys=True) for v in values.values()}
    rendered = "".join(
        part if isinstance(part, str) else json.dumps(part, sort_keys=True)
        for part in json.loads(value)["Fn::Join"][1]
    )
    bucket_a = next(k for k in template["Resources"] if k.startswith("ABucket"))
    bucket_b = next(k for k in template["Resources"] if k.startswith("BBucket"))
    role_b = next(
        k for k in template["Resources"] if re.fullmatch(r"BPersonalizeRole[0-9A-F]{8}", k)
    )
    assert f'"prefix":"pdd","bucket":"{{"Ref": "{bucket_a}"}}"' in rendered
    assert (
        f'"prefix":"other","bucket":"{{"Ref": "{bucket_b}"}}",'
        f'"roleArn":"{{"Fn::GetAtt": ["{role_b}", "Arn"]}}","maxInputBytes":1000' in rendered
    )
    assert rendered.startswith('{"partition":"{"Ref": "AWS::Partition"}","region":"{"Ref": ')
