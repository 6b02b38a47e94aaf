"""Splitting a request set over stacks: deterministic, and appended requests never move (the
plan alone, without synth; ``test_stack_capacity`` synthesizes a full stack)."""

from __future__ import annotations

import pytest
from personalize_deletion_requests import (
    MAX_JOBS_PER_STACK,
    Environment,
    S3Object,
    plan,
    resolve_jobs,
)
from personalize_deletion_requests.specs import RequestSpec

pytestmark = pytest.mark.fast
ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/shop"


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
