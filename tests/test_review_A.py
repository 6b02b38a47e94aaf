"""Review A: the tracker's steps and the waiter's hand-offs (findings, each a failing test).

Set-up as ``test_tracker.py`` / ``test_retraining_unfinished.py`` (wire: the Personalize double,
moto's S3 and Step Functions, the real tracker definition on the simulated clock) or
``test_tracker_last_look.py`` (fast: the in-memory fakes).
"""

from __future__ import annotations

import json
from typing import Any

import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
    TRACKER_ARN,
    USERS_CSV,
    World,
    cfn_event,
    expected_job_name,
    play,
    properties,
)
from personalize_deletion_runtime.request_rules import follow_up_job_name

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
EXECUTION = f"{TRACKER_ARN.replace(':stateMachine:', ':execution:')}:{JOB}"


def test_a_follow_up_still_queued_when_its_request_is_removed_is_not_started(
    world: World,
) -> None:
    """DEFECT: the follow-up job of a request removed from the stack is still created.

    GIVEN a request with ``FollowUp`` whose job is handed off, and a training that starts while
    the job runs (so a follow-up job will be queued when it ends)
    WHEN CloudFormation deletes the request's resource while the first job still runs (the
    request removed from the stack, or the rollback of the stack update that added it after
    another resource failed), and the tracker then records the first job and queues the
    follow-up
    THEN the follow-up job must NOT be created: it is a request queued with the tracker, not a
    job, and the README promises "A request still QUEUED (no job yet) is cancelled by its
    Delete: the tracker creates no job for it" (the first job, created before, is followed and
    recorded: nothing undoes it). Today the Delete marks only the first job's name (it even
    logs "a queued request, if not submitted yet, will not be"), the finish step queues the
    follow-up regardless of that marker, and the follow-up's submit step checks only the
    follow-up's own name: a second, irreversible deletion job starts that the stack no longer
    declares. Expected: no follow-up job; the execution ends saying it was cancelled."""
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 3_000)  # during the job; ends before the follow-up
    follow_up = follow_up_job_name(JOB)

    deleted = play(cfn_event("Delete", properties(FollowUp="true"), physical_id=JOB), world)
    assert deleted.reason is None
    result = world.run_tracker(JOB)

    assert world.receipt(JOB)["followUp"] == follow_up  # the follow-up was queued, as asked
    assert follow_up not in world.double.jobs, (result.status, result.error, result.cause)


# ------------------------------------------------- the last look after an unanswered create


def _queued_with_the_tracker(fake: Any) -> dict[str, Any]:
    """A SUBMIT_ONLY request blocked (the group in use) until its bound: queued with the
    tracker; the tracker's input, as its execution holds it (``test_tracker_last_look``)."""
    from lifecycle_support import T0
    from personalize_deletion_runtime import lifecycle

    fake.personalize.set_dataset_group_busy(GROUP, until=T0 + 10**6)
    event = cfn_event("Create", properties(Completion="SUBMIT_ONLY"))
    merged = {**event, **lifecycle.on_event(event, fake.services)}
    while True:
        answer = lifecycle.is_complete(merged, fake.services)
        if answer["IsComplete"]:
            break
        fake.clock.now += 60
    assert answer["Data"]["Status"] == "QUEUED"
    return dict(json.loads(fake.stepfunctions.executions[JOB]["input"]))


