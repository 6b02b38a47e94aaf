"""The poll path where the record of a submission meets the checks of a cancelled waiter.

A poll that cannot find out whether its job exists ("unknown") deletes nothing, even when its
event was cancelled (a Delete of its own resource since); and a poll that adopts its job
settles the request's cancellation keys as one that created it does. Fast tier: the decisions
over the in-memory fakes (``tests/fakes.py``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import begun, fake_world, outcome_at, poll_at, refuse_s3, start, tracker_step
from lifecycle_support import (
    GROUP,
    T0,
    USERS_CSV,
    cfn_event,
    expected_job_name,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.cancellation import marker_key
from personalize_deletion_runtime.failures import DeletionFailed

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
STAGED = f"staging/{JOB}/users.csv"
RECORD = f"staging/{JOB}/submitted.json"


@pytest.mark.parametrize("record_fault", ["record-unreadable", "record-never-written"])
def test_a_cancelled_waiter_unsure_whether_its_job_exists_does_not_purge_a_recorded_job(
    record_fault: str,
) -> None:
    """GIVEN a Create whose first poll created its job (one hour long) and recorded it
    (submitted.json), and CloudFormation then cancels the Create and deletes the resource: the
    Delete marks the job (its list is still staged, the job runs) under the resource's own ids
    WHEN the old waiter's next poll cannot read the record (S3 SlowDown; or the record was
    never written: its PutObject was refused, which is only logged) and its lookup by name is
    throttled, so whether the job exists is "unknown"
    THEN "unknown" deletes nothing (README: "nothing is deleted"): the running job's staged
    list and the record that names it stay, and the job is not left with nobody to follow it.
    Instead Poll.unknown -> not_accepted -> superseded.declare raises Superseded and
    superseded.stop (written for "no job") purges the list and the record of a job that
    exists, no tracker execution follows it, and no receipt will ever be written.
    AND the tracker follows the job by the ARN its name has, reading only."""
    world = fake_world(run_seconds=3600)
    event = start(world)
    if record_fault == "record-never-written":  # its PutObject refused (logged, as designed)
        put = refuse_s3(world, "put_object", "Key", RECORD, "SlowDown")
    assert poll_at(world, event, 0) == {"IsComplete": False}
    assert JOB in world.personalize.jobs
    if record_fault == "record-never-written":
        world.s3.put_object = put  # type: ignore[method-assign]
    else:
        assert sorted(world.s3.keys(prefix=f"staging/{JOB}/")) == [RECORD, STAGED]
    world.clock.now = T0 + 30
    lifecycle.on_event(cfn_event("Delete", properties(), physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")
    if record_fault == "record-unreadable":
        refuse_s3(world, "list_objects_v2", "Prefix", RECORD, "SlowDown")
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")

    try:
        result: Any = poll_at(world, event, 60)
    except DeletionFailed as exc:
        result = f"failed: {exc}"

    left = world.s3.keys(prefix=f"staging/{JOB}/")
    assert STAGED in left, (result, left)
    if record_fault == "record-unreadable":
        assert RECORD in left, (result, left)
    assert JOB in world.personalize.jobs
    assert result.startswith(
        "failed: request gdpr-2026-11: CloudFormation deleted or rolled back this resource after "
        f"this event began, and whether its data deletion job {JOB} exists could not be found "
        "out ("
    ), result
    assert "nothing is deleted and no job is started; the tracker (" in result
    assert not any("/declared-by/" in key for key in left)
    # AND the tracker follows the job by the ARN its name has: an execution that only reads
    # (the definition never submits a job whose state has an ARN)
    execution = world.stepfunctions.executions[JOB]
    assert execution["status"] == "RUNNING"
    handed = json.loads(execution["input"])
    assert (handed["job"]["arn"], handed["tracking"]["lastStatus"]) == (
        world.personalize.job_arn(JOB),
        "SUBMITTED",
    )


def test_a_poll_that_adopts_the_job_its_own_create_started_removes_the_declarer_keys() -> None:
    """GIVEN a Create whose first poll finds the dataset group in use (its key declares the
    request), and whose next poll's create reaches Personalize but its answer is lost, so the
    SDK's retry is answered ResourceAlreadyExistsException and the job is adopted
    WHEN the polls follow that job to its end
    THEN "whoever creates the job (the deployment's poll or the tracker's submit step) deletes
    all the keys" (README), as the tracker's submit step does on an adoption: nothing is left
    under staging/ once the job's end is recorded. Instead _poll settles only when
    ``not submission.adopted``, so the declarer key outlives the job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 30)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    assert [key for key in world.s3.keys() if "/declared-by/" in key] != []  # noqa: SIM118
    create = world.personalize.create_data_deletion_job

    def lost_answer_then_retried(**request: Any) -> dict[str, Any]:
        create(**request)  # the job is created; its answer never arrives
        return create(**request)  # the SDK's retry: ResourceAlreadyExistsException

    world.personalize.create_data_deletion_job = lost_answer_then_retried  # type: ignore[method-assign]
    assert poll_at(world, event, 60) == {"IsComplete": False}
    world.personalize.create_data_deletion_job = create  # type: ignore[method-assign]
    assert list(world.personalize.jobs) == [JOB]

    done = poll_at(world, event, 600)

    assert done["Data"]["Status"] == "COMPLETED"
    assert world.s3.keys(prefix="staging/") == []


