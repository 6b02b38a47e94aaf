"""The hand-over of a cancelled waiter unsure whether its job exists.

A poll whose event CloudFormation cancelled and which cannot find out whether its job exists
deletes nothing, removes its declarer key and hands the tracker only the ARN a job of that name
has: an execution that reads, never creates (a queued hand-over would let the tracker submit a
job the stack no longer declares, should a key survive, and give a running job up as not
started, should its lookup keep failing). Fast tier: the decisions over the in-memory fakes
(``tests/fakes.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import begun, fake_world, outcome_at, refuse_s3, tracker_step
from lifecycle_support import GROUP, T0, USERS_CSV, cfn_event, expected_job_name, properties
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.cancellation import marker_key

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
STAGED = f"staging/{JOB}/users.csv"
RECORD = f"staging/{JOB}/submitted.json"
DECLARERS = f"staging/{JOB}/declared-by/"


def test_a_handed_over_job_whose_lookup_keeps_failing_is_not_given_up_as_notbegun() -> None:
    """GIVEN a Create whose first poll created its job (it runs for two days) and recorded it,
    then CloudFormation cancels the Create and deletes the resource (the Delete marks the job),
    and the old waiter's next poll can neither read the record nor look the job up, so
    ``_unknown_superseded`` hands the request to the tracker as QUEUED (no ARN)
    WHEN the tracker's lookup by name keeps failing (throttled) until the tracking limit, and
    the execution gives up
    THEN it must not claim what it never learned: the job exists and runs, so the outcome is
    not NOT_STARTED / "no job was started", and the staged list the running job reads stays
    (README: "unknown", never "no job"; the hand-over "adopts and records a job that exists").
    Instead ``_submit`` treats the failed lookup as a blocker, and ``give_up`` with no ARN
    publishes NOT_STARTED, "no job was started", and purges the running job's staged list."""
    world = fake_world(run_seconds=48 * 3600)
    create = begun(world, cfn_event("Create", properties()))
    assert outcome_at(world, create, 0) == {"IsComplete": False}
    assert JOB in world.personalize.jobs
    world.clock.now = T0 + 30
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")
    refuse_s3(world, "list_objects_v2", "Prefix", RECORD, "SlowDown")
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded", 10_000)
    result = outcome_at(world, create, 60)
    assert isinstance(result, str) and "nothing is deleted and no job is started" in result
    execution = world.stepfunctions.executions[JOB]
    assert execution["status"] == "RUNNING"
    state = json.loads(execution["input"])
    # (an execution with the job's ARN only reads its status: it never submits, so no lookup
    # can fail it; should the job never end within the limit, it gives up as STUCK)
    assert state["job"]["arn"] == world.personalize.job_arn(JOB)
    world.clock.now = T0 + 60 + 40 * 3600
    state["tracking"]["giveUp"] = True
    given_up = tracker_step(world, "give_up", JOB, state)

    outcome = given_up["outcome"]
    left = world.s3.keys(prefix=f"staging/{JOB}/")
    assert JOB in world.personalize.jobs  # it exists and runs (two days long)
    assert (
        outcome["status"] == "NOT_STARTED",
        "no job was started" in outcome["cause"],
        STAGED in left,
    ) == (False, False, True), (outcome, left)


def test_a_cancelled_waiter_whose_key_survives_a_delete_fault_gets_no_job_created() -> None:
    """GIVEN a Create whose first poll finds the dataset group in use (its key declares the
    request), then CloudFormation cancels the Create and deletes the resource (the Delete
    removes the key and marks the request: no job exists)
    WHEN the old waiter's next poll cannot look the job up (throttled), so it is "unknown" and
    ``_unknown_superseded`` writes its key again (``superseded.declare``), removes it
    (``cancellation.undeclare``) and hands the request to the tracker as QUEUED; but that one
    S3 DeleteObject fails (SlowDown), which ``undeclare`` only logs
    THEN the tracker's submit step, once the group is free, creates no job: the stack no longer
    declares the request (the failure message promises the tracker "otherwise starts none and
    deletes the list"; a deletion cannot be undone).
    Instead the surviving key of the deleted resource makes ``cancellation.check`` ignore the
    marker, and the tracker starts a deletion job nobody declares."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 1000)
    create = begun(world, cfn_event("Create", properties()))
    assert outcome_at(world, create, 0) == {"IsComplete": False}
    world.clock.now = T0 + 30
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")
    delete = refuse_s3(world, "delete_object", "Key", DECLARERS, "SlowDown")

    result = outcome_at(world, create, 60)

    assert isinstance(result, str) and "nothing is deleted and no job is started" in result
    world.s3.delete_object = delete  # type: ignore[method-assign]
    # the surviving key cannot matter: the tracker only reads the job's composed ARN (the
    # definition never submits a state with an ARN), so it never creates one
    handed = json.loads(world.stepfunctions.executions[JOB]["input"])
    assert (handed["job"]["arn"], handed["tracking"]["lastStatus"]) == (
        world.personalize.job_arn(JOB),
        "SUBMITTED",
    )
    assert JOB not in world.personalize.jobs


def test_the_readme_on_cancelled_waiters_says_what_an_unsure_one_does() -> None:
    """GIVEN the README's paragraph on a waiter that outlives its event ("A waiter that
    outlives its event."), which says such a poll "creates no job, starts no execution ...
    deletes the staged list ... unless another resource declares the job"
    WHEN a cancelled waiter cannot find out whether its job exists (its lookup throttled)
    THEN the code keeps the staged list and starts a tracker execution (adc291d), so the
    paragraph must say so rather than state the opposite unconditionally.
    Instead it still reads "starts no execution" with no exception for the unsure waiter."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 1000)
    create = begun(world, cfn_event("Create", properties()))
    assert outcome_at(world, create, 0) == {"IsComplete": False}
    world.clock.now = T0 + 30
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")
    outcome_at(world, create, 60)
    assert JOB in world.stepfunctions.executions and STAGED in world.s3.keys(prefix="staging/")

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    paragraph = readme.split("A waiter that outlives its event.", 1)[1].split("\n\n", 1)[0]
    claim = " ".join(paragraph.split())
    assert (
        "A poll that cannot find out whether its job exists (an earlier poll may have created "
        "it, and the record and the lookup both failed) deletes nothing and hands the tracker "
        "only the ARN a job of that name has: that execution reads, never creates"
    ) in claim, claim[:900]
