"""A deletion bucket found versioned at deploy (an imported one, unknown at synth): refused.

Staging a list answers with the version written: in a bucket with versioning enabled, that
exact version is deleted again and the request fails naming the bucket, the rule and the fix,
before any job is created, so that no list of user ids stays as a noncurrent version. Real S3
behaviour: moto's server, through boto3's serializer.
"""

from __future__ import annotations

import logging
from typing import Any

import lifecycle_support as support
import pytest
from botocore.exceptions import ClientError
from lifecycle_support import (
    GROUP,
    STAGING_BUCKET,
    USER_IDS,
    USERS_CSV,
    World,
    cfn_event,
    expected_job_name,
    play,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.request_rules import follow_up_job_name
from test_personal_data import versioned_asset
from test_unread_lists import (
    DECLARED,
    JOB_KEY,
    everything_at_the_asset_key,
    job_asset_props,
    queued_then_staged_list_gone,
)

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
STAGED = f"staging/{JOB}/users.csv"
RULE = (
    f"bucket '{STAGING_BUCKET}' has versioning enabled, and a deletion bucket must not be "
    "versioned: the purge of a staged list and its lifecycle expiration only add a delete "
    "marker, so every list of user ids would stay as a noncurrent version; "
)
FIX = (
    f"; suspend its versioning (aws s3api put-bucket-versioning --bucket {STAGING_BUCKET} "
    "--versioning-configuration Status=Suspended) and delete the noncurrent versions it holds "
    "under staging/, or give the construct a bucket that was never versioned, then deploy "
    "again; no job was started"
)


def version_bucket(world: World, status: str = "Enabled") -> None:
    world.s3.put_bucket_versioning(
        Bucket=STAGING_BUCKET, VersioningConfiguration={"Status": status}
    )


def staged_versions(world: World) -> tuple[list[str], list[str]]:
    """Keys of every version, and of every delete marker, under staging/."""
    listed = world.s3.list_object_versions(Bucket=STAGING_BUCKET, Prefix="staging/")
    return (
        [version["Key"] for version in listed.get("Versions", [])],
        [marker["Key"] for marker in listed.get("DeleteMarkers", [])],
    )


def test_a_deletion_bucket_versioned_at_deploy_fails_the_request_and_keeps_no_copy(
    world: World,
) -> None:
    # GIVEN an imported deletion bucket whose versioning is enabled
    version_bucket(world)

    # WHEN a request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN it fails naming the bucket, the rule, the version written and deleted, and the fix
    assert outcome.reason is not None
    version_id = outcome.reason.split("(version ", 1)[1].split(" ", 1)[0]
    assert outcome.reason == (
        f"request gdpr-2026-11: {RULE}the list just written (version {version_id} of "
        f"s3://{STAGING_BUCKET}/{STAGED}) was deleted again{FIX}"
    )
    assert not any(user_id in outcome.reason for user_id in USER_IDS)
    # AND no job was created
    assert world.job_calls() == []
    assert world.double.jobs == {}
    # AND nothing of the list is left under staging/: no version, no delete marker
    assert staged_versions(world) == ([], [])
    assert world.s3_calls == ["GetObject", "PutObject", "DeleteObject"]


def test_a_local_list_refused_by_a_versioned_bucket_leaves_no_version_of_its_asset(
    world: World,
) -> None:
    # GIVEN a local list shipped as a versioned CDK asset named after its job, and a deletion
    # bucket with versioning enabled
    versioned_asset(world, JOB_KEY)
    version_bucket(world)

    # WHEN its request is created
    outcome = play(cfn_event("Create", job_asset_props()), world)

    # THEN it fails without a job, and, as any request that fails without one, the asset
    # version it read is deleted too (the CDK CLI uploads the list again for the next deploy)
    assert outcome.reason is not None and outcome.reason.endswith(FIX)
    assert world.double.jobs == {}
    assert staged_versions(world) == ([], [])
    assert everything_at_the_asset_key(world, JOB_KEY) == ([], [])


def test_a_version_that_cannot_be_deleted_is_named_with_the_command_that_deletes_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a versioned deletion bucket whose policy refuses DeleteObjectVersion
    version_bucket(world)
    client = world.services.storage.client
    real_delete = client.delete_object

    def delete_object(**request: Any) -> dict[str, Any]:
        if "VersionId" in request:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "Delete")
        return real_delete(**request)

    monkeypatch.setattr(client, "delete_object", delete_object)

    # WHEN a request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN it fails all the same, saying which version is left and how to delete it
    assert outcome.reason is not None
    [version_id] = [
        version["VersionId"]
        for version in world.s3.list_object_versions(Bucket=STAGING_BUCKET)["Versions"]
    ]
    assert outcome.reason == (
        f"request gdpr-2026-11: {RULE}the list just written (version {version_id} of "
        f"s3://{STAGING_BUCKET}/{STAGED}) could not be deleted (An error occurred "
        "(AccessDenied) when calling the Delete operation: denied): delete it with aws s3api "
        f"delete-object --bucket {STAGING_BUCKET} --key {STAGED} --version-id {version_id}{FIX}"
    )
    assert world.double.jobs == {}


