"""The tracker: the synthesized definition, executed locally, following handed-off jobs.

The deployment hands a job off (``lifecycle``, through moto's Step Functions); the execution it
started is then run from its recorded input by ``personalize_deletion_local.asl`` with the real
definition, its Lambda steps running ``tracker_steps`` in-process and its SDK step calling the
Personalize double through boto3. The clock is simulated: a day of polling takes milliseconds.
"""

from __future__ import annotations

import math

import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
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
from personalize_deletion_runtime.cancellation import declarer_key
from personalize_deletion_runtime.request_rules import follow_up_job_name
from personalize_deletion_runtime.state import iso as utc
from tracker_runs import run_execution

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

DEFINITION = support.tracker_definition_module()
EVENTS_PER_READ = DEFINITION.EVENTS_PER_READ
JOB = expected_job_name(USERS_CSV)
EXECUTION = f"{TRACKER_ARN.replace(':stateMachine:', ':execution:')}:{JOB}"
RECEIPT_URI = f"s3://{STAGING_BUCKET}/receipts/{JOB}.json"
DESCRIBE = "DescribeDataDeletionJob"
CREATE = "CreateDataDeletionJob"
HAND_OFF_AT = 600
INTERVAL = 600


def at(offset: float) -> str:
    return utc(T0 + offset)


def hand_off(world: World, **props: str) -> None:
    """Create the request and poll every 100 s until the deployment hands the job off."""
    outcome = play(cfn_event("Create", properties(**props)), world, step=100)
    assert outcome.reason is None
    assert outcome.data["TrackedBy"] == EXECUTION


def reads(result) -> list[tuple[str, str]]:
    """(time, status) of every successful status read of the execution."""
    return [
        (utc(visit.entered_at), visit.output["seen"]["status"])
        for visit in result.visits
        if visit.state == "ReadStatus" and visit.output is not None
    ]


# ------------------------------------------------------------------------------ to the end


def test_a_handed_off_job_is_followed_to_its_end_and_recorded_once(world: World, caplog) -> None:
    debug_logs(caplog)
    # GIVEN a job of 10 s PENDING + 5000 s IN_PROGRESS, handed off at +600 s
    world.double.run_seconds = 5000
    hand_off(world)
    world.reset_calls()

    # WHEN the tracker execution runs
    result = world.run_tracker(JOB)

    # THEN it reads the status every 10 minutes until the first read after the end (+5010 s)
    assert result.status == "SUCCEEDED"
    assert reads(result) == [
        (at(HAND_OFF_AT + INTERVAL * k), "IN_PROGRESS") for k in range(1, 8)
    ] + [(at(HAND_OFF_AT + INTERVAL * 8), "COMPLETED")]
    # AND that costs 8 x (Wait, ReadStatus, CheckEnded) + CheckAccepted, Finish,
    # CheckFollowUp (none), CheckRetraining (none asked for), Recorded
    assert result.transitions == 29
    # AND Personalize saw 8 reads from the state machine, 1 from the finish step and the
    # finish step's check for trainings or imports started during the job, nothing else
    assert [call.operation for call in world.double.calls] == [DESCRIBE] * 9 + PREFLIGHT
    # AND one receipt with the job's own times, written by the tracker
    receipt = world.receipt(JOB)
    assert {
        key: receipt[key]
        for key in (
            "status",
            "numDeleted",
            "startedAt",
            "finishedAt",
            "durationSeconds",
            "recordedBy",
            "trackedBy",
            "recordedAt",
            "completion",
        )
    } == {
        "status": "COMPLETED",
        "numDeleted": NUM_DELETED,
        "startedAt": at(0),
        "finishedAt": at(5010),
        "durationSeconds": 5010,
        "recordedBy": "tracker",
        "trackedBy": EXECUTION,
        "recordedAt": at(HAND_OFF_AT + INTERVAL * 8),
        "completion": "HAND_OFF",
    }
    # AND the staged list purged exactly once (with the first poll's record of the job: two
    # deletions), one event, one metric
    assert world.s3_calls.count("DeleteObject") == 2
    assert world.keys() == [f"receipts/{JOB}.json"]
    [event] = world.events()
    assert event == {
        "requestName": "gdpr-2026-11",
        "jobName": JOB,
        "jobArn": job_arn(JOB),
        "datasetGroupArn": GROUP,
        "status": "COMPLETED",
        "lastStatus": "COMPLETED",
        "numDeleted": NUM_DELETED,
        "failureReason": None,
        "receiptUri": RECEIPT_URI,
        "startedAt": at(0),
        "finishedAt": at(5010),
        "durationSeconds": 5010,
        "recordedAt": at(HAND_OFF_AT + INTERVAL * 8),
        "warning": None,
        "followUp": None,
        "recordedBy": "tracker",
        "trackedBy": EXECUTION,
        "completion": "HAND_OFF",
        "stackId": STACK_ID,
    }
    assert world.metrics() == [("JobsCompleted", "privacy")]
    assert result.output["outcome"] == {"status": "COMPLETED", "receiptUri": RECEIPT_URI}
    assert_no_user_ids(caplog, result.output, event, receipt, world.tracker_input(JOB))


