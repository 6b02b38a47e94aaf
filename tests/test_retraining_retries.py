"""A retry of the tracker's retrain step that wrote its own models receipt: it announces that
receipt (its event failed), never takes it for another execution's. Fast tier: the retraining
code over the in-memory fakes (``tests/fakes.py``) and small stand-ins for the models adapter.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import FakeWorld, begun, fake_world, outcome_at, tracker_step
from lifecycle_support import (
    T0,
    USERS_CSV,
    cfn_event,
    expected_job_name,
    properties,
)

pytestmark = pytest.mark.fast

JOB = expected_job_name(USERS_CSV)
MODELS_RECEIPT = f"receipts/{JOB}.models.json"


def _handed_off_with_retraining(world: FakeWorld) -> dict[str, Any]:
    """A request with ``Retrain`` ALL whose job completed within the deployment: handed to the
    tracker, whose finish step plans the retraining (nothing listed yet: ``solutions`` None)."""
    create = begun(world, cfn_event("Create", properties(Retrain="ALL", Preflight="false")))
    answer: Any = None
    for at in range(0, 601, 60):
        answer = outcome_at(world, create, at)
        if isinstance(answer, dict) and answer["IsComplete"]:
            break
    assert answer["Data"]["Status"] == "COMPLETED", answer
    finished = tracker_step(world, "finish", JOB)
    assert finished["retraining"]["requested"] is True
    assert finished["retraining"]["solutions"] is None
    return finished


def test_a_retry_of_the_round_that_wrote_its_receipt_before_any_plan_still_announces_it() -> None:
    """GIVEN a retraining whose group's solutions could not be listed until its limit: the
    round that finds the limit passed ends it RETRAINING_STUCK and writes its models receipt
    (trackedBy: this execution), but EventBridge refuses the "models" event, so the step fails
    and Step Functions retries it with the same input (``solutions`` still None)
    WHEN the retry runs
    THEN, as recorded_elsewhere's docstring and the README promise ("published from it, again
    on a retry of the execution that wrote it"; "A receipt ``execution`` wrote itself is not
    'elsewhere'"), the retry publishes the receipt's event (a stuck retraining must reach
    whoever watches the events). Instead ``_retrain`` passes ``execution=None`` whenever the
    input carries no plan, so this execution's own receipt counts as "recorded elsewhere":
    the retry ends the retraining silently, and the receipt is never announced."""
    world = fake_world()
    finished = _handed_off_with_retraining(world)
    world.clock.now = T0 + 10 * 86_400  # past the retraining's limit
    world.personalize.inject("ListSolutions", "ThrottlingException", "Rate exceeded", times=5)
    put_events = world.events.put_events

    def refused(**request: Any) -> dict[str, Any]:
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}

    world.events.put_events = refused  # type: ignore[method-assign]
    with pytest.raises(Exception, match="EventBridge refused"):
        tracker_step(world, "retrain", JOB, state=finished)
    receipt = json.loads(world.s3.read(MODELS_RECEIPT))
    assert receipt["outcome"] == "RETRAINING_STUCK"
    assert receipt["trackedBy"] == world.stepfunctions.arn(JOB)
    world.events.put_events = put_events  # type: ignore[method-assign]
    before = len(world.events.entries)

    retried = tracker_step(world, "retrain", JOB, state=finished)

    announced = [json.loads(e["Detail"]).get("status") for e in world.events.entries[before:]]
    assert (announced, retried["retraining"].get("outcome")) == (
        ["RETRAINING_STUCK"],
        "RETRAINING_STUCK",
    )
