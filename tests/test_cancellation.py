"""A request QUEUED with the tracker is not submitted once CloudFormation deleted its resource.

The tracker's submit step runs after the deployment; without a cancellation it would start a
deletion the stack no longer declares (an Update rolled back, a request removed), and a
deletion cannot be undone. Fast tier: the handlers and the tracker's steps over the fakes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fakes import (
    FakeWorld,
    complete,
    fake_world,
    follow_up_queued,
    poll_at,
    refuse_s3,
    start,
    tracker_step,
)
from lifecycle_support import (
    DEADLINE_SECONDS,
    GROUP,
    OTHER_CSV,
    SOURCE_BUCKET,
    STACK_ID,
    STAGING_BUCKET,
    T0,
    USERS_CSV,
    canonical_bytes,
    cfn_event,
    expected_job_name,
    job_arn,
    properties,
)
from personalize_deletion_runtime import cancellation, lifecycle, superseded
from personalize_deletion_runtime.cancellation import declarer_key, marker_key
from personalize_deletion_runtime.failures import DeletionFailed
from personalize_deletion_runtime.job_source import index_key, source_identity
from personalize_deletion_runtime.properties import parse_request
from personalize_deletion_runtime.request_rules import follow_up_job_name
from personalize_deletion_runtime.state import iso

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
NEW_JOB = expected_job_name(OTHER_CSV)
NEW_KEY = "assets/9a8b7c.csv"
OTHER_STACK = STACK_ID.replace("privacy", "privacy-eu")


def cancelled_cause(job: str) -> str:
    return (
        f"the resource that declared job {job} was deleted by CloudFormation before the job "
        "was created (the request was removed from the stack, or the update that queued it "
        "was rolled back), so no job is created and its staged list is deleted; declare the "
        "request again to delete that list"
    )


def queue_new_list(world: FakeWorld) -> dict[str, Any]:
    """A completed request, then an Update to a new list queued with the tracker (the
    dataset group busy for ten hours); returns the Update's properties."""
    complete(world, cfn_event("Create", properties()), T0)
    world.s3.put_source(NEW_KEY, OTHER_CSV)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": NEW_KEY})
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 10 * 3600)
    queued = complete(world, cfn_event("Update", new, physical_id=JOB, old=properties()), T0 + 3600)
    assert (queued["PhysicalResourceId"], queued["Data"]["Status"]) == (NEW_JOB, "QUEUED")
    return new


def test_a_request_queued_by_an_update_that_was_rolled_back_is_not_started_later() -> None:
    """GIVEN a request whose job completed, and an Update to a new list QUEUED with the
    tracker (the dataset group busy)
    WHEN another resource fails: CloudFormation rolls this one back to its old list, then
    deletes the new physical id; the group is free again when the tracker tries once more
    THEN the submit step creates no job, deletes the staged list and the Delete's marker, and
    gives the request up; the give-up step announces it NOT_STARTED, saying why."""
    world = fake_world()
    new = queue_new_list(world)
    rollback = cfn_event("Update", properties(), physical_id=NEW_JOB, old=new)
    assert complete(world, rollback, T0 + 2 * 3600)["PhysicalResourceId"] == JOB
    delete = cfn_event("Delete", new, physical_id=NEW_JOB)
    assert lifecycle.on_event(delete, world.services) == {"PhysicalResourceId": NEW_JOB}
    assert world.s3.keys(prefix=f"staging/{NEW_JOB}/") == [
        f"staging/{NEW_JOB}/cancelled.json",
        f"staging/{NEW_JOB}/users.csv",
    ]

    world.clock.now = T0 + 11 * 3600
    after = tracker_step(world, "submit", NEW_JOB)

    assert NEW_JOB not in world.personalize.jobs
    assert (after["job"]["arn"], after["tracking"]["giveUp"]) == (None, True)
    assert after["error"] == {"Error": "DeletionCancelled", "Cause": cancelled_cause(NEW_JOB)}
    # (changed deliberately with the index of source identities: the Update and its rollback
    # moved the resource between jobs, so each list identity names its job; nothing staged;
    # changed again deliberately: an entry's key is the digest of the resource and identity)
    assert world.s3.keys() == sorted(
        [
            f"receipts/{JOB}.json",
            *(index_key(rollback, source_identity(parse_request(p))) for p in (new, properties())),
        ]
    )
    ended = tracker_step(world, "give_up", NEW_JOB, after)
    assert ended["outcome"] == {
        "status": "NOT_STARTED",
        "error": "DeletionJobNotStarted",
        "cause": f"DeletionCancelled: {cancelled_cause(NEW_JOB)}; no job was started",
    }
    detail = world.events.details()[-1]
    assert (detail["jobName"], detail["status"], detail["jobArn"]) == (NEW_JOB, "NOT_STARTED", None)
    assert detail["failureReason"] == f"DeletionCancelled: {cancelled_cause(NEW_JOB)}"


def test_a_follow_up_queued_when_its_request_is_removed_is_marked_cancelled() -> None:
    """GIVEN a request with ``FollowUp`` whose first job ended and whose follow-up job is
    staged and queued with the tracker (the first job's list is gone)
    WHEN CloudFormation deletes the request's resource (physical id: the first job)
    THEN the Delete marks the follow-up cancelled too: its submit step will create no job."""
    world = fake_world()
    complete(world, cfn_event("Create", properties(FollowUp="true")), T0)
    follow_up = follow_up_job_name(JOB)
    world.s3.put_object(Bucket=STAGING_BUCKET, Key=f"staging/{follow_up}/users.csv", Body=b"x")

    event = cfn_event("Delete", properties(FollowUp="true"), physical_id=JOB)
    lifecycle.on_event(event, world.services)

    assert world.s3.keys(prefix="staging/") == [
        marker_key(follow_up),
        f"staging/{follow_up}/users.csv",
    ]
    with pytest.raises(cancellation.Cancelled):
        cancellation.check(STAGING_BUCKET, follow_up, world.services)