def test_a_job_that_fails_after_the_deployment_is_recorded_and_counted(world: World) -> None:
    # GIVEN a long job that will end FAILED, handed off
    world.double.run_seconds = 5000
    world.double.fail_next_jobs("Access Denied: the role cannot read the data location")
    hand_off(world)

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN the execution succeeds (it recorded the end) and the outcome is FAILED everywhere
    assert result.status == "SUCCEEDED"
    assert result.output["outcome"]["status"] == "FAILED"
    receipt = world.receipt(JOB)
    assert (receipt["status"], receipt["failureReason"]) == (
        "FAILED",
        "Access Denied: the role cannot read the data location",
    )
    [event] = world.events()
    assert (event["status"], event["failureReason"]) == (
        "FAILED",
        "Access Denied: the role cannot read the data location",
    )
    # AND the failed-jobs alarm's metric counts it
    assert world.metrics() == [("JobsFailed", "privacy")]


def test_a_job_still_running_at_the_tracking_limit_is_reported_stuck(world: World) -> None:
    # GIVEN a job that never ends, handed off at +600 s (tracking limit: 36 h later)
    world.double.run_seconds = math.inf
    hand_off(world)

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN it gives up at the first read at or after the limit, and the execution fails
    limit = HAND_OFF_AT + 36 * 3600
    assert reads(result)[-1] == (at(limit), "IN_PROGRESS")
    assert len(reads(result)) == 36 * 3600 // INTERVAL
    assert result.status == "FAILED"
    assert result.error == "DeletionJobStuck"
    # (its history: the execution's start and end, CheckAccepted, 9 events per read, GiveUp's
    # Task and the NotConfirmed Fail state)
    assert result.history_events == 2 + 2 + len(reads(result)) * EVENTS_PER_READ + 5 + 1
    assert result.cause == (
        f"the job was still IN_PROGRESS at {at(limit)}, the tracking limit; it may still end: "
        f"to record its end, start an execution of this state machine named {JOB}-2 with this "
        'execution\'s input and "retrack": true added at its top level (it follows the job for '
        "another tracking limit), or change a tag of the request and deploy (an unchanged "
        "request is not sent again)"
    )
    # AND one STUCK event says so; no receipt; the staged list stays for the job to read
    [event] = world.events()
    assert (event["status"], event["lastStatus"], event["receiptUri"]) == (
        "STUCK",
        "IN_PROGRESS",
        None,
    )
    assert world.metrics() == [("JobsStuck", "privacy")]
    # (beside it, the first poll's record of the job: no ids; both expire by the lifecycle rule)
    assert world.keys() == [f"staging/{JOB}/submitted.json", f"staging/{JOB}/users.csv"]


