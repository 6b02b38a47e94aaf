"""Benchmark the deletion-list validator against a raw chunked read of the same file.

Why: the validator streams lists of up to 100 MB inside a Lambda function, so it must keep
memory bounded (peak RSS growth under 64 MB) and stay close to I/O speed. Each measurement
runs in a fresh subprocess whose peak RSS (VmHWM) reflects that measurement alone.

Usage::

    python benchmarks/validation_bench.py [--size-mb 99] [--path FILE] [--json OUT]

``run(size_bytes)`` is importable for a larger benchmark suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lambda"))

from personalize_deletion_runtime.user_list import (  # noqa: E402
    CHUNK_SIZE,
    DEFAULT_MAX_TOTAL_BYTES,
)

DUPLICATE_RATE = 0.05

_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])


def high_water_kib():
    # VmHWM belongs to this process's address space; ru_maxrss would also count the parent's
    # peak, which Linux carries across fork and exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


from personalize_deletion_runtime.user_list import CHUNK_SIZE, validate_file
mode, path = sys.argv[1], sys.argv[2]
base = high_water_kib()
start = time.perf_counter()
result = {}
if mode == "raw":
    total = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            total += len(chunk)
    result["bytes"] = total
else:
    stats = validate_file(path)
    result["stats"] = stats.__dict__
elapsed = time.perf_counter() - start
peak = high_water_kib()
result.update(seconds=elapsed, rss_growth_kib=peak - base)
print(json.dumps(result))
"""


def generate(path: str | os.PathLike[str], size_bytes: int, seed: int = 7) -> int:
    """Write a deletion list of at most ``size_bytes`` bytes; return the number of lines.

    Ids are UUID-like strings, with about 5% repeats of earlier ids (re-exports and merged
    lists commonly contain duplicates) and some shorter ``user-NNNNNNNN`` ids.
    """
    rng = random.Random(seed)
    written = 0
    lines = 0
    recent: list[bytes] = []
    with open(path, "wb") as out:
        header = b"USER_ID\n"
        out.write(header)
        written += len(header)
        batch: list[bytes] = []
        while True:
            roll = rng.random()
            if recent and roll < DUPLICATE_RATE:
                line = rng.choice(recent)
            elif roll < 0.2:
                line = b"user-%08d\n" % rng.randrange(10**8)
            else:
                line = str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode() + b"\n"
            if written + len(line) > size_bytes:
                break
            batch.append(line)
            written += len(line)
            lines += 1
            if len(recent) < 10_000:
                recent.append(line)
            elif roll < 0.01:
                recent[rng.randrange(len(recent))] = line
            if len(batch) >= 10_000:
                out.write(b"".join(batch))
                batch.clear()
        out.write(b"".join(batch))
    return lines


def _measure(mode: str, path: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, path, str(HERE.parent / "lambda")],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout)


def run(size_bytes: int = DEFAULT_MAX_TOTAL_BYTES, path: str | None = None) -> dict[str, Any]:
    """Generate (unless ``path`` exists) a list of ``size_bytes`` and measure both readers."""
    with tempfile.TemporaryDirectory(prefix="validation-bench-") as tmp:
        target = path or os.path.join(tmp, "users.csv")
        if not os.path.exists(target):
            generate(target, size_bytes)
        size = os.path.getsize(target)
        _measure("raw", target)  # warm the page cache so both read from memory
        raw = min((_measure("raw", target) for _ in range(3)), key=lambda r: r["seconds"])
        ours = min((_measure("validate", target) for _ in range(2)), key=lambda r: r["seconds"])
    mb = size / 1e6
    return {
        "file_bytes": size,
        "chunk_size": CHUNK_SIZE,
        "raw_seconds": raw["seconds"],
        "raw_mb_per_s": mb / raw["seconds"],
        "raw_rss_growth_mib": raw["rss_growth_kib"] / 1024,
        "validate_seconds": ours["seconds"],
        "validate_mb_per_s": mb / ours["seconds"],
        "validate_rss_growth_mib": ours["rss_growth_kib"] / 1024,
        "throughput_ratio": raw["seconds"] / ours["seconds"],
        "stats": ours["stats"],
        "python": sys.version.split()[0],
    }


def print_table(figures: dict) -> None:
    """Print raw read vs validate_file side by side (also used by benchmarks/run.py)."""
    print(f"{'reader':<14}{'seconds':>10}{'MB/s':>10}{'RSS growth MiB':>16}")
    for name, key in (("raw read", "raw"), ("validate_file", "validate")):
        print(
            f"{name:<14}{figures[key + '_seconds']:>10.3f}{figures[key + '_mb_per_s']:>10.1f}"
            f"{figures[key + '_rss_growth_mib']:>16.1f}"
        )
    print(f"throughput ratio (ours / raw): {figures['throughput_ratio']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=DEFAULT_MAX_TOTAL_BYTES / 1e6)
    parser.add_argument("--path", help="existing list to measure, or where to generate it")
    parser.add_argument("--json", dest="json_path", help="write the figures to this file")
    args = parser.parse_args(argv)
    figures = run(int(args.size_mb * 1e6), args.path)
    print(f"file: {figures['file_bytes']:,} bytes, chunk {figures['chunk_size']:,} bytes")
    print_table(figures)
    stats = figures["stats"]
    print(
        f"ids received {stats['ids_received']:,}, duplicates {stats['duplicate_ids']:,}, "
        f"staged {stats['ids_staged']:,}"
    )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