def test_a_queued_follow_up_is_cancelled_by_a_delete_whose_follow_up_is_off_now() -> None:
    """GIVEN a request deployed with ``FollowUp`` whose first job ended and whose follow-up is
    staged and queued with the tracker, then an Update turning ``FollowUp`` off (it adopts the
    recorded job and succeeds; the tracker execution keeps its hand-off's properties and would
    still submit the follow-up)
    WHEN CloudFormation deletes the request's resource (its properties: no ``FollowUp``)
    THEN the Delete marks the follow-up cancelled all the same: its submit step will create no
    job the stack no longer declares."""
    world = fake_world()
    complete(world, cfn_event("Create", properties(FollowUp="true")), T0)
    follow_up = follow_up_job_name(JOB)
    world.s3.put_object(Bucket=STAGING_BUCKET, Key=f"staging/{follow_up}/users.csv", Body=USERS_CSV)
    updated = complete(
        world,
        cfn_event("Update", properties(), physical_id=JOB, old=properties(FollowUp="true")),
        T0 + 3600,
    )
    assert updated["PhysicalResourceId"] == JOB

    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)

    assert world.s3.keys(prefix="staging/") == [
        marker_key(follow_up),
        f"staging/{follow_up}/users.csv",
    ]
    with pytest.raises(cancellation.Cancelled):
        cancellation.check(STAGING_BUCKET, follow_up, world.services)


def renamed_with_follow_up_queued(world: FakeWorld) -> dict[str, Any]:
    """A request with ``FollowUp`` and ``Retrain`` ALL under logical id A whose first job
    COMPLETED and whose follow-up is queued with the tracker, the dataset group busy for three
    hours; then a rename: CloudFormation creates the request under logical id B, which adopts
    the recorded first job. Returns the execution's state after its blocked submit step."""
    queued = follow_up_queued(world, Retrain="ALL")
    world.personalize.set_dataset_group_busy(GROUP, until=world.clock.now + 3 * 3600)
    blocked = tracker_step(world, "submit", JOB, queued)
    assert blocked["job"]["arn"] is None
    again = complete(world, RENAMED_WITH_FOLLOW_UP, world.clock.now + 600)
    assert again["PhysicalResourceId"] == JOB
    follow_up = follow_up_job_name(JOB)
    created = cfn_event("Create", properties(FollowUp="true", Retrain="ALL"))
    assert world.s3.keys(prefix=f"staging/{follow_up}/") == sorted(
        [
            declarer_key(follow_up, created),
            declarer_key(follow_up, RENAMED_WITH_FOLLOW_UP),
            f"staging/{follow_up}/users.csv",
        ]
    )
    return dict(blocked)


RENAMED_WITH_FOLLOW_UP = cfn_event("Create", properties(FollowUp="true", Retrain="ALL")) | {
    "LogicalResourceId": "RenamedRequest"
}


def test_a_renamed_construct_does_not_lose_its_queued_follow_up() -> None:
    """Every resource whose request has ``FollowUp`` on declares the follow-up of the job it
    succeeded with, as it declares a queued first job, so the Delete of another resource of
    the request keeps it.

    GIVEN a request with FollowUp (and Retrain ALL) whose first job COMPLETED and whose
    follow-up is queued with the tracker (the dataset group busy), declared under logical id A
    WHEN its construct is renamed: CloudFormation creates it under B (which adopts the
    recorded first job), then deletes A
    THEN A's Delete cancels nothing B declares: the submit step creates the follow-up job once
    the group is free, and deletes the declarer keys."""
    world = fake_world()
    blocked = renamed_with_follow_up_queued(world)
    follow_up = follow_up_job_name(JOB)
    lifecycle.on_event(
        cfn_event("Delete", properties(FollowUp="true", Retrain="ALL"), physical_id=JOB),
        world.services,
    )
    assert world.s3.keys(prefix=f"staging/{follow_up}/") == [
        declarer_key(follow_up, RENAMED_WITH_FOLLOW_UP),
        f"staging/{follow_up}/users.csv",
    ]

    world.clock.now += 4 * 3600
    after = tracker_step(world, "submit", JOB, blocked)

    assert "error" not in after, after.get("error")
    assert after["job"]["arn"] == job_arn(follow_up)
    assert list(world.personalize.jobs) == [JOB, follow_up]
    assert world.s3.keys(prefix=f"staging/{follow_up}/") == [f"staging/{follow_up}/users.csv"]


def test_a_rolled_back_rename_does_not_cancel_the_follow_up_the_old_resource_declares() -> None:
    """GIVEN a request with FollowUp under logical id A whose follow-up is queued with the
    tracker (the group busy), and a rename that created it under B (B adopted the recorded
    first job)
    WHEN the deployment is rolled back for an unrelated reason (B deleted, A stays)
    THEN B's Delete cancels nothing A declares: the follow-up is still submitted once the
    group is free."""
    world = fake_world()
    blocked = renamed_with_follow_up_queued(world)
    follow_up = follow_up_job_name(JOB)
    delete_b = cfn_event("Delete", properties(FollowUp="true", Retrain="ALL"), physical_id=JOB) | {
        "LogicalResourceId": "RenamedRequest"
    }
    lifecycle.on_event(delete_b, world.services)
    assert marker_key(follow_up) not in world.s3.keys(prefix="staging/")

    world.clock.now += 4 * 3600
    after = tracker_step(world, "submit", JOB, blocked)

    assert "error" not in after, after.get("error")
    assert after["job"]["arn"] == job_arn(follow_up)
    assert list(world.personalize.jobs) == [JOB, follow_up]


