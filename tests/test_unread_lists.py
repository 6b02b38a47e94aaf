"""Copies of a list no job will read: removed when nothing else needs them, kept otherwise.

A request whose resource fails without a job (a submission refused for good, a WAIT request
blocked past its limit) loses its staged list and the asset version it read, without a
tombstone, so that a later deployment uploads the list again. Kept: what an Update that kept
its job needs for CloudFormation's rollback, what a tracker execution still follows, an asset
named by a hash (shared by every job of its request and list). And no job is ever submitted
from a staged list that is gone.
"""

from __future__ import annotations

from collections.abc import Callable

import lifecycle_support as support
import pytest
from botocore.exceptions import ClientError
from lifecycle_support import (
    GROUP,
    SOURCE_BUCKET,
    STAGING_BUCKET,
    TRACKER_ARN,
    Outcome,
    World,
    cfn_event,
    play,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.cancellation import declarer_key
from personalize_deletion_runtime.personalize_api import JobRequestRejected
from test_personal_data import ASSET_KEY, ASSET_SOURCE, JOB, asset_props, versioned_asset

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world


def everything_at_the_asset_key(world: World, key: str = ASSET_KEY) -> tuple[list[str], list[str]]:
    """Version ids and delete-marker ids at the asset key (none: the CLI uploads it again)."""
    listed = world.s3.list_object_versions(Bucket=SOURCE_BUCKET, Prefix=key)
    return (
        [version["VersionId"] for version in listed.get("Versions", [])],
        [marker["VersionId"] for marker in listed.get("DeleteMarkers", [])],
    )


DECLARED = declarer_key(JOB, cfn_event("Create", properties()))
"""The key recording that the resource that queued a request declares it (test_cancellation)."""
JOB_KEY = f"assets/{JOB}.csv"
"""A list asset named after its job, as the construct publishes one whose job name it knows;
``ASSET_KEY`` is named by a hash, as one whose dataset group is a token at synth (shared by
every job of its request and list)."""


def job_asset_props(**overrides) -> dict:
    return asset_props(Source={**ASSET_SOURCE, "Key": JOB_KEY}, **overrides)


def _refused_at_create(world: World, props: dict) -> Outcome:
    world.double.remove_dataset_group(GROUP)
    return play(cfn_event("Create", props), world)


def _refused_when_queued(world: World, props: dict) -> Outcome:
    world.double.set_dataset_group_busy(GROUP)
    event = cfn_event("Create", props)
    merged = {**event, **lifecycle.on_event(event, world.services)}
    world.double.remove_dataset_group(GROUP)
    with pytest.raises(lifecycle.DeletionFailed) as caught:
        lifecycle.is_complete(merged, world.services)
    return Outcome(physical_id=JOB, data=None, reason=str(caught.value), polls=1)


def _blocked_until_the_waits_deadline(world: World, props: dict) -> Outcome:
    world.double.set_dataset_group_busy(GROUP, reason="a solution version is training")
    return play(cfn_event("Create", {**props, "Completion": "WAIT"}), world, step=100)


REFUSALS = pytest.mark.parametrize(
    ("refuse", "reason_end"),
    [
        (_refused_at_create, "; no job was started"),
        (_refused_when_queued, "; no job was started"),
        (_blocked_until_the_waits_deadline, "deploy again once the blocker clears"),
    ],
    ids=["create-refused", "queued-then-refused", "wait-deadline"],
)


@REFUSALS
def test_a_list_no_job_will_read_leaves_no_version_of_its_asset(
    world: World, refuse: Callable[[World, dict], Outcome], reason_end: str
) -> None:
    # GIVEN a local list shipped as a versioned CDK asset named after its job
    read_version = versioned_asset(world, JOB_KEY)

    # WHEN its request fails without a job: refused for good, or blocked past a WAIT deadline
    outcome = refuse(world, job_asset_props())

    # THEN the resource fails, the staged copy is gone, and so is the asset version read:
    # nothing at the key, not even a delete marker, so the CDK CLI uploads the list again
    # for a deployment that declares the request again
    assert outcome.reason is not None and outcome.reason.endswith(reason_end), outcome.reason
    assert world.double.jobs == {}
    assert world.keys() == []
    assert everything_at_the_asset_key(world, JOB_KEY) == ([], [])
    assert read_version not in str(outcome.reason)


@REFUSALS
def test_a_list_asset_named_by_a_hash_stays_when_one_of_its_jobs_cannot_start(
    world: World, refuse: Callable[[World, dict], Outcome], reason_end: str
) -> None:
    # GIVEN a local list whose asset is named by a hash (its dataset group was a token at
    # synth): the key serves every job of its request and list (another group's, a rollback's)
    read_version = versioned_asset(world)

    # WHEN one of its jobs cannot start
    outcome = refuse(world, asset_props())

    # THEN its staged copy is gone, but the asset stays for the jobs that may still read it
    assert outcome.reason is not None and outcome.reason.endswith(reason_end), outcome.reason
    assert world.keys() == []
    assert everything_at_the_asset_key(world) == ([read_version], [])


def test_a_job_a_tracker_follows_keeps_its_list_when_another_resource_of_it_fails(
    world: World,
) -> None:
    # GIVEN a request QUEUED with the tracker (its dataset group busy all deployment long)
    read_version = versioned_asset(world, JOB_KEY)
    world.double.set_dataset_group_busy(GROUP, reason="a solution version is training")
    created = play(cfn_event("Create", job_asset_props()), world, step=100)
    assert created.data["Status"] == "QUEUED"
    staged = world.keys()

    # WHEN another resource names the same job (a changed logical id, a second stack) with
    # completion WAIT, and is still blocked at its limit (its own logical id: changed
    # deliberately, since a resource failing without a job now removes its own declarer key,
    # and this one's event used to share the first resource's)
    renamed = cfn_event("Create", job_asset_props(Completion="WAIT"))
    other = play(renamed | {"LogicalResourceId": "RenamedRequest"}, world, step=100)

    # THEN that resource fails, but the list the tracker will submit the job from stays (and
    # the key of the resource that queued it, which the failed one's Delete leaves alone)
    assert other.reason is not None and other.reason.endswith("once the blocker clears")
    assert world.keys() == staged == [DECLARED, f"staging/{JOB}/users.csv"]
    assert everything_at_the_asset_key(world, JOB_KEY) == ([read_version], [])


def stop_tracking(world: World) -> None:
    """End the tracker's execution of the job (as when it gave up)."""
    execution = TRACKER_ARN.replace(":stateMachine:", ":execution:") + f":{JOB}"
    world.aws["stepfunctions"].stop_execution(executionArn=execution)


def queued_then_staged_list_gone(world: World, *, still_busy: bool = False) -> None:
    """A request QUEUED with the tracker (its dataset group busy all deployment long), whose
    staged list is then gone (the tracker gave up and purged it, or something else removed it);
    the group is free again unless ``still_busy``."""
    world.double.set_dataset_group_busy(GROUP, reason="a solution version is training")
    created = play(cfn_event("Create", properties()), world, step=100)
    assert created.data["Status"] == "QUEUED"
    world.s3.delete_object(Bucket=STAGING_BUCKET, Key=f"staging/{JOB}/users.csv")
    if not still_busy:
        world.double.set_dataset_group_busy(GROUP, busy=False)


def test_an_update_keeping_a_job_that_never_started_stages_its_list_again(world: World) -> None:
    # GIVEN a request whose job never started and whose staged list is gone: it was QUEUED,
    # and the tracker gave up (NOT_STARTED) and purged the list
    queued_then_staged_list_gone(world)

    # WHEN an Update that keeps the job (new tags) reaches on_event
    props = properties(Tags={"ticket": "PRIV-2"})
    event = cfn_event("Update", props, physical_id=JOB, old=properties())
    answer = lifecycle.on_event(event, world.services)

    # THEN the list is staged again (no job exists to adopt), before any job is created (the
    # key recording the resource as declaring the request it queued is still there)
    assert answer["Ticket"]["jobArn"] is None
    assert world.keys() == [DECLARED, f"staging/{JOB}/users.csv"]
    assert world.double.jobs == {}
    # AND the first poll submits the job from it
    assert lifecycle.is_complete({**event, **answer}, world.services) == {"IsComplete": False}
    assert world.double.jobs[JOB].data_location == f"s3://{STAGING_BUCKET}/staging/{JOB}/users.csv"


def test_an_update_that_kept_its_queued_job_fails_back_to_a_request_with_its_list(
    world: World,
) -> None:
    # GIVEN a request QUEUED with the tracker: its dataset group was busy all deployment long;
    # its list asset is named after its job, and no tracker execution runs any more (so that
    # only the Update's own rule keeps the copies)
    read_version = versioned_asset(world, JOB_KEY)
    world.double.set_dataset_group_busy(GROUP, reason="a solution version is training")
    handoff = job_asset_props()
    created = play(cfn_event("Create", handoff), world, step=100)
    assert (created.physical_id, created.data["Status"]) == (JOB, "QUEUED")
    stop_tracking(world)
    staged = world.keys()

    # WHEN an Update keeping the job (completion WAIT) is blocked past its limit, and
    # CloudFormation rolls it back with the request's previous properties
    wait = job_asset_props(Completion="WAIT")
    updated = play(cfn_event("Update", wait, physical_id=JOB, old=handoff), world, step=100)
    rolled_back = play(cfn_event("Update", handoff, physical_id=JOB, old=wait), world, step=100)

    # THEN the Update fails, but the staged list and the asset the queued job needs stay,
    # and the rollback finds its list and reports the request QUEUED again
    assert updated.reason is not None and updated.reason.endswith(
        "deploy again once the blocker clears"
    )
    # (and the key recording the resource as declaring the request it queued)
    assert world.keys() == staged == [DECLARED, f"staging/{JOB}/users.csv"]
    assert everything_at_the_asset_key(world, JOB_KEY) == ([read_version], [])
    assert rolled_back.reason is None
    assert (rolled_back.physical_id, rolled_back.data["Status"]) == (JOB, "QUEUED")


def test_an_asset_version_that_cannot_be_deleted_leaves_the_reason_as_it_was(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a versioned asset whose deletion S3 refuses (say, a policy of the assets bucket)
    versioned_asset(world, JOB_KEY)

    def refuse(*_args: object) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "DeleteObject")

    monkeypatch.setattr(world.services.storage, "forget_asset", refuse)

    # WHEN its request is refused for good
    outcome = _refused_at_create(world, job_asset_props())

    # THEN the resource fails with the service's reason, not S3's; the miss is logged
    assert outcome.reason is not None and outcome.reason.startswith(
        f"request gdpr-2026-11: CreateDataDeletionJob for {JOB} failed with "
        "ResourceNotFoundException"
    )
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "asset version of a list no job will read not deleted"
    ]


