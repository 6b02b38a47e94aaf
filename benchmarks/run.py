"""Benchmark suite: template growth, synth time, handler cold start, polling and tracking cost,
validation.

Not part of the test suite. Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--json benchmarks/results.json]

Compares three ways to declare N data deletion requests in one stack:

- ``ours``: ``PersonalizeDataDeletion(...).delete_users(...)`` (one custom resource per request);
- ``native``: a raw ``AWS::Personalize::DataDeletionJob`` ``CfnResource`` per request;
- ``awscr``: one ``custom_resources.AwsCustomResource`` per request calling
  ``createDataDeletionJob``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# jsii starts Node.js on the first aws_cdk import: use the venv's Node 24 (as tests/conftest.py).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
# Leave no __pycache__ in the checkout, here or in subprocesses; the Lambda asset ships none
# either, so the handler's cold import compiles the runtime package from source, as in Lambda.
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.dont_write_bytecode = True

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _source_root in (ROOT / "constructs", ROOT / "lambda", ROOT):
    if str(_source_root) not in sys.path:
        sys.path.insert(0, str(_source_root))

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402
from aws_cdk import custom_resources as cr  # noqa: E402
from personalize_data_deletion import PersonalizeDataDeletion, UserList  # noqa: E402
from personalize_data_deletion.provider import (  # noqa: E402
    DEFAULT_QUERY_INTERVAL,
    DEFAULT_TOTAL_TIMEOUT,
)

from benchmarks.tracking_cost import print_table as print_tracking_table  # noqa: E402
from benchmarks.tracking_cost import run as run_tracking_cost  # noqa: E402
from benchmarks.validation_bench import print_table as print_validation_table  # noqa: E402
from benchmarks.validation_bench import run as run_validation  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
DATASET_GROUP_ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/bench"
STACK_NAME = "Bench"
CFN_RESOURCE_LIMIT = 500
VARIANTS = ("ours", "native", "awscr")

# Targets (for "ours").
TARGET_RESOURCES_PER_REQUEST = 1
TARGET_BYTES_PER_REQUEST = 400
TARGET_REQUESTS_PER_STACK = 470
TARGET_SYNTH_RATIO = 1.3
TARGET_POLLS_PER_HOUR = 60
TARGET_VALIDATION_RATIO = 0.5
TARGET_VALIDATION_RSS_MIB = 64

# API calls per request, as counted in tests/test_lifecycle.py.
API_CALLS_CREATE = {"CreateDataDeletionJob": 1}
API_CALLS_ADOPTION_EXTRA = {"ListDataDeletionJobs": 1}
API_CALLS_PER_POLL = {"DescribeDataDeletionJob": 1}


def request_name(index: int) -> str:
    return f"r{index + 1:04d}"


def _stack(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, STACK_NAME, env=cdk.Environment(account=ACCOUNT, region=REGION))
    # Over 500 resources (AwsCustomResource at N=400) is measured on purpose: the limit is
    # applied in the summary, so the built-in validation's F0007 finding is acknowledged.
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(
            id="CloudFormation-Validate::F0007",
            reason="benchmark: templates over the resource limit are measured, never deployed",
        )
    )
    return stack


def build_ours(stack: cdk.Stack, n: int, csv_path: str) -> None:
    deletion = PersonalizeDataDeletion(stack, "UserDeletion")
    for index in range(n):
        deletion.delete_users(
            request_name(index),
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_csv(csv_path),
        )


def _bucket_and_role(stack: cdk.Stack) -> tuple[s3.Bucket, iam.Role]:
    bucket = s3.Bucket(stack, "Bucket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("personalize.amazonaws.com"))
    bucket.grant_read(role)
    return bucket, role


def build_native(stack: cdk.Stack, n: int, _csv_path: str) -> None:
    bucket, role = _bucket_and_role(stack)
    # The bundled CloudFormation schema does not know this type (finding F3006, once per resource):
    # acknowledge it so the built-in validation does not flood the output.
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(
            id="CloudFormation-Validate::F3006",
            reason="benchmark: AWS::Personalize::DataDeletionJob is emitted as a raw CfnResource",
        )
    )
    for index in range(n):
        name = request_name(index)
        cdk.CfnResource(
            stack,
            name,
            type="AWS::Personalize::DataDeletionJob",
            properties={
                "JobName": f"bench-{name}",
                "DatasetGroupArn": DATASET_GROUP_ARN,
                "DataSource": {"DataLocation": f"s3://{bucket.bucket_name}/staging/{name}.csv"},
                "RoleArn": role.role_arn,
            },
        )


def build_awscr(stack: cdk.Stack, n: int, _csv_path: str) -> None:
    bucket, role = _bucket_and_role(stack)
    for index in range(n):
        name = request_name(index)
        cr.AwsCustomResource(
            stack,
            name,
            on_create=cr.AwsSdkCall(
                service="Personalize",
                action="createDataDeletionJob",
                parameters={
                    "jobName": f"bench-{name}",
                    "datasetGroupArn": DATASET_GROUP_ARN,
                    "dataSource": {"dataLocation": f"s3://{bucket.bucket_name}/staging/{name}.csv"},
                    "roleArn": role.role_arn,
                },
                physical_resource_id=cr.PhysicalResourceId.from_response("dataDeletionJobArn"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["personalize:CreateDataDeletionJob"],
                        resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE,
                    ),
                    iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]),
                ]
            ),
            install_latest_aws_sdk=False,
        )


BUILDERS: dict[str, Callable[[cdk.Stack, int, str], None]] = {
    "ours": build_ours,
    "native": build_native,
    "awscr": build_awscr,
}


# The built-in CloudFormation validation plugin runs on every synth by default (as in `cdk synth`):
# keep it, but without its console report; --no-cfn-validation turns it off.
BUILTIN_VALIDATION = {"enabled": True}


def synth(variant: str, n: int, csv_path: str) -> dict[str, Any]:
    """Build and synthesize one fresh App; return wall time, resource count and template bytes."""
    with tempfile.TemporaryDirectory(prefix="bench-cdk-") as outdir:
        start = time.perf_counter()
        app = cdk.App(
            outdir=outdir,
            builtin_cloud_formation_validation=BUILTIN_VALIDATION["enabled"],
            # 0 lifts CDK's own 500-resource check so N=400 of AwsCustomResource (805 resources,
            # not deployable) can still be measured; the limit is applied in the summary instead.
            context={
                "@aws-cdk/core:validationReportPrettyPrint": False,
                "@aws-cdk/core:stackResourceLimit": 0,
            },
        )
        stack = _stack(app)
        BUILDERS[variant](stack, n, csv_path)
        assembly = app.synth()
        seconds = time.perf_counter() - start
        template_path = assembly.get_stack_by_name(STACK_NAME).template_full_path
        raw = Path(template_path).read_bytes()
    template = json.loads(raw)
    return {"seconds": seconds, "resources": len(template["Resources"]), "bytes": len(raw)}


def template_growth(ns: list[int], csv_path: str, cache: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for variant in VARIANTS:
        points = {}
        for n in ns:
            result = cache.get((variant, n)) or synth(variant, n, csv_path)
            points[n] = {"resources": result["resources"], "bytes": result["bytes"]}
        r1, r100 = points[1], points[100]
        per_res = (r100["resources"] - r1["resources"]) / 99
        per_bytes = (r100["bytes"] - r1["bytes"]) / 99
        base_res = r1["resources"] - per_res
        largest = int((CFN_RESOURCE_LIMIT - base_res) // per_res) if per_res > 0 else None
        summary = {
            "points": {str(n): p for n, p in points.items()},
            "base_resources": base_res,
            "resources_per_request": per_res,
            "bytes_per_request_1_100": per_bytes,
            "max_requests_under_limit": largest,
        }
        if 400 in points:
            summary["bytes_per_request_100_400"] = (points[400]["bytes"] - r100["bytes"]) / 300
        out[variant] = summary
    return out


def synth_times(repeats: int, csv_path: str, cache: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for variant in VARIANTS:
        out[variant] = {}
        for n in (1, 100):
            runs = [synth(variant, n, csv_path) for _ in range(repeats)]
            cache[(variant, n)] = runs[-1]
            out[variant][str(n)] = {
                "median_seconds": statistics.median(r["seconds"] for r in runs),
                "runs_seconds": [r["seconds"] for r in runs],
            }
    med = {v: {n: out[v][n]["median_seconds"] for n in ("1", "100")} for v in VARIANTS}
    out["ratio_ours_100_over_1"] = med["ours"]["100"] / med["ours"]["1"]
    out["ratio_ours_over_native"] = {n: med["ours"][n] / med["native"][n] for n in ("1", "100")}
    out["ratio_ours_over_awscr"] = {n: med["ours"][n] / med["awscr"][n] for n in ("1", "100")}
    out["repeats"] = repeats
    return out


def _importtime_us(env: dict[str, str], statement: str) -> tuple[int, dict[str, int]]:
    """Top-level (unindented) ``-X importtime`` entries, name -> cumulative µs."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    top: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # one leading space = top level
            top[name.strip()] = int(parts[1])
    return sum(top.values()), top


