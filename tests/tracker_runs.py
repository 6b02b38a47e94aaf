"""Running the tracker definition on any execution input, under any name and state machine.

``World.run_tracker`` runs the input the deployment handed to the stack's tracker; these tests
also start executions the way a person or another stack would (a hand-started re-track, the
tracker of a new stack that adopted the job).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import lifecycle_support as support
from lifecycle_support import World
from personalize_deletion_local.asl.tracker_run import TrackerRun, substitute
from personalize_deletion_runtime import tracker_steps


def run_execution(
    world: World,
    name: str,
    execution_input: dict[str, Any],
    state_machine_arn: str = support.TRACKER_ARN,
    functions_step: Callable[[dict[str, Any]], Any] | None = None,
) -> Any:
    """Execute the tracker definition as execution ``name`` of ``state_machine_arn``; its
    Lambda steps are ``functions_step`` (default: the tracker's, on the world's services)."""
    definition = support.tracker_definition_module().tracker_definition(
        interval_seconds=support.TRACKING_INTERVAL,
        timeout_seconds=world.services.tracking_timeout_seconds,
    )
    return TrackerRun(
        definition=substitute(
            json.dumps(definition),
            {"TrackerFunctionArn": support.TRACKER_FUNCTION_ARN, "Partition": "aws"},
        ),
        state_machine_arn=state_machine_arn,
        functions={
            support.TRACKER_FUNCTION_ARN: functions_step
            or (lambda e: tracker_steps.run(e, world.services))
        },
        clients={"personalize": world.personalize},
        clock=world,
    ).execute(name, execution_input)


def started_input(world: World, state_machine_arn: str, name: str) -> dict[str, Any]:
    """The input Step Functions holds for execution ``name`` of ``state_machine_arn``."""
    arn = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
    description = world.aws["stepfunctions"].describe_execution(executionArn=arn)
    return dict(json.loads(description["input"]))
