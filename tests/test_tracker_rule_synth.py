"""The synthesized job-state rule against moto's EventBridge, and the tests' tracking interval.

Synth tier: the stack is synthesized (Node) before its rule is registered in moto's server.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
    STACK_ID,
    World,
    cfn_event,
    expected_job_name,
    job_event_rule,
    play,
    properties,
)
from personalize_data_deletion import PersonalizeDataDeletion, UserList
from personalize_data_deletion.tracker import DEFAULT_TRACKING_INTERVAL
from synth import synth_template

pytestmark = pytest.mark.synth

# fixtures: ``world`` (S3 on moto, the double, zero botocore backoff) and ``moto_endpoint``
moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world
JOB = expected_job_name(support.USERS_CSV)


def test_the_tests_tracking_interval_is_the_constructs_default() -> None:
    # GIVEN lifecycle_support's TRACKING_INTERVAL, written out so that it imports no aws_cdk
    # THEN it is the construct's default interval
    assert support.TRACKING_INTERVAL == DEFAULT_TRACKING_INTERVAL.to_seconds() == 600


def test_the_synthesized_rule_matches_this_stacks_events_only(world: World, tmp_path: Path) -> None:
    # GIVEN the rule on_job_state_change synthesizes, registered in moto's EventBridge with the
    # stack id the tests' events carry
    def build(stack: cdk.Stack) -> None:
        deletion = PersonalizeDataDeletion(stack, "UserDeletion")
        deletion.on_job_state_change("Ends", statuses=["COMPLETED", "FAILED"])
        deletion.delete_users(
            "r", dataset_group_arn=GROUP, users=UserList.from_ids(["user-zeta-x1"])
        )

    template = synth_template(build, tmp_path)
    [pattern] = [
        resource["Properties"]["EventPattern"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Events::Rule"
    ]
    pattern["detail"]["stackId"] = [STACK_ID]
    queue = job_event_rule(world, "synthesized", pattern)

    # WHEN a job of this stack ends, and an event of another stack's job is published
    play(cfn_event("Create", properties()), world)
    world.services.notifier.publish({"stackId": "another-stack", "jobName": JOB})

    # THEN the synthesized rule delivered exactly this stack's event
    assert [event["detail"]["jobName"] for event in queue()] == [JOB]
