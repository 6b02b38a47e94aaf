"""Which construct a job belongs to, after the deployment: its events, and its tracker.

Every event names the request's construct (``scope``), which is what a construct's rules match:
job name prefixes may be shared by constructs of a stack. A construct removed from the stack
while the tracker follows one of its jobs can no longer be recorded; the tracker says so and
where the outcome is. Same set-up as the tracker tests: the tracker definition runs in the local
interpreter on the simulated clock, Personalize is the double, S3, Step Functions and
EventBridge are moto's server.
"""

from __future__ import annotations

import hashlib
import json

import lifecycle_support as support
import pytest
from lifecycle_support import (
    ACCOUNT,
    ASSET_KEY,
    GROUP,
    PREFIX,
    REQUEST_NAME,
    ROLE,
    SERVICE_TOKEN,
    SOURCE_BUCKET,
    STAGING_BUCKET,
    USERS_CSV,
    World,
    canonical_bytes,
    cfn_event,
    expected_job_name,
    job_event_rule,
    play,
    properties,
)
from personalize_deletion_runtime.notifications import EVENT_SOURCE, MODELS_DETAIL_TYPE
from personalize_deletion_runtime.request_rules import follow_up_job_name
from personalize_deletion_runtime.scopes import Assets, Scope, ScopeError, Scopes

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
KEPT = Scope("keep", "kept-bucket", f"arn:aws:iam::{ACCOUNT}:role/Kept", 100_000_000, scope_id="A")
TEAM = Scope(PREFIX, STAGING_BUCKET, ROLE, 100_000_000, scope_id="Team/UserDeletion")


ASSETS = Assets(SOURCE_BUCKET, "")


def _serving(*scopes: Scope, assets: Assets | None = None) -> Scopes:
    return Scopes(
        partition="aws", region="us-east-1", account=ACCOUNT, scopes=scopes, assets=assets
    )


def _scoped_request(scope_id: str, **more: str) -> dict[str, object]:
    """A request as the construct writes it today: it names its construct, not its values."""
    return {
        "ServiceToken": SERVICE_TOKEN,
        "RequestName": REQUEST_NAME,
        "Scope": scope_id,
        "DatasetGroupArn": GROUP,
        "Source": {"Bucket": SOURCE_BUCKET, "Key": ASSET_KEY},
        **more,
    }


def _lambda_error(cause: str | None) -> tuple[str, str]:
    """(errorType, errorMessage) of the Lambda error a tracker execution failed with."""
    payload = json.loads(cause or "{}")
    return payload["errorType"], payload["errorMessage"]


# --------------------------------------------------------------------------- events


def test_the_job_event_and_the_models_event_name_the_requests_construct(world: World) -> None:
    """GIVEN a construct at path Team/UserDeletion and one of its requests that retrains
    WHEN the job completes inside the deployment and the tracker then retrains the solution
    THEN the job event and the "models retrained" event both carry scope Team/UserDeletion."""
    world.services.scopes = _serving(KEPT, TEAM)
    world.double.add_solution(GROUP, "home-page")
    models = job_event_rule(
        world, "models", {"source": [EVENT_SOURCE], "detail-type": [MODELS_DETAIL_TYPE]}
    )

    outcome = play(cfn_event("Create", _scoped_request(TEAM.scope_id or "", Retrain="ALL")), world)
    assert outcome.reason is None
    assert world.run_tracker(JOB).status == "SUCCEEDED"

    [job_event] = world.events()
    [models_event] = [message["detail"] for message in models()]
    assert (job_event["jobName"], job_event["status"], job_event["scope"]) == (
        JOB,
        "COMPLETED",
        "Team/UserDeletion",
    )
    assert (models_event["jobName"], models_event["status"], models_event["scope"]) == (
        JOB,
        "RETRAINED",
        "Team/UserDeletion",
    )


def test_the_event_of_a_request_that_names_no_construct_has_no_scope(world: World) -> None:
    """GIVEN a request written before requests named their construct (no Scope property: a
    rollback, or a tracker started by an older version)
    WHEN its job completes
    THEN its event has no scope field (the rules match it by job name prefix) and every other
    field as before."""
    assert play(cfn_event("Create", properties()), world).reason is None

    [event] = world.events()
    assert event["jobName"] == JOB
    assert "scope" not in event


# --------------------------------------------------------------------------- removal


def test_the_tracker_says_a_removed_constructs_job_cannot_be_recorded_and_where_it_is(
    world: World,
) -> None:
    """GIVEN constructs A and Team/UserDeletion in one stack; a request of the latter is handed
    to the tracker
    WHEN that construct is removed from the stack (the tracker's environment and grants now
    serve A only) and the job then ends
    THEN the execution fails (tracking_alarm) naming the removed construct, the job and how to
    read its outcome, instead of a bare "Scope is not served"."""
    world.services.scopes = _serving(KEPT, TEAM)
    world.double.run_seconds = 5000
    play(cfn_event("Create", _scoped_request(TEAM.scope_id or "")), world, step=100)
    assert world.tracker_input(JOB)["request"]["Scope"] == "Team/UserDeletion"
    job_arn = world.tracker_input(JOB)["job"]["arn"]

    world.services.scopes = _serving(KEPT)
    world.advance(6000)
    run = world.run_tracker(JOB)

    assert (run.status, run.error) == ("FAILED", "TrackerFailed")
    assert _lambda_error(run.cause) == (
        "ScopeError",
        "construct 'Team/UserDeletion' is no longer in the stack: the tracker no longer serves "
        f"it nor may use its bucket, so it cannot record job {JOB} (no receipt, no event); read "
        "the job's outcome with aws personalize describe-data-deletion-job "
        f"--data-deletion-job-arn {job_arn}; the staged list expires with the bucket's "
        "lifecycle rule",
    )


