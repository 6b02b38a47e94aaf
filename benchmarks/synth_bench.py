"""Whole-process ``cdk synth -q`` of ``synth_app.py``: wall time, template bytes, jsii calls.

Why whole processes: a user pays Node's and Python's start-up, jsii's, the app, CDK's synthesis,
CloudFormation's built-in template validation and the CLI reading the assembly on every
``cdk synth``; timing in-process synths after a warm-up leaves most of that out. Runs are
interleaved (each round visits every configuration, in alternating order) so that drift on a
shared machine lands on both sides of a ratio; ratios are medians of per-round pairs.

Built-in validation (aws-cdk-lib's CloudFormation schema check, on by default) is timed
separately: every configuration also runs with ``CDK_VALIDATION=false``.

Bytecode: a user's repeated ``cdk synth`` imports every module from cached bytecode (aws-cdk-lib
from the ``.pyc`` pip wrote, this project's modules from the ``__pycache__`` the first synth
wrote). With ``PYTHONDONTWRITEBYTECODE=1`` (which this benchmark used to set, and which
``run.py`` sets for itself) only aws-cdk-lib would be cached and this project's ~60 modules would
be compiled from source on every run, a cost only one side of a ratio pays. So every synth gets
``PYTHONPYCACHEPREFIX``, a temporary folder outside the checkout (the repository stays clean),
and every variant is synthesized once, untimed, to fill it before the timed rounds; aws-cdk-lib's
bytecode is cached there too, so both sides read cached bytecode, as a user's would.

CPU time: each synth also reports the user+sys CPU seconds of its whole process tree (the CLI,
Python, Node's jsii kernel; ``RUSAGE_CHILDREN``), which drifts much less than wall time on a
busy machine; ratios are reported for both.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP = HERE / "synth_app.py"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
VARIANTS = ("ours", "native", "awscr")
"""The ways of declaring requests whose templates, jsii calls and synth times are compared."""
TIMED_VARIANTS = (*VARIANTS, "floor")
"""Timed only: ``floor`` is a yardstick for the construct's fixed cost (``synth_app.py``)."""
_bytecode_cache: list[str] = []


