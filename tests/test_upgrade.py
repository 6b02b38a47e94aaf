"""Upgrading to slim request properties changes no job's identity and starts no job.

The first deployment after the upgrade sends every request an Update: its properties lost the
values its construct shares (now in the handlers' environment, found by ``Scope``), and a local
list is now published under its SHA-256 instead of a fingerprint of the file, so the CDK CLI
uploads it once more under that key. The handler must compose the same job name from the new
shape, adopt nothing new, start nothing, and remove that fresh copy again once it sees the job
has ended.
"""

from __future__ import annotations

import hashlib

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
    job_arn,
    play,
    properties,
)
from personalize_deletion_runtime.scopes import Assets, Scope, Scopes
from personalize_deletion_runtime.staging import TOMBSTONE_METADATA, tombstone_body

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
CANONICAL = canonical_bytes(USERS_CSV)
SHA = hashlib.sha256(CANONICAL).hexdigest()
SCOPE_ID = "UserDeletion"
UPGRADED = Scopes(
    partition="aws",
    region="us-east-1",
    account=ACCOUNT,
    scopes=(Scope(PREFIX, STAGING_BUCKET, ROLE, 100_000_000, scope_id=SCOPE_ID),),
    assets=Assets(SOURCE_BUCKET, ""),
)
"""The upgraded handlers' environment: the same construct, now named, and the assets bucket."""


def old_local_list() -> dict:
    """A local list's request as templates wrote it before: every value named, the asset's
    fingerprint key in ``Source``."""
    return properties(
        ServiceTimeout="3420",
        Source={"Bucket": SOURCE_BUCKET, "Key": ASSET_KEY, "Asset": "true"},
        ContentSha256=SHA,
        Completion="HAND_OFF",
    )


def new_local_list() -> dict:
    """The same request as the upgraded construct writes it."""
    return {
        "ServiceToken": SERVICE_TOKEN,
        "RequestName": REQUEST_NAME,
        "Scope": SCOPE_ID,
        "DatasetGroupArn": GROUP,
        "ContentSha256": SHA,
        "Tags": {"ticket": "PRIV-1"},
    }


def test_an_unchanged_local_list_starts_no_second_job_after_the_upgrade(world: World) -> None:
    # GIVEN a request created before the upgrade whose job COMPLETED, its asset a tombstone
    created = play(cfn_event("Create", old_local_list()), world)
    assert (created.physical_id, created.data["Status"]) == (JOB, "COMPLETED")
    assert world.read(ASSET_KEY, bucket=SOURCE_BUCKET) == tombstone_body(JOB)
    world.events()
    # AND the upgraded handlers, and the list published again under its job's name by the CLI
    world.services.scopes = UPGRADED
    world.put_source(f"{JOB}.csv", CANONICAL)
    world.reset_calls()

    # WHEN CloudFormation sends the Update: old shape before, new shape after
    event = cfn_event("Update", new_local_list(), physical_id=JOB, old=old_local_list())
    updated = play(event, world)

    # THEN the same job is reported, found by its name, and none is started
    assert updated.reason is None
    assert updated.physical_id == JOB
    assert updated.data == {
        "JobArn": job_arn(JOB),
        "JobName": JOB,
        "Status": "COMPLETED",
        "NumDeleted": "3",
        "TrackedBy": "none",
        "ReceiptUri": f"s3://{STAGING_BUCKET}/receipts/{JOB}.json",
    }
    assert world.job_calls() == [
        ("ListDataDeletionJobs", None),
        ("DescribeDataDeletionJob", None),
    ]
    assert len(world.double.jobs) == 1
    # AND the copy the CLI uploaded is a tombstone again; nothing was staged, nothing announced
    head = world.s3.head_object(Bucket=SOURCE_BUCKET, Key=f"{JOB}.csv")
    assert (head["ContentLength"], head["Metadata"]) == (
        len(tombstone_body(JOB)),
        {TOMBSTONE_METADATA: JOB},
    )
    assert world.keys(prefix="staging/") == []
    assert world.events() == []


def test_an_unchanged_list_in_the_users_bucket_starts_no_second_job(world: World) -> None:
    old = properties(ServiceTimeout="3420", Completion="HAND_OFF")
    new = {
        "ServiceToken": SERVICE_TOKEN,
        "RequestName": REQUEST_NAME,
        "Scope": SCOPE_ID,
        "DatasetGroupArn": GROUP,
        "Source": {"Bucket": SOURCE_BUCKET, "Key": ASSET_KEY},
        "Tags": {"ticket": "PRIV-1"},
    }
    # GIVEN a from_s3 request created before the upgrade, its job COMPLETED
    created = play(cfn_event("Create", old), world)
    assert created.physical_id == JOB
    world.services.scopes = UPGRADED
    world.reset_calls()
    # WHEN the upgrade's Update arrives
    updated = play(cfn_event("Update", new, physical_id=JOB, old=old), world)
    # THEN the list is read again (it names the job) and the existing job is followed
    assert (updated.reason, updated.physical_id, updated.data["Status"]) == (None, JOB, "COMPLETED")
    assert world.job_calls() == [
        ("ListDataDeletionJobs", None),
        ("DescribeDataDeletionJob", None),
    ]
    assert len(world.double.jobs) == 1
    assert world.read(ASSET_KEY, bucket=SOURCE_BUCKET) == USERS_CSV


def test_a_rollback_to_the_old_shape_is_served_by_the_upgraded_handlers(world: World) -> None:
    # GIVEN upgraded handlers and a request created with the new shape
    world.services.scopes = UPGRADED
    world.put_source(f"{JOB}.csv", CANONICAL)
    created = play(cfn_event("Create", new_local_list()), world)
    assert created.physical_id == JOB
    world.reset_calls()
    # WHEN a rollback sends the old shape back (physical id: the same job)
    rolled = play(
        cfn_event("Update", old_local_list(), physical_id=JOB, old=new_local_list()), world
    )
    # THEN the same job is named (its list, gone from the old key too, is known by its hash)
    assert (rolled.reason, rolled.physical_id) == (None, JOB)
    assert len(world.double.jobs) == 1
    assert [op for op, _ in world.job_calls()] == [
        "ListDataDeletionJobs",
        "DescribeDataDeletionJob",
    ]


def test_a_job_handed_off_before_the_upgrade_is_recorded_after_it(world: World) -> None:
    # GIVEN a long job handed to the tracker before the upgrade: its execution carries the
    # request in the old shape
    world.double.run_seconds = 5000
    created = play(cfn_event("Create", old_local_list()), world, step=100)
    assert (created.physical_id, created.data["Status"]) == (JOB, "IN_PROGRESS")
    assert world.tracker_input(JOB)["request"]["JobNamePrefix"] == PREFIX
    # WHEN the upgraded step functions follow it to its end
    world.services.scopes = UPGRADED
    result = world.run_tracker(JOB)
    # THEN its end is recorded once, in the construct's bucket, and its list removed
    assert result.status == "SUCCEEDED"
    receipt = world.receipt(JOB)
    assert (receipt["status"], receipt["recordedBy"], receipt["jobName"]) == (
        "COMPLETED",
        "tracker",
        JOB,
    )
    assert world.read(ASSET_KEY, bucket=SOURCE_BUCKET) == tombstone_body(JOB)
    assert len(world.double.jobs) == 1