def test_a_follow_up_staged_after_a_rename_while_the_first_job_ran_is_not_cancelled() -> None:
    """GIVEN a request with FollowUp handed to the tracker while its first job runs
    (HAND_OFF), renamed meanwhile: B adopted the running job (it records no key for that
    job) and declares its follow-up; A's Delete then marked the first job
    WHEN the first job ends and its follow-up is staged (the marker carried over)
    THEN the follow-up is not marked: B declares it; without B it would be."""
    world = fake_world(run_seconds=6 * 3600)
    props = properties(FollowUp="true", Completion="HAND_OFF")
    complete(world, cfn_event("Create", props), T0)
    renamed = cfn_event("Create", props) | {"LogicalResourceId": "RenamedRequest"}
    assert complete(world, renamed, T0 + 600)["PhysicalResourceId"] == JOB
    lifecycle.on_event(cfn_event("Delete", props, physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix="staging/")
    follow_up = follow_up_job_name(JOB)
    world.s3.put_object(Bucket=STAGING_BUCKET, Key=f"staging/{follow_up}/users.csv", Body=USERS_CSV)

    cancellation.carry_over(STAGING_BUCKET, JOB, follow_up, world.services)

    assert marker_key(follow_up) not in world.s3.keys(prefix="staging/")
    cancellation.check(STAGING_BUCKET, follow_up, world.services)  # not cancelled
    world.s3.delete_object(Bucket=STAGING_BUCKET, Key=declarer_key(follow_up, renamed))
    cancellation.carry_over(STAGING_BUCKET, JOB, follow_up, world.services)
    with pytest.raises(cancellation.Cancelled):
        cancellation.check(STAGING_BUCKET, follow_up, world.services)


def test_a_waiter_of_a_deleted_resource_does_not_declare_its_follow_up() -> None:
    """GIVEN a request with FollowUp whose Create polls its running job, and CloudFormation
    deleting the resource meanwhile (its Delete marks the job, whose list is staged) while
    the old waiter polls on (aws-cdk#26139)
    WHEN that waiter sees the job end and completes
    THEN it records no key declaring the follow-up: a follow-up staged later inherits the
    first job's marker, so the tracker creates no job the stack no longer declares."""
    world = fake_world(run_seconds=600)
    event = cfn_event("Create", properties(FollowUp="true"))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    assert not lifecycle.is_complete(merged, world.services)["IsComplete"]  # creates the job
    world.clock.now += 120
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix="staging/")

    world.clock.now += 900
    assert lifecycle.is_complete(merged, world.services)["IsComplete"]

    follow_up = follow_up_job_name(JOB)
    assert world.s3.keys(prefix=f"staging/{follow_up}/") == []
    world.s3.put_object(Bucket=STAGING_BUCKET, Key=f"staging/{follow_up}/users.csv", Body=USERS_CSV)
    cancellation.carry_over(STAGING_BUCKET, JOB, follow_up, world.services)
    with pytest.raises(cancellation.Cancelled):
        cancellation.check(STAGING_BUCKET, follow_up, world.services)


def test_an_update_keeps_the_follow_up_its_resource_declares() -> None:
    """GIVEN a request with FollowUp whose first job ended and whose follow-up is staged and
    queued with the tracker, its resource recorded as declaring that follow-up
    WHEN an Update of the resource (a tag change, or a rollback: every Update cancels the jobs
    its resource declares besides the one it keeps) succeeds with FollowUp on
    THEN the follow-up of the job it keeps is not cancelled, and its key stays."""
    world = fake_world()
    created = cfn_event("Create", properties(FollowUp="true"))
    complete(world, created, T0)
    follow_up = follow_up_job_name(JOB)
    world.s3.put_object(Bucket=STAGING_BUCKET, Key=f"staging/{follow_up}/users.csv", Body=USERS_CSV)

    update = cfn_event(
        "Update",
        properties(FollowUp="true", Tags={"team": "eu"}),
        physical_id=JOB,
        old=properties(FollowUp="true"),
    )
    assert complete(world, update, T0 + 3600)["PhysicalResourceId"] == JOB

    assert world.s3.keys(prefix=f"staging/{follow_up}/") == [
        declarer_key(follow_up, created),
        f"staging/{follow_up}/users.csv",
    ]


def test_a_request_removed_from_the_stack_while_queued_is_not_started() -> None:
    """GIVEN a request QUEUED at its Create (the dataset group busy)
    WHEN the request is removed from the stack (CloudFormation deletes the resource), and the
    tracker's submit step runs once the group is free
    THEN no job is created and the staged list is gone."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600)
    created = complete(world, cfn_event("Create", properties()), T0)
    assert created["Data"]["Status"] == "QUEUED"
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    world.clock.now = T0 + 2 * 3600
    after = tracker_step(world, "submit", JOB)
    assert after["error"] == {"Error": "DeletionCancelled", "Cause": cancelled_cause(JOB)}
    assert world.personalize.jobs == {}
    assert world.s3.keys() == []


def test_a_cancelled_local_list_whose_asset_version_is_unknown_names_its_copy() -> None:
    """GIVEN a local list (from_csv / from_ids: a CDK file asset named after its job) in an
    assets bucket whose version of it is unknown (unversioned: the roles may not delete the
    key itself), QUEUED at its Create (the dataset group busy)
    WHEN the request is removed from the stack and the tracker's submit step, then its
    give-up, run once the group is free
    THEN no job is created, the staged list is gone, and the cause names the asset copy left
    with the user ids and says to delete every version of it (nothing else ever will)."""
    world = fake_world()
    key = f"{JOB}.csv"
    asset = {"Bucket": SOURCE_BUCKET, "Key": key, "Asset": "true"}
    world.s3.put_source(key, USERS_CSV)
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600)
    created = complete(world, cfn_event("Create", properties(Source=asset)), T0)
    assert created["Data"]["Status"] == "QUEUED"
    lifecycle.on_event(
        cfn_event("Delete", properties(Source=asset), physical_id=JOB), world.services
    )
    world.clock.now = T0 + 2 * 3600

    submitted = tracker_step(world, "submit", JOB)
    ended = tracker_step(world, "give_up", JOB, submitted)

    kept = (
        f"; its copy in the CDK assets bucket stays, and nothing removes it: unless another "
        f"request still reads it, delete every version of s3://{SOURCE_BUCKET}/{key} (aws s3api "
        f"list-object-versions --bucket {SOURCE_BUCKET} --prefix {key}, then delete-object with "
        "each --version-id)"
    )
    assert submitted["error"] == {
        "Error": "DeletionCancelled",
        "Cause": cancelled_cause(JOB) + kept,
    }
    assert ended["outcome"] == {
        "status": "NOT_STARTED",
        "error": "DeletionJobNotStarted",
        "cause": f"DeletionCancelled: {cancelled_cause(JOB)}{kept}; no job was started",
    }
    assert world.personalize.jobs == {}
    assert world.s3.keys() == []
    assert key in world.s3.keys(bucket=SOURCE_BUCKET)


def test_a_request_declared_again_after_its_cancellation_is_submitted() -> None:
    """GIVEN a request QUEUED, then deleted by CloudFormation (cancelled), with the tracker's
    execution still waiting
    WHEN the same request is declared again (a Create) while the group is still busy
    THEN the Create withdraws the cancellation, and the waiting execution submits the job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    again = complete(world, cfn_event("Create", properties()), T0 + 3600)
    assert (again["PhysicalResourceId"], again["Data"]["Status"]) == (JOB, "QUEUED")
    # (the marker is gone; the Create found the job followed, so it recorded itself as a
    # declarer: empty, no ids, expired with the staging rule)
    assert world.s3.keys() == [
        declarer_key(JOB, cfn_event("Create", properties())),
        f"staging/{JOB}/users.csv",
    ]
    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)
    assert (after["job"]["arn"], after["tracking"]["lastStatus"]) == (job_arn(JOB), "PENDING")
    assert list(world.personalize.jobs) == [JOB]


