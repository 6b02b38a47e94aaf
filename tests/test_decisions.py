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
from fakes import FakeWorld, fake_world, service_error
from lifecycle_support import (
    DEADLINE_SECONDS,
    GROUP,
    LOGICAL_ID,
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
from personalize_deletion_runtime.cancellation import declarer_key
from personalize_deletion_runtime.failures import DeletionFailed

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:deletion-tracker:{JOB}"
RECEIPT = f"receipts/{JOB}.json"
STAGED = f"staging/{JOB}/users.csv"
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


def start(world: FakeWorld, **props: str) -> dict[str, Any]:
    """onEvent for a Create; the event every isComplete poll then gets (request + answer)."""
    event = cfn_event("Create", properties(**props))
    return {**event, **lifecycle.on_event(event, world.services)}


def started(world: FakeWorld, **props: str) -> dict[str, Any]:
    """``start``, then the waiter's first isComplete at the same instant: it submits the job
    (onEvent never creates one, see ``submission``); the event every later poll gets."""
    event = start(world, **props)
    assert lifecycle.is_complete(event, world.services) == {"IsComplete": False}
    return event


def poll_at(world: FakeWorld, event: dict[str, Any], seconds_after_t0: float) -> dict[str, Any]:
    """isComplete at T0 + ``seconds_after_t0``."""
    world.clock.now = T0 + seconds_after_t0
    return lifecycle.is_complete(event, world.services)


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
    # poll finds the job by name first, and follows it to its end)
    assert first["PhysicalResourceId"] == second["PhysicalResourceId"] == JOB
    assert world.job_calls() == [
        (LIST, None),
        (CREATE, None),
        (DESCRIBE, None),
        (LIST, None),
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
    if status_at_delete == "PENDING":
        # (then the staged list, whether another resource declares the job, the marker, and
        # once more whether a resource declared the job while the marker was written)
        assert world.s3.calls == [
            "DeleteObject",
            "ListObjectsV2",
            "ListObjectsV2",
            "PutObject",
            "ListObjectsV2",
        ]
        assert world.s3.keys() == sorted([*keys, marker])
    else:
        assert world.s3.calls == ["DeleteObject", "ListObjectsV2"]
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
    # second event and no second metric; only the copy staged again is purged
    assert result == answer("COMPLETED", deleted="3", by="none")
    assert world.s3.read(RECEIPT) == receipt
    assert world.s3.calls == [
        "GetObject",
        "PutObject",
        "ListObjectsV2",
        "GetObject",
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
