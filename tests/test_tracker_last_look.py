"""The tracker's give-up: its last look before it gives up a request no submit step saw
accepted, and what it says of a job whose end it read but could not record.

"Not started" deletes the staged list and says that no job was started, so it needs an answer:
the submit steps may have failed to look (lookups throttled for hours, refused for good) or seen
a create fail without an answer, while a job of the request's name runs. Fast tier: the
decisions over the in-memory fakes (``tests/fakes.py``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fakes import (
    FakeWorld,
    fake_world,
    follow_up_queued,
    refuse_s3,
    service_error,
    tracker_step,
)
from lifecycle_support import (
    GROUP,
    STAGING_BUCKET,
    T0,
    USERS_CSV,
    cfn_event,
    expected_job_name,
    job_arn,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.request_rules import follow_up_job_name
from personalize_deletion_runtime.state import parse_iso

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
STAGED = f"staging/{JOB}/users.csv"


def queued(world: FakeWorld) -> dict[str, Any]:
    """A SUBMIT_ONLY request blocked at its bound (the group in use): queued with the tracker;
    the tracker's input, as its execution holds it."""
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 10**6)
    event = cfn_event("Create", properties(Completion="SUBMIT_ONLY"))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while True:
        answer = lifecycle.is_complete(merged, world.services)
        if answer["IsComplete"]:
            break
        world.clock.now += 60
    assert answer["Data"]["Status"] == "QUEUED"
    return dict(json.loads(world.stepfunctions.executions[JOB]["input"]))


def a_create_whose_answer_was_lost(world: FakeWorld) -> None:
    """The group frees, and a create of the request's job goes in that no submit step saw."""
    world.personalize.busy.clear()
    world.personalize.create_data_deletion_job(
        jobName=JOB,
        datasetGroupArn=GROUP,
        dataSource={"dataLocation": f"s3://bucket/{STAGED}"},
        roleArn="arn:aws:iam::123456789012:role/r",
    )


def assert_stuck_with_list_kept(given_up: dict[str, Any], world: FakeWorld) -> None:
    """Given up STUCK under the ARN a job of the request's name has, the staged list kept."""
    outcome = given_up["outcome"]
    assert (outcome["status"], outcome["error"]) == ("STUCK", "DeletionJobStuck")
    assert given_up["job"]["arn"] == world.personalize.job_arn(JOB)
    assert STAGED in world.s3.keys(prefix=f"staging/{JOB}/")


def test_a_request_whose_lookups_fail_to_the_limit_is_not_given_up_as_not_started() -> None:
    """GIVEN a request queued with the tracker, and a job of its name created meanwhile (a
    create whose answer was lost) that runs for two days
    WHEN every lookup by name is throttled until the tracking limit, and the execution gives up
    THEN it does not say that no job was started, nor delete the staged list the job reads: it
    gives up as STUCK under the ARN a job of that name has, saying whether one was created is
    unknown."""
    world = fake_world(run_seconds=48 * 3600)
    state = queued(world)
    a_create_whose_answer_was_lost(world)
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded", 10_000)
    world.clock.now = T0 + 40 * 3600
    state["tracking"]["giveUp"] = True

    given_up = tracker_step(world, "give_up", JOB, state)

    outcome = given_up["outcome"]
    assert outcome["cause"].startswith(
        f"whether Personalize accepted the request by {state['tracking']['giveUpAt']} could not "
        "be found out (ListDataDeletionJobs"
    )
    assert "no job was started" not in outcome["cause"]
    assert_stuck_with_list_kept(given_up, world)


def test_a_request_whose_job_is_found_at_the_limit_is_given_up_as_stuck() -> None:
    """GIVEN a request queued with the tracker, and a job of its name created meanwhile whose
    create answered nothing the submit steps saw
    WHEN the execution gives up at the limit and its last lookup finds the job
    THEN it gives up as STUCK with that job's ARN (it may still end: its list stays), not as
    not started."""
    world = fake_world(run_seconds=48 * 3600)
    state = queued(world)
    a_create_whose_answer_was_lost(world)
    world.clock.now = T0 + 40 * 3600
    state["tracking"]["giveUp"] = True

    given_up = tracker_step(world, "give_up", JOB, state)

    assert (given_up["outcome"]["status"], given_up["job"]["arn"]) == (
        "STUCK",
        world.personalize.job_arn(JOB),
    )
    assert given_up["outcome"]["cause"].startswith(f"job {JOB} was found at the tracking limit")
    assert STAGED in world.s3.keys(prefix=f"staging/{JOB}/")


