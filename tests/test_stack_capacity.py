"""A full stack stays inside CloudFormation's template limits in the worst case the rules allow
(synthesized; the plan that fills stacks is in ``test_stack_capacity_plan``)."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from personalize_data_deletion.stack import DeletionRequestsStage
from personalize_deletion_requests import (
    MAX_JOBS_PER_STACK,
)
from personalize_deletion_runtime.request_rules import max_request_name_length

pytestmark = pytest.mark.synth

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/shop"
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_TEMPLATE_BYTES = 1_000_000


def test_a_full_stack_stays_inside_cloudformations_limits(tmp_path: Path) -> None:
    # GIVEN a full stack in the worst case: the longest request names, 50 tags of the longest
    # keys and values per request, a list of its own per request (own object, exact grants)
    length = max_request_name_length()
    requests = []
    for index in range(MAX_JOBS_PER_STACK):
        (tmp_path / f"{index}.csv").write_text(f"USER_ID\ncap-user-{index}\n")
        tags = {f"{tag:03d}".ljust(128, "k"): "v" * 256 for tag in range(50)}
        requests.append(
            {
                "name": f"{index:03d}".ljust(length, "n"),
                "users": f"{index}.csv",
                "datasetGroups": [GROUP],
                "tags": tags,
                "completion": "WAIT",
                "waitSeconds": 3240,
            }
        )
    (tmp_path / "requests.json").write_text(json.dumps({"requests": requests}))
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stage = DeletionRequestsStage(app, "Deletions", request_file=tmp_path / "requests.json")
    assembly = app.synth().get_nested_assembly("assembly-Deletions")
    # THEN it is one stack, within every limit, with a margin shown in the failure message
    [stack] = assembly.stacks
    assert len(stage.stacks) == 1
    size = Path(stack.template_full_path).stat().st_size
    resources = len(stack.template["Resources"])
    outputs = len(stack.template["Outputs"])
    assert (resources < MAX_RESOURCES, outputs <= MAX_OUTPUTS, size < MAX_TEMPLATE_BYTES) == (
        True,
        True,
        True,
    ), (resources, outputs, size)
