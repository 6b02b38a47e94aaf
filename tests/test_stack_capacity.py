"""Splitting a request set over stacks: deterministic, appended requests never move, and a full
stack stays inside CloudFormation's template limits in the worst case the rules allow.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from personalize_data_deletion.stack import DeletionRequestsStage
from personalize_deletion_requests import (
    MAX_JOBS_PER_STACK,
    Environment,
    S3Object,
    plan,
    resolve_jobs,
)
from personalize_deletion_requests.model import RequestSpec
from personalize_deletion_runtime.request_rules import max_request_name_length

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/shop"
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_TEMPLATE_BYTES = 1_000_000


def _specs(count: int, start: int = 0) -> list[RequestSpec]:
    return [
        RequestSpec(
            name=f"r{index:04d}",
            source=S3Object("privacy-lists", f"r{index}.csv", revision="1"),
            file="requests.json",
            entry=f"requests[{index}]",
            dataset_groups=(GROUP,),
        )
        for index in range(start, start + count)
    ]


def _placement(specs: list[RequestSpec]) -> dict[str, tuple[Environment, int]]:
    jobs, problems = resolve_jobs(specs)
    assert problems == []
    return {
        job.key: (environment, index)
        for environment, shards in plan(jobs).items()
        for index, shard in enumerate(shards)
        for job in shard
    }


def test_jobs_fill_stacks_in_declaration_order_and_appending_moves_none() -> None:
    # GIVEN 65 requests in one environment
    before = _placement(_specs(65))
    env = Environment(ACCOUNT, REGION)
    # THEN they fill stacks of MAX_JOBS_PER_STACK in order: 30, 30, 5
    counts = [sum(1 for place in before.values() if place == (env, i)) for i in range(3)]
    assert counts == [MAX_JOBS_PER_STACK, MAX_JOBS_PER_STACK, 5]
    assert before["r0000/shop"] == (env, 0)
    assert before["r0064/shop"] == (env, 2)
    # AND the same requests always give the same placement
    assert _placement(_specs(65)) == before
    # WHEN 40 requests are appended
    after = _placement(_specs(65) + _specs(40, start=65))
    # THEN no existing job moved, and the new ones filled the last stack, then a fourth
    assert {key: after[key] for key in before} == before
    assert after["r0104/shop"] == (env, 3)


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