def create_answered_with_a_server_fault_unlisted(world: FakeWorld) -> None:
    """Personalize creates the job but answers the create with a server fault, and the dataset
    group's listing does not show a job created in the last five seconds (listings lag)."""
    personalize = world.personalize
    create, listing = personalize.create_data_deletion_job, personalize.list_data_deletion_jobs

    def create_then_fault(**request: Any) -> dict[str, Any]:
        create(**request)
        raise service_error(
            "CreateDataDeletionJob", "InternalServerError", "We encountered an internal error", 500
        )

    def lagging_listing(**request: Any) -> dict[str, Any]:
        page = listing(**request)
        page["dataDeletionJobs"] = [
            job
            for job in page["dataDeletionJobs"]
            if job["creationDateTime"].timestamp() < world.clock() - 5
        ]
        return page

    personalize.create_data_deletion_job = create_then_fault  # type: ignore[method-assign]
    personalize.list_data_deletion_jobs = lagging_listing  # type: ignore[method-assign]


def submitted_at_the_limit(world: FakeWorld) -> dict[str, Any]:
    """A queued request whose last submit step (the group freed just before the tracking
    limit) sends the create; the state it returns (given up, no ARN)."""
    state = queued(world)
    world.personalize.busy.clear()
    world.clock.now = parse_iso(state["tracking"]["giveUpAt"]) + 1
    create_answered_with_a_server_fault_unlisted(world)
    submitted = tracker_step(world, "submit", JOB, state)
    assert JOB in world.personalize.jobs  # the job exists and will read the staged list
    assert (submitted["job"]["arn"], submitted["tracking"]["giveUp"]) == (None, True)
    assert submitted["error"] == {
        "Error": "SubmissionUnknown",
        "Cause": "InternalServerError from Personalize: We encountered an internal error",
    }
    return dict(submitted)


def test_a_create_answered_with_a_server_fault_at_the_limit_is_not_given_up_as_not_started() -> (
    None
):
    """GIVEN a request queued with the tracker whose last submit step (at the tracking limit)
    sends the create, which Personalize carries out but answers with a server fault, and whose
    job the dataset group's listing does not show yet
    WHEN the execution gives up right after that step
    THEN the last look describes the job by its ARN (listings lag a create), finds it and gives
    it up as STUCK under that ARN, the staged list kept: not NOT_STARTED, "no job was
    started", with the list a job is about to read deleted."""
    world = fake_world(run_seconds=48 * 3600)
    submitted = submitted_at_the_limit(world)

    given_up = tracker_step(world, "give_up", JOB, submitted)

    outcome = given_up["outcome"]
    assert outcome["cause"].startswith(
        f"job {JOB} was found at the tracking limit ({submitted['tracking']['giveUpAt']}), "
        "although no submit step saw it accepted (before: InternalServerError from "
        "Personalize: We encountered an internal error); it may still end: "
    )
    assert_stuck_with_list_kept(given_up, world)


def test_a_create_that_may_have_taken_effect_is_given_up_stuck_though_no_read_shows_it() -> None:
    """GIVEN a request whose last submit step's create was answered with a server fault, and a
    job that neither the listing nor DescribeDataDeletionJob shows yet
    WHEN the execution gives up
    THEN whether a job was created is unknown, never "no job": STUCK under the ARN a job of
    that name has, the staged list kept."""
    world = fake_world(run_seconds=48 * 3600)
    submitted = submitted_at_the_limit(world)
    world.personalize.inject("DescribeDataDeletionJob", "ResourceNotFoundException", "not yet")

    given_up = tracker_step(world, "give_up", JOB, submitted)

    outcome = given_up["outcome"]
    assert outcome["cause"].startswith(
        f"whether Personalize accepted the request by {submitted['tracking']['giveUpAt']} could "
        "not be found out (the last create was answered by InternalServerError from "
        "Personalize: We encountered an internal error, and no job is listed yet): a job named "
        f"{JOB} may exist, so its list is kept; it may still end: "
    )
    assert "no job was started" not in outcome["cause"]
    assert_stuck_with_list_kept(given_up, world)