def test_a_job_created_before_the_delete_is_followed_not_cancelled() -> None:
    """GIVEN a request QUEUED, whose job the tracker's submit step created
    WHEN CloudFormation then deletes the resource (a marker is left: Delete cannot tell)
    THEN a repeated submit step adopts the job that exists: nothing undoes a deletion, and its
    end is still recorded."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600)
    complete(world, cfn_event("Create", properties()), T0)
    world.clock.now = T0 + 2 * 3600
    first = tracker_step(world, "submit", JOB)
    assert first["job"]["arn"] == job_arn(JOB)
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    again = tracker_step(world, "submit", JOB)
    assert (again["job"]["arn"], again["tracking"]["giveUp"]) == (job_arn(JOB), False)
    assert "error" not in again
    assert list(world.personalize.jobs) == [JOB]
    # (the job may still read its list: it stays. The marker the Delete left is gone: a submit
    # step that finds the job, created or adopted, deletes the marker and the declarer keys,
    # which no longer decide anything; before, the marker stayed until the staging rule)
    assert world.s3.keys(STAGING_BUCKET) == [f"staging/{JOB}/users.csv"]


def test_a_queued_request_whose_resource_was_renamed_is_still_submitted() -> None:
    """GIVEN a request QUEUED at its Create (the dataset group busy), under logical id A
    WHEN its construct is renamed: CloudFormation creates the resource under logical id B (the
    same request, so the same job, which B finds queued and followed), then deletes A's
    THEN A's Delete cancels nothing (B declares the job), and the tracker's submit step
    creates the job once the group is free."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    renamed = cfn_event("Create", properties()) | {"LogicalResourceId": "RenamedRequest"}
    again = complete(world, renamed, T0 + 600)
    assert (again["PhysicalResourceId"], again["Data"]["Status"]) == (JOB, "QUEUED")
    delete = cfn_event("Delete", properties(), physical_id=JOB)
    assert lifecycle.on_event(delete, world.services) == {"PhysicalResourceId": JOB}
    assert world.s3.keys() == [declarer_key(JOB, renamed), f"staging/{JOB}/users.csv"]

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert (after["job"]["arn"], after["tracking"]["lastStatus"]) == (job_arn(JOB), "PENDING")
    assert "error" not in after
    assert list(world.personalize.jobs) == [JOB]


