"""No copy of a list outlives its job: the staged copy, the CDK asset, the synth's temp files.

A local list (``from_csv``/``from_ids``) travels as a CDK file asset into the CDK assets bucket,
whose lifecycle keeps objects for good. Once the job has ended, the handlers put a tombstone
at the asset's key (so the CDK CLI does not upload the list again: it uploads keys that are
missing or hold at most 22 bytes, see ``test_asset_tombstone_cli.py``) and delete the version
that held the ids. Later events name the job by the hash the construct computed at synth.
"""

from __future__ import annotations

import hashlib

import lifecycle_support as support
import pytest
from lifecycle_support import (
    ASSET_KEY,
    SOURCE_BUCKET,
    USERS_CSV,
    World,
    canonical_bytes,
    cfn_event,
    expected_job_name,
    job_arn,
    play,
    properties,
)
from personalize_deletion_runtime.job_source import source_identity
from personalize_deletion_runtime.properties import parse_request

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
SHA = hashlib.sha256(canonical_bytes(USERS_CSV)).hexdigest()
TOMBSTONE = f"removed after data deletion job {JOB} ended\n".encode()
"""What the handlers leave at a list's key: more than the 22 bytes the CDK CLI counts as missing."""
ASSET_SOURCE = {"Bucket": SOURCE_BUCKET, "Key": ASSET_KEY, "Asset": "true"}


def asset_props(**overrides) -> dict:
    return properties(**{"Source": ASSET_SOURCE, "ContentSha256": SHA, **overrides})


def versioned_asset(world: World, key: str = ASSET_KEY) -> str:
    """The assets bucket is versioned (as CDK bootstraps it); the list is one version."""
    world.s3.delete_object(Bucket=SOURCE_BUCKET, Key=ASSET_KEY)  # the fixture's unversioned copy
    world.s3.put_bucket_versioning(
        Bucket=SOURCE_BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    return world.s3.put_object(Bucket=SOURCE_BUCKET, Key=key, Body=USERS_CSV)["VersionId"]


def versions(world: World) -> list[tuple[bytes, dict]]:
    """(body, metadata) of every version at the asset key, newest first."""
    listed = world.s3.list_object_versions(Bucket=SOURCE_BUCKET, Prefix=ASSET_KEY)
    found = []
    for version in listed.get("Versions", []):
        response = world.s3.get_object(
            Bucket=SOURCE_BUCKET, Key=ASSET_KEY, VersionId=version["VersionId"]
        )
        found.append((response["Body"].read(), response["Metadata"]))
    return found


def test_the_asset_is_replaced_by_a_tombstone_once_the_job_ended(world: World) -> None:
    # GIVEN a local list shipped as a versioned CDK asset
    read_version = versioned_asset(world)

    # WHEN the request is created and its job completes
    outcome = play(cfn_event("Create", asset_props()), world)

    # THEN the only version left at the asset's key is a tombstone naming the job
    assert outcome.data["Status"] == "COMPLETED"
    assert versions(world) == [(TOMBSTONE, {"pdd-removed-after-job": JOB})]
    # AND the receipt says which version was read (and so deleted)
    assert world.receipt(JOB)["input"]["sourceVersionId"] == read_version
    assert world.keys() == [f"receipts/{JOB}.json"]


def test_later_events_name_the_job_by_its_hash_once_the_list_is_gone(world: World) -> None:
    # GIVEN a completed request whose asset was removed
    versioned_asset(world)
    props = asset_props()
    create = play(cfn_event("Create", props), world)
    receipt = world.receipt(JOB)

    # WHEN an Update changes only the tags, and later another stack creates the same request
    new = asset_props(Tags={"ticket": "PRIV-2"})
    update = play(cfn_event("Update", new, physical_id=create.physical_id, old=props), world)
    recreate = play(cfn_event("Create", props), world)

    # THEN both report the recorded job, start nothing and leave the receipt as it was
    for outcome in (update, recreate):
        assert outcome.reason is None
        assert outcome.physical_id == JOB
        assert outcome.data["JobArn"] == job_arn(JOB)
        assert outcome.data["Status"] == "COMPLETED"
    assert list(world.double.jobs) == [JOB]
    assert world.receipt(JOB) == receipt
    assert recreate.event["Ticket"]["input"] == {
        "sha256": SHA,
        "sourceRemovedAfterJob": JOB,
        "sourceIdentity": source_identity(parse_request(props)),
    }


def test_a_removed_list_whose_job_does_not_exist_cannot_start_one(world: World) -> None:
    # GIVEN a tombstone at the asset key and no job for the hash the properties carry
    world.s3.put_object(
        Bucket=SOURCE_BUCKET, Key=ASSET_KEY, Body=b"", Metadata={"pdd-removed-after-job": "pdd-x"}
    )

    # WHEN the request is created
    outcome = play(cfn_event("Create", asset_props()), world)

    # THEN it fails saying the list is gone, and how to have it published again; nothing was
    # started
    assert outcome.reason == (
        f"request gdpr-2026-11: s3://{SOURCE_BUCKET}/{ASSET_KEY} was removed from the CDK assets "
        f"bucket after job pdd-x ended, and no job {JOB} exists to adopt: that key held the list "
        "of every job of this request and list (its dataset group was not known at synth), so "
        "no job can be started from it; rename the request, and the synth publishes its list "
        "under a new key"
    )
    assert [call.operation for call in world.double.calls] == ["ListDataDeletionJobs"]


def test_an_asset_that_is_not_the_list_validated_at_synth_starts_nothing(world: World) -> None:
    # GIVEN properties whose hash belongs to another list
    other = hashlib.sha256(b"another list").hexdigest()

    # WHEN the request is created
    outcome = play(cfn_event("Create", asset_props(ContentSha256=other)), world)

    # THEN it fails before staging or starting anything
    assert outcome.reason == (
        f"request gdpr-2026-11: the list at s3://{SOURCE_BUCKET}/{ASSET_KEY} is not the one "
        f"validated at synth (SHA-256 {SHA[:12]}..., expected {other[:12]}...): synthesize and "
        "deploy again; no job started"
    )
    assert world.double.calls == []
    assert world.keys() == []


def test_the_tracker_removes_the_asset_of_a_job_it_followed(world: World) -> None:
    # GIVEN a long job from a local list, handed off
    versioned_asset(world)
    world.double.run_seconds = 5000
    play(cfn_event("Create", asset_props()), world, step=100)
    assert versions(world)[0][0] == USERS_CSV  # still needed while the job runs

    # WHEN the tracker follows it to its end
    result = world.run_tracker(JOB)

    # THEN the asset is a tombstone and the list's version is gone
    assert result.status == "SUCCEEDED"
    assert versions(world) == [(TOMBSTONE, {"pdd-removed-after-job": JOB})]


def test_a_list_in_the_users_own_bucket_is_left_to_them(world: World) -> None:
    # GIVEN a from_s3 source (no Asset flag)
    # WHEN the job completes
    play(cfn_event("Create", properties()), world)
    # THEN the user's object is untouched
    assert world.read(ASSET_KEY, bucket=SOURCE_BUCKET) == USERS_CSV
