"""Updates and CloudFormation's rollbacks that return a resource to the job it already has.

A rollback is an Update with the properties the resource had; it must succeed whenever the
resource can stand as it stood, or the stack is left ``UPDATE_ROLLBACK_FAILED``. Two ways it
did not: a job that FAILED after the hand-off failed every later event that kept it, and an
unpinned S3 source was read again, so a rollback (or a tags-only Update) met whatever the
object held by then. Fast tier: the decisions over the in-memory fakes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import FakeWorld, complete, fake_world, refuse_s3, tracker_step
from lifecycle_support import (
    GROUP,
    LOGICAL_ID,
    OTHER_CSV,
    SOURCE_BUCKET,
    STACK_ID,
    STAGING_BUCKET,
    T0,
    USERS_CSV,
    cfn_event,
    expected_job_name,
    job_arn,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.failures import DeletionFailed
from personalize_deletion_runtime.job_source import index_key, source_identity
from personalize_deletion_runtime.properties import parse_request

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
RENAMED_JOB = expected_job_name(USERS_CSV, request_name="gdpr-2026-11b")
OTHER_JOB = expected_job_name(OTHER_CSV)
INVALID = "Input data is not valid"
FAILED_ADVICE = (
    ". A failed job keeps its name, so deploying the same request adopts it again: fix the "
    "cause, then rename the request to start a new job"
)
S3_KEY = "lists/2026-11.csv"
THIRD_CSV = b"USER_ID\nuser-7\nuser-8\n"
FOURTH_CSV = b"USER_ID\nuser-9\n"


def tracker_finishes(world: FakeWorld, job: str, at: float) -> dict[str, Any]:
    """The tracker's finish step for ``job``, run with the execution's recorded input."""
    world.clock.now = at
    return tracker_step(world, "finish", job)


def failed_data(tracked_by: str) -> dict[str, str]:
    return {
        "JobArn": job_arn(JOB),
        "JobName": JOB,
        "Status": "FAILED",
        "NumDeleted": "0",
        "TrackedBy": tracked_by,
        "ReceiptUri": f"s3://{STAGING_BUCKET}/receipts/{JOB}.json",
        "FailureReason": INVALID,
    }


def handed_off_job_that_failed(world: FakeWorld, *, recorded: bool) -> None:
    """A Create handed to the tracker at the deadline; its job FAILED three hours later, and
    (``recorded``) the tracker's finish step wrote the receipt and announced it."""
    world.personalize.fail_next_jobs(INVALID)
    created = complete(world, cfn_event("Create", properties()), T0)
    assert created["Data"]["Status"] == "IN_PROGRESS"
    if recorded:
        tracker_finishes(world, JOB, T0 + 3 * 3600 + 600)
        assert world.receipt(JOB)["status"] == "FAILED"


# ------------------------------------------------------------------- a job that FAILED


def test_an_update_keeping_a_job_whose_failure_was_recorded_succeeds_with_status_failed() -> None:
    """GIVEN a request handed to the tracker, whose job FAILED and was recorded by the tracker
    WHEN only its tags change (README: STUCK/FAILED)
    THEN the Update succeeds, reporting the job as it stands: FAILED, with its failureReason;
    no job is started and the failure is not announced again."""
    world = fake_world(run_seconds=3 * 3600)
    handed_off_job_that_failed(world, recorded=True)
    new = properties(Tags={"ticket": "PRIV-2"})
    result = complete(
        world, cfn_event("Update", new, physical_id=JOB, old=properties()), T0 + 4 * 3600
    )
    assert result["PhysicalResourceId"] == JOB
    assert result["Data"] == failed_data(world.stepfunctions.arn(JOB))
    assert list(world.personalize.jobs) == [JOB]
    assert [detail["status"] for detail in world.events.details()] == ["FAILED"]