def test_a_renamed_resource_removed_later_cancels_its_queued_request() -> None:
    """GIVEN a queued request whose resource was renamed (B declares it, A was deleted)
    WHEN B is deleted too (the request removed from the stack)
    THEN B's Delete cancels it: no resource other than B declares it, and the tracker creates
    no job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    renamed = cfn_event("Create", properties()) | {"LogicalResourceId": "RenamedRequest"}
    complete(world, renamed, T0 + 600)
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    delete_renamed = cfn_event("Delete", properties(), physical_id=JOB) | {
        "LogicalResourceId": "RenamedRequest"
    }
    lifecycle.on_event(delete_renamed, world.services)

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert after["error"] == {"Error": "DeletionCancelled", "Cause": cancelled_cause(JOB)}
    assert world.personalize.jobs == {}
    assert world.s3.keys() == []


# ------------------------------------------------ every resource that queues it declares it


def test_a_rolled_back_rename_does_not_cancel_the_job_the_old_resource_still_declares() -> None:
    """GIVEN a request QUEUED under logical id A (A started the tracker's execution), and a
    rename that created it under logical id B (B found the execution following: QUEUED too)
    WHEN another resource fails, and CloudFormation's rollback deletes B (A stays)
    THEN B's Delete cancels nothing: A, which queued the request, is recorded as declaring it
    too, and the submit step creates the job once the group is free."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    created = cfn_event("Create", properties())
    assert complete(world, created, T0)["Data"]["Status"] == "QUEUED"
    renamed = cfn_event("Create", properties()) | {"LogicalResourceId": "RenamedRequest"}
    assert complete(world, renamed, T0 + 600)["Data"]["Status"] == "QUEUED"
    delete_b = cfn_event("Delete", properties(), physical_id=JOB) | {
        "LogicalResourceId": "RenamedRequest"
    }
    lifecycle.on_event(delete_b, world.services)
    assert world.s3.keys() == [declarer_key(JOB, created), f"staging/{JOB}/users.csv"]

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert (after["job"]["arn"], after["tracking"]["lastStatus"]) == (job_arn(JOB), "PENDING")
    assert "error" not in after
    assert list(world.personalize.jobs) == [JOB]


def test_a_second_stack_removed_first_does_not_cancel_the_first_stacks_queued_job() -> None:
    """GIVEN a request QUEUED by stack 1, and the same request declared by stack 2 (same
    staging bucket: it finds the job queued and followed)
    WHEN stack 2 is deleted first
    THEN its Delete cancels nothing (stack 1 declares the job), and the job is created."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    other = cfn_event("Create", properties()) | {"StackId": OTHER_STACK}
    assert complete(world, other, T0 + 600)["Data"]["Status"] == "QUEUED"
    delete_other = cfn_event("Delete", properties(), physical_id=JOB) | {"StackId": OTHER_STACK}
    lifecycle.on_event(delete_other, world.services)

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert (after["job"]["arn"], "error" in after) == (job_arn(JOB), False)
    assert list(world.personalize.jobs) == [JOB]


def test_a_delete_between_another_resources_on_event_and_hand_off_cancels_nothing() -> None:
    """GIVEN a request QUEUED by stack 1, and stack 2 creating the same request: its first
    poll, blocked, withdrew any marker and declared the job, its hand-off has not come yet
    WHEN stack 1 is deleted now
    THEN its Delete finds stack 2's key and leaves no marker; stack 2's hand-off declares the
    job again: stack 2 succeeds QUEUED and the submit step creates the job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    other = cfn_event("Create", properties()) | {"StackId": OTHER_STACK}
    world.clock.now = T0 + 600
    merged = {**other, **lifecycle.on_event(other, world.services)}
    assert lifecycle.is_complete(merged, world.services) == {"IsComplete": False}
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    # (changed deliberately: stack 2's first poll now declares the job, so stack 1's Delete
    # finds a declarer and writes no marker; before, it did, and the hand-off removed it)
    assert world.s3.keys() == [declarer_key(JOB, other), f"staging/{JOB}/users.csv"]
    while (result := lifecycle.is_complete(merged, world.services))["IsComplete"] is False:
        world.clock.now += 20
    assert result["Data"]["Status"] == "QUEUED"
    assert world.s3.keys() == [declarer_key(JOB, other), f"staging/{JOB}/users.csv"]

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert (after["job"]["arn"], "error" in after) == (job_arn(JOB), False)
    assert list(world.personalize.jobs) == [JOB]


def test_a_declaration_racing_a_deletes_marker_keeps_the_request() -> None:
    """GIVEN a request QUEUED by stack 1, and stack 2 declaring the same request
    WHEN stack 1's Delete finds no other declarer, and stack 2 records itself (and removes a
    marker: there is none yet) before stack 1's marker lands
    THEN the Delete, looking again once its marker is written, finds stack 2 and removes the
    marker: the submit step creates the job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    other = cfn_event("Create", properties()) | {"StackId": OTHER_STACK}
    client = world.services.storage.client
    put_object = client.put_object

    def racing_put(**request: Any) -> Any:
        if request["Key"] == marker_key(JOB):  # stack 2's declaration lands right before
            cancellation.declare(STAGING_BUCKET, JOB, other, world.services)
        return put_object(**request)

    client.put_object = racing_put
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    client.put_object = put_object
    assert world.s3.keys() == [declarer_key(JOB, other), f"staging/{JOB}/users.csv"]

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert (after["job"]["arn"], "error" in after) == (job_arn(JOB), False)


def test_a_stale_declarer_does_not_keep_an_undeclared_request_alive() -> None:
    """GIVEN a request QUEUED under logical id A (a tags-only Update of A queued it again),
    then removed (A's Delete cancels it), then added back under logical id Z (which withdraws
    the cancellation and declares the job)
    WHEN Z is removed as well
    THEN Z's Delete cancels it: A's Delete removed A's own key, so no stale key keeps a request
    no resource declares; the submit step creates no job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 30 * 3600)
    complete(world, cfn_event("Create", properties()), T0)
    tagged = properties(Tags={"ticket": "PRIV-2"})
    complete(world, cfn_event("Update", tagged, physical_id=JOB, old=properties()), T0 + 3600)
    lifecycle.on_event(cfn_event("Delete", tagged, physical_id=JOB), world.services)
    assert world.s3.keys() == [marker_key(JOB), f"staging/{JOB}/users.csv"]
    z = cfn_event("Create", properties()) | {"LogicalResourceId": "ReAdded"}
    assert complete(world, z, T0 + 2 * 3600)["Data"]["Status"] == "QUEUED"
    delete_z = cfn_event("Delete", properties(), physical_id=JOB) | {"LogicalResourceId": "ReAdded"}
    lifecycle.on_event(delete_z, world.services)
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert after["error"] == {"Error": "DeletionCancelled", "Cause": cancelled_cause(JOB)}
    assert world.personalize.jobs == {}
    assert world.s3.keys() == []


