"""Benchmark suite: template bytes, whole-process synth time, jsii calls, validation, handler
cold start, polling and tracking cost, with PASS/MISS against issue 14's targets.

Not part of the test suite (speed targets live here, never in timed tests). Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--json benchmarks/results.json]

Compares three ways to declare N data deletion requests in one stack (``synth_app.py``): ours,
a native ``AWS::Personalize::DataDeletionJob`` per request, and one ``AwsCustomResource`` per
request. Every synth is a whole ``cdk synth -q`` process (``synth_bench.py``). Synth times also
cover ``floor``: the barest parts any design meeting the design card needs (staged lists, a
Provider with ``is_complete``, a Step Functions follower), which bounds how close to native a
real construct can get.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# jsii starts Node.js on the first aws_cdk import: use the venv's Node 24 (as tests/conftest.py).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.dont_write_bytecode = True

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _source_root in (ROOT / "constructs", ROOT / "lambda", ROOT):
    if str(_source_root) not in sys.path:
        sys.path.insert(0, str(_source_root))

from benchmarks import cold_start, synth_bench, tracking_cost, validation_bench  # noqa: E402
from benchmarks.synth_bench import (  # noqa: E402
    TIMED_VARIANTS,
    VARIANTS,
    key,
    paired_difference,
    paired_ratios,
)

CFN_RESOURCE_LIMIT = 500
CFN_TEMPLATE_BYTES_LIMIT = 1_000_000
"""CloudFormation's template body limit for a template in S3 (what ``cdk deploy`` uploads)."""

# Targets (issue 14), for "ours".
TARGET_BYTES_PER_REQUEST = 480
TARGET_RESOURCES_PER_REQUEST = 1
TARGET_JSII_CALLS_PER_REQUEST = 6
TARGET_SYNTH_100_OVER_1 = 1.10
TARGET_SYNTH_OURS_OVER_NATIVE = 1.20
TARGET_VALIDATION_MB_PER_S = 60
TARGET_VALIDATION_RSS_GROWTH_MIB = 64