def test_a_run_to_the_longest_tracking_limit_fits_its_share_of_the_history(world: World) -> None:
    # GIVEN the longest tracking limit the construct allows at this interval (about 6 days),
    # and a job that never ends
    world.services.tracking_timeout_seconds = DEFINITION.longest_tracking_timeout(INTERVAL)
    world.double.run_seconds = math.inf
    hand_off(world)

    # WHEN the tracker follows it to the limit
    result = world.run_tracker(JOB)

    # THEN it gave up after its reads, within one of the runs an execution may make: even three
    # such runs leave the reserve of Step Functions' 25,000 history events untouched
    assert (result.status, result.error) == ("FAILED", "DeletionJobStuck")
    assert len(reads(result)) == DEFINITION.MAX_READS_PER_RUN - 1 == 887
    assert result.history_events == 2 + 2 + 887 * EVENTS_PER_READ + 5 + 1 == 7_993
    assert (
        DEFINITION.PLANNED_RUNS * result.history_events
        <= DEFINITION.MAX_HISTORY_EVENTS - DEFINITION.RESERVED_EVENTS
    )


# ----------------------------------------------------------------------------------- queued


def test_a_queued_request_is_submitted_once_the_dataset_group_is_free(world: World) -> None:
    # GIVEN the dataset group is in use for the first two hours
    world.double.set_dataset_group_busy(GROUP, until=T0 + 7200)
    hand_off(world)
    assert world.tracker_input(JOB)["job"]["arn"] is None

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN it tries to submit every 10 minutes and succeeds at +7200 s, then follows the job
    submits = [visit for visit in result.visits if visit.state == "Submit"]
    assert [utc(visit.entered_at) for visit in submits] == [
        at(HAND_OFF_AT + INTERVAL * k) for k in range(1, 12)
    ]
    assert result.status == "SUCCEEDED"
    assert list(world.double.jobs) == [JOB]
    assert world.double.jobs[JOB].creation_date_time == T0 + 7200
    # AND the job's receipt and event are written as for any other
    assert world.receipt(JOB)["startedAt"] == at(7200)
    assert [event["status"] for event in world.events()] == ["COMPLETED"]


def test_a_request_queued_behind_five_pending_jobs_starts_when_one_of_them_starts(
    world: World,
) -> None:
    # GIVEN 5 other jobs PENDING in the dataset group until +3000 s (the service's limit is 5)
    world.double.pending_seconds = 3000
    for index in range(5):
        world.personalize.create_data_deletion_job(
            jobName=f"other-{index}",
            datasetGroupArn=GROUP,
            dataSource={"dataLocation": f"s3://{STAGING_BUCKET}/other.csv"},
            roleArn="arn:aws:iam::123456789012:role/Other",
        )
    world.double.pending_seconds = 10
    hand_off(world)
    assert world.tracker_input(JOB)["tracking"]["lastStatus"] == "QUEUED"

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN the submit at +3000 s, when they leave PENDING, is accepted; the job is recorded
    submits = [utc(visit.entered_at) for visit in result.visits if visit.state == "Submit"]
    assert submits == [at(HAND_OFF_AT + INTERVAL * k) for k in range(1, 5)]
    assert world.double.jobs[JOB].creation_date_time == T0 + 3000
    assert result.status == "SUCCEEDED"
    assert world.receipt(JOB)["status"] == "COMPLETED"


def test_a_queued_request_refused_for_good_is_not_started_and_its_list_purged(
    world: World,
) -> None:
    # GIVEN a queued request whose dataset group is deleted before it is free
    world.double.set_dataset_group_busy(GROUP)
    hand_off(world)
    world.double.remove_dataset_group(GROUP)

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN its first submit is refused for good: the execution ends NOT_STARTED at once
    assert result.status == "FAILED"
    assert result.error == "DeletionJobNotStarted"
    assert result.cause.startswith(
        f"JobRequestRejected: CreateDataDeletionJob for {JOB} failed with "
        "ResourceNotFoundException: "
    )
    assert result.cause.endswith(
        "; no job was started; once the cause is fixed, change a tag of the request and deploy "
        "(an unchanged request is not sent again)"
    )
    [event] = world.events()
    assert (event["status"], event["jobArn"]) == ("NOT_STARTED", None)
    # AND nothing will read the staged list now: it is gone. The resource's declarer key
    # stays: the resource still declares the request (a tag change queues it again), its
    # Delete removes the key, and the staging lifecycle rule expires it
    assert world.keys() == [declarer_key(JOB, cfn_event("Create", properties()))]
    assert world.double.jobs == {}


