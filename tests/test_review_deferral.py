"""Review of the deferred job creation (fix-framework: ``on_event`` stages, the first
``is_complete`` poll submits): what the new window broke or left open.

Each test fails on the code it was written against. Fast tier: the lifecycle's decisions over
the in-memory fakes, called as the Provider framework calls them (the waiter's input is the
request merged with onEvent's answer, the same on every poll: the ticket never learns the ARN
of a job a poll created).
"""

from __future__ import annotations

from typing import Any

import pytest
from fakes import FakeWorld, complete, fake_world
from lifecycle_support import (
    DEADLINE_SECONDS,
    GROUP,
    OTHER_CSV,
    SOURCE_BUCKET,
    T0,
    USERS_CSV,
    cfn_event,
    expected_job_name,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.failures import DeletionFailed

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
NEW_JOB = expected_job_name(OTHER_CSV)
NEW_KEY = "assets/9a8b7c.csv"
STAGED = f"staging/{JOB}/users.csv"
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:deletion-tracker:{JOB}"


def start(world: FakeWorld, **props: str) -> dict[str, Any]:
    """onEvent for a Create; the event every isComplete poll then gets (request + answer)."""
    event = cfn_event("Create", properties(**props))
    return {**event, **lifecycle.on_event(event, world.services)}


def poll_at(world: FakeWorld, event: dict[str, Any], seconds_after_t0: float) -> dict[str, Any]:
    world.clock.now = T0 + seconds_after_t0
    return lifecycle.is_complete(event, world.services)


def creates(world: FakeWorld) -> list[str | None]:
    """The error code of each CreateDataDeletionJob call (``None``: a job was created)."""
    return [c.error_code for c in world.personalize.calls if c.operation == "CreateDataDeletionJob"]


# ------------------------------------------------------------------ a waiter outliving its event


@pytest.mark.parametrize(
    "deleted_id",
    [JOB, "privacy-GdprDeletionJob1A2B3C4D-1QX7Z9K2M4B8"],
    ids=["delete-names-the-job", "cloudformation-generated-id"],
)
def test_a_cancelled_create_whose_waiter_polls_on_starts_no_job_after_the_delete(
    deleted_id: str,
) -> None:
    """GIVEN a Create whose first polls find the dataset group in use (nothing created yet)
    WHEN another resource of the stack fails: CloudFormation cancels this resource's creation
    ("Resource creation cancelled") and, rolling back, sends its Delete (with the job's name,
    or with the physical id CloudFormation generates for a Create it never got an answer to),
    while the framework's waiter, which CloudFormation does not stop, keeps polling
    THEN once the group is free, no poll of that waiter creates the job: the stack no longer
    declares the request (a deletion cannot be undone)."""
    world = fake_world()
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 120)
    event = start(world)
    assert poll_at(world, event, 0) == {"IsComplete": False}
    assert poll_at(world, event, 60) == {"IsComplete": False}
    delete = cfn_event("Delete", properties(), physical_id=deleted_id)
    world.clock.now = T0 + 70
    assert lifecycle.on_event(delete, world.services) == {"PhysicalResourceId": deleted_id}

    for at in (120, 180, 240):
        try:
            poll_at(world, event, at)
        except DeletionFailed:
            break

    assert JOB not in world.personalize.jobs
    assert world.stepfunctions.listed() == []


def test_an_update_cancelled_and_rolled_back_leaves_no_waiter_that_starts_the_new_job() -> None:
    """GIVEN a resource whose job completed, and an Update to a new list whose first polls find
    the dataset group in use (the new job not created yet)
    WHEN CloudFormation cancels the Update (another resource failed) and rolls this resource
    back to its old list (an Update to the old physical id, which succeeds: it keeps the
    completed job); CloudFormation never learned the new job's name, so no Delete names it;
    the forward Update's waiter keeps polling
    THEN once the group is free, no poll of the forward waiter creates the new job: the stack
    declares only the old one."""
    world = fake_world()
    complete(world, cfn_event("Create", properties()), T0)
    world.s3.put_source(NEW_KEY, OTHER_CSV)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": NEW_KEY})
    world.personalize.set_dataset_group_busy(GROUP, until=T0 + 3600 + 300)
    world.clock.now = T0 + 3600
    forward = cfn_event("Update", new, physical_id=JOB, old=properties())
    forward = {**forward, **lifecycle.on_event(forward, world.services)}
    assert forward["PhysicalResourceId"] == NEW_JOB
    assert poll_at(world, forward, 3600) == {"IsComplete": False}

    rollback = cfn_event("Update", properties(), physical_id=JOB, old=new)
    assert complete(world, rollback, T0 + 3660)["PhysicalResourceId"] == JOB

    for at in range(3600 + 300, 3600 + DEADLINE_SECONDS + 1, 60):
        try:
            if poll_at(world, forward, at)["IsComplete"]:
                break
        except DeletionFailed:
            break

    assert NEW_JOB not in world.personalize.jobs
    assert NEW_JOB not in world.stepfunctions.executions
