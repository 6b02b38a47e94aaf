"""``python -m personalize_deletion_local rehearse``: options, their help, and exit statuses.

Every option says what it does and its default in ``--help``; a malformed value is refused
with the option, the rule and an example, before anything runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from personalize_deletion_runtime.staging import CLI_EMPTY_ASSET_BYTES

from .personalize_double.scenarios import REQUEST_SCENARIOS
from .rehearsal import RehearsalError, Seed, rehearse
from .rehearsal.report import EXIT_ERROR

SCENARIOS = {
    "handoff": "every second job runs 5 hours: the deployment hands it to the tracker",
    "success": "every job completes in about a minute",
    "slow": "every job takes about 3 hours",
    "queued": "every dataset group is in use for 2 hours: requests are queued",
    "failed": "every job ends FAILED (Access Denied)",
    "throttled": "the first two CreateDataDeletionJob calls are throttled",
    "retraining": "jobs complete in a minute; every dataset group has two solutions, one "
    "campaign pinned to a version and one following $LATEST (retrained when a request asks)",
}
DEFAULT_SCENARIO = "handoff"
EPILOG = """exit status:
  0  every stack would deploy and every deletion job would end COMPLETED
  1  a stack would fail (CREATE_FAILED, a failed Update or Delete, a response over 4096 bytes)
     or a deletion job would not end COMPLETED
  2  the rehearsal could not run (bad option, cdk synth failed, no cloud assembly)
  3  something could not be rehearsed (unsupported: see the verdict), nothing failed