def test_removed_construct_failure_names_the_local_list_copy_left_in_the_assets_bucket(
    world: World,
) -> None:
    """GIVEN constructs A and Team/UserDeletion; a request of the latter with a local list
    (from_csv / from_ids: no Source, its hash; the asset is ``<job name>.csv`` in the versioned
    CDK assets bucket) is handed to the tracker
    WHEN that construct is removed from the stack and the job then ends
    THEN the execution fails as documented, the list is still in the assets bucket (the tracker
    lost the grants to read the job and to touch the construct's copies), and the cause names
    that copy, which never expires and which no handler removes now, and how to delete it."""
    world.s3.put_bucket_versioning(
        Bucket=SOURCE_BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    world.s3.put_object(Bucket=SOURCE_BUCKET, Key=f"{JOB}.csv", Body=USERS_CSV)
    world.services.scopes = _serving(KEPT, TEAM, assets=ASSETS)
    world.double.run_seconds = 5000
    local_list = {
        "ServiceToken": SERVICE_TOKEN,
        "RequestName": REQUEST_NAME,
        "Scope": "Team/UserDeletion",
        "DatasetGroupArn": GROUP,
        "ContentSha256": hashlib.sha256(canonical_bytes(USERS_CSV)).hexdigest(),
    }
    assert play(cfn_event("Create", local_list), world, step=100).reason is None
    assert world.tracker_input(JOB)["request"]["Scope"] == "Team/UserDeletion"
    job_arn = world.tracker_input(JOB)["job"]["arn"]

    world.services.scopes = _serving(KEPT, assets=ASSETS)
    world.advance(6000)
    run = world.run_tracker(JOB)

    assert (run.status, run.error) == ("FAILED", "TrackerFailed")
    versions = world.s3.list_object_versions(Bucket=SOURCE_BUCKET, Prefix=f"{JOB}.csv")
    assert [
        world.s3.get_object(Bucket=SOURCE_BUCKET, Key=f"{JOB}.csv", VersionId=v["VersionId"])[
            "Body"
        ].read()
        for v in versions["Versions"]
    ] == [USERS_CSV]
    assert _lambda_error(run.cause) == (
        "ScopeError",
        "construct 'Team/UserDeletion' is no longer in the stack: the tracker no longer serves "
        f"it nor may use its bucket, so it cannot record job {JOB} (no receipt, no event); read "
        "the job's outcome with aws personalize describe-data-deletion-job "
        f"--data-deletion-job-arn {job_arn}; the staged list expires with the bucket's "
        "lifecycle rule, but the list's copy in the CDK assets bucket does not expire and no "
        f"handler removes it now: delete every version of s3://{SOURCE_BUCKET}/{JOB}.csv (aws "
        f"s3api list-object-versions --bucket {SOURCE_BUCKET} --prefix {JOB}.csv, then "
        "delete-object with each --version-id)",
    )


def test_removed_construct_failure_of_a_follow_up_does_not_send_the_user_after_its_asset(
    world: World,
) -> None:
    """GIVEN a local list's request (no Source, its hash) of construct Team/UserDeletion whose
    tracked job is a follow-up: the first job's recorded end removed the list's asset copy
    WHEN that construct is no longer served by the tracker
    THEN the failure says the asset copy went when the first job ended, rather than telling
    the user to delete a copy that is gone."""
    local_list = {
        "ServiceToken": SERVICE_TOKEN,
        "RequestName": REQUEST_NAME,
        "Scope": "Team/UserDeletion",
        "DatasetGroupArn": GROUP,
        "ContentSha256": hashlib.sha256(canonical_bytes(USERS_CSV)).hexdigest(),
    }
    follow_up = follow_up_job_name(JOB)
    scopes = _serving(KEPT, assets=ASSETS)

    with pytest.raises(ScopeError) as refused:
        scopes.tracked_request(local_list, follow_up, None, JOB)

    assert str(refused.value) == (
        "construct 'Team/UserDeletion' is no longer in the stack: the tracker no longer serves "
        f"it nor may use its bucket, so it cannot record job {follow_up} (no receipt, no "
        "event); no job was started for it; the staged list expires with the bucket's "
        "lifecycle rule; the list's copy in the CDK assets bucket was removed when job "
        f"{JOB} ended"
    )


def test_the_tracker_says_so_for_a_request_that_names_no_construct_too(world: World) -> None:
    """GIVEN a tracked job of a request that names its prefix, bucket and role (no Scope)
    WHEN its construct is removed and the tracker's environment serves another one only
    THEN the execution fails naming that construct's prefix and bucket, why the request is
    refused, and how to read the job's outcome."""
    world.double.run_seconds = 5000
    play(cfn_event("Create", properties()), world, step=100)
    job_arn = world.tracker_input(JOB)["job"]["arn"]

    world.services.scopes = _serving(KEPT)
    world.advance(6000)
    run = world.run_tracker(JOB)

    assert (run.status, run.error) == ("FAILED", "TrackerFailed")
    assert _lambda_error(run.cause) == (
        "ScopeError",
        f"the construct with job name prefix 'pdd' and bucket '{STAGING_BUCKET}' is no longer "
        "in the stack as it was (property JobNamePrefix 'pdd' is not served by this handler "
        "(it serves 'keep')): the tracker no longer serves it nor may use its bucket, so it "
        f"cannot record job {JOB} (no receipt, no event); read the job's outcome with aws "
        f"personalize describe-data-deletion-job --data-deletion-job-arn {job_arn}; the "
        "staged list expires with the bucket's lifecycle rule",
    )
