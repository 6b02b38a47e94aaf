"""Handler cold start, split: importing the handler module, then the first call's clients.

Each sample is a fresh interpreter, as a Lambda cold start is. The runtime package is copied
without ``__pycache__`` and imported with bytecode writing off, because the Lambda asset ships
no bytecode (``/var/task`` is read-only): every cold start compiles it from source. boto3 comes
compiled, as in Lambda's runtime. ``import boto3`` alone is measured beside it, so what is ours
and what is the SDK's can be told apart.

Usage::

    python benchmarks/cold_start.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNTIME = HERE.parent / "lambda" / "personalize_deletion_runtime"

_CHILD = r"""
import json, sys, time
mode = sys.argv[1]
out = {}
t0 = time.perf_counter()
if mode == "boto3":
    import boto3
    out["import_seconds"] = time.perf_counter() - t0
elif mode == "handler":
    from personalize_deletion_runtime import handlers
    t1 = time.perf_counter()
    handlers.services()  # what the first on_event/is_complete call builds: the clients
    t2 = time.perf_counter()
    out["import_seconds"] = t1 - t0
    out["first_call_seconds"] = t2 - t1
print(json.dumps(out))
"""

ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "TRACKER_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:bench",
    # What the construct sets on every function of the runtime (the entry points require it).
    "TRACKING_TIMEOUT_SECONDS": "129600",
    "HANDLER_DEADLINE_SECONDS": "3240",
    "DELETION_SCOPES": json.dumps(
        {"partition": "aws", "region": "us-east-1", "account": "123456789012", "scopes": []}
    ),
    "PYTHONDONTWRITEBYTECODE": "1",
}


def _sample(mode: str, package_root: str) -> dict[str, float]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "PYTHONPATH"
    }
    env.update(ENVIRONMENT, PYTHONPATH=package_root)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def run(repeats: int = 7) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as root:
        skip = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(RUNTIME, Path(root) / RUNTIME.name, ignore=skip)
        _sample("handler", root)  # page cache warm for both
        boto3_runs, handler_runs = [], []
        for index in range(repeats):
            pair = ("boto3", "handler") if index % 2 == 0 else ("handler", "boto3")
            for mode in pair:
                (boto3_runs if mode == "boto3" else handler_runs).append(_sample(mode, root))
    boto3_import = statistics.median(r["import_seconds"] for r in boto3_runs)
    handler_import = statistics.median(r["import_seconds"] for r in handler_runs)
    return {
        "repeats": repeats,
        "boto3_import_seconds": boto3_import,
        "handler_import_seconds": handler_import,
        "handler_import_beyond_boto3_seconds": statistics.median(
            h["import_seconds"] - b["import_seconds"]
            for h, b in zip(handler_runs, boto3_runs, strict=True)
        ),
        "first_call_clients_seconds": statistics.median(
            r["first_call_seconds"] for r in handler_runs
        ),
        "clients": ["personalize", "s3", "events", "stepfunctions"],
        "runs": {"boto3": boto3_runs, "handler": handler_runs},
        "note": "our package compiled from source on each start (no bytecode in the asset)",
    }


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"import boto3 alone: {figures['boto3_import_seconds'] * 1000:.0f} ms; "
        f"import the handler module: {figures['handler_import_seconds'] * 1000:.0f} ms "
        f"({figures['handler_import_beyond_boto3_seconds'] * 1000:.0f} ms beyond boto3, "
        f"{figures['note']}); first call creates {len(figures['clients'])} clients: "
        f"{figures['first_call_clients_seconds'] * 1000:.0f} ms "
        f"(medians of {figures['repeats']} fresh interpreters)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    print_table(run(args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