def test_the_submit_step_that_creates_the_job_removes_the_declarer_keys() -> None:
    """GIVEN a request QUEUED under logical id A and declared by B too (a rename)
    WHEN the tracker's submit step creates the job
    THEN both declarer keys are deleted (no cancellation applies to a job that exists): only
    the staged list, which the job reads, stays."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    created = cfn_event("Create", properties())
    complete(world, created, T0)
    renamed = cfn_event("Create", properties()) | {"LogicalResourceId": "RenamedRequest"}
    complete(world, renamed, T0 + 600)
    assert world.s3.keys() == sorted(
        [declarer_key(JOB, created), declarer_key(JOB, renamed), f"staging/{JOB}/users.csv"]
    )

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert after["job"]["arn"] == job_arn(JOB)
    assert world.s3.keys() == [f"staging/{JOB}/users.csv"]


def test_a_delete_that_cannot_mark_the_request_says_how_to_stop_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN a request QUEUED at its Create
    WHEN it is removed from the stack and S3 refuses the Delete's marker
    THEN the Delete still succeeds (it must not fail the stack), and its warning says the
    tracker may still submit the request and how to stop it: the execution's ARN and the
    command."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600)
    complete(world, cfn_event("Create", properties()), T0)
    refuse_s3(world, "put_object", "Key", f"staging/{JOB}/cancelled.json", "AccessDenied")
    delete = cfn_event("Delete", properties(), physical_id=JOB)

    assert lifecycle.on_event(delete, world.services) == {"PhysicalResourceId": JOB}

    [warning] = [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and r.name.endswith(".cancellation")
    ]
    assert warning == (
        "delete: the queued request could not be marked cancelled, so the tracker may still "
        "submit it: if it must not run, stop the execution that follows it before it does (aws "
        "stepfunctions stop-execution --execution-arn "
        f"{world.services.tracker.execution_arn(JOB)})"
    )


# ------------------------------------------------ a resource still polling declares it too


def test_a_resource_still_polling_a_blocked_request_is_a_declarer() -> None:
    """GIVEN a request QUEUED by stack 1, and stack 2 creating the same request: its on_event
    staged the list, and it polls, blocked, within its deadline (its first poll withdrew any
    marker)
    WHEN stack 1 removes the request (its Delete), and the dataset group frees up so that the
    tracker's submit step runs before stack 2's hand-off
    THEN stack 2 is recorded as declaring the job (by its blocked polls), so the Delete cancels
    nothing: the submit step creates the job, and stack 2 finds it."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 1200)
    complete(world, cfn_event("Create", properties()), T0)
    other = cfn_event("Create", properties()) | {"StackId": OTHER_STACK}
    world.clock.now = T0 + 900
    merged = {**other, **lifecycle.on_event(other, world.services)}
    assert lifecycle.is_complete(merged, world.services) == {"IsComplete": False}
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    assert world.s3.keys(prefix="staging/") == [
        declarer_key(JOB, other),
        f"staging/{JOB}/users.csv",
    ]
    world.clock.now = T0 + 1260  # group free; the tracker's wait ends first

    after = tracker_step(world, "submit", JOB)

    assert (after.get("error"), after["job"]["arn"]) == (None, job_arn(JOB))
    while (result := lifecycle.is_complete(merged, world.services))["IsComplete"] is False:
        world.clock.now += 20
    assert (result["Data"]["JobName"], result["Data"]["JobArn"]) == (JOB, job_arn(JOB))
    assert list(world.personalize.jobs) == [JOB]


def test_a_resource_whose_event_fails_without_a_job_no_longer_declares_it() -> None:
    """GIVEN a request QUEUED by stack 1, and stack 2 creating the same request with
    completion WAIT: declared by its first poll, still blocked at its limit, so its Create fails
    WHEN stack 1 removes the request
    THEN stack 1's Delete cancels it: stack 2's key, written by its polls while it was blocked,
    went with its failed event (it declares nothing), and the submit step creates no job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3 * 3600)
    created = cfn_event("Create", properties())
    complete(world, created, T0)
    other = cfn_event("Create", properties(Completion="WAIT")) | {"StackId": OTHER_STACK}
    world.clock.now = T0 + 600
    merged = {**other, **lifecycle.on_event(other, world.services)}
    # (while it polls, stack 2 declares the request: its first poll, blocked, wrote its key;
    # its onEvent, which submits nothing, wrote none)
    assert world.s3.keys(prefix=f"staging/{JOB}/declared-by/") == [declarer_key(JOB, created)]
    assert lifecycle.is_complete(merged, world.services) == {"IsComplete": False}
    assert world.s3.keys(prefix=f"staging/{JOB}/declared-by/") == sorted(
        [declarer_key(JOB, created), declarer_key(JOB, other)]
    )
    with pytest.raises(lifecycle.DeletionFailed, match="deploy again once the blocker clears"):
        while not lifecycle.is_complete(merged, world.services)["IsComplete"]:
            world.clock.now += 20
    assert world.s3.keys(prefix="staging/") == [
        declarer_key(JOB, created),
        f"staging/{JOB}/users.csv",
    ]
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)

    world.clock.now = T0 + 4 * 3600
    after = tracker_step(world, "submit", JOB)

    assert after["error"] == {"Error": "DeletionCancelled", "Cause": cancelled_cause(JOB)}
    assert world.personalize.jobs == {}


def test_the_deployment_that_creates_a_queued_job_removes_the_declarer_keys() -> None:
    """GIVEN a request QUEUED by stack 1 (its key written at the hand-off), and stack 2
    creating the same request, blocked at first (its key written by its first poll)
    WHEN the dataset group frees up and stack 2's own poll creates the job
    THEN both keys are deleted, as the tracker's submit step does: no cancellation applies to
    a job that exists; only the staged list, which the job reads, stays."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 1200)
    created = cfn_event("Create", properties())
    complete(world, created, T0)
    other = cfn_event("Create", properties()) | {"StackId": OTHER_STACK}
    world.clock.now = T0 + 900
    merged = {**other, **lifecycle.on_event(other, world.services)}
    assert lifecycle.is_complete(merged, world.services) == {"IsComplete": False}
    assert world.s3.keys(prefix="staging/") == sorted(
        [declarer_key(JOB, created), declarer_key(JOB, other), f"staging/{JOB}/users.csv"]
    )
    world.clock.now = T0 + 1260

    result = lifecycle.is_complete(merged, world.services)

    assert result == {"IsComplete": False}  # created, PENDING
    assert list(world.personalize.jobs) == [JOB]
    # (the declarer keys gone; the creating poll's record of the job is no declarer)
    assert world.s3.keys(prefix="staging/") == [
        f"staging/{JOB}/submitted.json",
        f"staging/{JOB}/users.csv",
    ]


