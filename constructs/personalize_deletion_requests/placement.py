"""From requests to jobs, and from jobs to stacks: one job per dataset group, one stack (or a
few) per account and region.

A job runs in its dataset group's account and region, so the environment of every job is known
before any stack exists: an ARN says it, a name is resolved in each environment the request (or
its file, or the app) lists. Jobs of one environment share a stack until it is full; the stacks
are filled in declaration order, so a request added after the others never moves an existing
one (see ``plan`` for what does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from personalize_deletion_runtime.request_rules import (
    DATASET_GROUP_ARN_PATTERN,
    dataset_group_arn,
)

from .fields import Problem
from .model import Environment, RequestSpec, arn_environment, is_arn

MAX_JOBS_PER_STACK = 30
"""Jobs one stack of the request-file app carries: each adds one resource and six outputs, and
a template holds at most 200 outputs (and 500 resources, 1 MB); the test suite synthesizes a
full stack and checks all three limits with the longest names and 50 tags per job."""


@dataclass(frozen=True)
class Job:
    """One data deletion job: a request in one dataset group."""

    request: RequestSpec
    dataset_group_arn: str
    environment: Environment
    fan_out: bool
    """Declared with ``datasetGroups`` (a resource per group under the request) rather than the
    single ``datasetGroupArn`` (the request's own resource, as before fan-out existed)."""

    @property
    def group_name(self) -> str:
        match = DATASET_GROUP_ARN_PATTERN.fullmatch(self.dataset_group_arn)
        return match["name"] if match else self.dataset_group_arn

    @property
    def key(self) -> str:
        """Stable identity in the app: the construct path below the deletion construct."""
        return f"{self.request.name}/{self.group_name}" if self.fan_out else self.request.name


def resolve_jobs(
    requests: Iterable[RequestSpec],
    *,
    file_environments: tuple[Environment, ...] = (),
    default_environment: Environment | None = None,
    default_dataset_group_arn: str | None = None,
) -> tuple[list[Job], list[Problem]]:
    """Every request's jobs, in declaration order, and what prevents resolving some."""
    jobs: list[Job] = []
    problems: list[Problem] = []
    for spec in requests:

        def problem(field: str, rule: str, message: str, spec: RequestSpec = spec) -> None:
            problems.append(Problem(spec.file, spec.entry or None, field, rule, message))

        if spec.dataset_groups is None:
            arn = spec.dataset_group_arn or default_dataset_group_arn
            if arn is None:
                problem(
                    "datasetGroups",
                    "required",
                    "the request names no dataset group: list datasetGroups, or give the app "
                    "a default (-c datasetGroupArn=arn:...:dataset-group/NAME)",
                )
                continue
            found = [Job(spec, arn, arn_environment(arn), fan_out=False)]
        else:
            found = []
            environments = (
                spec.environments
                or file_environments
                or ((default_environment,) if default_environment else ())
            )
            for index, group in enumerate(spec.dataset_groups):
                if is_arn(group):
                    found.append(Job(spec, group, arn_environment(group), fan_out=True))
                    continue
                if not environments:
                    problem(
                        f"datasetGroups[{index}]",
                        "environment",
                        f"dataset group name {group!r} needs an environment: list "
                        "environments in the request or the file, or give the app an account "
                        "and region (-c account=... -c region=...)",
                    )
                for env in environments:
                    arn = dataset_group_arn(group, env.account, env.region)
                    found.append(Job(spec, arn, env, fan_out=True))
        seen: set[str] = set()
        for job in found:
            if job.dataset_group_arn in seen:
                problem(
                    "datasetGroups",
                    "duplicate",
                    f"names dataset group {job.dataset_group_arn} twice (once by ARN, once "
                    "by name)",
                )
            seen.add(job.dataset_group_arn)
            _check_retrain(job, problem)
        jobs.extend(found)
    if problems:
        return [], problems
    return jobs, []


def _check_retrain(job: Job, problem) -> None:
    retrain = job.request.retrain
    if retrain is None or isinstance(retrain.solutions, str):
        return
    for index, arn in enumerate(retrain.solutions):
        parts = arn.split(":")
        if parts[3:5] != [job.environment.region, job.environment.account]:
            problem(
                f"retrain.solutions[{index}]",
                "retrain-environment",
                f"solution {arn} is not in the account and region of dataset group "
                f"{job.dataset_group_arn}",
            )


def plan(
    jobs: Iterable[Job], capacity: int = MAX_JOBS_PER_STACK
) -> dict[Environment, list[list[Job]]]:
    """Jobs per environment, in stacks of at most ``capacity``, filled in declaration order.

    Deterministic: the same requests give the same stacks. A request appended to the file (or a
    folder file sorting after the others) never moves an existing job; inserting one earlier,
    adding a dataset group to a request in a full stack, or removing one from a full stack
    shifts the jobs declared after it (CloudFormation then replaces them: the new resource
    adopts the job by its name, no second job starts).
    """
    stacks: dict[Environment, list[list[Job]]] = {}
    for job in jobs:
        shards = stacks.setdefault(job.environment, [[]])
        if len(shards[-1]) >= capacity:
            shards.append([])
        shards[-1].append(job)
    return stacks
