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

from .documents import RequestSet, read_requests
from .fields import Problem
from .model import Environment, LocalCsv, RequestSpec, S3Folder, S3Object
from .placement import Job, plan, resolve_jobs
from .schema import schema_text

Out = Callable[[str], object]


def check(
    paths: Sequence[str | Path],
    *,
    default_environment: Environment | None = None,
    default_dataset_group_arn: str | None = None,
    out: Out = print,
    err: Out = lambda line: print(line, file=sys.stderr),
) -> int:
    """Validate each manifest or folder; print problems and summaries; return the exit code."""
    problems: list[Problem] = []
    requests = 0
    for path in paths:
        loaded = read_requests(path)
        jobs, unresolved = resolve_jobs(
            loaded.requests,
            file_environments=loaded.environments,
            default_environment=default_environment,
            default_dataset_group_arn=default_dataset_group_arn,
        )
        problems += loaded.problems + unresolved
        requests += len(loaded.requests)
        _summaries(loaded, jobs, out)
    for problem in problems:
        err(str(problem))
    if problems:
        err(f"{len(problems)} problem(s); nothing in these files would be deployed")
        return 1
    out(f"ok: {requests} request(s) in {len(paths)} path(s)")
    return 0


def _summaries(loaded: RequestSet, jobs: list[Job], out: Out) -> None:
    stacks = {
        id(job): f"{environment} stack {index}"
        for environment, shards in plan(jobs).items()
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
    args = parser.parse_args(argv)
    if args.schema:
        sys.stdout.write(schema_text())
        return 0
    if not args.paths:
        parser.error("give at least one manifest file or request folder")
    if (args.account is None) != (args.region is None):
        parser.error("--account and --region go together")
    default = Environment(args.account, args.region) if args.account else None
    return check(
        args.paths, default_environment=default, default_dataset_group_arn=args.dataset_group_arn
    )