def test_no_job_is_created_from_a_staged_list_that_is_gone(world: World) -> None:
    # GIVEN a request queued with the tracker (its dataset group busy), whose staged list was
    # then removed by something else (another resource of the same job name, say)
    queued_then_staged_list_gone(world)
    world.reset_calls()

    # WHEN the tracker tries to submit it
    result = world.run_tracker(JOB)

    # THEN no job is created from nothing: the request is given up as NOT_STARTED, saying why
    assert world.double.calls_for("CreateDataDeletionJob") == []
    assert world.double.jobs == {}
    [event] = [e for e in world.events() if e["status"] == "NOT_STARTED"]
    assert event["failureReason"] == (
        f"JobRequestRejected: the staged list s3://{STAGING_BUCKET}/staging/{JOB}/users.csv is "
        f"gone, so job {JOB} is not created from it (it would fail for its missing input, and "
        "its name could not serve again); if the request's list can still be read and this is "
        "the request's own job, deploy a change that keeps the job (its tags, say) to have the "
        "list staged again; otherwise rename the request"
    )
    assert result.status == "FAILED"  # the tracker ends an execution it gave up on so


def test_an_update_whose_job_lookup_is_refused_for_good_stages_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a request whose job completed (its staged list purged), and Personalize refusing
    # for good to list the group's jobs from now on (the dataset group deleted, say)
    play(cfn_event("Create", properties()), world)

    def refused(*_args: object) -> None:
        raise JobRequestRejected("ListDataDeletionJobs failed with ResourceNotFoundException")

    monkeypatch.setattr(world.services.jobs, "lookup", refused)

    # WHEN a change that keeps the job (its tags) reaches on_event, then is_complete
    props = properties(Tags={"ticket": "PRIV-2"})
    event = cfn_event("Update", props, physical_id=JOB, old=properties())
    answer = lifecycle.on_event(event, world.services)
    staged_by_on_event = world.keys()
    with pytest.raises(lifecycle.DeletionFailed) as caught:
        lifecycle.is_complete({**event, **answer}, world.services)

    # THEN no copy of the list was made for it, and it fails naming the refusal (its poll,
    # refused before it was blocked, declared nothing: the resource's key is written by a
    # poll that finds the request blocked, never by on_event)
    assert staged_by_on_event == world.keys() == [f"receipts/{JOB}.json"]
    assert answer["Ticket"]["restaged"] is False
    assert str(caught.value) == (
        "request gdpr-2026-11: ListDataDeletionJobs failed with ResourceNotFoundException"
    )