def test_a_failed_return_to_a_cancelled_request_leaves_it_cancelled() -> None:
    """GIVEN an unpinned S3 request QUEUED at r1 (the tracker follows its job), a successful
    Update to r2 (a second job), and the cleanup Delete of the r1 job, which marks it cancelled
    WHEN an Update back to r1 (completion WAIT) returns to the r1 job (its list still staged),
    is still blocked at its limit and fails, and CloudFormation rolls the resource back to r2
    (no Delete of the r1 job is sent)
    THEN the marker stands and this resource declares nothing there (the failed return's key is
    gone), so the tracker's submit step creates no r1 job: the stack declares r2 only."""
    world = fake_world()
    key = "lists/2026-11.csv"
    world.s3.put_source(key, USERS_CSV)

    def s3_props(revision: str, **more: Any) -> dict[str, Any]:
        return properties(
            Source={"Bucket": SOURCE_BUCKET, "Key": key, "Revision": revision}, **more
        )

    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3000)
    created = complete(world, cfn_event("Create", s3_props("r1")), T0)
    assert (created["PhysicalResourceId"], created["Data"]["Status"]) == (JOB, "QUEUED")
    world.s3.put_source(key, OTHER_CSV)
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    world.personalize.set_dataset_group_busy(GROUP, until=T0)  # free for a moment
    assert complete(world, update, T0 + 3600)["PhysicalResourceId"] == NEW_JOB
    lifecycle.on_event(cfn_event("Delete", s3_props("r1"), physical_id=JOB), world.services)
    assert world.s3.keys(prefix=f"staging/{JOB}/") == [marker_key(JOB), f"staging/{JOB}/users.csv"]
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 20 * 3600)
    back = cfn_event(
        "Update", s3_props("r1", Completion="WAIT"), physical_id=NEW_JOB, old=s3_props("r2")
    )
    with pytest.raises(lifecycle.DeletionFailed, match="deploy again once the blocker clears"):
        complete(world, back, T0 + 7200)
    assert world.s3.keys(prefix=f"staging/{JOB}/") == [marker_key(JOB), f"staging/{JOB}/users.csv"]
    rollback = cfn_event(
        "Update", s3_props("r2"), physical_id=NEW_JOB, old=s3_props("r1", Completion="WAIT")
    )
    assert complete(world, rollback, T0 + 3 * 3600)["PhysicalResourceId"] == NEW_JOB

    world.clock.now = T0 + 21 * 3600
    after = tracker_step(world, "submit", JOB)

    assert after["error"] == {"Error": "DeletionCancelled", "Cause": cancelled_cause(JOB)}
    assert JOB not in world.personalize.jobs


def test_a_return_declaring_a_cancelled_request_keeps_it_while_it_polls() -> None:
    """GIVEN an unpinned S3 request QUEUED at r1, updated to r2 (a second job), whose cleanup
    Delete marked the r1 request cancelled
    WHEN a later deploy deliberately returns to r1 (its blocked polls declare the r1 request,
    the marker stays until it succeeds) and, while it polls blocked, the execution still following
    the r1 request tries its submit
    THEN the declaration keeps the request: the tracker creates the job, and the return
    succeeds on it."""
    key = "lists/2026-11.csv"

    def s3(revision: str) -> dict[str, Any]:
        return properties(Source={"Bucket": SOURCE_BUCKET, "Key": key, "Revision": revision})

    world = fake_world()
    world.s3.put_source(key, USERS_CSV)
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3000)
    created = complete(world, cfn_event("Create", s3("r1")), T0)
    assert (created["PhysicalResourceId"], created["Data"]["Status"]) == (JOB, "QUEUED")
    world.s3.put_source(key, OTHER_CSV)
    world.personalize.set_dataset_group_busy(GROUP, until=T0)
    update = cfn_event("Update", s3("r2"), physical_id=JOB, old=s3("r1"))
    assert complete(world, update, T0 + 3600)["PhysicalResourceId"] == NEW_JOB
    lifecycle.on_event(cfn_event("Delete", s3("r1"), physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 7200 + 300)
    back = cfn_event("Update", s3("r1"), physical_id=NEW_JOB, old=s3("r2"))
    world.clock.now = T0 + 7200
    merged = {**back, **lifecycle.on_event(back, world.services)}
    assert merged["PhysicalResourceId"] == JOB
    assert lifecycle.is_complete(merged, world.services) == {"IsComplete": False}

    world.clock.now = T0 + 7200 + 400
    after = tracker_step(world, "submit", JOB)

    assert (after.get("error"), after["job"]["arn"]) == (None, job_arn(JOB))
    while (result := lifecycle.is_complete(merged, world.services))["IsComplete"] is False:
        world.clock.now += 20
    assert (result["Data"]["JobName"], result["Data"]["JobArn"]) == (JOB, job_arn(JOB))


# ------------------------------------------------ a waiter outliving its event (aws-cdk#26139)


@pytest.mark.parametrize(
    "deleted_id",
    [JOB, "privacy-GdprDeletionJob1A2B3C4D-1QX7Z9K2M4B8"],
    ids=["delete-names-the-job", "cloudformation-generated-id"],
)
def test_a_cancelled_create_whose_waiter_polls_on_starts_no_job_after_the_delete(
    deleted_id: str,
) -> None:
    """GIVEN a Create whose first polls find the dataset group in use (nothing created yet)
    WHEN another resource of the stack fails: CloudFormation cancels this resource's creation
    ("Resource creation cancelled") and, rolling back, sends its Delete (with the job's name,
    or with the physical id CloudFormation generates for a Create it never got an answer to),
    while the framework's waiter, which CloudFormation does not stop, keeps polling
    THEN once the group is free, no poll of that waiter creates the job: the stack no longer
    declares the request (a deletion cannot be undone)."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 120)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    assert poll_at(world, event, 60) == {"IsComplete": False}
    delete = cfn_event("Delete", properties(), physical_id=deleted_id)
    world.clock.now = T0 + 70
    assert lifecycle.on_event(delete, world.services) == {"PhysicalResourceId": deleted_id}

    for at in (120, 180, 240):
        try:
            poll_at(world, event, at)
        except DeletionFailed:
            break

    assert JOB not in world.personalize.jobs
    assert world.stepfunctions.listed() == []


def test_an_update_cancelled_and_rolled_back_leaves_no_waiter_that_starts_the_new_job() -> None:
    """GIVEN a resource whose job completed, and an Update to a new list whose first polls find
    the dataset group in use (the new job not created yet)
    WHEN CloudFormation cancels the Update (another resource failed) and rolls this resource
    back to its old list (an Update to the old physical id, which succeeds: it keeps the
    completed job); CloudFormation never learned the new job's name, so no Delete names it;
    the forward Update's waiter keeps polling
    THEN once the group is free, no poll of the forward waiter creates the new job: the stack
    declares only the old one."""
    world = fake_world()
    complete(world, cfn_event("Create", properties()), T0)
    world.s3.put_source(NEW_KEY, OTHER_CSV)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": NEW_KEY})
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600 + 300)
    world.clock.now = T0 + 3600
    forward = cfn_event("Update", new, physical_id=JOB, old=properties())
    forward = {**forward, **lifecycle.on_event(forward, world.services)}
    assert forward["PhysicalResourceId"] == NEW_JOB
    assert poll_at(world, forward, 3600) == {"IsComplete": False}

    rollback = cfn_event("Update", properties(), physical_id=JOB, old=new)
    assert complete(world, rollback, T0 + 3660)["PhysicalResourceId"] == JOB

    for at in range(3600 + 300, 3600 + DEADLINE_SECONDS + 1, 60):
        try:
            if poll_at(world, forward, at)["IsComplete"]:
                break
        except DeletionFailed:
            break

    assert NEW_JOB not in world.personalize.jobs
    assert NEW_JOB not in world.stepfunctions.executions


def test_a_cancelled_waiter_still_blocked_keeps_the_deletes_marker_and_stops() -> None:
    """GIVEN a Create whose first polls find the dataset group in use (its key declares the
    request)
    WHEN CloudFormation cancels it and deletes the resource (the Delete marks the request), and
    the old waiter's next poll finds the group still in use
    THEN that poll does not declare the request again nor withdraw the marker: it fails the
    event saying why, its key and the staged list are gone, the marker stands, and no tracker
    execution is started; the tracker would create nothing either."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    world.clock.now = T0 + 30
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)

    with pytest.raises(DeletionFailed, match="CloudFormation deleted or rolled back"):
        poll_at(world, event, 60)

    assert world.s3.keys() == [marker_key(JOB)]
    assert world.stepfunctions.listed() == []
    assert JOB not in world.personalize.jobs


