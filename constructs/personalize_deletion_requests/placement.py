"""From requests to jobs, and from jobs to stacks: one job per dataset group, one stack (or a
few) per account and region.

A job runs in its dataset group's account and region, so the environment of every job is known
before any stack exists: an ARN says it, a name is resolved in each environment the request (or
its file, or the app) lists. Jobs of one environment share a stack until it is full; a job the
placement file lists stays in its stack, the others fill the stacks in declaration order (see
``plan``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from personalize_deletion_runtime.request_rules import (
    DATASET_GROUP_ARN_PATTERN,
    arn_home,
    dataset_group_arn,
    home_differences,
)

from .documents import RequestSet, read_requests
from .findings import Problem
from .pinning import Pins, PlacementFileError
from .specs import Environment, RequestSpec, arn_environment, is_arn

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


def read_jobs(
    path: str | Path,
    *,
    default_environment: Environment | None = None,
    default_dataset_group_arn: str | None = None,
) -> tuple[RequestSet, list[Job], list[Problem]]:
    """A manifest or folder read and its jobs resolved (see :func:`resolve_jobs`): what was
    read, the jobs, and every problem (the file's, then what prevents resolving)."""
    loaded = read_requests(path)
    jobs, unresolved = resolve_jobs(
        loaded.requests,
        file_environments=loaded.environments,
        default_environment=default_environment,
        default_dataset_group_arn=default_dataset_group_arn,
    )
    return loaded, jobs, loaded.problems + unresolved


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


def _check_retrain(job: Job, problem: Callable[[str, str, str], None]) -> None:
    retrain = job.request.retrain
    if retrain is None or isinstance(retrain.solutions, str):
        return
    group = arn_home(job.dataset_group_arn)
    for index, arn in enumerate(retrain.solutions):
        found = arn_home(arn)
        wrong = home_differences(found, group)
        if wrong:
            problem(
                f"retrain.solutions[{index}]",
                "retrain-environment",
                f"solution {arn} is in {', '.join(f'{n} {found[n]}' for n in wrong)}, but "
                f"dataset group {job.dataset_group_arn} is in "
                f"{', '.join(f'{n} {group[n]}' for n in wrong)}: name that group's solutions, "
                "or solutions: ALL",
            )


def plan(
    jobs: Iterable[Job], capacity: int = MAX_JOBS_PER_STACK, pins: Pins | None = None
) -> dict[Environment, list[list[Job]]]:
    """Jobs per environment, in stacks of at most ``capacity``.

    Deterministic: the same requests (and placement file) give the same stacks. A job listed in
    ``pins`` (the placement file, see :mod:`.pinning`) stays in its stack whatever is inserted
    or removed; the others go, in declaration order, to the first stack with room (a new one
    after the last if none has). Without pins, stacks fill in declaration order: a request
    appended never moves an existing job, but one inserted earlier, or a dataset group added
    to a request in a full stack, shifts the jobs declared after it (CloudFormation then
    replaces them: the new resource adopts the job by its name, no second job starts).

    Raises :class:`PlacementFileError` when the pins put more than ``capacity`` jobs in a stack.
    """
    by_environment: dict[Environment, list[Job]] = {}
    for job in jobs:
        by_environment.setdefault(job.environment, []).append(job)
    stacks: dict[Environment, list[list[Job]]] = {}
    for environment, declared in by_environment.items():
        pinned = (pins or {}).get(environment, [])
        index = {key: i for i, keys in enumerate(pinned) for key in keys}
        shards: list[list[Job]] = [[] for _ in pinned] or [[]]
        new = []
        for job in declared:
            if job.key in index:
                shards[index[job.key]].append(job)
            else:
                new.append(job)
        for i, shard in enumerate(shards):
            if len(shard) > capacity:
                raise PlacementFileError(
                    f"the placement file puts {len(shard)} jobs of {environment} in stack {i}, "
                    f"which holds {capacity}: move some to another stack in the file"
                )
        for job in new:
            room = next((shard for shard in shards if len(shard) < capacity), None)
            if room is None:
                room = []
                shards.append(room)
            room.append(job)
        while len(shards) > 1 and not shards[-1]:
            shards.pop()
        stacks[environment] = shards
    return stacks