def handed_off(world: FakeWorld) -> dict[str, Any]:
    """A request whose job was handed to the tracker IN_PROGRESS; the tracker's input."""
    event = cfn_event("Create", properties())
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while not (answer := lifecycle.is_complete(merged, world.services))["IsComplete"]:
        world.clock.now += 60
    assert answer["Data"]["Status"] == "IN_PROGRESS"
    return dict(json.loads(world.stepfunctions.executions[JOB]["input"]))


def test_a_job_seen_completed_whose_finish_step_failed_is_not_reported_stuck() -> None:
    """GIVEN a job handed to the tracker, which reads it COMPLETED, and a finish step that
    publishes the COMPLETED event but cannot write the receipt (S3 refuses every PutObject),
    so the definition's Catch sends the execution to GiveUp with the error
    WHEN the give-up step runs
    THEN it says the job ended COMPLETED and only its recording failed (its receipt is missing:
    looked up; changed deliberately from "may be"), with how to record it
    (a re-track, or a tag change): no STUCK event contradicting the COMPLETED one, no "it may
    still end", and no JobsStuck counted for a completed deletion."""
    world = fake_world(run_seconds=5 * 3600)
    state = handed_off(world)
    world.clock.now += 6 * 3600  # the job has COMPLETED; ReadStatus saw it
    state["seen"] = {"status": "COMPLETED", "checkedAt": "2026-09-21T20:00:00Z"}
    refuse_s3(world, "put_object", "Key", f"receipts/{JOB}", "ServiceUnavailable")
    with pytest.raises(ClientError) as failed:  # every attempt of the finish step fails so
        tracker_step(world, "finish", JOB, state)
    state["error"] = {"Error": type(failed.value).__name__, "Cause": str(failed.value)}

    given_up = tracker_step(world, "give_up", JOB, state)

    assert given_up["outcome"] == {
        "status": "COMPLETED",
        "error": "DeletionNotRecorded",
        "cause": (
            f"job {JOB} ended COMPLETED (read at 2026-09-21T20:00:00Z), but recording its end "
            f"failed (ClientError: {failed.value}): its receipt is missing (and its "
            "COMPLETED event, if the failure came first); to record it, start an execution of "
            f'this state machine named {JOB}-2 with this execution\'s input and "retrack": '
            "true added at its top level, or change a tag of the request and deploy (an "
            "unchanged request is not sent again)"
        ),
    }
    assert [detail["status"] for detail in world.events.details()] == ["COMPLETED"]
    assert [name for name, _ in world.metrics() if name == "JobsStuck"] == []


def test_a_recorded_job_whose_status_read_fails_says_its_retraining_was_not_done() -> None:
    """GIVEN a job that COMPLETED during the deployment with ``Retrain`` ALL: the deployment
    recorded it (its receipt promises a models receipt) and handed it to the tracker, with
    ``lastStatus`` COMPLETED, for the retraining; the tracker's first ReadStatus fails for good
    (the Catch sends the execution to GiveUp, with no ``seen``)
    WHEN the give-up step runs
    THEN it does not say the deletion's recording failed (its receipt is there): it says the
    job is recorded and the retraining was not done, nor its models receipt written, and how
    to have it done (a re-track); no event goes out and nothing is counted."""
    world = fake_world()
    event = cfn_event("Create", properties(Retrain="ALL"))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while not (answer := lifecycle.is_complete(merged, world.services))["IsComplete"]:
        world.clock.now += 60
    assert answer["Data"]["Status"] == "COMPLETED"
    models = f"s3://{STAGING_BUCKET}/receipts/{JOB}.models.json"
    assert world.receipt(JOB)["retraining"]["receiptUri"] == models
    state = dict(json.loads(world.stepfunctions.executions[JOB]["input"]))
    assert (state.get("seen"), state["tracking"]["lastStatus"]) == (None, "COMPLETED")
    state["error"] = {
        "Error": "Personalize.PersonalizeException",
        "Cause": "Rate exceeded (Service: Personalize, Status Code: 400)",
    }
    published = len(world.events.details())

    given_up = tracker_step(world, "give_up", JOB, state)

    assert given_up["outcome"] == {
        "status": "COMPLETED",
        "error": "DeletionNotFinished",
        "cause": (
            f"job {JOB} ended COMPLETED (as the deployment read it) and is recorded (its "
            f"receipt: s3://{STAGING_BUCKET}/receipts/{JOB}.json), but the tracker failed "
            "(Personalize.PersonalizeException: Rate exceeded (Service: Personalize, Status "
            "Code: 400)): the retraining it asked for (Retrain ALL) was not done, and its "
            f"models receipt ({models}) not written: the models still reflect the deleted "
            f"users; to have it done, start an execution of this state machine named {JOB}-2 "
            'with this execution\'s input and "retrack": true added at its top level (it finds '
            "the receipt and goes on from there)"
        ),
    }
    assert len(world.events.details()) == published
    assert [name for name, _ in world.metrics() if name == "JobsStuck"] == []


