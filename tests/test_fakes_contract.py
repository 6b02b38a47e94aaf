"""The fakes cannot drift: each scenario runs over the fakes and over the wire, same results.

Over the wire: the Personalize double and moto's S3, EventBridge and Step Functions servers,
through boto3's real serializer (``lifecycle_support.world``). Over the fakes:
``fakes.fake_world``. Both run the runtime's own adapters and ``lifecycle_support.play``; every
observation (the framework's answer, the calls on Personalize and S3, the staged keys, the
receipt, the events, the metrics, the tracker's executions and their input) must be equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import fakes
import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
    T0,
    USERS_CSV,
    World,
    cfn_event,
    expected_job_name,
    play,
    properties,
)

pytestmark = pytest.mark.wire

# fixtures: ``world`` (S3 on moto, the double, zero botocore backoff) and ``moto_endpoint``
moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world
JOB = expected_job_name(USERS_CSV)
FAILURE = "Access Denied: the role cannot read the data location"


def observe(target: World | fakes.FakeWorld, outcomes: list[support.Outcome]) -> dict[str, Any]:
    """What a scenario left behind, read the same way from either world."""
    if isinstance(target, fakes.FakeWorld):
        operations = [call.operation for call in target.personalize.calls]
        s3_calls, keys = target.s3.calls, target.s3.keys()
        events, executions = target.events.details(), target.stepfunctions.listed()
        inputs = {
            name: json.loads(execution["input"])
            for name, execution in target.stepfunctions.executions.items()
        }
    else:
        operations = [call.operation for call in target.double.calls]
        s3_calls, keys = target.s3_calls, target.keys()
        events, executions = target.events(), target.executions()
        inputs = {name: target.tracker_input(name) for name, _ in executions}
    receipts = {key: target.receipt(key[9:-5]) for key in keys if key.startswith("receipts/")}
    return {
        "outcomes": [
            (outcome.physical_id, outcome.data, outcome.reason, outcome.polls)
            for outcome in outcomes
        ],
        "job calls": target.job_calls(),
        "operations": operations,
        "s3 calls": s3_calls,
        "keys": keys,
        "receipts": receipts,
        "events": events,
        "metrics": target.metrics(),
        "executions": executions,
        "tracker input": inputs,
    }


def completed(target: Any) -> list[support.Outcome]:
    return [play(cfn_event("Create", properties()), target)]


def adopted_on_a_second_create(target: Any) -> list[support.Outcome]:
    first = play(cfn_event("Create", properties()), target)
    target.advance(3600)
    return [first, play(cfn_event("Create", properties()), target)]


def failed(target: Any) -> list[support.Outcome]:
    jobs = target.personalize if isinstance(target, fakes.FakeWorld) else target.double
    jobs.fail_next_jobs(FAILURE)
    return [play(cfn_event("Create", properties()), target)]


def queued_by_a_busy_dataset_group(target: Any) -> list[support.Outcome]:
    jobs = target.personalize if isinstance(target, fakes.FakeWorld) else target.double
    jobs.set_dataset_group_busy(GROUP, until=T0 + 7200)
    return [play(cfn_event("Create", properties()), target, step=100)]


def handed_off_while_running(target: Any) -> list[support.Outcome]:
    jobs = target.personalize if isinstance(target, fakes.FakeWorld) else target.double
    jobs.run_seconds = 5000
    return [play(cfn_event("Create", properties(Completion="HAND_OFF")), target, step=100)]


SCENARIOS: list[Callable[[Any], list[support.Outcome]]] = [
    completed,
    adopted_on_a_second_create,
    failed,
    queued_by_a_busy_dataset_group,
    handed_off_while_running,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__)
def test_the_fakes_answer_as_the_wire_does(
    world: World, scenario: Callable[[Any], list[support.Outcome]]
) -> None:
    # GIVEN the same scenario over the wire (double, moto) and over the in-memory fakes
    # WHEN it plays through the Provider framework on both
    over_the_wire = observe(world, scenario(world))
    fake = fakes.fake_world()
    in_memory = observe(fake, scenario(fake))
    # THEN everything observable is identical
    assert in_memory == over_the_wire
    # AND the scenario did something (a job's calls, a receipt or a hand-off)
    assert over_the_wire["job calls"]


def test_a_fake_that_drifts_is_caught(world: World) -> None:
    # GIVEN a fake Personalize whose completed jobs report 4 deletions where the double says 3
    fake = fakes.fake_world(num_deleted=4)
    # WHEN the same scenario plays on both
    over_the_wire = observe(world, completed(world))
    in_memory = observe(fake, completed(fake))
    # THEN the comparison above would fail, on exactly what the count reaches
    differing = sorted(key for key in over_the_wire if in_memory[key] != over_the_wire[key])
    assert differing == ["events", "outcomes", "receipts"]