def test_rollback_to_a_job_whose_failure_the_failed_update_recorded_succeeds() -> None:
    """GIVEN a request handed to the tracker whose job later FAILED, unrecorded (the tracker
    had not seen it yet)
    WHEN an Update keeping the job sees the failure first (it records it and fails), and
    CloudFormation rolls the resource back to its previous properties
    THEN the rollback succeeds with the job FAILED (no UPDATE_ROLLBACK_FAILED)."""
    world = fake_world(run_seconds=3 * 3600)
    handed_off_job_that_failed(world, recorded=False)
    new = properties(Tags={"ticket": "PRIV-2"})
    update = cfn_event("Update", new, physical_id=JOB, old=properties())
    with pytest.raises(DeletionFailed) as failed:
        complete(world, update, T0 + 4 * 3600)
    assert str(failed.value) == f"data deletion job {JOB} FAILED: {INVALID}{FAILED_ADVICE}"
    rollback = cfn_event("Update", properties(), physical_id=JOB, old=new)
    result = complete(world, rollback, T0 + 4 * 3600 + 60)
    assert result["PhysicalResourceId"] == JOB
    assert result["Data"] == failed_data("none")
    assert [detail["status"] for detail in world.events.details()] == ["FAILED"]


def test_an_update_whose_new_job_failed_fails_again_when_is_complete_is_delivered_again() -> None:
    """GIVEN a completed request, then an Update to another list whose new job FAILS
    WHEN isComplete is the first to see the failure (it records it: the event fails), and the
    same event is delivered to isComplete once more (the framework re-invokes a function whose
    answer it did not get; the waiter retries a framework task that failed, e.g. its PUT of
    the FAILED response)
    THEN the event fails again: the Update's own new job FAILED, nothing was deleted, and
    CloudFormation must not record the Update as successful (the receipt was written by this
    very event, not before it began)."""
    world = fake_world()
    old = properties()
    complete(world, cfn_event("Create", old), T0)
    world.s3.put_source("assets/9a8b7c.csv", OTHER_CSV)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": "assets/9a8b7c.csv"})
    world.personalize.fail_next_jobs(INVALID)
    event = cfn_event("Update", new, physical_id=JOB, old=old)
    world.clock.now = T0 + 3600
    update = {**event, **lifecycle.on_event(json.loads(json.dumps(event)), world.services)}
    assert update["PhysicalResourceId"] == OTHER_JOB
    # (the waiter's first poll submits the new job: onEvent starts none)
    assert lifecycle.is_complete(json.loads(json.dumps(update)), world.services) == {
        "IsComplete": False
    }
    world.clock.now += 120  # the new job has ended FAILED

    with pytest.raises(DeletionFailed) as first:
        lifecycle.is_complete(json.loads(json.dumps(update)), world.services)
    assert str(first.value).startswith(f"data deletion job {OTHER_JOB} FAILED: {INVALID}")
    try:
        again: dict[str, Any] | None = lifecycle.is_complete(
            json.loads(json.dumps(update)), world.services
        )
    except DeletionFailed:
        again = None

    assert again is None, (
        "the same Update, delivered again, now succeeds: "
        f"{again and {k: again['Data'][k] for k in ('JobName', 'Status')}}"
    )


def test_renaming_a_request_whose_job_failed_can_roll_back_when_the_new_job_fails() -> None:
    """GIVEN a request handed to the tracker, whose job FAILED (recorded by the tracker)
    WHEN the user renames the request (README) and the renamed job FAILS within the deployment
    THEN the Update fails, and CloudFormation's rollback to the old name succeeds, the old
    job FAILED as it stood; no third job is started."""
    world = fake_world(run_seconds=3 * 3600)
    handed_off_job_that_failed(world, recorded=True)
    world.personalize.fail_next_jobs(INVALID)
    world.personalize.run_seconds = 50
    renamed = properties(RequestName="gdpr-2026-11b")
    update = cfn_event("Update", renamed, physical_id=JOB, old=properties())
    with pytest.raises(DeletionFailed) as failed:
        complete(world, update, T0 + 4 * 3600)
    assert str(failed.value) == f"data deletion job {RENAMED_JOB} FAILED: {INVALID}{FAILED_ADVICE}"
    rollback = cfn_event("Update", properties(), physical_id=JOB, old=renamed)
    result = complete(world, rollback, T0 + 8 * 3600)
    assert result["PhysicalResourceId"] == JOB
    assert result["Data"] == failed_data(world.stepfunctions.arn(JOB))
    assert sorted(world.personalize.jobs) == sorted([JOB, RENAMED_JOB])