def test_a_recorded_job_whose_status_read_fails_says_its_follow_up_was_not_submitted() -> None:
    """GIVEN a job that COMPLETED during the deployment, whose receipt names a follow-up job
    (imports ran during it: written here, the fakes run none), handed to the tracker for it;
    the tracker's first ReadStatus fails for good (GiveUp, no ``seen``)
    WHEN the give-up step runs
    THEN it says the job is recorded and its follow-up was not submitted, and how to have it
    submitted (a re-track)."""
    world = fake_world()
    event = cfn_event("Create", properties(FollowUp="true", Retrain="ALL"))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while not lifecycle.is_complete(merged, world.services)["IsComplete"]:
        world.clock.now += 60
    follow_up = follow_up_job_name(JOB)
    receipt = {**world.receipt(JOB), "followUp": follow_up}
    world.s3.put_object(
        Bucket=STAGING_BUCKET, Key=f"receipts/{JOB}.json", Body=json.dumps(receipt).encode()
    )
    state = {
        **json.loads(world.stepfunctions.executions[JOB]["input"]),
        "error": {"Error": "States.Timeout", "Cause": "the read timed out"},
    }

    given_up = tracker_step(world, "give_up", JOB, state)

    assert given_up["outcome"]["error"] == "DeletionNotFinished"
    assert given_up["outcome"]["cause"].endswith(
        f"(States.Timeout: the read timed out): its follow-up job {follow_up} (the receipt names "
        "it: imports or trainings ran during the job) was not submitted, nor the retraining "
        "after it, if asked for; to have it done, start an execution of this state machine "
        f'named {JOB}-2 with this execution\'s input and "retrack": true added at its top '
        "level (it finds the receipt and goes on from there)"
    ), given_up["outcome"]["cause"]


def test_a_follow_up_not_recorded_says_its_promised_models_receipt_is_not_written() -> None:
    """GIVEN a request with ``FollowUp`` and ``Retrain`` ALL whose first job's receipt promises
    the follow-up's models receipt, and a follow-up job the tracker read COMPLETED whose finish
    step then failed for good (no receipt of it)
    WHEN the give-up step runs
    THEN ``DeletionNotRecorded``'s cause says the retraining waits for that record (not done,
    its models receipt not written), and how to record it (a re-track under the first job's
    next execution name)."""
    world = fake_world()
    event = cfn_event("Create", properties(FollowUp="true", Retrain="ALL"))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while not lifecycle.is_complete(merged, world.services)["IsComplete"]:
        world.clock.now += 60
    follow_up = follow_up_job_name(JOB)
    state = json.loads(world.stepfunctions.executions[JOB]["input"])
    state["job"] = {
        **state["job"],
        "name": follow_up,
        "arn": state["job"]["arn"].replace(JOB, follow_up),
        "followUpOf": JOB,
    }
    state["seen"] = {"status": "COMPLETED", "checkedAt": "2026-09-21T20:00:00Z"}
    state["error"] = {"Error": "States.Timeout", "Cause": "the finish step timed out"}

    given_up = tracker_step(world, "give_up", JOB, state)  # one execution follows both

    assert given_up["outcome"] == {
        "status": "COMPLETED",
        "error": "DeletionNotRecorded",
        "cause": (
            f"job {follow_up} ended COMPLETED (read at 2026-09-21T20:00:00Z), but recording its "
            "end failed (States.Timeout: the finish step timed out): its receipt is missing (and "
            "its COMPLETED event, if the failure came first); the retraining waits for that "
            "record: it is not done, nor its models receipt written; to record it, start an "
            f"execution of this state machine named {JOB}-2 with this execution's input and "
            '"retrack": true added at its top level, or change a tag of the request and deploy '
            "(an unchanged request is not sent again)"
        ),
    }