"""


def parser() -> argparse.ArgumentParser:
    """The command line, with help for every option."""
    root = argparse.ArgumentParser(
        prog="python -m personalize_deletion_local",
        description="Local tools for the Personalize data deletion constructs.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "rehearse",
        help="run a whole deployment's deletion lifecycle without an AWS account",
        description=(
            "Synthesize a CDK app and play every deletion request of every stack (Stage and\n"
            "nested stacks included) through CloudFormation's create and rollback, the\n"
            "tracker, an unchanged update and a stack delete, against local stand-ins (moto\n"
            "and a Personalize double), on a simulated clock. One verdict covers every stack."
        ),
        epilog=EPILOG
        + "\nscenarios:\n"
        + "\n".join(f"  {name:<10} {text}" for name, text in SCENARIOS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--app-dir",
        type=Path,
        default=Path.cwd(),
        help="the CDK app (the folder with cdk.json); default: the current folder",
    )
    command.add_argument(
        "--cdk-out",
        type=Path,
        default=None,
        help="where cdk synth writes the cloud assembly (read it with --no-synth); "
        "default: <app-dir>/cdk.out",
    )
    command.add_argument(
        "--no-synth",
        action="store_true",
        help="do not run cdk synth: rehearse the cloud assembly already in --cdk-out",
    )
    command.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="context passed to cdk synth, as with cdk (repeatable)",
    )
    command.add_argument(
        "--stack",
        action="append",
        default=[],
        metavar="NAME",
        help="rehearse only this stack (repeatable; Stage stacks as Stage/Stack, * matches "
        "any text); default: every stack",
    )
    command.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default=DEFAULT_SCENARIO,
        help=f"how the local Personalize treats the jobs (see below); default: {DEFAULT_SCENARIO}",
    )
    command.add_argument(
        "--request-scenario",
        action="append",
        default=[],
        metavar="REQUEST=SCENARIO",
        help="a scenario for one request (by its request name), overriding --scenario for its "
        "jobs; handoff there means its job runs 5 hours (repeatable)",
    )
    command.add_argument(
        "--s3-seed",
        action="append",
        default=[],
        metavar="BUCKET/KEY=PATH",
        help="put a file (or a folder's files, under KEY/) into the local S3 before deploying, "
        "so that from_s3 / from_s3_prefix requests find their lists (repeatable)",
    )
    command.add_argument(
        "--s3-seed-manifest",
        type=Path,
        default=None,
        metavar="FILE",
        help='a JSON file of seeds, {"BUCKET/KEY": "PATH", ...}; paths relative to the file',
    )
    command.add_argument(
        "--show-receipts",
        action="store_true",
        help="print each receipt the handlers wrote (they hold counts and hashes, no user id)",
    )
    _add_repair_tombstones(commands)
    return root


def _add_repair_tombstones(commands: Any) -> None:
    """The ``repair-tombstones`` subcommand and its options."""
    repair = commands.add_parser(
        "repair-tombstones",
        help="remove list assets the CDK CLI uploaded again over tombstones (after upgrading, "
        "a cdk gc or a cdk deploy --force)",
        description=(
            "A local list's CDK asset is replaced by a tombstone once its job ended. cdk deploy\n"
            f"counts an object of at most {CLI_EMPTY_ASSET_BYTES} bytes as missing (the empty "
            "tombstones of earlier\nversions), cdk deploy --force uploads every asset, and cdk gc "
            "deletes tombstones: each\nputs the list back. For every .csv key under --prefix of "
            "the CDK assets bucket whose\nhistory holds a tombstone, delete each version holding "
            "a list and leave a tombstone\nthe CLI counts as published. Keys without a tombstone "
            "in their history are left alone.\nUses your AWS credentials: s3:GetBucketVersioning, "
            "s3:ListBucketVersions,\ns3:GetObjectVersion, s3:DeleteObjectVersion and s3:PutObject "
            "on the bucket. Run it once\nthe upgrade is deployed, and after a cdk gc or a cdk "
            "deploy --force."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    repair.add_argument(
        "--bucket",
        required=True,
        help="the CDK assets bucket, e.g. cdk-hnb659fds-assets-111122223333-eu-west-1",
    )
    repair.add_argument(
        "--prefix", default="", help="only keys under this prefix; default: the whole bucket"
    )
    repair.add_argument(
        "--dry-run", action="store_true", help="say what would be done, change nothing"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "repair-tombstones":
        return _repair_tombstones(args)
    try:
        return rehearse(
            args.app_dir,
            scenario=args.scenario,
            cdk_out=args.cdk_out,
            synth=not args.no_synth,
            context=tuple(_context(item) for item in args.context),
            stacks=tuple(args.stack),
            seeds=seeds_from(args.s3_seed, args.s3_seed_manifest),
            request_scenarios=dict(_request_scenario(item) for item in args.request_scenario),
            show_receipts=args.show_receipts,
            out=lambda line: print(line, flush=True),
        )
    except RehearsalError as exc:
        print(f"rehearsal error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _repair_tombstones(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from .tombstones import repair

    try:
        repaired = repair(
            boto3.client("s3"),
            args.bucket,
            args.prefix,
            dry_run=args.dry_run,
            out=lambda line: print(line, flush=True),
            faults=(BotoCoreError, ClientError),
        )
    except (BotoCoreError, ClientError) as exc:
        print(f"repair-tombstones: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return 0 if repaired else 1


def _context(item: str) -> str:
    key, separator, _ = item.partition("=")
    if not separator or not key:
        raise RehearsalError(f"-c {item!r}: write KEY=VALUE, e.g. -c requestFile=requests/q4.json")
    return item


def _request_scenario(item: str) -> tuple[str, str]:
    request, separator, scenario = item.partition("=")
    if not separator or not request or scenario not in REQUEST_SCENARIOS:
        raise RehearsalError(
            f"--request-scenario {item!r}: write REQUEST=SCENARIO with a scenario among "
            f"{', '.join(sorted(REQUEST_SCENARIOS))}, e.g. --request-scenario gdpr-2026-11=failed"
        )
    return request, scenario


def seeds_from(items: list[str], manifest: Path | None) -> tuple[Seed, ...]:
    """The ``--s3-seed`` items (relative to the current folder) and the manifest's entries
    (relative to the manifest), checked before anything runs."""
    seeds = [Seed.parse(item, Path.cwd()) for item in items]
    if manifest is not None:
        try:
            entries = json.loads(manifest.read_text())
        except (OSError, ValueError) as exc:
            raise RehearsalError(f"--s3-seed-manifest {manifest}: {exc}") from exc
        if not isinstance(entries, dict):
            raise RehearsalError(
                f'--s3-seed-manifest {manifest}: write a JSON object {{"BUCKET/KEY": "PATH"}}'
            )
        base = manifest.resolve().parent
        seeds += [Seed.parse(f"{target}={path}", base) for target, path in entries.items()]
    return tuple(seeds)