def test_a_rollback_past_a_successful_rename_returns_to_the_recorded_failed_job() -> None:
    """GIVEN a request whose job FAILED (recorded by the tracker for this resource), renamed
    by a successful Update (a new job started)
    WHEN another resource fails and CloudFormation rolls this one back: an Update to the old
    name, sent to the new physical id
    THEN the rollback succeeds: the job its receipt records for this very resource stands
    FAILED again."""
    world = fake_world(run_seconds=3 * 3600)
    handed_off_job_that_failed(world, recorded=True)
    renamed = properties(RequestName="gdpr-2026-11b")
    update = cfn_event("Update", renamed, physical_id=JOB, old=properties())
    assert complete(world, update, T0 + 4 * 3600)["PhysicalResourceId"] == RENAMED_JOB
    rollback = cfn_event("Update", properties(), physical_id=RENAMED_JOB, old=renamed)
    result = complete(world, rollback, T0 + 5 * 3600)
    assert result["PhysicalResourceId"] == JOB
    assert result["Data"] == failed_data(world.stepfunctions.arn(JOB))


def test_another_resource_adopting_a_recorded_failed_job_still_fails() -> None:
    """GIVEN a request whose job FAILED, recorded by the tracker for its resource
    WHEN another resource (another logical id) is created with the same request
    THEN its Create fails: it adopts a job that is not its own, whose failure it must show."""
    world = fake_world(run_seconds=3 * 3600)
    handed_off_job_that_failed(world, recorded=True)
    other = {**cfn_event("Create", properties()), "LogicalResourceId": f"{LOGICAL_ID}Copy"}
    with pytest.raises(DeletionFailed) as failed:
        complete(world, other, T0 + 4 * 3600)
    assert str(failed.value) == f"data deletion job {JOB} FAILED: {INVALID}{FAILED_ADVICE}"


def test_a_re_added_resource_adopting_its_predecessors_failed_job_fails_its_create() -> None:
    """GIVEN a request handed to the tracker whose job FAILED (recorded by the tracker for this
    stack and logical id), then removed from the stack (Delete)
    WHEN the user adds the same request back under the same construct id (a Create of a new
    resource, which adopts the FAILED job of the same name)
    THEN the Create fails with the failure and the advice to rename: a recorded failure lets
    only an Update (a rollback past a rename) stand FAILED, never a Create, whose user would
    believe the deletion ran."""
    world = fake_world(run_seconds=3 * 3600)
    handed_off_job_that_failed(world, recorded=True)
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    with pytest.raises(DeletionFailed) as failed:
        complete(world, cfn_event("Create", properties()), T0 + 5 * 3600)
    assert str(failed.value) == f"data deletion job {JOB} FAILED: {INVALID}{FAILED_ADVICE}"
    assert list(world.personalize.jobs) == [JOB]


# ----------------------------------------------------------- S3 sources read only once


def s3_props(revision: str | None, **more: Any) -> dict[str, Any]:
    source = {"Bucket": SOURCE_BUCKET, "Key": S3_KEY}
    if revision is not None:
        source["Revision"] = revision
    return properties(Source=source, **more)