def test_a_bucket_with_versioning_suspended_is_used_and_keeps_no_copy(world: World) -> None:
    # GIVEN a deletion bucket whose versioning is suspended (a list staged now is the "null"
    # version, which the purge deletes)
    version_bucket(world, "Suspended")

    # WHEN a request is created and its job completes
    outcome = play(cfn_event("Create", properties()), world)

    # THEN it succeeds, and no version of the list is left under staging/
    assert outcome.reason is None
    assert outcome.data is not None and outcome.data["Status"] == "COMPLETED"
    assert staged_versions(world)[0] == []


def test_an_update_that_stages_its_kept_job_again_in_a_versioned_bucket_fails(
    world: World,
) -> None:
    # GIVEN a request whose job never started and whose staged list is gone, and a deletion
    # bucket whose versioning was enabled since
    queued_then_staged_list_gone(world)
    version_bucket(world)

    # WHEN an Update that keeps the job (new tags) stages its list again
    props = properties(Tags={"ticket": "PRIV-2"})
    event = cfn_event("Update", props, physical_id=JOB, old=properties())
    with pytest.raises(lifecycle.DeletionFailed) as refused:
        lifecycle.on_event(event, world.services)

    # THEN it fails with the same reason, no job is created, and the version it wrote is gone;
    # only the empty key of the QUEUED Create (written before versioning: it records that the
    # resource declares the request, see test_cancellation) is left under staging/
    assert str(refused.value).startswith(f"request gdpr-2026-11: {RULE}the list just written")
    assert str(refused.value).endswith(FIX)
    assert world.double.jobs == {}
    assert staged_versions(world) == ([DECLARED], [])


def test_a_follow_up_copy_in_a_bucket_versioned_since_is_deleted_and_not_queued(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a request asking for a follow-up job, handed off while its job runs, a training
    # that starts during the job, and a deletion bucket whose versioning is enabled meanwhile
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 10_000)
    version_bucket(world)
    follow_up = follow_up_job_name(JOB)

    # WHEN the tracker records the job's end
    with caplog.at_level(logging.ERROR):
        result = world.run_tracker(JOB)

    # THEN the first job is recorded, without a follow-up: its copy was deleted by version
    assert result.status == "SUCCEEDED"
    assert world.receipt(JOB)["followUp"] is None
    assert sorted(world.double.jobs) == [JOB]
    assert f"staging/{follow_up}/users.csv" not in staged_versions(world)[0]
    # AND why is logged, naming the bucket and the fix
    [logged] = [r for r in caplog.records if r.getMessage() == "follow-up not staged"]
    assert logged.__dict__["error"].startswith(RULE + "the list just written (version ")