def test_a_waiter_rewriting_its_key_during_the_delete_does_not_keep_the_request() -> None:
    """GIVEN a Create blocked at submission, its waiter polling
    WHEN CloudFormation deletes the resource, and the old waiter's poll writes the resource's
    declarer key again right after the Delete removed it (before the Delete looks for other
    declarers)
    THEN the Delete marks the request all the same (a resource's own key keeps nothing alive
    while it is deleted), and the waiter's next poll, the group free, creates no job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 120)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    client = world.services.storage.client
    delete_object = client.delete_object

    def racing_delete(**request: Any) -> Any:
        answer = delete_object(**request)
        if request["Key"] == declarer_key(JOB, event):
            cancellation.declare(STAGING_BUCKET, JOB, event, world.services)
        return answer

    client.delete_object = racing_delete
    world.clock.now = T0 + 30
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    client.delete_object = delete_object
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")

    with pytest.raises(DeletionFailed, match="creates no job"):
        poll_at(world, event, 180)

    assert JOB not in world.personalize.jobs


def test_a_delete_under_a_generated_id_marks_the_job_its_properties_name_before_any_poll() -> None:
    """GIVEN a Create whose properties hold the list's hash (ContentSha256), staged by onEvent,
    its waiter not polled yet (so no key of its resource declares the request)
    WHEN CloudFormation cancels it and deletes it under an id it generated
    THEN the Delete marks the job its properties name, and the waiter's first poll creates none."""
    world = fake_world()
    sha = hashlib.sha256(canonical_bytes(USERS_CSV)).hexdigest()
    event = start(world, ContentSha256=sha)
    world.clock.now = T0 + 5
    generated = "privacy-GdprDeletionJob1A2B3C4D-1QX7Z9K2M4B8"
    delete = cfn_event("Delete", properties(ContentSha256=sha), physical_id=generated)
    lifecycle.on_event(delete, world.services)
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")

    with pytest.raises(DeletionFailed, match="creates no job"):
        poll_at(world, event, 10)

    assert world.personalize.jobs == {}


@pytest.mark.parametrize(
    ("written", "cancels"),
    [(-3, False), (-2, False), (-1.5, True), (0, True), (90, True)],
)
def test_only_a_marker_clearly_older_than_the_event_is_its_own_resources_earlier_one(
    written: float, cancels: bool
) -> None:
    """GIVEN a marker of the waiter's own resource, ``written`` seconds from its event's start
    (whole seconds, cut, by another invocation's clock)
    THEN it cancels the event unless its second plus the clocks' skew ended before the event
    began; another resource's marker never does."""
    event = cfn_event("Create", properties())
    waiter = superseded.Waiter(event, T0 + 0.5, STAGING_BUCKET, JOB)
    marker = {
        "stackId": STACK_ID,
        "logicalResourceId": event["LogicalResourceId"],
        "cancelledAt": iso(T0 + 0.5 + written),
    }
    assert superseded.written_since(marker, waiter) is cancels
    assert not superseded.written_since(marker | {"stackId": OTHER_STACK}, waiter)
