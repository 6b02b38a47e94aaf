"""``pdd-validate``: check request files and their local lists without Node or a synth.

It applies the rules the construct and the handler apply (imported from the same modules),
reports every problem at once as ``file: entry: field: [rule] message`` lines, and prints a
summary per request: counts, bytes and SHA-256 of its list (never an id), its dataset groups
and the stack each job lands in. Exit status 0 when everything is deployable, 1 otherwise,
2 for a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .defaults import AppDefaultError, Given, app_defaults
from .documents import RequestSet
from .findings import Problem
from .pinning import PlacementFileError, placement_path, placement_text, read_pins, unpinned
from .placement import MAX_JOBS_PER_STACK, Job, plan, read_jobs
from .schema import schema_text
from .specs import Environment, LocalCsv, RequestSpec, S3Folder, S3Object

Out = Callable[[str], object]


def check(
    paths: Sequence[str | Path],
    *,
    default_environment: Environment | None = None,
    default_dataset_group_arn: str | None = None,
    write_placement: bool = False,
    jobs_per_stack: int = MAX_JOBS_PER_STACK,
    out: Out = print,
    err: Out = lambda line: print(line, file=sys.stderr),
) -> int:
    """Validate each manifest or folder; print problems and summaries; return the exit code.

    A placement file that exists must list every job (else the app would place the new ones
    itself, and a later insertion could move them); ``write_placement`` writes or updates it
    (only when nothing else is wrong)."""
    problems: list[Problem] = []
    requests = 0
    for path in paths:
        loaded, jobs, found = read_jobs(
            path,
            default_environment=default_environment,
            default_dataset_group_arn=default_dataset_group_arn,
        )
        problems += found
        requests += len(loaded.requests)
        pin_file = placement_path(path)
        try:
            pins = read_pins(pin_file)
            stacks = plan(jobs, jobs_per_stack, pins)
        except PlacementFileError as exc:
            problems.append(Problem(str(pin_file), None, "placement", "placement-file", str(exc)))
            continue
        _summaries(loaded, jobs, stacks, out)
        if write_placement and not found:
            keys = {env: [[job.key for job in shard] for shard in s] for env, s in stacks.items()}
            pin_file.write_text(placement_text(keys), encoding="utf-8")
            out(f"placement written: {pin_file}")
        elif pin_file.is_file():
            missing = unpinned(((job.environment, job.key) for job in jobs), pins)
            if missing:
                problems.append(
                    Problem(
                        str(pin_file),
                        None,
                        "placement",
                        "placement-file",
                        f"{len(missing)} job(s) are not in it ({', '.join(missing[:5])}"
                        f"{', ...' if len(missing) > 5 else ''}): run pdd-validate "
                        f"--write-placement {path} and commit the file",
                    )
                )
    for problem in problems:
        err(str(problem))
    if problems:
        err(f"{len(problems)} problem(s); nothing in these files would be deployed")
        return 1
    out(f"ok: {requests} request(s) in {len(paths)} path(s)")
    return 0


def _summaries(
    loaded: RequestSet, jobs: list[Job], planned: dict[Environment, list[list[Job]]], out: Out
) -> None:
    stacks = {
        id(job): f"{environment} stack {index}"
        for environment, shards in planned.items()
        for index, shard in enumerate(shards)
        for job in shard
    }
    for spec in loaded.requests:
        where = spec.file + (f": {spec.entry}" if spec.entry else "")
        out(f"{where}: {spec.name}: {_source(spec)}")
        for job in jobs:
            if job.request is spec:
                out(f"  -> {job.dataset_group_arn} ({stacks[id(job)]})")


def _source(spec: RequestSpec) -> str:
    source = spec.source
    if isinstance(source, LocalCsv) and source.stats is not None:
        stats = source.stats
        return (
            f"{stats.ids_staged} id(s) to delete ({stats.ids_received} read, "
            f"{stats.blank_lines} blank line(s), {stats.duplicate_ids} duplicate(s)), "
            f"{stats.bytes_read} bytes, SHA-256 {stats.sha256}"
        )
    if isinstance(source, S3Object):
        pinned = (
            f"version {source.version_id}"
            if source.version_id
            else f"revision {source.revision}"
            if source.revision
            else "no versionId or revision: replacing the object starts nothing until one is set"
        )
        return f"s3://{source.bucket}/{source.key} (read at deploy time; {pinned})"
    if isinstance(source, S3Folder):
        pinned = (
            f"revision {source.revision}"
            if source.revision
            else "no revision: changing the folder starts nothing until one is set"
        )
        return f"s3://{source.bucket}/{source.prefix}*.csv (read at deploy time; {pinned})"
    return "local list"


def main(argv: Sequence[str] | None = None) -> int:
    """The console script (``pdd-validate``) and ``python -m personalize_deletion_requests``."""
    parser = argparse.ArgumentParser(
        prog="pdd-validate",
        description=(
            "Check Personalize deletion request files (a manifest or a folder) and their "
            "local CSV lists with the construct's and handler's rules. Prints every problem "
            "and a summary per request; never prints a user id."
        ),
    )
    parser.add_argument("paths", nargs="*", type=Path, help="manifest files or request folders")
    parser.add_argument("--account", help="the app's default account (-c account=...)")
    parser.add_argument("--region", help="the app's default region (-c region=...)")
    parser.add_argument(
        "--dataset-group-arn", help="the app's default dataset group (-c datasetGroupArn=...)"
    )
    parser.add_argument(
        "--schema", action="store_true", help="print the request files' JSON Schema and exit"
    )
    parser.add_argument(
        "--write-placement",
        action="store_true",
        help="write or update each path's placement file (which stack each job is in; keep it "
        "in git so no job ever moves to another stack)",
    )
    parser.add_argument(
        "--jobs-per-stack",
        type=int,
        default=MAX_JOBS_PER_STACK,
        help=f"the app's jobs_per_stack (default {MAX_JOBS_PER_STACK}), for the stacks shown "
        "and written",
    )
    args = parser.parse_args(argv)
    if args.schema:
        sys.stdout.write(schema_text())
        return 0
    if not args.paths:
        parser.error("give at least one manifest file or request folder")
    if not 1 <= args.jobs_per_stack <= MAX_JOBS_PER_STACK:
        parser.error(f"--jobs-per-stack must be 1 to {MAX_JOBS_PER_STACK}")
    if (args.account is None) != (args.region is None):
        parser.error("--account and --region go together")
    try:
        default, default_arn = app_defaults(
            Given(args.account, "--account"),
            Given(args.region, "--region"),
            Given(args.dataset_group_arn, "--dataset-group-arn"),
        )
    except AppDefaultError as exc:
        parser.error(str(exc))
    return check(
        args.paths,
        default_environment=default,
        default_dataset_group_arn=default_arn,
        write_placement=args.write_placement,
        jobs_per_stack=args.jobs_per_stack,
    )