def test_a_tags_only_update_of_an_unpinned_s3_request_keeps_its_job_unread() -> None:
    """GIVEN an S3 request without a version or revision whose job completed, and the object
    replaced since (README: "replacing the object later and deploying again reads nothing")
    WHEN only the request's tags change
    THEN the job is kept: the object is not read, no second job starts."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    created = complete(world, cfn_event("Create", s3_props(None)), T0)
    assert created["PhysicalResourceId"] == JOB
    world.s3.put_source(S3_KEY, OTHER_CSV)
    world.s3.calls.clear()
    new = s3_props(None, Tags={"ticket": "PRIV-2"})
    result = complete(
        world, cfn_event("Update", new, physical_id=JOB, old=s3_props(None)), T0 + 3600
    )
    assert list(world.personalize.jobs) == [JOB]
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (JOB, "COMPLETED")
    # (the receipt is listed and read by on_event, which then lists the request's staging keys
    # for jobs a cancelled event of the resource declared (changed deliberately: that listing
    # is new); then again by the finish, which purges the staged list and a poll's record of
    # the job, none here; last, the Update, its FollowUp off, deletes its resource's declarer
    # key of the job's follow-up (changed deliberately: resources declare the follow-up): the
    # source object is never read)
    assert world.s3.calls == [
        "ListObjectsV2",
        "GetObject",
        "ListObjectsV2",
        "ListObjectsV2",
        "GetObject",
        "DeleteObject",
        "DeleteObject",
        "DeleteObject",
    ]


def test_rollback_of_a_new_s3_list_that_fails_validation_keeps_the_old_job() -> None:
    """GIVEN an S3 request (revision r1) whose job completed, then an Update to revision r2
    whose new object has a malformed line (refused, no job)
    WHEN CloudFormation rolls back to r1 (the object still holds the r2 list)
    THEN the rollback succeeds with the r1 job: its receipt records the r1 source, so the
    object is not read again."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    created = complete(world, cfn_event("Create", s3_props("r1")), T0)
    assert created["Data"]["Status"] == "COMPLETED"
    world.s3.put_source(S3_KEY, b"USER_ID\nuser-1\nuser,2\n")
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    with pytest.raises(DeletionFailed):
        complete(world, update, T0 + 3600)
    rollback = cfn_event("Update", s3_props("r1"), physical_id=JOB, old=s3_props("r2"))
    result = complete(world, rollback, T0 + 3700)
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (JOB, "COMPLETED")
    assert list(world.personalize.jobs) == [JOB]