def test_a_local_list_not_started_says_to_delete_its_copy_in_the_assets_bucket(
    world: World,
) -> None:
    # GIVEN a queued request of a local list (from_csv / from_ids: a file asset named after
    # its job) whose dataset group is deleted before it is free
    asset = {"Bucket": SOURCE_BUCKET, "Key": f"{JOB}.csv", "Asset": "true"}
    world.s3.put_object(Bucket=SOURCE_BUCKET, Key=f"{JOB}.csv", Body=USERS_CSV)
    world.double.set_dataset_group_busy(GROUP)
    hand_off(world, Source=asset)
    world.double.remove_dataset_group(GROUP)

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN it ends NOT_STARTED, and says that the list's asset copy stays and which object
    # to delete if the request is removed or renamed rather than sent again
    assert (result.status, result.error) == ("FAILED", "DeletionJobNotStarted")
    assert result.cause.endswith(
        "; no job was started; once the cause is fixed, change a tag of the request and deploy "
        "(an unchanged request is not sent again); if you remove or rename the request "
        f"instead, delete every version of s3://{SOURCE_BUCKET}/{JOB}.csv, the list's copy in "
        "the CDK assets bucket, which nothing removes"
    )
    assert world.s3.get_object(Bucket=SOURCE_BUCKET, Key=f"{JOB}.csv")["Body"].read() == USERS_CSV


# -------------------------------------------------------------------------------- at most once


def test_a_second_run_for_the_same_job_records_and_announces_nothing_new(world: World) -> None:
    # GIVEN a job the tracker has followed to its end
    world.double.run_seconds = 5000
    hand_off(world)
    world.run_tracker(JOB)
    receipt = world.receipt(JOB)
    world.events()

    # WHEN the same tracker input runs again (a re-track started by hand, say)
    again = world.run_tracker(JOB)

    # THEN it ends as recorded, without a second event, metric or receipt
    assert again.status == "SUCCEEDED"
    assert world.events() == []
    assert world.metrics() == [("JobsCompleted", "privacy")]
    assert world.receipt(JOB) == receipt


def test_a_later_adoption_reports_the_tracked_end_and_keeps_the_receipt(world: World) -> None:
    # GIVEN a job followed to its end by the tracker
    world.double.run_seconds = 5000
    hand_off(world)
    world.run_tracker(JOB)
    receipt = world.receipt(JOB)
    world.events()

    # WHEN the request is created again (a new stack deploys the same request)
    redeploy = play(cfn_event("Create", properties()), world)

    # THEN the job is adopted, reported COMPLETED with its tracker, and the receipt unchanged
    assert redeploy.data == {
        "JobArn": job_arn(JOB),
        "JobName": JOB,
        "Status": "COMPLETED",
        "NumDeleted": str(NUM_DELETED),
        "TrackedBy": EXECUTION,
        "ReceiptUri": RECEIPT_URI,
    }
    assert world.receipt(JOB) == receipt
    assert world.events() == []
    assert world.keys() == [f"receipts/{JOB}.json"]


def test_removing_the_request_while_tracked_loses_nothing(world: World) -> None:
    # GIVEN a handed-off job
    world.double.run_seconds = 5000
    hand_off(world)

    # WHEN CloudFormation deletes the resource (request removed, or the stack deleted)
    deleted = play(cfn_event("Delete", properties(), physical_id=JOB), world)
    # AND the tracker goes on
    result = world.run_tracker(JOB)

    # THEN the delete touched nothing and the tracker still recorded the job's end
    assert deleted.reason is None
    assert result.status == "SUCCEEDED"
    assert world.receipt(JOB)["status"] == "COMPLETED"
    assert [event["status"] for event in world.events()] == ["COMPLETED"]