def test_a_create_answered_with_a_server_fault_at_the_limit_is_not_given_up_as_not_started() -> (
    None
):
    """DEFECT: the tracker says "no job was started" and deletes the staged list of a job that
    Personalize did create.

    GIVEN a request queued with the tracker, whose last submit step (at the tracking limit)
    sends CreateDataDeletionJob, which Personalize carries out but answers with a server fault
    (InternalServerError: "a create may have taken effect", as ``personalize_api`` itself says),
    and whose new job the dataset group's listing does not show yet (``PersonalizeJobs.find``:
    "listings can lag a create"; DescribeDataDeletionJob by the job's ARN does show it)
    WHEN the execution gives up right after that step (no wait in between)
    THEN it must not report NOT_STARTED, "no job was started", nor purge the list the job is
    about to read: the deployment's polls treat exactly this case (``submission.unknown``) as
    "unknown, never no job" and the README promises the tracker "says so only when it knows".
    Today ``_submit`` drops ``submission.unknown`` and ``_last_look`` trusts a single listing
    (never the describe-by-ARN that ``find`` uses for the same lag), so the give-up purges the
    list, the job then FAILS for its missing input with no receipt, and the user was told
    nothing ran. Expected: ``STUCK`` under the job's ARN, the staged list kept."""
    from fakes import fake_world, service_error, tracker_step
    from personalize_deletion_runtime.state import parse_iso

    fake = fake_world(run_seconds=48 * 3600)
    state = _queued_with_the_tracker(fake)
    staged = f"staging/{JOB}/users.csv"
    fake.personalize.busy.clear()  # the group frees just before the tracking limit
    fake.clock.now = parse_iso(state["tracking"]["giveUpAt"]) + 1

    personalize = fake.personalize
    create, listing = personalize.create_data_deletion_job, personalize.list_data_deletion_jobs

    def create_then_fault(**request: Any) -> dict[str, Any]:
        create(**request)  # Personalize creates the job ...
        raise service_error(  # ... but the answer is a server fault
            "CreateDataDeletionJob", "InternalServerError", "We encountered an internal error", 500
        )

    def lagging_listing(**request: Any) -> dict[str, Any]:
        page = listing(**request)  # a job created this very second is not listed yet
        page["dataDeletionJobs"] = [
            job
            for job in page["dataDeletionJobs"]
            if job["creationDateTime"].timestamp() < fake.clock() - 5
        ]
        return page

    personalize.create_data_deletion_job = create_then_fault  # type: ignore[method-assign]
    personalize.list_data_deletion_jobs = lagging_listing  # type: ignore[method-assign]

    submitted = tracker_step(fake, "submit", JOB, state)
    assert JOB in personalize.jobs  # the job exists and will read the staged list
    assert (submitted["job"]["arn"], submitted["tracking"]["giveUp"]) == (None, True)
    given_up = tracker_step(fake, "give_up", JOB, submitted)

    outcome = given_up["outcome"]
    assert "no job was started" not in outcome["cause"], outcome["cause"]
    assert (outcome["status"], outcome["error"]) == ("STUCK", "DeletionJobStuck"), outcome
    assert staged in fake.s3.keys(prefix=f"staging/{JOB}/")


# ------------------------------------------- a job seen COMPLETED whose end was not recorded


def test_a_job_seen_completed_whose_finish_step_failed_is_not_reported_stuck() -> None:
    """DEFECT: a job the tracker saw COMPLETED is announced STUCK, "it may still end", after
    its COMPLETED event went out.

    GIVEN a job handed to the tracker, which reads it COMPLETED, and a finish step that
    publishes the COMPLETED event but cannot write the receipt (S3 refuses the PutObject on
    every attempt: an outage, a bucket policy change), so the definition's Catch sends the
    execution to GiveUp with the error
    WHEN the give-up step runs
    THEN it must not announce the job as ``STUCK`` with "it may still end": the tracker read it
    COMPLETED (``seen.status``), the users are deleted, and a second event for the same job
    saying it is stuck contradicts the first, counts ``JobsStuck`` for a completed deletion and
    tells the user the deletion may still be pending. The README defines ``STUCK`` as "while the
    job was still `lastStatus`; it may still end", which cannot hold of ``lastStatus``
    COMPLETED. Expected: the give-up says the job ended COMPLETED and only its recording failed
    (no "may still end", no STUCK event contradicting the COMPLETED one)."""
    from botocore.exceptions import ClientError
    from fakes import fake_world, refuse_s3, tracker_step
    from personalize_deletion_runtime import lifecycle

    fake = fake_world(run_seconds=5 * 3600)
    event = cfn_event("Create", properties())
    merged = {**event, **lifecycle.on_event(event, fake.services)}
    while not (answer := lifecycle.is_complete(merged, fake.services))["IsComplete"]:
        fake.clock.now += 60
    assert answer["Data"]["Status"] == "IN_PROGRESS"
    state = dict(json.loads(fake.stepfunctions.executions[JOB]["input"]))

    fake.clock.now += 6 * 3600  # the job has COMPLETED; ReadStatus saw it
    state["seen"] = {"status": "COMPLETED", "checkedAt": "2026-09-21T20:00:00Z"}
    refuse_s3(fake, "put_object", "Key", f"receipts/{JOB}", "ServiceUnavailable")
    with pytest.raises(ClientError) as failed:  # every attempt of the finish step fails so
        tracker_step(fake, "finish", JOB, state)
    state["error"] = {"Error": type(failed.value).__name__, "Cause": str(failed.value)}

    given_up = tracker_step(fake, "give_up", JOB, state)

    statuses = [detail["status"] for detail in fake.events.details()]
    assert statuses[0] == "COMPLETED"  # published by the finish step before the receipt
    assert "it may still end" not in given_up["outcome"]["cause"], given_up["outcome"]["cause"]
    assert "STUCK" not in statuses, statuses