def test_rollback_of_a_new_s3_list_whose_job_failed_returns_to_the_old_job() -> None:
    """GIVEN an S3 request (revision r1) whose job completed, and an Update to a new list
    (object replaced, revision r2) whose job FAILED
    WHEN CloudFormation rolls back to r1
    THEN the resource is the r1 job again (not the r2 job the current object would name)."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    complete(world, cfn_event("Create", s3_props("r1")), T0)
    world.s3.put_source(S3_KEY, OTHER_CSV)
    world.personalize.fail_next_jobs(INVALID)
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    with pytest.raises(DeletionFailed):
        complete(world, update, T0 + 3600)
    new_job = expected_job_name(OTHER_CSV)
    assert set(world.personalize.jobs) == {JOB, new_job}
    rollback = cfn_event("Update", s3_props("r1"), physical_id=JOB, old=s3_props("r2"))
    result = complete(world, rollback, T0 + 3700)
    assert result["PhysicalResourceId"] == JOB
    assert (result["Data"]["JobName"], result["Data"]["Status"]) == (JOB, "COMPLETED")


def test_a_proven_update_without_a_job_or_list_refuses_a_changed_object() -> None:
    """GIVEN an unpinned S3 request QUEUED (the group busy) whose staged list is gone (the
    tracker gave it up, NOT_STARTED), and the object replaced since
    WHEN only its tags change (README's advice to try again)
    THEN no job is started for the list the object holds now: the Update fails saying which
    properties to change."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    world.personalize.set_dataset_group_busy(properties()["DatasetGroupArn"], until=T0 + 10 * 3600)
    created = complete(world, cfn_event("Create", s3_props(None)), T0)
    assert created["Data"]["Status"] == "QUEUED"
    world.services.storage.purge(STAGING_BUCKET, JOB)  # the tracker gave up: list purged
    world.s3.put_source(S3_KEY, OTHER_CSV)
    new = s3_props(None, Tags={"ticket": "PRIV-2"})
    update = cfn_event("Update", new, physical_id=JOB, old=s3_props(None))
    with pytest.raises(DeletionFailed) as failed:
        complete(world, update, T0 + 11 * 3600)
    other_sha = str(failed.value).split("(SHA-256 ")[1][:12]
    assert str(failed.value) == (
        f"request gdpr-2026-11: s3://{SOURCE_BUCKET}/{S3_KEY} no longer holds the list job "
        f"{JOB} was named for (SHA-256 {other_sha}... now), and this Update changes none of "
        "the properties that define the list (Source, RequestName, DatasetGroupArn, "
        "JobNamePrefix), so no job is started for what it holds now: to delete that list, "
        "change Source.Revision or pin Source.VersionId; to have job "
        f"{JOB} started, put its list back; no job started"
    )
    assert list(world.personalize.jobs) == []


def r2_replaced_r1(world: FakeWorld) -> str:
    """An unpinned S3 request at revision r1 whose job completed, then a successful Update to
    r2 (the object replaced: a second job, completed); the object then replaced again (the
    next release's list, which no stack declares). Returns the r2 job's name."""
    world.s3.put_source(S3_KEY, USERS_CSV)
    assert complete(world, cfn_event("Create", s3_props("r1")), T0)["PhysicalResourceId"] == JOB
    world.s3.put_source(S3_KEY, OTHER_CSV)
    r2_job = expected_job_name(OTHER_CSV)
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    assert complete(world, update, T0 + 3600)["PhysicalResourceId"] == r2_job
    world.s3.put_source(S3_KEY, THIRD_CSV)
    return r2_job


def test_a_new_job_records_the_job_it_replaced() -> None:
    """GIVEN an unpinned S3 request at r1 whose job completed
    WHEN an Update to r2 starts a second job
    THEN that job's input summary (here its receipt) records the job it replaced and the
    source identity of that job's properties (a digest: no ids)."""
    world = fake_world()
    r2_job = r2_replaced_r1(world)
    assert world.receipt(r2_job)["input"]["replaced"] == {
        "jobName": JOB,
        "sourceIdentity": source_identity(parse_request(s3_props("r1"))),
    }
    assert "replaced" not in world.receipt(JOB)["input"]


def test_a_rollback_past_a_successful_s3_update_returns_to_the_replaced_job_unread() -> None:
    """GIVEN an unpinned S3 request updated from r1 to r2 (a second job, completed), and the
    object replaced again since
    WHEN another resource fails and CloudFormation rolls this one back to r1 (an Update with
    the r2 job as physical id)
    THEN the resource returns to the r1 job without reading the object: no job is started for
    what it holds now, and the r2 job is not kept under r1's properties."""
    world = fake_world()
    r2_job = r2_replaced_r1(world)
    read: list[str] = []
    get_object = world.s3.get_object

    def recording_get(**request: Any) -> Any:
        read.append(request["Bucket"])
        return get_object(**request)

    world.s3.get_object = recording_get  # type: ignore[method-assign]
    rollback = cfn_event("Update", s3_props("r1"), physical_id=r2_job, old=s3_props("r2"))
    result = complete(world, rollback, T0 + 3700)
    assert result["PhysicalResourceId"] == JOB
    assert (result["Data"]["JobName"], result["Data"]["Status"]) == (JOB, "COMPLETED")
    assert sorted(world.personalize.jobs) == sorted([JOB, r2_job])
    assert SOURCE_BUCKET not in read  # (receipts only: the object is never read)


def test_a_later_update_back_to_a_replaced_revision_returns_to_its_job() -> None:
    """GIVEN an unpinned S3 request updated from r1 to r2 (a second job), and the object
    replaced again since
    WHEN the user deploys r1 again later, deliberately (not a rollback)
    THEN the resource returns to the r1 job, unread (r1's list was that job's): no job starts;
    README: to delete what the object holds now, give it a new revision."""
    world = fake_world()
    r2_job = r2_replaced_r1(world)
    back = cfn_event("Update", s3_props("r1"), physical_id=r2_job, old=s3_props("r2"))
    result = complete(world, back, T0 + 30 * 86400)
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (JOB, "COMPLETED")
    assert sorted(world.personalize.jobs) == sorted([JOB, r2_job])
    new_revision = cfn_event("Update", s3_props("r3"), physical_id=JOB, old=s3_props("r1"))
    third = complete(world, new_revision, T0 + 31 * 86400)
    assert third["PhysicalResourceId"] == expected_job_name(THIRD_CSV)
    assert len(world.personalize.jobs) == 3


def test_a_rollback_of_a_return_to_a_replaced_job_returns_to_the_job_it_left() -> None:
    """GIVEN an unpinned S3 request updated from r1 to r2 (a second job), the object replaced
    again since, and a deliberate Update back to r1 (which returned to the r1 job, unread)
    WHEN another resource of that deployment fails and CloudFormation rolls this one back to
    r2 (an Update with the r1 job as physical id, whose records name neither r2 nor its job)
    THEN the resource returns to the r2 job unread (the index of source identities names it):
    no third job is started for what the object holds now, which no deployment checked."""
    world = fake_world()
    r2_job = r2_replaced_r1(world)
    back = cfn_event("Update", s3_props("r1"), physical_id=r2_job, old=s3_props("r2"))
    assert complete(world, back, T0 + 7200)["PhysicalResourceId"] == JOB
    rollback = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    result = complete(world, rollback, T0 + 7300)
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (r2_job, "COMPLETED")
    assert sorted(world.personalize.jobs) == sorted([JOB, r2_job])
    # (each identity names its job: a digest and a job name, no ids; changed deliberately:
    # the entry's key is the digest of the resource and the identity, so only this resource's
    # own history is read)
    assert json.loads(world.s3.read(index_key(rollback, identity("r2")))) == {
        "jobName": r2_job,
        "sourceIdentity": identity("r2"),
    }


def test_an_update_whose_index_entry_cannot_be_read_reads_nothing() -> None:
    """GIVEN an unpinned S3 request at r1 whose job completed, the object replaced since
    WHEN an Update to r2 cannot read whether r2 named a job before (S3 refuses the index)
    THEN it fails without reading the source: no job is started for a list no deployment may
    have checked."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    complete(world, cfn_event("Create", s3_props("r1")), T0)
    world.s3.put_source(S3_KEY, OTHER_CSV)
    refuse_s3(world, "list_objects_v2", "Prefix", "receipts/sources/", "SlowDown")
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    with pytest.raises(DeletionFailed) as failed:
        complete(world, update, T0 + 3600)
    assert str(failed.value) == (
        "request gdpr-2026-11: whether these list properties named a job before could not be "
        "read (An error occurred (SlowDown) when calling the ListObjectsV2 operation: slow), "
        "so the source is not read either; deploy again; no job started"
    )
    assert list(world.personalize.jobs) == [JOB]


def identity(revision: str) -> str:
    return source_identity(parse_request(s3_props(revision)))


def test_a_rollback_to_a_replaced_job_that_never_started_refuses_a_changed_object() -> None:
    """GIVEN an unpinned S3 request QUEUED at r1 and given up NOT_STARTED (its list purged),
    then a successful Update to r2 (a second job, which records it replaced the r1 job), and
    the object replaced again since
    WHEN CloudFormation rolls back to r1 (physical id: the r2 job)
    THEN no job is started for what the object holds now: the r1 job neither exists nor has
    its list staged, and the list read names another job, so the Update fails saying so."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 40 * 3600)
    created = complete(world, cfn_event("Create", s3_props("r1")), T0)
    assert (created["PhysicalResourceId"], created["Data"]["Status"]) == (JOB, "QUEUED")
    world.clock.now = T0 + 37 * 3600  # past the tracking limit, still busy
    after = tracker_step(world, "submit", JOB)
    assert after["tracking"]["giveUp"] is True
    tracker_step(world, "give_up", JOB, after)
    world.personalize.set_dataset_group_busy(GROUP, until=T0)
    world.s3.put_source(S3_KEY, OTHER_CSV)
    r2_job = expected_job_name(OTHER_CSV)
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    assert complete(world, update, T0 + 41 * 3600)["PhysicalResourceId"] == r2_job
    world.s3.put_source(S3_KEY, THIRD_CSV)
    rollback = cfn_event("Update", s3_props("r1"), physical_id=r2_job, old=s3_props("r2"))
    with pytest.raises(DeletionFailed) as failed:
        complete(world, rollback, T0 + 41 * 3600 + 600)
    third_sha = str(failed.value).split("(SHA-256 ")[1][:12]
    assert str(failed.value) == (
        f"request gdpr-2026-11: s3://{SOURCE_BUCKET}/{S3_KEY} no longer holds the list job "
        f"{JOB} was named for (SHA-256 {third_sha}... now), and this Update's properties that "
        "define the list (Source, RequestName, DatasetGroupArn, JobNamePrefix) are the ones "
        "that named it (a return to them, or CloudFormation's rollback), and it neither exists "
        "nor has its list staged, so no job is started for what it holds now: to delete that "
        "list, change Source.Revision or pin Source.VersionId; to have job "
        f"{JOB} started, put its list back; no job started"
    )
    assert list(world.personalize.jobs) == [r2_job]


def test_an_update_whose_index_entry_for_the_properties_it_leaves_fails_starts_nothing() -> None:
    """GIVEN an unpinned S3 request updated from r1 to r2 (a second job) under a version
    without the index (no entries), the object replaced again since
    WHEN a deliberate Update back to r1 cannot write which job the r2 properties it leaves
    named (one S3 SlowDown on the index)
    THEN it fails before returning to (or starting) any job, saying so; CloudFormation's
    rollback to r2 keeps the r2 job by its record; a later return that can write its entry
    succeeds, and its own rollback returns to the r2 job unread: no job is ever started for
    what the object holds now, which no deployment checked."""
    world = fake_world()
    r2_job = r2_replaced_r1(world)
    for key in world.s3.keys(prefix="receipts/sources/"):  # (the upgrade: no entries)
        world.s3.delete_object(Bucket=STAGING_BUCKET, Key=key)
    put = refuse_s3(world, "put_object", "Key", "receipts/sources/", "SlowDown")
    back = cfn_event("Update", s3_props("r1"), physical_id=r2_job, old=s3_props("r2"))
    with pytest.raises(DeletionFailed) as failed:
        complete(world, back, T0 + 7200)
    assert str(failed.value) == (
        "request gdpr-2026-11: which job the list properties this Update leaves named "
        f"({r2_job}) could not be written to {STAGING_BUCKET} (An error occurred (SlowDown) "
        "when calling the PutObject operation: slow), so a rollback to them could not return "
        "to it unread; nothing was started: deploy again"
    )
    world.s3.put_object = put  # type: ignore[method-assign]
    failed_back = cfn_event("Update", s3_props("r2"), physical_id=r2_job, old=s3_props("r1"))
    kept = complete(world, failed_back, T0 + 7300)
    assert (kept["PhysicalResourceId"], kept["Data"]["Status"]) == (r2_job, "COMPLETED")
    assert complete(world, back, T0 + 7400)["PhysicalResourceId"] == JOB
    rollback = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    result = complete(world, rollback, T0 + 7500)
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (r2_job, "COMPLETED")
    assert sorted(world.personalize.jobs) == sorted([JOB, r2_job])


def test_an_update_that_failed_leaves_no_index_entry_for_its_properties() -> None:
    """GIVEN an unpinned S3 request at r1 (a job completed), and an Update to r2 whose job
    FAILS within the deployment, so the Update fails and CloudFormation rolls back to r1
    WHEN the user corrects the object and deploys r2 again
    THEN the object is read and a job deletes the corrected list: the failed Update wrote no
    entry naming its job for r2 (only the entry for the r1 properties it left)."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    complete(world, cfn_event("Create", s3_props("r1")), T0)
    world.s3.put_source(S3_KEY, OTHER_CSV)
    world.personalize.fail_next_jobs(INVALID)
    update = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    with pytest.raises(DeletionFailed, match=f"data deletion job {expected_job_name(OTHER_CSV)}"):
        complete(world, update, T0 + 3600)
    assert world.s3.keys(prefix="receipts/sources/") == [index_key(update, identity("r1"))]
    rollback = cfn_event("Update", s3_props("r1"), physical_id=JOB, old=s3_props("r2"))
    assert complete(world, rollback, T0 + 3700)["PhysicalResourceId"] == JOB
    world.s3.put_source(S3_KEY, THIRD_CSV)  # the corrected list
    again = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    result = complete(world, again, T0 + 7200)
    third_job = expected_job_name(THIRD_CSV)
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (third_job, "COMPLETED")
    assert json.loads(world.s3.read(index_key(again, identity("r2")))) == {
        "jobName": third_job,
        "sourceIdentity": identity("r2"),
    }


def test_another_stacks_index_entry_is_not_read() -> None:
    """GIVEN stack 1's request updated from r1 (a job for one list) to r2 (its index names the
    r1 job), and stack 2 creating the same request at r2 (a job for the list then held)
    WHEN the object changes again and stack 2 updates its request to r1, properties that never
    named a job in stack 2
    THEN stack 2 reads the object and its job deletes what it holds, as a Create of r1 would:
    it never takes stack 1's r1 job unread."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    complete(world, cfn_event("Create", s3_props("r1")), T0)
    world.s3.put_source(S3_KEY, OTHER_CSV)
    first = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    complete(world, first, T0 + 3600)
    assert json.loads(world.s3.read(index_key(first, identity("r1"))))["jobName"] == JOB
    world.s3.put_source(S3_KEY, THIRD_CSV)
    other_stack = {"StackId": STACK_ID.replace("privacy", "privacy-eu")}
    created = complete(world, cfn_event("Create", s3_props("r2")) | other_stack, T0 + 7200)
    third_job = expected_job_name(THIRD_CSV)
    assert created["PhysicalResourceId"] == third_job
    world.s3.put_source(S3_KEY, FOURTH_CSV)
    update = cfn_event("Update", s3_props("r1"), physical_id=third_job, old=s3_props("r2"))
    result = complete(world, update | other_stack, T0 + 10800)
    fourth_job = expected_job_name(FOURTH_CSV)
    assert (result["PhysicalResourceId"], result["Data"]["Status"]) == (fourth_job, "COMPLETED")
    assert sorted(world.personalize.jobs) == sorted(
        [JOB, expected_job_name(OTHER_CSV), third_job, fourth_job]
    )


