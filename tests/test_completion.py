"""Completion policies at deploy time: hand off, wait, submit only; queueing; the hand-off itself.

Same set-up as the lifecycle tests (real boto3 clients; Personalize is the double, S3, Step
Functions and EventBridge are moto's server). What the tracker does with a handed-off job is in
``test_tracker.py``.
"""

from __future__ import annotations

import json

import lifecycle_support as support
import pytest
from botocore.exceptions import ClientError
from lifecycle_support import (
    ACCOUNT,
    DEADLINE_SECONDS,
    GROUP,
    LOGICAL_ID,
    NUM_DELETED,
    PREFLIGHT,
    SOURCE_BUCKET,
    STACK_ID,
    STAGING_BUCKET,
    T0,
    TRACKER_ARN,
    USERS_CSV,
    World,
    assert_no_user_ids,
    cfn_event,
    debug_logs,
    expected_job_name,
    job_arn,
    play,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.cancellation import declarer_key
from personalize_deletion_runtime.state import iso as utc
from personalize_deletion_runtime.tracking import Tracker

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
EXECUTIONS = TRACKER_ARN.replace(":stateMachine:", ":execution:")
CREATE = "CreateDataDeletionJob"
DESCRIBE = "DescribeDataDeletionJob"
LIST = "ListDataDeletionJobs"
RECEIPT_URI = f"s3://{STAGING_BUCKET}/receipts/{JOB}.json"
TRACKED_PROPERTIES = {key: value for key, value in properties().items() if key != "ServiceToken"}


def handed_off(status: str, *, job: str | None = job_arn(JOB), execution: str = JOB) -> dict:
    return {
        "JobArn": job or "pending",
        "JobName": JOB,
        "Status": status,
        "NumDeleted": "pending",
        "TrackedBy": f"{EXECUTIONS}:{execution}",
        "ReceiptUri": RECEIPT_URI,
    }


def iso(offset: float) -> str:
    """The UTC time ``offset`` seconds after the tests' T0."""
    return utc(T0 + offset)


# ------------------------------------------------------------------------------- hand off


def test_hand_off_succeeds_at_the_bound_and_starts_one_tracker_execution(
    world: World, caplog
) -> None:
    debug_logs(caplog)
    # GIVEN a job that runs far longer than the deployment may wait (600 s here)
    world.double.run_seconds = 5000

    # WHEN a request with the default policy is created and polled every 100 s
    outcome = play(cfn_event("Create", properties()), world, step=100)

    # THEN the 7th poll (+600 s, the bound) succeeds with the job still running, handed off
    assert outcome.reason is None
    assert outcome.polls == DEADLINE_SECONDS // 100 + 1
    assert outcome.data == handed_off("IN_PROGRESS")
    # AND exactly one tracker execution, named after the job, carries the whole state
    assert world.executions() == [(JOB, "RUNNING")]
    assert world.tracker_input(JOB) == {
        "version": 1,
        "request": TRACKED_PROPERTIES,
        "job": {"name": JOB, "arn": job_arn(JOB), "input": outcome.event["Ticket"]["input"]},
        "origin": {
            "stackId": STACK_ID,
            "logicalResourceId": LOGICAL_ID,
            "completion": "HAND_OFF",
        },
        "tracking": {
            "since": iso(600),
            "giveUpAt": iso(600 + 36 * 3600),
            "giveUp": False,
            "lastStatus": "IN_PROGRESS",
            "blockedBy": None,
            "requestedAt": iso(0),
            "blockers": [],
        },
    }
    # AND nothing is recorded yet: no receipt, no event; the staged list waits for the job,
    # beside the first poll's record of it (its ARN and time, no ids)
    assert world.keys() == [f"staging/{JOB}/submitted.json", f"staging/{JOB}/users.csv"]
    assert world.events() == []
    assert_no_user_ids(caplog, outcome.data, world.tracker_input(JOB))


def test_a_job_that_ends_within_the_bound_is_reported_as_before(world: World) -> None:
    # GIVEN the default policy and a job that takes 60 s
    # WHEN it is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the deployment itself reports and records it; no tracker execution
    assert outcome.data["Status"] == "COMPLETED"
    assert outcome.data["NumDeleted"] == str(NUM_DELETED)
    assert outcome.data["TrackedBy"] == "none"
    assert world.executions() == []
    assert world.keys() == [f"receipts/{JOB}.json"]


def test_a_short_bound_hands_off_early(world: World) -> None:
    # GIVEN a job of 50 s after 10 s PENDING and a request that waits at most 20 s
    props = properties(WaitSeconds="20")

    # WHEN it is created and polled every 20 s
    outcome = play(cfn_event("Create", props), world)

    # THEN the second poll (+20 s) hands it off, IN_PROGRESS since +10 s
    assert outcome.polls == 2
    assert outcome.data == handed_off("IN_PROGRESS")
    assert world.executions() == [(JOB, "RUNNING")]
    assert world.tracker_input(JOB)["origin"]["completion"] == "HAND_OFF"


def test_a_bound_beyond_the_providers_limit_is_refused(world: World) -> None:
    # GIVEN WaitSeconds above what this provider (and so CloudFormation) allows
    props = properties(WaitSeconds=str(DEADLINE_SECONDS + 1))

    # WHEN the request is created THEN it fails before reading or starting anything
    outcome = play(cfn_event("Create", props), world)
    assert outcome.reason == (
        f"property WaitSeconds {DEADLINE_SECONDS + 1} exceeds this provider's limit of "
        f"{DEADLINE_SECONDS} s (its total_timeout less one query_interval): lower the "
        "request's wait or raise total_timeout"
    )
    assert world.double.calls == []
    assert world.s3_calls == []


# ---------------------------------------------------------------------------- submit only


def test_submit_only_succeeds_once_personalize_accepted_the_job(world: World) -> None:
    # GIVEN completion policy SUBMIT_ONLY
    # WHEN the request is created
    outcome = play(cfn_event("Create", properties(Completion="SUBMIT_ONLY")), world)

    # THEN the first poll answers with the accepted job, handed off
    assert outcome.polls == 1
    assert outcome.data == handed_off("PENDING")
    # (onEvent's pre-flight records what runs at the first check; the first poll, which
    # submits, looks for the job by name and checks again right before its create)
    assert [call.operation for call in world.double.calls] == [
        *PREFLIGHT,
        LIST,
        *PREFLIGHT,
        CREATE,
        DESCRIBE,
    ]
    assert world.executions() == [(JOB, "RUNNING")]
    assert world.tracker_input(JOB)["origin"]["completion"] == "SUBMIT_ONLY"


def test_submit_only_keeps_trying_a_blocked_request_then_queues_it(world: World) -> None:
    # GIVEN the dataset group is in use for longer than the bound
    world.double.set_dataset_group_busy(GROUP)

    # WHEN a SUBMIT_ONLY request is created and polled every 100 s
    outcome = play(cfn_event("Create", properties(Completion="SUBMIT_ONLY")), world, step=100)

    # THEN it is queued with the tracker at the bound, without a job
    assert outcome.polls == 7
    assert outcome.data == handed_off("QUEUED", job=None)
    assert world.double.jobs == {}


# --------------------------------------------------------------------------------- queued


def test_a_request_blocked_past_the_bound_is_queued_not_failed(world: World, caplog) -> None:
    debug_logs(caplog)
    # GIVEN 5 PENDING jobs already fill the dataset group (the service's limit)
    world.double.pending_seconds = 10_000
    for index in range(5):
        world.double.handle(
            "AmazonPersonalize.CreateDataDeletionJob",
            json.dumps(
                {
                    "jobName": f"other-{index}",
                    "datasetGroupArn": GROUP,
                    "dataSource": {"dataLocation": f"s3://{SOURCE_BUCKET}/x.csv"},
                    "roleArn": f"arn:aws:iam::{ACCOUNT}:role/R",
                }
            ).encode(),
        )

    # WHEN the request is created under the default policy and polled every 100 s
    outcome = play(cfn_event("Create", properties()), world, step=100)

    # THEN the deployment succeeds at the bound with the request QUEUED with the tracker
    assert outcome.reason is None
    assert outcome.data == handed_off("QUEUED", job=None)
    tracked = world.tracker_input(JOB)
    assert tracked["job"]["arn"] is None
    assert tracked["tracking"]["lastStatus"] == "QUEUED"
    assert tracked["tracking"]["blockedBy"] == (
        "Personalize limit reached (request rate, or 5 PENDING deletion jobs per dataset "
        f"group): Dataset group {GROUP} already has 5 data deletion jobs in PENDING status; "
        "the limit is 5. Wait for a job to start before creating another one."
    )
    # AND the staged list stays for the tracker to submit; beside it, the resource that
    # queued the request records itself as declaring it (an empty key: see test_cancellation)
    declared = declarer_key(JOB, cfn_event("Create", properties()))
    assert world.keys() == [declared, f"staging/{JOB}/users.csv"]
    assert_no_user_ids(caplog, outcome.data, tracked)


# ---------------------------------------------------------------------- the hand-off itself


def test_a_repeated_hand_off_finds_the_running_execution(world: World) -> None:
    # GIVEN a job handed off at the bound
    world.double.run_seconds = 5000
    event = cfn_event("Create", properties(Completion="SUBMIT_ONLY"))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    first = lifecycle.is_complete(merged, world.services)

    # WHEN the framework re-sends the same poll later (e.g. its invocation timed out)
    world.advance(60)
    again = lifecycle.is_complete(merged, world.services)

    # THEN the same execution is reported and no second one is started
    assert first["Data"]["TrackedBy"] == again["Data"]["TrackedBy"] == f"{EXECUTIONS}:{JOB}"
    assert world.executions() == [(JOB, "RUNNING")]


def test_a_job_whose_tracker_ended_without_an_answer_is_tracked_again(world: World) -> None:
    # GIVEN a job whose first tracker execution was stopped before the job ended
    world.double.run_seconds = 5000
    props = properties(Completion="SUBMIT_ONLY")
    play(cfn_event("Create", props), world)
    world.aws["stepfunctions"].stop_execution(executionArn=f"{EXECUTIONS}:{JOB}")

    # WHEN the request is deployed again (an Update that keeps the job)
    world.advance(60)
    outcome = play(cfn_event("Update", props, physical_id=JOB, old=props), world)

    # THEN a second execution takes over, named <job>-2
    assert outcome.data == handed_off("IN_PROGRESS", execution=f"{JOB}-2")
    assert world.executions() == [(JOB, "ABORTED"), (f"{JOB}-2", "RUNNING")]


def test_a_failed_hand_off_fails_the_resource_and_says_nothing_was_lost(world: World) -> None:
    # GIVEN a tracker state machine that does not exist
    world.services.tracker = Tracker(
        world.services.tracker.client, TRACKER_ARN.replace("deletion-tracker", "missing")
    )
    world.double.run_seconds = 5000

    # WHEN the job is to be handed off
    outcome = play(cfn_event("Create", properties(Completion="SUBMIT_ONLY")), world)

    # THEN the resource fails naming the cause; the job keeps running
    assert outcome.reason.startswith(
        f"data deletion job {JOB} (PENDING) could not be handed to the tracker: starting the "
        f"tracker for job {JOB} failed with StateMachineDoesNotExist: "
    )
    assert outcome.reason.endswith(". Nothing was lost: deploy again to hand it off")
    assert list(world.double.jobs) == [JOB]


# ------------------------------------------------------------------------ bookkeeping


def test_a_failure_to_record_a_completed_job_is_retried_never_reported_as_failed(
    world: World,
) -> None:
    # GIVEN the first two receipt writes fail with an S3 fault
    failures = iter([True, True])

    def fail_receipt(params, **_):
        if params["Key"].startswith("receipts/") and next(failures, False):
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}},
                "PutObject",
            )

    world.services.storage.client.meta.events.register(
        "provide-client-params.s3.PutObject", fail_receipt
    )

    # WHEN the request is created and its job completes
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the resource succeeds COMPLETED two polls later, with one receipt
    assert outcome.reason is None
    assert outcome.data["Status"] == "COMPLETED"
    assert outcome.polls == 6
    assert world.keys() == [f"receipts/{JOB}.json"]
    # AND the event went out on each attempt (it precedes the receipt, so a failed write can
    # repeat it but never lose it: EventBridge consumers see at-least-once delivery anyway)
    assert [event["status"] for event in world.events()] == ["COMPLETED"] * 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"Completion": "EVENTUALLY"},
            "property Completion 'EVENTUALLY' must be one of HAND_OFF, WAIT, SUBMIT_ONLY",
        ),
        (
            {"WaitSeconds": "5m"},
            "property WaitSeconds '5m' must be a whole number (a string of digits)",
        ),
    ],
)
def test_malformed_completion_properties_fail_before_any_call(
    world: World, change: dict, reason: str
) -> None:
    outcome = play(cfn_event("Create", properties(**change)), world)
    assert outcome.reason == reason
    assert world.double.calls == []