def test_a_follow_up_still_queued_when_its_request_is_removed_is_not_started(
    world: World,
) -> None:
    """GIVEN a request with ``FollowUp`` whose job is handed off, and a training that starts
    while the job runs (so a follow-up job is queued when it ends)
    WHEN CloudFormation deletes the request's resource while the first job still runs (the
    request removed, or the update that added it rolled back), and the tracker then records
    the first job and queues the follow-up
    THEN the follow-up, a request queued with the tracker and no job yet, inherits the Delete's
    marker: no follow-up job is created (the stack no longer declares it) and the execution
    ends NOT_STARTED with DeletionCancelled; the first job, created before, is recorded."""
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 3_000)  # during the job; ends before the follow-up
    follow_up = follow_up_job_name(JOB)

    deleted = play(cfn_event("Delete", properties(FollowUp="true"), physical_id=JOB), world)
    result = world.run_tracker(JOB)

    assert deleted.reason is None
    assert world.receipt(JOB)["followUp"] == follow_up  # the follow-up was queued, as asked
    assert follow_up not in world.double.jobs
    assert (result.status, result.error) == ("FAILED", "DeletionJobNotStarted")
    assert result.cause == (
        f"DeletionCancelled: the resource that declared job {follow_up} was deleted by "
        "CloudFormation before the job was created (the request was removed from the stack, or "
        "the update that queued it was rolled back), so no job is created and its staged list "
        "is deleted; declare the request again to delete that list; no job was started"
    )
    assert [event["status"] for event in world.events()] == ["COMPLETED", "NOT_STARTED"]
    staged = world.s3.list_objects_v2(Bucket=STAGING_BUCKET, Prefix=f"staging/{follow_up}/")
    assert staged["KeyCount"] == 0


# ------------------------------------------------------------------------------------ faults


def test_a_throttled_status_read_is_retried_not_given_up(world: World) -> None:
    # GIVEN a handed-off job, and 8 throttled reads ahead (more than boto3's 6 attempts)
    world.double.run_seconds = 5000
    hand_off(world)
    world.double.inject(DESCRIBE, "LimitExceededException", times=8)

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN the state machine's own retry absorbs it and the job is recorded as usual
    first = next(visit for visit in result.visits if visit.state == "ReadStatus")
    assert first.retries == 1
    assert result.status == "SUCCEEDED"
    assert world.receipt(JOB)["status"] == "COMPLETED"


# ------------------------------------------------------------------------------------ events


def test_a_stuck_job_is_followed_to_its_end_by_the_execution_its_cause_asks_for(
    world: World,
) -> None:
    """GIVEN a job of 40 hours, handed off and reported STUCK at the 36 h tracking limit
    WHEN an execution is started as the failure's cause says: named <job>-2, with the failed
    execution's input and "retrack": true added at its top level
    THEN it follows the job for another tracking limit, to its end (+40 h), and records it."""
    world.double.run_seconds = 40 * 3600
    hand_off(world)
    stuck = world.run_tracker(JOB)
    assert (stuck.status, stuck.error) == ("FAILED", "DeletionJobStuck")
    assert f'named {JOB}-2 with this execution\'s input and "retrack": true' in stuck.cause
    world.events()

    again = run_execution(world, f"{JOB}-2", {**world.tracker_input(JOB), "retrack": True})

    assert (again.status, again.error) == ("SUCCEEDED", None)
    receipt = world.receipt(JOB)
    assert (receipt["status"], receipt["recordedBy"], receipt["trackedBy"]) == (
        "COMPLETED",
        "tracker",
        f"{EXECUTION}-2",
    )
    [event] = world.events()
    assert (event["status"], event["jobName"]) == ("COMPLETED", JOB)


def test_a_job_stuck_under_the_last_execution_name_is_not_sent_to_a_name_the_tracker_ignores(
    world: World,
) -> None:
    """GIVEN a job of 100 hours, STUCK at the tracking limit under <job>, then re-tracked by
    hand under <job>-9, the last name the deployment's hand-off and the checks of whether a
    tracker follows a job look at
    WHEN that execution reaches its own limit with the job still running
    THEN its cause names no further execution (a name outside those would be ignored by every
    later deploy) and says how to read the job's end instead."""
    world.double.run_seconds = 100 * 3600
    hand_off(world)
    assert world.run_tracker(JOB).error == "DeletionJobStuck"

    last = run_execution(world, f"{JOB}-9", {**world.tracker_input(JOB), "retrack": True})

    assert (last.status, last.error) == ("FAILED", "DeletionJobStuck")
    assert last.cause.endswith(
        f"; it may still end: the tracker has used every execution name it follows this job "
        f"under (up to {JOB}-9), so neither a re-track nor a deploy can record it; read its end "
        "with aws personalize describe-data-deletion-job --data-deletion-job-arn "
        f"{job_arn(JOB)}"
    )