def test_a_rollback_to_a_revision_that_kept_its_job_starts_no_job() -> None:
    """GIVEN an unpinned S3 request at r1 (job J), updated to r2 with the object unchanged (the
    list read names J: kept), the object then replaced, and a deliberate Update back to r1
    (kept by J's record)
    WHEN another resource fails and CloudFormation rolls this one back to r2
    THEN J is kept unread: r2's successful Update indexed J under r2, so no job starts for what
    the object holds now."""
    world = fake_world()
    world.s3.put_source(S3_KEY, USERS_CSV)
    assert complete(world, cfn_event("Create", s3_props("r1")), T0)["PhysicalResourceId"] == JOB
    to_r2 = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    assert complete(world, to_r2, T0 + 3600)["PhysicalResourceId"] == JOB
    world.s3.put_source(S3_KEY, OTHER_CSV)
    to_r1 = cfn_event("Update", s3_props("r1"), physical_id=JOB, old=s3_props("r2"))
    assert complete(world, to_r1, T0 + 7200)["PhysicalResourceId"] == JOB

    rollback = cfn_event("Update", s3_props("r2"), physical_id=JOB, old=s3_props("r1"))
    result = complete(world, rollback, T0 + 7300)

    assert (result["PhysicalResourceId"], list(world.personalize.jobs)) == (JOB, [JOB])