def handler_import(repeats: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "lambda"))
    statement = "import personalize_deletion_runtime.handlers"
    subprocess.run([sys.executable, "-c", statement], env=env, check=True)  # warm the page cache
    _, baseline = _importtime_us(env, "pass")
    samples = []
    for _ in range(repeats):
        _, top = _importtime_us(env, statement)
        samples.append(sum(us for name, us in top.items() if name not in baseline))
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], env=env, check=True)
        walls.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(5):
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    bare = (time.perf_counter() - start) / 5
    return {
        "entry_points": [
            "personalize_deletion_runtime.handlers.on_event",
            "personalize_deletion_runtime.handlers.is_complete",
        ],
        "note": "both entry points live in one module, so one import serves both",
        "importtime_cumulative_us_median": statistics.median(samples),
        "importtime_cumulative_us_runs": samples,
        "subprocess_wall_seconds_median": statistics.median(walls),
        "bare_interpreter_wall_seconds_mean": bare,
    }


def polling() -> dict[str, Any]:
    interval = DEFAULT_QUERY_INTERVAL.to_seconds()
    timeout = DEFAULT_TOTAL_TIMEOUT.to_seconds()
    polls = min(3600 / interval, timeout / interval)
    lifecycle_tests = ROOT / "tests" / "test_lifecycle.py"
    return {
        "query_interval_seconds": interval,
        "total_timeout_seconds": timeout,
        "polls_per_job_hour": polls,
        "api_calls_create": API_CALLS_CREATE,
        "api_calls_adoption_extra": API_CALLS_ADOPTION_EXTRA,
        "api_calls_per_poll": API_CALLS_PER_POLL,
        "api_calls_per_job_hour": 1 + polls,
        "api_calls_source": "counted in tests/test_lifecycle.py",
        "api_calls_source_present": lifecycle_tests.exists(),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(results: dict[str, Any]) -> list[tuple[str, bool]]:
    growth = results["template_growth"]
    ns = results["template_ns"]
    print("\n== 1. Template growth (template file bytes as written by CDK) ==")
    header = f"{'variant':<8}" + "".join(f"{'N=' + str(n) + ' res':>11}{'bytes':>10}" for n in ns)
    print(header)
    for variant in VARIANTS:
        row = f"{variant:<8}"
        for n in ns:
            point = growth[variant]["points"][str(n)]
            row += f"{point['resources']:>11}{point['bytes']:>10}"
        print(row)
    print(
        f"\n{'variant':<8}{'base res':>9}{'res/req':>9}{'B/req 1-100':>13}"
        f"{'B/req 100-400':>15}{'max N<=500 res':>16}"
    )
    for variant in VARIANTS:
        g = growth[variant]
        b400 = g.get("bytes_per_request_100_400")
        print(
            f"{variant:<8}{g['base_resources']:>9.0f}{g['resources_per_request']:>9.2f}"
            f"{g['bytes_per_request_1_100']:>13.1f}"
            f"{(f'{b400:.1f}' if b400 is not None else '-'):>15}"
            f"{g['max_requests_under_limit']!s:>16}"
        )

    times = results["synth_time"]
    print(
        f"\n== 2. Synth time (median of {times['repeats']}, fresh App each run; "
        "one warm-up synth done first, jsii start-up excluded; built-in CloudFormation "
        f"validation {'on' if results['builtin_cfn_validation'] else 'off'}) =="
    )
    print(f"{'variant':<8}{'N=1 s':>10}{'N=100 s':>10}{'100/1':>8}")
    for variant in VARIANTS:
        t1 = times[variant]["1"]["median_seconds"]
        t100 = times[variant]["100"]["median_seconds"]
        print(f"{variant:<8}{t1:>10.3f}{t100:>10.3f}{t100 / t1:>8.2f}")
    print(
        f"ours/native: N=1 {times['ratio_ours_over_native']['1']:.2f}x, "
        f"N=100 {times['ratio_ours_over_native']['100']:.2f}x; "
        f"ours/awscr: N=1 {times['ratio_ours_over_awscr']['1']:.2f}x, "
        f"N=100 {times['ratio_ours_over_awscr']['100']:.2f}x"
    )

    handler = results["handler"]
    print("\n== 3. Handler cold start and polling cost ==")
    print(f"entry points: {', '.join(handler['entry_points'])} ({handler['note']})")
    print(
        f"-X importtime cumulative (top-level imports beyond interpreter start-up): "
        f"median {handler['importtime_cumulative_us_median']:,} us "
        f"(runs {handler['importtime_cumulative_us_runs']})"
    )
    print(
        f"fresh subprocess import wall time: median {handler['subprocess_wall_seconds_median']:.3f}"
        f" s (bare interpreter {handler['bare_interpreter_wall_seconds_mean']:.3f} s)"
    )
    poll = results["polling"]
    print(
        f"query_interval {poll['query_interval_seconds']:.0f} s, total_timeout "
        f"{poll['total_timeout_seconds']:.0f} s -> polls per job-hour "
        f"{poll['polls_per_job_hour']:.0f}"
    )
    print_tracking_table(results["tracking"])
    missing = "" if poll["api_calls_source_present"] else " [file not present in this checkout]"
    print(
        f"API calls per request ({poll['api_calls_source']}{missing}): create "
        f"{poll['api_calls_create']} (+{poll['api_calls_adoption_extra']} only on adoption); "
        f"per poll {poll['api_calls_per_poll']}; ~{poll['api_calls_per_job_hour']:.0f} per job-hour"
    )

    val = results["validation"]
    print(f"\n== 4. Input validation ({val['file_bytes']:,} bytes) ==")
    print_validation_table(val)

    ours = growth["ours"]
    checks = [
        (
            f"resources per extra request <= {TARGET_RESOURCES_PER_REQUEST} "
            f"(got {ours['resources_per_request']:.2f})",
            ours["resources_per_request"] <= TARGET_RESOURCES_PER_REQUEST,
        ),
        (
            f"template bytes per extra request <= {TARGET_BYTES_PER_REQUEST} "
            f"(got {ours['bytes_per_request_1_100']:.1f})",
            ours["bytes_per_request_1_100"] <= TARGET_BYTES_PER_REQUEST,
        ),
        (
            f"requests per stack >= {TARGET_REQUESTS_PER_STACK} "
            f"(got {ours['max_requests_under_limit']})",
            (ours["max_requests_under_limit"] or 0) >= TARGET_REQUESTS_PER_STACK,
        ),
        (
            f"synth(N=100) <= {TARGET_SYNTH_RATIO}x synth(N=1) "
            f"(got {times['ratio_ours_100_over_1']:.2f}x)",
            times["ratio_ours_100_over_1"] <= TARGET_SYNTH_RATIO,
        ),
        (
            f"polls per job-hour <= {TARGET_POLLS_PER_HOUR} (got {poll['polls_per_job_hour']:.0f})",
            poll["polls_per_job_hour"] <= TARGET_POLLS_PER_HOUR,
        ),
        (
            f"validation >= {TARGET_VALIDATION_RATIO}x raw read speed "
            f"(got {val['throughput_ratio']:.3f}x)",
            val["throughput_ratio"] >= TARGET_VALIDATION_RATIO,
        ),
        (
            f"validation peak RSS growth < {TARGET_VALIDATION_RSS_MIB} MiB "
            f"(got {val['validate_rss_growth_mib']:.1f})",
            val["validate_rss_growth_mib"] < TARGET_VALIDATION_RSS_MIB,
        ),
    ]
    print("\n== Targets ==")
    for label, ok in checks:
        print(f"{verdict(ok)}  {label}")
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller N and fewer repeats")
    parser.add_argument("--json", dest="json_path", default=str(HERE / "results.json"))
    parser.add_argument(
        "--no-cfn-validation",
        action="store_true",
        help="turn off the built-in CloudFormation validation plugin (on by default)",
    )
    args = parser.parse_args(argv)
    BUILTIN_VALIDATION["enabled"] = not args.no_cfn_validation
    repeats = 3 if args.quick else 5
    ns = [1, 10, 100] if args.quick else [1, 10, 100, 400]
    validation_bytes = 10_000_000 if args.quick else 100_000_000
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="bench-users-") as tmp:
        csv_path = os.path.join(tmp, "users.csv")
        Path(csv_path).write_text("USER_ID\nuser-0001\nuser-0002\nuser-0003\nuser-0004\n")
        for variant in VARIANTS:  # warm-up: jsii start-up and first-use costs, not measured
            synth(variant, 1, csv_path)
        cache: dict = {}
        print(f"synth timing ({repeats} repeats)...", flush=True)
        times = synth_times(repeats, csv_path, cache)
        print("template growth...", flush=True)
        growth = template_growth(ns, csv_path, cache)
    print("handler import...", flush=True)
    handler = handler_import(repeats)
    print(f"validation ({validation_bytes:,} bytes)...", flush=True)
    validation = run_validation(validation_bytes)
    print("tracking cost (definitions executed on a simulated clock)...", flush=True)
    tracking = run_tracking_cost(24)

    results = {
        "quick": args.quick,
        "template_ns": ns,
        "template_growth": growth,
        "synth_time": times,
        "handler": handler,
        "polling": polling(),
        "tracking": tracking,
        "validation": validation,
        "builtin_cfn_validation": BUILTIN_VALIDATION["enabled"],
        "warm_up": "one synth per variant at N=1 before timing (jsii start-up excluded)",
    }
    checks = report(results)
    results["targets"] = [{"target": label, "pass": ok} for label, ok in checks]
    results["elapsed_seconds"] = time.perf_counter() - started
    Path(args.json_path).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nelapsed {results['elapsed_seconds']:.0f} s; JSON written to {args.json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
