"""The handlers act only on what their environment says they serve, never on the event's word.

Anyone allowed to invoke a handler could otherwise start an irreversible deletion on any dataset
group the role reaches, with another role or bucket.
"""

from __future__ import annotations

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
from personalize_deletion_runtime import tracker_steps
from personalize_deletion_runtime.scopes import Scope, ScopeError, Scopes
from test_scopes_rules import NAMED, slim

pytestmark = pytest.mark.wire

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
            "PurgeStagedInput, RequestName, Retrain, RetrainSolutions, RoleArn, Scope, "
            "ServiceTimeout, ServiceToken, Source, Tags, UpdateCampaigns, WaitSeconds",
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


def test_a_request_asking_to_keep_what_the_construct_purges_is_refused(world: World) -> None:
    # GIVEN a handler deployed to purge staged lists (the default)
    # WHEN a hand-made request in the older shape asks to keep its staged list
    outcome = play(cfn_event("Create", properties(PurgeStagedInput="false")), world)
    # THEN it is refused by name before anything is read, staged or started
    assert outcome.reason == (
        "property PurgeStagedInput 'false' would keep the staged list, which this handler "
        "purges for job name prefix 'pdd'"
    )
    assert world.double.calls == []
    assert world.s3_calls == []


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


@pytest.mark.parametrize(
    ("request_properties", "reason"),
    [
        (
            slim(Scope="Other"),
            "property Scope 'Other' is not served by this handler (it serves 'Deletion')",
        ),
        (
            slim(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/Admin", Bucket="theirs"),
            "property Bucket, RoleArn comes from the handler's environment for a request with "
            "property Scope: remove it",
        ),
        (
            properties(Source={"Bucket": "elsewhere", "Key": "x.csv", "Asset": "true"}),
            "property Source.Bucket 'elsewhere' is not this stack's CDK assets bucket: only a "
            "file asset of the app is removed after its job",
        ),
    ],
    ids=["unknown scope", "scope and its values", "asset outside the assets bucket"],
)
def test_a_request_contradicting_the_environment_starts_nothing(
    world: World, request_properties: dict, reason: str
) -> None:
    # GIVEN handlers whose scopes have names, and a request the environment does not allow
    world.services.scopes = NAMED
    # WHEN it is sent
    outcome = play(cfn_event("Create", request_properties), world)
    # THEN it is refused by name before anything is read, staged or started
    assert outcome.reason == reason
    assert world.double.calls == []
    assert world.s3_calls == []