def bytecode_cache() -> str:
    """The ``PYTHONPYCACHEPREFIX`` of every synth of this process: created on first use, removed
    at exit."""
    if not _bytecode_cache:
        folder = tempfile.mkdtemp(prefix="bench-pycache-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _bytecode_cache.append(folder)
    return _bytecode_cache[0]


def children_cpu_seconds() -> float:
    """User+sys CPU seconds of every child process tree this process has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def write_lists(folder: Path, count: int) -> None:
    """One distinct list per request (distinct assets, as real requests have)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        name = f"r{index + 1:04d}"
        (folder / f"{name}.csv").write_text(f"USER_ID\n{name}-user-a\n{name}-user-b\n")


def synth_once(
    variant: str,
    n: int,
    lists: Path,
    *,
    validation: bool = True,
    path_metadata: bool = True,
    counts_file: Path | None = None,
) -> dict[str, Any]:
    """Run ``cdk synth -q`` once in a fresh process tree; return seconds (wall), cpu_seconds
    (user+sys of the tree), bytes, resources."""
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as work:
        outdir = Path(work) / "cdk.out"
        command = [
            str(CDK),
            "synth",
            "-q",
            "--no-notices",
            "--app",
            f"{sys.executable} {APP}",
            "-o",
            str(outdir),
            "-c",
            f"variant={variant}",
            "-c",
            f"n={n}",
            "-c",
            f"lists={lists}",
        ]
        if not path_metadata:
            command.append("--no-path-metadata")
        env = dict(
            os.environ,
            CDK_DISABLE_VERSION_CHECK="1",
            CDK_DISABLE_CLI_TELEMETRY="true",
            PYTHONPYCACHEPREFIX=bytecode_cache(),
            # jsii starts the Node beside this interpreter (the venv's Node 24).
            PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("BENCH_JSII_COUNTS", None)
        if counts_file is not None:
            env["BENCH_JSII_COUNTS"] = str(counts_file)
        if not validation:
            env["CDK_VALIDATION"] = "false"
        # A folder without cdk.json: the project's own app and context stay out of it.
        cpu_start = children_cpu_seconds()
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        cpu_seconds = children_cpu_seconds() - cpu_start
        if proc.returncode != 0:
            raise RuntimeError(
                f"cdk synth {variant} N={n} failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        raw = (outdir / "Bench.template.json").read_bytes()
    template = json.loads(raw)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "bytes": len(raw),
        "resources": len(template["Resources"]),
    }


def timed_rounds(
    configs: list[tuple[str, int]],
    rounds: int,
    lists: Path,
    log=print,
    cpu: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Every config with and without built-in validation, ``rounds`` times, interleaved: wall
    seconds per config; CPU seconds go to ``cpu`` when given. Every variant is synthesized once,
    untimed, first (it fills the bytecode cache)."""
    for variant in dict.fromkeys(variant for variant, _n in configs):
        synth_once(variant, min(n for v, n in configs if v == variant), lists)
    order = [(variant, n, validation) for variant, n in configs for validation in (True, False)]
    samples: dict[str, list[float]] = {key(*item): [] for item in order}
    for index in range(rounds):
        sequence = order if index % 2 == 0 else list(reversed(order))
        for variant, n, validation in sequence:
            result = synth_once(variant, n, lists, validation=validation)
            samples[key(variant, n, validation)].append(result["seconds"])
            if cpu is not None:
                cpu.setdefault(key(variant, n, validation), []).append(result["cpu_seconds"])
        log(f"  round {index + 1}/{rounds} done")
    return samples


def key(variant: str, n: int, validation: bool = True) -> str:
    return f"{variant}/{n}/{'validated' if validation else 'unvalidated'}"


def paired_ratios(samples: dict[str, list[float]], top: str, bottom: str) -> list[float]:
    """top/bottom of each round, each pair measured in the same round."""
    return [a / b for a, b in zip(samples[top], samples[bottom], strict=True)]


def paired_difference(samples: dict[str, list[float]], top: str, bottom: str) -> float:
    return statistics.median(a - b for a, b in zip(samples[top], samples[bottom], strict=True))


def template_sizes(
    ns: list[int], lists: Path, *, path_metadata: bool
) -> dict[str, dict[str, dict[str, int]]]:
    """Template bytes and resources per variant and N (deterministic: one synth each)."""
    return {
        variant: {
            str(n): {
                k: v
                for k, v in synth_once(
                    variant, n, lists, validation=False, path_metadata=path_metadata
                ).items()
                if k not in ("seconds", "cpu_seconds")
            }
            for n in ns
        }
        for variant in VARIANTS
    }


def growth(points: dict[str, dict[str, int]], limit_resources: int, limit_bytes: int) -> dict:
    """Per extra request, and how many requests fit under CloudFormation's two limits."""
    ns = sorted(int(n) for n in points)
    first, mid = str(ns[0]), str(ns[1])
    per_resources = (points[mid]["resources"] - points[first]["resources"]) / (ns[1] - ns[0])
    per_bytes = (points[mid]["bytes"] - points[first]["bytes"]) / (ns[1] - ns[0])
    base_resources = points[first]["resources"] - per_resources * ns[0]
    base_bytes = points[first]["bytes"] - per_bytes * ns[0]
    summary: dict[str, Any] = {
        "resources_per_request": per_resources,
        f"bytes_per_request_{ns[0]}_{ns[1]}": per_bytes,
        "base_resources": base_resources,
        "base_bytes": base_bytes,
        "max_requests_under_resource_limit": (
            int((limit_resources - base_resources) // per_resources) if per_resources else None
        ),
        "max_requests_under_byte_limit": int((limit_bytes - base_bytes) // per_bytes),
    }
    if len(ns) > 2:
        last = str(ns[2])
        summary[f"bytes_per_request_{ns[1]}_{ns[2]}"] = (
            points[last]["bytes"] - points[mid]["bytes"]
        ) / (ns[2] - ns[1])
    summary["max_requests_per_stack"] = min(
        v for k, v in summary.items() if k.startswith("max_requests_under") and v is not None
    )
    return summary


def jsii_calls(variant: str, ns: list[int], lists: Path) -> dict[str, Any]:
    """Round trips to the jsii kernel per phase, and per extra request."""
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-jsii-") as work:
        for n in ns:
            counts = Path(work) / f"{n}.json"
            synth_once(variant, n, lists, validation=False, counts_file=counts)
            runs[str(n)] = json.loads(counts.read_text())["phases"]

    def delta(n: int, start: str, end: str) -> int:
        phases = runs[str(n)]
        return phases[end]["calls"] - phases[start]["calls"]

    out: dict[str, Any] = {"runs": runs}
    a, b = ns[0], ns[-1]
    for name, start, end in (("declare", "construct", "requests"), ("synth", "requests", "synth")):
        out[f"{name}_per_request"] = (delta(b, start, end) - delta(a, start, end)) / (b - a)
    out["total_per_request"] = out["declare_per_request"] + out["synth_per_request"]
    out["declare_seconds_per_request"] = (
        (runs[str(b)]["requests"]["seconds"] - runs[str(b)]["construct"]["seconds"])
        - (runs[str(a)]["requests"]["seconds"] - runs[str(a)]["construct"]["seconds"])
    ) / (b - a)
    return out


def cdk_available() -> bool:
    return CDK.exists() and shutil.which("node", path=os.path.dirname(sys.executable)) is not None