def test_a_cancelled_kept_update_unsure_of_its_job_leaves_no_key_that_revives_the_request() -> None:
    """GIVEN a request QUEUED with the tracker by its Create (the dataset group busy all
    deployment long: execution <job> submits it later), and an Update of the same resource
    that keeps the job (a tag change: same job name, ``ticket.kept``), whose waiter polls on
    (the group still busy: its polls declare the request)
    WHEN CloudFormation cancels that Update and the resource is then deleted (the Delete marks
    the request: nothing else declares it), and the old waiter's next poll cannot tell whether
    the job exists (its submission record unreadable, the lookup throttled), so adc291d's
    ``_unknown_superseded`` handles the cancelled event
    THEN, as for a cancelled waiter that knows no job exists (``superseded.stop`` undeclares
    unconditionally), the resource's declarer key is gone and the tracker's submit step obeys
    the marker: no job is created for a request the stack no longer declares (README: the
    tracker "otherwise obeys the Delete's marker"; a deletion cannot be undone).
    Instead ``_unknown_superseded`` calls ``Poll.release``, which keeps the key of a ``kept``
    ticket (written again by the very poll that found the marker), so ``cancellation.check``
    sees a declarer, ignores the marker, and the submit step creates the job."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 1000)
    create = begun(world, cfn_event("Create", properties()))
    answer = None
    for at in range(0, 661, 60):
        answer = outcome_at(world, create, at)
        if answer["IsComplete"]:
            break
    assert answer["Data"]["Status"] == "QUEUED", answer
    assert JOB in world.stepfunctions.executions
    world.clock.now = T0 + 700
    new_tags = properties(Tags={"ticket": "PRIV-2"})
    update = begun(world, cfn_event("Update", new_tags, physical_id=JOB, old=properties()))
    assert update["PhysicalResourceId"] == JOB  # the job is kept
    assert outcome_at(world, update, 700) == {"IsComplete": False}
    world.clock.now = T0 + 760
    lifecycle.on_event(cfn_event("Delete", new_tags, physical_id=JOB), world.services)
    assert marker_key(JOB) in world.s3.keys(prefix=f"staging/{JOB}/")
    refuse_s3(world, "list_objects_v2", "Prefix", RECORD, "SlowDown")
    world.personalize.inject("ListDataDeletionJobs", "ThrottlingException", "Rate exceeded")

    result = outcome_at(world, update, 820)

    assert isinstance(result, str) and "nothing is deleted" in result, result
    declarers = [k for k in world.s3.keys(prefix=f"staging/{JOB}/") if "/declared-by/" in k]
    world.personalize.faults.clear()
    world.clock.now = T0 + 1100  # the group is free
    submitted = tracker_step(world, "submit", JOB)
    assert (declarers, JOB in world.personalize.jobs, submitted["job"]["arn"]) == ([], False, None)


MODELS_RECEIPT = f"receipts/{JOB}.models.json"