def polling() -> dict[str, Any]:
    from personalize_data_deletion.provider import DEFAULT_QUERY_INTERVAL, DEFAULT_TOTAL_TIMEOUT

    interval = DEFAULT_QUERY_INTERVAL.to_seconds()
    timeout = DEFAULT_TOTAL_TIMEOUT.to_seconds()
    return {
        "query_interval_seconds": interval,
        "total_timeout_seconds": timeout,
        "polls_per_job_hour": min(3600 / interval, timeout / interval),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_templates(results: dict[str, Any]) -> None:
    ns = results["template_ns"]
    for regime, title in (
        ("no_path_metadata", "cdk synth --no-path-metadata (the regime of the issue's baseline)"),
        ("cli_default", "cdk synth with the CLI's defaults (aws:cdk:path metadata on)"),
    ):
        sizes, growth = results["templates"][regime], results["template_growth"][regime]
        print(f"\n-- {title} --")
        print(f"{'variant':<8}" + "".join(f"{'N=' + str(n) + ' res':>11}{'bytes':>10}" for n in ns))
        for variant in VARIANTS:
            print(
                f"{variant:<8}"
                + "".join(
                    f"{sizes[variant][str(n)]['resources']:>11}{sizes[variant][str(n)]['bytes']:>10}"
                    for n in ns
                )
            )
        spans = [f"{ns[0]}_{ns[1]}"] + ([f"{ns[1]}_{ns[2]}"] if len(ns) > 2 else [])
        print(
            f"{'variant':<8}{'res/req':>8}"
            + "".join(f"{'B/req ' + s.replace('_', '-'):>15}" for s in spans)
            + f"{'max N (500 res)':>17}{'max N (1 MB)':>14}"
        )
        for variant in VARIANTS:
            g = growth[variant]
            print(
                f"{variant:<8}{g['resources_per_request']:>8.2f}"
                + "".join(f"{g['bytes_per_request_' + s]:>15.1f}" for s in spans)
                + f"{g['max_requests_under_resource_limit']!s:>17}"
                f"{g['max_requests_under_byte_limit']!s:>14}"
            )


def report(results: dict[str, Any]) -> list[tuple[str, bool]]:
    print("\n== 1. Template growth (template file bytes as the CLI writes them; distinct lists) ==")
    report_templates(results)

    times = results["synth_time"]
    print(
        f"\n== 2. Whole-process `cdk synth -q` (medians of {times['rounds']} interleaved rounds) =="
    )
    print(
        f"{'variant':<8}{'N':>5}{'synth s':>9}{'no-validation s':>17}{'validation s':>14}"
        f"{'CPU s':>8}{'no-validation CPU s':>21}"
    )
    for variant in times["medians"]:
        for n in times["ns"]:
            row = times["medians"][variant][str(n)]
            print(
                f"{variant:<8}{n:>5}{row['validated']:>9.2f}{row['unvalidated']:>17.2f}"
                f"{row['validation']:>14.2f}{row['validated_cpu']:>8.2f}"
                f"{row['unvalidated_cpu']:>21.2f}"
            )
    for label, value in times["ratios"].items():
        low, high = times["ratio_ranges"][label]
        print(
            f"{label}: {value:.2f} (rounds {low:.2f} to {high:.2f}; CPU time: "
            f"{times['cpu_ratios'][label]:.2f})"
        )
    for variant, split in times["cost_split"].items():
        print(
            f"{variant:<8} fixed {split['fixed_seconds']:.2f} s + "
            f"{split['per_request_ms']:.2f} ms per request"
        )

    calls = results["jsii"]
    print("\n== 3. jsii round trips (each message Python sends to the kernel) ==")
    for variant, figures in calls.items():
        print(
            f"{variant:<8} per extra request: {figures['declare_per_request']:.1f} declaring + "
            f"{figures['synth_per_request']:.1f} in synth = {figures['total_per_request']:.1f}; "
            f"declaring takes {figures['declare_seconds_per_request'] * 1000:.2f} ms per request"
        )

    print("\n== 4. Handler cold start ==")
    cold_start.print_table(results["cold_start"])
    poll = results["polling"]
    print(
        f"deployment polling: query_interval {poll['query_interval_seconds']:.0f} s, "
        f"total_timeout {poll['total_timeout_seconds']:.0f} s -> "
        f"{poll['polls_per_job_hour']:.0f} polls per job-hour"
    )

    print("\n== 5. Cost of following one job (definitions executed on a simulated clock) ==")
    tracking_cost.print_table(results["tracking"])

    val = results["validation"]
    print(f"\n== 6. Validation of a {val['file_bytes'] / 1e6:.0f} MB list ({val['ids']:,} ids) ==")
    validation_bench.print_table(val)

    regimes = results["template_growth"]
    strict = regimes["no_path_metadata"]["ours"]
    ns = results["template_ns"]
    spans = [f"{ns[0]}_{ns[1]}"] + ([f"{ns[1]}_{ns[2]}"] if len(ns) > 2 else [])
    ratios = times["ratios"]
    ours_calls = calls["ours"]["total_per_request"]
    checks = [
        (
            f"resources per extra request <= {TARGET_RESOURCES_PER_REQUEST} "
            f"(got {strict['resources_per_request']:.2f})",
            strict["resources_per_request"] <= TARGET_RESOURCES_PER_REQUEST,
        ),
        *(
            (
                f"template bytes per extra request, N {span.replace('_', '->')}, no path "
                f"metadata <= {TARGET_BYTES_PER_REQUEST} (got "
                f"{strict['bytes_per_request_' + span]:.1f}; native "
                f"{regimes['no_path_metadata']['native']['bytes_per_request_' + span]:.1f})",
                strict["bytes_per_request_" + span] <= TARGET_BYTES_PER_REQUEST,
            )
            for span in spans
        ),
        (
            "template bytes per extra request, CLI defaults, <= native's (got "
            f"{regimes['cli_default']['ours']['bytes_per_request_' + spans[0]]:.1f}, native "
            f"{regimes['cli_default']['native']['bytes_per_request_' + spans[0]]:.1f})",
            regimes["cli_default"]["ours"]["bytes_per_request_" + spans[0]]
            <= regimes["cli_default"]["native"]["bytes_per_request_" + spans[0]],
        ),
        (
            f"jsii calls per request <= {TARGET_JSII_CALLS_PER_REQUEST} (got {ours_calls:.1f})",
            ours_calls <= TARGET_JSII_CALLS_PER_REQUEST,
        ),
        (
            f"cdk synth ours(N=100)/ours(N=1) <= {TARGET_SYNTH_100_OVER_1} "
            f"(got {ratios['ours 100/1']:.2f})",
            ratios["ours 100/1"] <= TARGET_SYNTH_100_OVER_1,
        ),
        (
            f"cdk synth ours(N=100)/native(N=100) <= {TARGET_SYNTH_OURS_OVER_NATIVE} "
            f"(got {ratios['ours/native N=100']:.2f})",
            ratios["ours/native N=100"] <= TARGET_SYNTH_OURS_OVER_NATIVE,
        ),
        (
            f"validation with dedup >= {TARGET_VALIDATION_MB_PER_S} MB/s here "
            f"(got {val['dedup']['mb_per_s']:.1f})",
            val["dedup"]["mb_per_s"] >= TARGET_VALIDATION_MB_PER_S,
        ),
        (
            f"validation peak RSS growth <= {TARGET_VALIDATION_RSS_GROWTH_MIB} MiB "
            f"(got {val['dedup']['rss_growth_mib']:.1f})",
            val["dedup"]["rss_growth_mib"] <= TARGET_VALIDATION_RSS_GROWTH_MIB,
        ),
    ]
    print("\n== Targets ==")
    for label, ok in checks:
        print(f"{verdict(ok)}  {label}")
    if "floor/native N=100" in ratios:
        print(
            f"yardstick: floor(N=100)/native(N=100) = {ratios['floor/native N=100']:.2f}, "
            f"ours(N=100)/floor(N=100) = {ratios['ours/floor N=100']:.2f} (floor: the barest "
            "parts any design meeting the design card needs; see synth_app.py)"
        )
    return checks


def synth_figures(ns: list[int], rounds: int, lists: Path) -> dict[str, Any]:
    timed_ns = [n for n in ns if n in (1, 100)] + ([400] if 400 in ns else [])
    configs = [(variant, n) for n in timed_ns for variant in TIMED_VARIANTS]
    cpu: dict[str, list[float]] = {}
    samples = synth_bench.timed_rounds(configs, rounds, lists, cpu=cpu)
    medians: dict[str, Any] = {}
    for variant in TIMED_VARIANTS:
        medians[variant] = {}
        for n in timed_ns:
            on, off = key(variant, n, True), key(variant, n, False)
            medians[variant][str(n)] = {
                "validated": _median(samples[on]),
                "unvalidated": _median(samples[off]),
                "validation": paired_difference(samples, on, off),
                "validated_cpu": _median(cpu[on]),
                "unvalidated_cpu": _median(cpu[off]),
            }
    rounds_ratios = per_round_ratios(samples, timed_ns)
    return {
        "rounds": rounds,
        "ns": timed_ns,
        "medians": medians,
        "ratios": {label: _median(values) for label, values in rounds_ratios.items()},
        "ratio_ranges": {label: [min(v), max(v)] for label, v in rounds_ratios.items()},
        "cpu_ratios": synth_ratios(cpu, timed_ns),
        "cost_split": cost_split(medians, timed_ns),
        "samples": samples,
        "cpu_samples": cpu,
    }


def per_round_ratios(
    samples: dict[str, list[float]], timed_ns: list[int]
) -> dict[str, list[float]]:
    """Each ratio of the report, once per round (of wall seconds, or of CPU seconds)."""
    pairs = {
        "ours 100/1": (key("ours", 100), key("ours", 1)),
        "ours/native N=100": (key("ours", 100), key("native", 100)),
        "ours/native N=1": (key("ours", 1), key("native", 1)),
        "ours/awscr N=100": (key("ours", 100), key("awscr", 100)),
        "floor/native N=100": (key("floor", 100), key("native", 100)),
        "ours/floor N=100": (key("ours", 100), key("floor", 100)),
        "ours/floor N=1": (key("ours", 1), key("floor", 1)),
        "ours 100/1 without validation": (key("ours", 100, False), key("ours", 1, False)),
        "ours/native N=100 without validation": (
            key("ours", 100, False),
            key("native", 100, False),
        ),
    }
    if 400 in timed_ns:
        pairs["ours/native N=400"] = (key("ours", 400), key("native", 400))
    return {label: paired_ratios(samples, top, bottom) for label, (top, bottom) in pairs.items()}


def synth_ratios(samples: dict[str, list[float]], timed_ns: list[int]) -> dict[str, float]:
    """Medians of per-round ratios (of wall seconds, or of CPU seconds)."""
    return {label: _median(values) for label, values in per_round_ratios(samples, timed_ns).items()}


def cost_split(medians: dict[str, Any], timed_ns: list[int]) -> dict[str, dict[str, float]]:
    """Each variant's synth time as a fixed part plus a part per request, from its medians at
    the smallest and the largest N: which of the two a ratio's gap comes from."""
    low, high = min(timed_ns), max(timed_ns)
    split = {}
    for variant, rows in medians.items():
        per_request = (rows[str(high)]["validated"] - rows[str(low)]["validated"]) / (high - low)
        split[variant] = {
            "fixed_seconds": rows[str(low)]["validated"] - per_request * low,
            "per_request_ms": per_request * 1000,
        }
    return split


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, N up to 100, 10 MB")
    parser.add_argument("--json", dest="json_path", default=str(HERE / "results.json"))
    parser.add_argument(
        "--rounds", type=int, default=None, help="interleaved synth rounds (default 7; quick 2)"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 7)
    ns = [1, 100] if args.quick else [1, 100, 400]
    validation_bytes = 10_000_000 if args.quick else 100_000_000
    started = time.perf_counter()
    from personalize_data_deletion.provider import ON_EVENT_MEMORY_MB

    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp:
        lists = Path(tmp)
        synth_bench.write_lists(lists, max(ns))
        print("template sizes...", flush=True)
        templates = {
            "cli_default": synth_bench.template_sizes(ns, lists, path_metadata=True),
            "no_path_metadata": synth_bench.template_sizes(ns, lists, path_metadata=False),
        }
        print("jsii round trips...", flush=True)
        jsii = {variant: synth_bench.jsii_calls(variant, ns, lists) for variant in VARIANTS}
        print(f"cdk synth timing ({rounds} interleaved rounds)...", flush=True)
        times = synth_figures(ns, rounds, lists)
    print("handler cold start...", flush=True)
    cold = cold_start.run(7 if not args.quick else 3)
    print(f"validation ({validation_bytes:,} bytes)...", flush=True)
    validation = validation_bench.run(
        validation_bytes, repeats=3 if not args.quick else 1, lambda_memory_mb=ON_EVENT_MEMORY_MB
    )
    print("tracking cost (definitions executed on a simulated clock)...", flush=True)
    tracking = tracking_cost.run(24)

    results: dict[str, Any] = {
        "quick": args.quick,
        "template_ns": ns,
        "templates": templates,
        "template_growth": {
            regime: {
                variant: synth_bench.growth(points, CFN_RESOURCE_LIMIT, CFN_TEMPLATE_BYTES_LIMIT)
                for variant, points in sizes.items()
            }
            for regime, sizes in templates.items()
        },
        "synth_time": times,
        "jsii": jsii,
        "cold_start": cold,
        "polling": polling(),
        "tracking": tracking,
        "validation": validation,
        "machine": {"cpus": os.cpu_count(), "load_average_at_end": os.getloadavg()},
    }
    checks = report(results)
    results["targets"] = [{"target": label, "pass": ok} for label, ok in checks]
    results["elapsed_seconds"] = time.perf_counter() - started
    results["machine"]["load_average_at_end"] = os.getloadavg()
    Path(args.json_path).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nelapsed {results['elapsed_seconds']:.0f} s; JSON written to {args.json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
