"""The lifecycle's decisions, in memory: deadlines, adoption, one job per request, blocked
submissions under each completion policy, Delete, receipts written once.

``on_event`` and ``is_complete`` are called directly, as the Provider framework calls them
(its merge of onEvent's answer into every isComplete event included), over ``fakes``: no
server, no Node. ``test_fakes_contract`` holds the fakes to the wire-level double and moto.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import FakeWorld, fake_world, poll_at, refuse_s3, service_error, start
from lifecycle_support import (
    DEADLINE_SECONDS,
    GROUP,
    LOGICAL_ID,
    STACK_ID,
    STAGING_BUCKET,
    T0,
    USER_IDS,
    USERS_CSV,
    cfn_event,
    expected_job_name,
    job_arn,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.cancellation import declarer_key
from personalize_deletion_runtime.failures import DeletionFailed

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:deletion-tracker:{JOB}"
RECEIPT = f"receipts/{JOB}.json"
STAGED = f"staging/{JOB}/users.csv"
RECORD = f"staging/{JOB}/submitted.json"
DECLARED = declarer_key(JOB, cfn_event("Create", properties()))
CREATE = "CreateDataDeletionJob"
DESCRIBE = "DescribeDataDeletionJob"
LIST = "ListDataDeletionJobs"
IN_USE = (
    "Personalize reports the dataset group in use (ResourceInUseException): Cannot create a "
    f"data deletion job for dataset group {GROUP} while a dataset import job is in progress."
)
LIMIT = (
    "Personalize limit reached (request rate, or 5 PENDING deletion jobs per dataset group): "
    f"Dataset group {GROUP} already has 5 data deletion jobs in PENDING status; the limit is 5. "
    "Wait for a job to start before creating another one."
)


def started(world: FakeWorld, **props: str) -> dict[str, Any]:
    """``start``, then the waiter's first isComplete at the same instant: it submits the job
    (onEvent never creates one, see ``submission``); the event every later poll gets."""
    event = start(world, **props)
    assert lifecycle.is_complete(event, world.services) == {"IsComplete": False}
    return event


def answer(status: str, *, arn: str = job_arn(JOB), deleted: str = "pending", by: str = EXECUTION):
    return {
        "IsComplete": True,
        "Data": {
            "JobArn": arn,
            "JobName": JOB,
            "Status": status,
            "NumDeleted": deleted,
            "TrackedBy": by,
            "ReceiptUri": f"s3://{STAGING_BUCKET}/{RECEIPT}",
        },
    }


def block(world: FakeWorld, blocker: str) -> str:
    """Make every create on GROUP blocked; return the ``blocked_by`` text the lifecycle shows."""
    if blocker == "ResourceInUseException":
        world.personalize.set_dataset_group_busy(GROUP, until=T0 + 86_400)
        return IN_USE
    world.personalize.pending_seconds = 86_400
    for index in range(5):  # five other requests' jobs, still PENDING
        world.personalize.create_data_deletion_job(
            jobName=f"other-{index}",
            datasetGroupArn=GROUP,
            dataSource={"dataLocation": f"s3://{STAGING_BUCKET}/staging/other-{index}/users.csv"},
            roleArn="arn:aws:iam::123456789012:role/PersonalizeDeletionRole",
        )
    world.personalize.calls.clear()
    return LIMIT


# ------------------------------------------------------------------------------- deadline


def test_a_running_job_before_the_deadline_is_polled_again() -> None:
    # GIVEN a job that runs for an hour
    world = fake_world(run_seconds=3600)
    event = started(world)
    # WHEN isComplete polls one second before the deadline
    # THEN the framework is told to poll again, and nothing is handed off
    assert poll_at(world, event, DEADLINE_SECONDS - 1) == {"IsComplete": False}
    assert world.stepfunctions.executions == {}


def test_at_the_deadline_hand_off_gives_the_running_job_to_the_tracker() -> None:
    # GIVEN a job that runs for an hour, completion policy HAND_OFF
    world = fake_world(run_seconds=3600)
    event = started(world, Completion="HAND_OFF")
    # WHEN isComplete polls at the deadline
    result = poll_at(world, event, DEADLINE_SECONDS)
    # THEN the resource succeeds IN_PROGRESS, tracked by one execution named after the job
    assert result == answer("IN_PROGRESS")
    assert world.stepfunctions.listed() == [(JOB, "RUNNING")]


def test_at_the_deadline_wait_fails_and_still_hands_the_job_to_the_tracker() -> None:
    # GIVEN a job that runs for an hour, completion policy WAIT
    world = fake_world(run_seconds=3600)
    event = started(world, Completion="WAIT")
    # WHEN isComplete polls at the deadline
    with pytest.raises(DeletionFailed) as failure:
        poll_at(world, event, DEADLINE_SECONDS)
    # THEN the resource fails with the reason, and the tracker still records the job's end
    assert str(failure.value) == (
        f"data deletion job {JOB} is still IN_PROGRESS at the deployment's time limit "
        "(completion policy WAIT): the job keeps running in Personalize (jobs can take up to a "
        f"day); the tracker follows it to its end and records its receipt ({EXECUTION}). "
        "Completion.hand_off() lets the deployment succeed while the job runs"
    )
    assert world.stepfunctions.listed() == [(JOB, "RUNNING")]


def test_submit_only_succeeds_on_the_first_poll_once_the_job_is_accepted() -> None:
    # GIVEN completion policy SUBMIT_ONLY
    world = fake_world()
    event = start(world, Completion="SUBMIT_ONLY")
    # WHEN the first poll sees the job PENDING
    # THEN the resource succeeds at once, the tracker following the job
    assert poll_at(world, event, 0) == answer("PENDING")


def test_a_job_ending_before_the_deadline_is_reported_by_the_deployment() -> None:
    # GIVEN a job that ends 60 s after it was created (by the first poll)
    world = fake_world()
    event = started(world)
    # WHEN polled after its end
    # THEN the deployment reports it COMPLETED itself: no tracker
    assert poll_at(world, event, 60) == answer("COMPLETED", deleted="3", by="none")
    assert world.stepfunctions.executions == {}


# ------------------------------------------------- a job a poll created: the ticket has no ARN


def creates(world: FakeWorld) -> list[str | None]:
    """The error code of each CreateDataDeletionJob call (``None``: a job was created)."""
    return [c.error_code for c in world.personalize.calls if c.operation == "CreateDataDeletionJob"]


def test_wait_a_throttled_listing_at_the_deadline_does_not_abandon_the_created_job() -> None:
    """GIVEN a WAIT request whose first poll created its job (a one-hour job): the ticket, which
    the waiter passes unchanged to every poll, has no ARN, so each later poll finds the job again
    with ListDataDeletionJobs
    WHEN that listing is throttled (ThrottlingException, botocore's retries spent) at the
    deadline's poll
    THEN the deployment fails saying the job is still running, the tracker follows it, and its
    staged list (which the PENDING/IN_PROGRESS job reads) stays; not "no job was started" with
    the running job's input purged and nobody following it (before the change on_event created
    the job and the ticket carried its ARN: polls only described it)."""
    world = fake_world(run_seconds=3600)
    event = start(world, Completion="WAIT")
    assert poll_at(world, event, 0) == {"IsComplete": False}
    assert creates(world) == [None]  # the first poll created the job
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")

    with pytest.raises(DeletionFailed) as failure:
        poll_at(world, event, DEADLINE_SECONDS)

    assert world.personalize.jobs[JOB].arn == job_arn(JOB)  # the job runs
    assert "no job was started" not in str(failure.value)
    assert world.s3.keys(prefix=f"staging/{JOB}/") == [RECORD, STAGED]
    assert world.stepfunctions.listed() == [(JOB, "RUNNING")]


def test_hand_off_a_listing_throttled_at_the_bound_does_not_report_the_running_job_queued() -> None:
    """GIVEN a HAND_OFF request whose first poll created its job (a one-hour job), the ticket
    without its ARN
    WHEN the bound's poll finds ListDataDeletionJobs throttled
    THEN the resource does not tell CloudFormation (and the stack's outputs) that Personalize
    has not accepted the job (Status QUEUED, JobArn pending): the job exists and runs, and the
    answer names it (its ARN, known by its name) with the status it has (IN_PROGRESS, or
    SUBMITTED when it could not be read)."""
    world = fake_world(run_seconds=3600)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")

    result = poll_at(world, event, DEADLINE_SECONDS)

    assert world.personalize.jobs[JOB].arn == job_arn(JOB)  # the job runs
    assert result["Data"]["Status"] in ("IN_PROGRESS", "SUBMITTED"), result["Data"]
    assert result["Data"]["JobArn"] == job_arn(JOB)


def test_a_job_a_late_poll_created_is_not_failed_for_being_invisible_to_describe() -> None:
    """GIVEN a request blocked at submission (the dataset group in use) for its first seven
    minutes, so the poll that creates its job comes more than NOT_FOUND_GRACE_SECONDS (300 s)
    after on_event began
    WHEN DescribeDataDeletionJob, called right after the create, does not see the job yet
    (ResourceNotFoundException: the eventual consistency the grace exists for)
    THEN the poll keeps following the job (IsComplete False); it does not fail the resource,
    which would leave a running job with no poll, no tracker and no receipt (the grace counts
    from on_event, not from the create)."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 400)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    assert poll_at(world, event, 380) == {"IsComplete": False}
    world.personalize.inject(
        "DescribeDataDeletionJob", "ResourceNotFoundException", "Could not find the job."
    )

    try:
        result: Any = poll_at(world, event, 420)
    except DeletionFailed as exc:
        result = f"failed: {exc}"

    assert creates(world)[-1] is None  # the job was created by this poll
    assert result == {"IsComplete": False}


def test_the_poll_that_creates_the_job_records_it_and_later_polls_need_no_listing() -> None:
    """GIVEN a request whose first poll created its job (the ticket, the same for every poll,
    has no ARN)
    WHEN the later polls run
    THEN the first poll left a record beside the staged list (the job's ARN, when, the stack
    and logical id; no user id), and each later poll describes the job by that ARN without
    listing the dataset group's jobs; the record goes with the staged list at the job's end."""
    world = fake_world(run_seconds=3600)
    event = started(world)
    record = json.loads(world.s3.read(RECORD))
    assert record == {
        "jobName": JOB,
        "jobArn": job_arn(JOB),
        "submittedAt": "2026-09-21T14:13:20Z",
        "stackId": STACK_ID,
        "logicalResourceId": LOGICAL_ID,
    }
    assert not any(user_id.encode() in world.s3.read(RECORD) for user_id in USER_IDS)
    world.personalize.calls.clear()
    assert poll_at(world, event, 60) == {"IsComplete": False}
    assert world.job_calls() == [(DESCRIBE, None)]
    assert poll_at(world, event, 3600 + 60)["Data"]["Status"] == "COMPLETED"
    assert world.s3.keys() == [RECEIPT]


def test_wait_a_record_and_a_listing_both_refused_at_the_deadline_leave_the_job_followed() -> None:
    """GIVEN a WAIT request whose first poll created and recorded its job (a one-hour job)
    WHEN at the deadline's poll the record cannot be read (S3 SlowDown) and the listing that
    would find the job instead is throttled
    THEN whether the job exists is unknown, not "no job": the deployment fails without saying
    that no job was started, the staged list stays, and the tracker follows the job by the ARN
    a job of its name has."""
    world = fake_world(run_seconds=3600)
    event = started(world, Completion="WAIT")
    refuse_s3(world, "list_objects_v2", "Prefix", RECORD, "SlowDown")
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")

    with pytest.raises(DeletionFailed) as failure:
        poll_at(world, event, DEADLINE_SECONDS)

    assert str(failure.value).startswith(
        f"whether data deletion job {JOB} was created could not be found out by the "
        "deployment's time limit: "
    )
    assert "no job was started" not in str(failure.value)
    assert world.s3.keys(prefix=f"staging/{JOB}/") == [RECORD, STAGED]
    [execution] = world.stepfunctions.executions.values()
    assert json.loads(execution["input"])["job"]["arn"] == job_arn(JOB)


def test_wait_a_create_answered_with_a_server_fault_at_the_deadline_is_not_no_job() -> None:
    """GIVEN a WAIT request blocked until its deadline's poll
    WHEN that poll's CreateDataDeletionJob is answered with InternalServerError (the create
    may have taken effect)
    THEN the deployment fails without saying that no job was started, and keeps the staged
    list a job may read."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + DEADLINE_SECONDS)
    event = start(world, Completion="WAIT")
    assert poll_at(world, event, 0) == {"IsComplete": False}
    world.personalize.inject(CREATE, "InternalServerError", "Internal error", times=6)

    with pytest.raises(DeletionFailed) as failure:
        poll_at(world, event, DEADLINE_SECONDS)

    assert "no job was started" not in str(failure.value)
    assert world.s3.keys(prefix=f"staging/{JOB}/") == [STAGED]


# ------------------------------------------------------------------- adoption and retries


def test_an_existing_job_with_the_requests_name_is_adopted_not_recreated() -> None:
    # GIVEN a job with the request's name exists already (an earlier attempt started it)
    world = fake_world()
    world.personalize.create_data_deletion_job(
        jobName=JOB,
        datasetGroupArn=GROUP,
        dataSource={"dataLocation": f"s3://{STAGING_BUCKET}/{STAGED}"},
        roleArn="arn:aws:iam::123456789012:role/PersonalizeDeletionRole",
    )
    world.personalize.calls.clear()
    # WHEN CloudFormation creates the resource (onEvent, then the waiter's first poll)
    event = start(world)
    assert (event["PhysicalResourceId"], event["Ticket"]["jobArn"]) == (JOB, None)
    assert world.job_calls() == []  # (onEvent creates nothing: the first poll submits)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    # THEN the job is found by name before any create: adopted, and reported when it ends
    assert world.job_calls() == [(LIST, None), (DESCRIBE, None)]
    assert poll_at(world, event, 60) == answer("COMPLETED", deleted="3", by="none")
    assert list(world.personalize.jobs) == [JOB]


def test_a_retried_on_event_starts_no_second_job() -> None:
    # GIVEN onEvent ran once and its first poll started the job
    world = fake_world()
    first = started(world)
    # WHEN the framework retries onEvent with the same request, and polls again
    second = start(world)
    assert poll_at(world, second, 0) == {"IsComplete": False}
    # THEN both name the same job, and Personalize accepted exactly one create (the retry's
    # poll finds the job by the record the first poll left, and follows it to its end)
    assert first["PhysicalResourceId"] == second["PhysicalResourceId"] == JOB
    assert world.job_calls() == [
        (LIST, None),
        (CREATE, None),
        (DESCRIBE, None),
        (DESCRIBE, None),
    ]
    assert poll_at(world, second, 60) == answer("COMPLETED", deleted="3", by="none")
    assert list(world.personalize.jobs) == [JOB]


def test_an_update_keeping_the_job_identity_stages_and_creates_nothing() -> None:
    # GIVEN the job of the request exists (physical id = job name)
    world = fake_world()
    started(world)
    world.personalize.calls.clear()
    world.s3.calls.clear()
    props = properties(Tags={"ticket": "PRIV-2"})  # a change that is not the list's identity
    event = cfn_event("Update", props, physical_id=JOB, old=properties())
    # WHEN CloudFormation updates the resource
    result = lifecycle.on_event(event, world.services)
    # THEN the same job is meant: the list properties are those that named it (as in
    # OldResourceProperties), so the list is not read again; the job is found by name (a
    # listing finds no receipt), nothing staged (the job exists), no create; the first poll
    # describes it (changed deliberately: a second listing, of the request's staging keys, for
    # jobs a cancelled event of the resource declared: none)
    assert result["PhysicalResourceId"] == JOB
    assert result["Ticket"]["jobArn"] == job_arn(JOB)
    assert result["Ticket"]["kept"] is True
    assert world.s3.calls == ["ListObjectsV2", "ListObjectsV2"]
    assert world.job_calls() == [(LIST, None)]
    world.clock.now = T0 + 60
    assert lifecycle.is_complete({**event, **result}, world.services)["Data"]["JobArn"] == (
        job_arn(JOB)
    )
    assert world.job_calls() == [(LIST, None), (DESCRIBE, None)]


# ------------------------------------------------------------------- blocked submissions


@pytest.mark.parametrize("blocker", ["ResourceInUseException", "LimitExceededException"])
@pytest.mark.parametrize("policy", ["HAND_OFF", "SUBMIT_ONLY"])
def test_a_blocked_request_is_queued_with_the_tracker_at_the_deadline(
    blocker: str, policy: str
) -> None:
    # GIVEN every create on the dataset group is refused for now
    world = fake_world()
    blocked_by = block(world, blocker)
    event = start(world, Completion=policy)
    assert event["Ticket"]["jobArn"] is None
    # WHEN isComplete polls before the deadline THEN it waits (SUBMIT_ONLY too: nothing has
    # been accepted yet)
    assert poll_at(world, event, DEADLINE_SECONDS - 1) == {"IsComplete": False}
    # WHEN it polls at the deadline
    result = poll_at(world, event, DEADLINE_SECONDS)
    # THEN the request is QUEUED with the tracker, which submits it later; no job exists yet
    assert result == answer("QUEUED", arn="pending")
    [execution] = world.stepfunctions.executions.values()
    tracked = json.loads(execution["input"])
    assert tracked["job"]["arn"] is None
    assert (tracked["tracking"]["lastStatus"], tracked["tracking"]["blockedBy"]) == (
        "QUEUED",
        blocked_by,
    )
    assert JOB not in world.personalize.jobs
    # AND the staged list stays for the tracker's submission; the resource that queued the
    # request records itself as declaring it (an empty key, no ids: another resource's Delete
    # then cancels nothing, see test_cancellation)
    assert world.s3.keys() == [DECLARED, STAGED]


@pytest.mark.parametrize("blocker", ["ResourceInUseException", "LimitExceededException"])
def test_a_blocked_request_under_wait_fails_at_the_deadline_and_starts_nothing(
    blocker: str,
) -> None:
    # GIVEN every create on the dataset group is refused for now, completion policy WAIT
    world = fake_world()
    blocked_by = block(world, blocker)
    event = start(world, Completion="WAIT")
    # WHEN isComplete polls at the deadline
    with pytest.raises(DeletionFailed) as failure:
        poll_at(world, event, DEADLINE_SECONDS)
    # THEN the resource fails naming the blocker; no job, no tracker, no staged list
    assert str(failure.value) == (
        f"data deletion job {JOB} could not be started before the deployment's time limit: "
        f"{blocked_by}; no job was started, deploy again once the blocker clears"
    )
    assert JOB not in world.personalize.jobs
    assert world.stepfunctions.executions == {}
    assert world.s3.keys() == []


def test_a_blocker_that_clears_before_the_deadline_starts_the_job_then() -> None:
    # GIVEN the dataset group is in use for the first 100 s
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 100)
    event = start(world)
    # WHEN isComplete polls at 50 s and at 100 s
    assert poll_at(world, event, 50) == {"IsComplete": False}
    assert poll_at(world, event, 100) == {"IsComplete": False}
    # THEN the second poll started the job (looked up first, then created) and reads it
    # (onEvent created nothing: the first poll made the first attempt)
    assert world.job_calls() == [
        (LIST, None),
        (CREATE, "ResourceInUseException"),
        (LIST, None),
        (CREATE, None),
        (DESCRIBE, None),
    ]
    # AND it is reported when it ends, by the deployment
    assert poll_at(world, event, 160) == answer("COMPLETED", deleted="3", by="none")


# ------------------------------------------------------------------- Delete and rollback


@pytest.mark.parametrize("status_at_delete", ["PENDING", "COMPLETED"])
def test_delete_leaves_the_job_and_touches_nothing(status_at_delete: str) -> None:
    # GIVEN the request's job exists (running, or ended and recorded: its list purged)
    world = fake_world()
    event = started(world)
    if status_at_delete == "COMPLETED":
        poll_at(world, event, 60)
    world.personalize.calls.clear()
    world.s3.calls.clear()
    keys, receipt_events = world.s3.keys(), len(world.events.entries)
    # WHEN CloudFormation deletes the resource (a stack delete, or a rollback of the Create)
    delete = cfn_event("Delete", properties(), physical_id=JOB)
    # THEN onEvent answers with the physical id and isComplete is done at once
    assert lifecycle.on_event(delete, world.services) == {"PhysicalResourceId": JOB}
    assert lifecycle.is_complete(delete, world.services) == {"IsComplete": True}
    # AND Personalize, EventBridge and Step Functions saw nothing; the job is still there; S3
    # was asked whether the list is staged, and while it is (the job may not have been
    # created from it yet, as far as Delete knows) a cancellation marker is left beside it
    # for the tracker's submit step (see test_cancellation)
    assert world.personalize.calls == []
    marker = f"staging/{JOB}/cancelled.json"
    # (first, always, the resource's own declarer key is deleted, whether or not it exists:
    # a stale key of a deleted resource must never keep a request alive)
    # (last, always, the resource's own declarer key of the job's follow-up is deleted, then
    # whether that follow-up is staged: a Delete cancels a queued follow-up whatever its
    # FollowUp says now, unless another resource declares it; none is here, so one listing;
    # changed deliberately: resources now declare the follow-up, see test_cancellation)
    if status_at_delete == "PENDING":
        # (then the staged list, whether another resource declares the job, the marker, and
        # once more whether a resource declared the job while the marker was written)
        assert world.s3.calls == [
            "DeleteObject",
            "ListObjectsV2",
            "ListObjectsV2",
            "PutObject",
            "ListObjectsV2",
            "DeleteObject",
            "ListObjectsV2",
        ]
        assert world.s3.keys() == sorted([*keys, marker])
    else:
        assert world.s3.calls == ["DeleteObject", "ListObjectsV2", "DeleteObject", "ListObjectsV2"]
        assert world.s3.keys() == keys
    assert len(world.events.entries) == receipt_events
    assert world.stepfunctions.executions == {}
    assert list(world.personalize.jobs) == [JOB]


# ------------------------------------------------------------------------------- receipts


def test_a_redeploy_adopts_the_ended_job_and_leaves_its_receipt_and_event_alone() -> None:
    # GIVEN the job ended and its receipt was written by the deployment
    world = fake_world()
    poll_at(world, started(world), 60)
    receipt = world.s3.read(RECEIPT)
    assert (world.receipt(JOB)["recordedBy"], world.receipt(JOB)["recordedAt"]) == (
        "deployment",
        "2026-09-21T14:14:20Z",
    )
    world.s3.calls.clear()
    # WHEN the same request is created again an hour later (a redeploy, a new stack)
    event = start(world)
    result = poll_at(world, event, 3600)
    # THEN the ended job is adopted and reported, its receipt untouched (same bytes), no
    # second event and no second metric; only the copy staged again is purged (with the
    # record of the adoption the poll wrote before it described the job; changed
    # deliberately: an adoption settles the request's cancellation keys, a listing and a
    # marker's delete, as a create does)
    assert result == answer("COMPLETED", deleted="3", by="none")
    assert world.s3.read(RECEIPT) == receipt
    assert world.s3.calls == [
        "GetObject",
        "PutObject",
        "ListObjectsV2",
        "ListObjectsV2",
        "DeleteObject",
        "PutObject",
        "ListObjectsV2",
        "GetObject",
        "DeleteObject",
        "DeleteObject",
    ]
    assert len(world.events.entries) == 1
    assert world.metrics() == [("JobsCompleted", "privacy")]
    assert world.s3.keys() == [RECEIPT]


def test_a_receipt_written_concurrently_is_kept_not_overwritten() -> None:
    # GIVEN another writer (the tracker) recorded the job between our read and our write
    world = fake_world()
    event = started(world)
    theirs = {"recordedBy": "tracker", "jobName": JOB, "trackedBy": EXECUTION}
    put_object = world.s3.put_object

    def race(**request: Any) -> dict[str, Any]:
        if request["Key"] == RECEIPT and request.get("IfNoneMatch") == "*":
            put_object(Bucket=STAGING_BUCKET, Key=RECEIPT, Body=json.dumps(theirs))
        return put_object(**request)

    world.s3.put_object = race  # type: ignore[method-assign]
    # WHEN the deployment sees the job end and writes its receipt
    result = poll_at(world, event, 60)
    # THEN the first writer's receipt stands, and the answer reports the job's end with the
    # tracker that receipt names
    assert world.receipt(JOB) == theirs
    assert result == answer("COMPLETED", deleted="3", by=EXECUTION)


def test_the_origin_in_every_answer_is_the_events() -> None:
    # GIVEN a job handed to the tracker WHEN its input is read
    world = fake_world(run_seconds=3600)
    poll_at(world, started(world), DEADLINE_SECONDS)
    [execution] = world.stepfunctions.executions.values()
    tracked = json.loads(execution["input"])
    # THEN it names the stack and resource CloudFormation sent, and the policy
    assert tracked["origin"] == {
        "stackId": STACK_ID,
        "logicalResourceId": LOGICAL_ID,
        "completion": "HAND_OFF",
    }


# ------------------------------------------------------------- whether a tracker follows


@pytest.mark.parametrize(
    ("executions", "answer", "following"),
    [
        ({}, None, False),
        ({JOB: "SUCCEEDED"}, None, False),
        ({JOB: "RUNNING"}, None, True),
        ({JOB: "FAILED", f"{JOB}-2": "RUNNING"}, None, True),
        ({}, "AccessDeniedException", True),
    ],
    ids=["none", "ended", "running", "second-running", "cannot-say"],
)
def test_a_job_is_followed_while_one_of_its_executions_runs(
    executions: dict[str, str], answer: str | None, following: bool
) -> None:
    # GIVEN the tracker's executions for a job (named <job>, <job>-2, ...), or Step Functions
    # refusing to answer
    world = fake_world()
    world.stepfunctions.executions.update(
        {name: {"input": "{}", "status": status} for name, status in executions.items()}
    )
    if answer is not None:

        def refuse(**_request: object) -> None:
            raise service_error("DescribeExecution", answer, "no")

        world.stepfunctions.describe_execution = refuse  # type: ignore[method-assign]
    # WHEN asked whether one still follows the job THEN it says, erring on keeping its list
    assert world.services.tracker is not None
    assert world.services.tracker.following(JOB) is following