def test_a_failed_follow_up_whose_retraining_was_not_done_is_not_called_finished() -> None:
    """A follow-up that ended FAILED is retrained anyway (its first job COMPLETED: the users
    are gone from the datasets), and the first job's receipt promises that retraining's models
    receipt (named after the follow-up), while the follow-up's own receipt has ``retraining:
    null`` (its status is FAILED). Its give-up must not say nothing was left to do.

    GIVEN a request with FollowUp and Retrain ALL whose first job COMPLETED and whose
    follow-up job then ended FAILED, recorded (its receipt written), the tracker failing
    before the retraining (the finish step's invocation timed out after writing the receipt)
    WHEN the give-up step runs
    THEN ``DeletionNotFinished``'s cause says the retraining the first job's receipt promises
    was not done and its models receipt (receipts/<follow-up>.models.json) not written, and
    how to have it done (a re-track under the first job's next execution name)."""
    world = fake_world()
    queued = follow_up_queued(world, Retrain="ALL")
    follow_up = follow_up_job_name(JOB)
    world.personalize.fail_next_jobs("Internal error")
    submitted = tracker_step(world, "submit", JOB, queued)
    assert submitted["job"]["arn"] == job_arn(follow_up)
    world.clock.now += 6 * 3600
    ended = {
        **submitted,
        "tracking": {**submitted["tracking"], "lastStatus": "FAILED"},
        "seen": {"status": "FAILED", "checkedAt": "2026-09-22T03:00:00Z"},
    }
    tracker_step(world, "finish", JOB, ended)  # records it, then gets no answer back
    assert world.receipt(follow_up)["status"] == "FAILED"
    assert world.receipt(follow_up)["retraining"] is None
    ended["error"] = {"Error": "States.Timeout", "Cause": "the finish step timed out"}
    models = f"s3://{STAGING_BUCKET}/receipts/{follow_up}.models.json"
    assert world.receipt(JOB)["retraining"]["receiptUri"] == models
    assert world.s3.keys(prefix=f"receipts/{follow_up}.models") == []

    given_up = tracker_step(world, "give_up", JOB, ended)

    assert given_up["outcome"] == {
        "status": "FAILED",
        "error": "DeletionNotFinished",
        "cause": (
            f"job {follow_up} ended FAILED (read at 2026-09-22T03:00:00Z) and is recorded (its "
            f"receipt: s3://{STAGING_BUCKET}/receipts/{follow_up}.json), but the tracker failed "
            f"(States.Timeout: the finish step timed out): the retraining job {JOB}'s receipt "
            f"promises after it (Retrain ALL) was not done, and its models receipt ({models}) "
            "not written: the models still reflect the deleted users; to have it done, start an "
            f"execution of this state machine named {JOB}-2 with this execution's input and "
            '"retrack": true added at its top level (it finds the receipt and goes on from there)'
        ),
    }


def test_a_give_up_cause_carries_a_lambda_errors_message_not_its_stack_trace() -> None:
    """GIVEN a job followed by the tracker whose step failed for good with a Lambda error (the
    Catch's ``Cause`` is Lambda's error document, stack trace included)
    WHEN the execution gives up while the job still runs
    THEN its cause names the error and its message only, as the retraining's stop does."""
    world = fake_world(run_seconds=48 * 3600)
    state = handed_off(world)
    document = {
        "errorMessage": "the read timed out",
        "errorType": "ReadTimeoutError",
        "stackTrace": ['  File "/var/task/personalize_deletion_runtime/handlers.py", line 1'],
    }
    state["error"] = {"Error": "ReadTimeoutError", "Cause": json.dumps(document)}

    given_up = tracker_step(world, "give_up", JOB, state)

    cause = given_up["outcome"]["cause"]
    assert cause.startswith("ReadTimeoutError: the read timed out; it may still end: ")
    assert "stackTrace" not in cause