def test_a_list_staged_again_by_an_update_that_then_fails_is_removed(world: World) -> None:
    # GIVEN a request whose job never started and whose staged list is gone (NOT_STARTED)
    queued_then_staged_list_gone(world, still_busy=True)
    stop_tracking(world)

    # WHEN an Update keeping the job (completion WAIT) stages it again, and is still blocked at
    # its limit
    wait = properties(Completion="WAIT")
    updated = play(cfn_event("Update", wait, physical_id=JOB, old=properties()), world, step=100)

    # THEN it fails, and the copy it staged is removed (the resource it returns to had none);
    # the resource's key from its QUEUED Create stays (it still declares the request; its
    # Delete removes the key, the staging lifecycle rule expires it)
    assert updated.reason is not None and updated.reason.endswith("once the blocker clears")
    assert world.keys() == [DECLARED]


def test_a_queued_local_list_removed_from_the_stack_loses_its_asset_version(world: World) -> None:
    # GIVEN a local list (named after its job, versioned as CDK bootstraps the assets bucket)
    # whose request is QUEUED with the tracker (its dataset group busy all deployment long)
    read_version = versioned_asset(world, JOB_KEY)
    world.double.set_dataset_group_busy(GROUP, reason="a solution version is training")
    created = play(cfn_event("Create", job_asset_props()), world, step=100)
    assert created.data["Status"] == "QUEUED"

    # WHEN the request is removed from the stack before its job is created, and the tracker
    # runs once the group is free
    lifecycle.on_event(cfn_event("Delete", job_asset_props(), physical_id=JOB), world.services)
    world.double.set_dataset_group_busy(GROUP, busy=False)
    result = world.run_tracker(JOB)

    # THEN no job is created, and neither the staged list nor the version of the asset that
    # held the ids is left (no tombstone: a deployment declaring the request again uploads it)
    assert world.double.jobs == {}
    assert (result.status, result.error) == ("FAILED", "DeletionJobNotStarted")
    assert result.cause.endswith(
        "no job is created and its staged list is deleted; declare the request again to delete "
        f"that list; the version of its copy in the CDK assets bucket (s3://{SOURCE_BUCKET}/"
        f"{JOB_KEY}) is deleted too; no job was started"
    ), result.cause
    assert world.keys() == []
    assert read_version not in everything_at_the_asset_key(world, JOB_KEY)[0]
    assert everything_at_the_asset_key(world, JOB_KEY) == ([], [])
