"""What a receipt's ``preflight`` says when the event that records a job is not the one that
checked it: a follow-up job (queued by the tracker, checked by its submit step) and a job an
earlier event created (recorded by an Update, as a STUCK job's advice has it).

The README ("Models forget too"): "The receipt's `preflight` says what the first check found
and how long it held the job back". Same set-up as ``test_tracker.py``: the tracker definition
runs in the local interpreter on the simulated clock, Personalize is the double, S3 and Step
Functions are moto's server.
"""

from __future__ import annotations

import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
    T0,
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
INTERVAL = 600


def test_a_follow_up_jobs_receipt_says_what_its_own_pre_flight_found_and_held_back(
    world: World,
) -> None:
    """GIVEN a request that asks for a follow-up job, a long job handed off at +610 s, and a
    training that starts at +1010 s (during the job) and runs until +11010 s
    WHEN the tracker records the first job, queues the follow-up job, and the follow-up's
    pre-flight finds the training still running, holding it back until +11210 s
    THEN the follow-up's receipt says what its pre-flight found at its first check (the
    training, by ARN) and how long it held the follow-up back (from when it was queued, at the
    first job's end), as the README promises for every receipt's ``preflight``."""
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true")), world, step=100)
    world.advance(400)
    training = world.double.start_training(solution, 10_000)
    follow_up = follow_up_job_name(JOB)

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    first = world.receipt(JOB)
    assert first["followUp"] == follow_up
    queued_at = world.double.jobs[JOB].last_updated_date_time  # when the first job ended
    created = world.double.jobs[follow_up].creation_date_time
    assert created == T0 + 1010 + 17 * INTERVAL
    second = world.receipt(follow_up)
    preflight = second["preflight"]
    # it was queued when the first job ended (+5020 s) at the earliest: held back 6190 s at most
    assert round(created - queued_at) == 6190
    assert (
        [blocker["arn"] for blocker in preflight["blockersAtFirstCheck"]],
        preflight["heldBackSeconds"] <= 6190,
    ) == ([training], True), preflight


def test_a_stuck_job_recorded_by_the_advised_tag_update_keeps_its_pre_flight_facts(
    world: World,
) -> None:
    """GIVEN a request whose pre-flight found a training running at its first check, which held
    the job back about 300 s; the job (40 h) is handed off and the tracker reports it STUCK
    WHEN, as the STUCK cause advises, a tag of the request changes and the Update records the
    job's end
    THEN the receipt's ``preflight`` still says what the first check found and how long it held
    the job back (the tracker's input, which the Update reads for the job's list, holds both):
    not ``blockersAtFirstCheck: []`` and ``heldBackSeconds: 0``."""
    world.double.run_seconds = 40 * 3600
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    training = world.double.start_training(solution, 290)
    created = play(cfn_event("Create", properties()), world, step=20)
    assert created.data["TrackedBy"] == EXECUTION
    handed = world.tracker_input(JOB)["tracking"]
    assert [b["arn"] for b in handed["blockers"]] == [training]
    stuck = world.run_tracker(JOB)
    assert (stuck.status, stuck.error) == ("FAILED", "DeletionJobStuck")
    world.advance(5 * 3600)  # the job has ended by now

    update = cfn_event(
        "Update", properties(Tags={"ticket": "PRIV-2"}), physical_id=JOB, old=properties()
    )
    assert play(update, world).data["Status"] == "COMPLETED"

    receipt = world.receipt(JOB)
    held = round(world.double.jobs[JOB].creation_date_time - (T0 + 10))
    assert 290 <= held <= 400
    assert receipt["preflight"] == {
        "checked": True,
        "blockersAtFirstCheck": handed["blockers"],
        "blockersAfterFirstCheck": None,
        "heldBackSeconds": held,
    }


def test_a_job_recorded_by_an_update_that_cannot_read_its_hand_off_says_its_pre_flight_unknown(
    world: World, moto_endpoint: str
) -> None:
    """GIVEN a job held back by a training at its first check, handed off and reported STUCK
    AND the stack's tracker is a new one (the request was moved to a new stack), so the
    hand-off's input cannot be read
    WHEN a tag-only Update records the job's end
    THEN its receipt says the pre-flight's findings and the time it held the job back are
    unknown (null), not that nothing was found and nothing held it back: the Update's own check
    ran long after the job was created."""
    world.double.run_seconds = 40 * 3600
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    world.double.start_training(solution, 290)
    assert play(cfn_event("Create", properties()), world, step=20).data["TrackedBy"] == EXECUTION
    assert world.run_tracker(JOB).error == "DeletionJobStuck"
    world.advance(5 * 3600)
    name = "NewStackTracker"
    world.aws["stepfunctions"].create_state_machine(
        name=name, definition="{}", roleArn=support.TRACKER_ROLE
    )
    world.services.tracker = support.Tracker(
        support.aws_client("stepfunctions", moto_endpoint),
        f"{TRACKER_ARN.rsplit(':', 1)[0]}:{name}",
    )

    update = cfn_event(
        "Update", properties(Tags={"ticket": "PRIV-2"}), physical_id=JOB, old=properties()
    )
    assert play(update, world).data["Status"] == "COMPLETED"

    assert world.receipt(JOB)["preflight"] == {
        "checked": True,
        "blockersAtFirstCheck": None,
        "blockersAfterFirstCheck": None,
        "heldBackSeconds": None,
    }
