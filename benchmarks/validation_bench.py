"""Validation of a deletion list: absolute throughput, time per id and peak memory.

Why: ``on_event`` streams lists of up to 100 MB through the validator inside a Lambda function,
so what matters is MB/s and memory on that function, not a ratio to a page-cache copy (which no
CSV validator can reach: SHA-256 alone runs well below memory speed). Each measurement runs in
a fresh subprocess whose peak RSS (``VmHWM``) belongs to that measurement alone:

- ``dedup``: the whole canonicalization the handler runs (rules, de-duplication through the
  partition store with spill files, SHA-256 of the canonical output, which is discarded);
- ``rules``: the rules only (the same reader with a store that keeps nothing);
- ``read``: a chunked read of the file, for reference.

Lambda allocates CPU in proportion to memory (one vCPU at 1,769 MB); the validator uses one
thread, so the estimate at the function's memory scales the single-core figure by that share.

Usage::

    python benchmarks/validation_bench.py [--size-mb 100] [--path FILE] [--json OUT]

``run(size_bytes)`` is importable for the benchmark suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import uuid
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lambda"))

from personalize_deletion_runtime.user_list import (  # noqa: E402
    CHUNK_SIZE,
    DEFAULT_MAX_TOTAL_BYTES,
)

DUPLICATE_RATE = 0.05
LAMBDA_MB_PER_VCPU = 1769
"""Lambda's documented memory size at which a function has the equivalent of one vCPU."""
MODES = ("dedup", "rules", "read")

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


from personalize_deletion_runtime import list_rules, user_list
mode, path = sys.argv[1], sys.argv[2]


class RulesOnly:
    # The reader's store: keeps nothing (no de-duplication, no spill files).
    def add(self, ids, size):
        pass


base = high_water_kib()
start = time.perf_counter()
cpu_start = time.process_time()
result = {}
if mode == "read":
    total = 0
    with open(path, "rb") as stream:
        while chunk := stream.read(user_list.CHUNK_SIZE):
            total += len(chunk)
    result["ids"] = None
elif mode == "rules":
    reader = list_rules.Reader(user_list.Limits(), RulesOnly())
    with open(path, "rb") as stream:
        reader.read_part(path, user_list.iter_chunks(stream))
    result["ids"] = reader.ids_received
else:
    stats = user_list.validate_file(path)
    result["ids"] = stats.ids_received
    result["stats"] = stats.__dict__
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu_start
peak = high_water_kib()
result.update(seconds=elapsed, cpu_seconds=cpu, rss_growth_kib=peak - base, vm_hwm_kib=peak)
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


def generate_skewed(path: str | os.PathLike[str], size_bytes: int, kind: str) -> int:
    """Write a list that defeats even hash partitioning; return the number of lines.

    ``repeated``: one id on every line. ``one-bucket``: distinct ids that all fall into crc32
    bucket 0 (what an adversary can craft): each id is eight digits and two letters chosen so
    that its crc32 ends in 0. CRC is linear, so for equal lengths
    ``crc(p + s) = crc(p + "AA") ^ crc(Z + "AA") ^ crc(Z + s)`` (``Z``: eight zero bytes),
    which makes the two letters a table lookup instead of a search.
    """
    lines = 0
    with open(path, "wb") as out:
        out.write(b"USER_ID\n")
        written = 8
        if kind == "repeated":
            count = (size_bytes - written) // 3
            out.write(b"u1\n" * count)
            return count
        letters = [bytes((a, b)) for a in range(65, 91) for b in range(65, 91)]
        zeros = bytes(8)
        base = zlib.crc32(zeros + b"AA")
        suffix = {(base ^ zlib.crc32(zeros + s)) & 0xFF: s for s in letters}
        assert len(suffix) == 256
        number = 0
        while written + 11 <= size_bytes:
            batch = [b"%08d" % n for n in range(number, number + 10_000)]
            number += 10_000
            batch = [p + suffix[zlib.crc32(p + b"AA") & 0xFF] + b"\n" for p in batch]
            batch = batch[: (size_bytes - written) // 11]
            out.write(b"".join(batch))
            written += 11 * len(batch)
            lines += len(batch)
    return lines


def skewed(size_bytes: int, repeats: int = 1) -> dict[str, Any]:
    """Dedup on the two skewed lists, in fresh processes: seconds and peak RSS growth."""
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="validation-bench-") as tmp:
        for kind in ("repeated", "one-bucket"):
            target = os.path.join(tmp, f"{kind}.csv")
            generate_skewed(target, size_bytes, kind)
            runs = [_measure("dedup", target) for _ in range(repeats)]
            seconds = statistics.median(r["seconds"] for r in runs)
            figures[kind] = {
                "file_bytes": os.path.getsize(target),
                "seconds": seconds,
                "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
                "mb_per_s": os.path.getsize(target) / 1e6 / seconds,
                "rss_growth_mib": max(r["rss_growth_kib"] for r in runs) / 1024,
                "stats": runs[0]["stats"],
            }
            os.remove(target)
    return figures


def _measure(mode: str, path: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, path, str(HERE.parent / "lambda")],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout)


def run(
    size_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    path: str | None = None,
    repeats: int = 3,
    lambda_memory_mb: int | None = None,
) -> dict[str, Any]:
    """Generate (unless ``path`` exists) a list of ``size_bytes``; measure each mode.

    Modes are interleaved over ``repeats`` rounds; each figure is the median of its runs.
    """
    with tempfile.TemporaryDirectory(prefix="validation-bench-") as tmp:
        target = path or os.path.join(tmp, "users.csv")
        if not os.path.exists(target):
            generate(target, size_bytes)
        size = os.path.getsize(target)
        _measure("read", target)  # the file is read from the page cache in every run
        load_before = os.getloadavg()
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for index in range(repeats):
            for mode in MODES if index % 2 == 0 else reversed(MODES):
                runs[mode].append(_measure(mode, target))
    mb = size / 1e6
    figures: dict[str, Any] = {
        "file_bytes": size,
        "chunk_size": CHUNK_SIZE,
        "repeats": repeats,
        "python": sys.version.split()[0],
        # Wall time is what counts, but on a shared machine it also measures the neighbours:
        # the 1-minute load average around the runs and the CPU time say how much.
        "load_average_1m": [load_before[0], os.getloadavg()[0]],
        "cpus": os.cpu_count(),
    }
    ids = runs["dedup"][0]["ids"]
    for mode in MODES:
        seconds = statistics.median(r["seconds"] for r in runs[mode])
        cpu_seconds = statistics.median(r["cpu_seconds"] for r in runs[mode])
        figures[mode] = {
            "seconds": seconds,
            "mb_per_s": mb / seconds,
            "cpu_seconds": cpu_seconds,
            "cpu_mb_per_s": mb / cpu_seconds if cpu_seconds else None,
            "ns_per_id": seconds / ids * 1e9 if ids else None,
            "rss_growth_mib": max(r["rss_growth_kib"] for r in runs[mode]) / 1024,
            "vm_hwm_mib": max(r["vm_hwm_kib"] for r in runs[mode]) / 1024,
            "runs_seconds": [r["seconds"] for r in runs[mode]],
        }
    figures["ids"] = ids
    figures["stats"] = runs["dedup"][0]["stats"]
    if lambda_memory_mb is not None:
        share = min(1.0, lambda_memory_mb / LAMBDA_MB_PER_VCPU)
        figures["lambda_estimate"] = {
            "memory_mb": lambda_memory_mb,
            "vcpu_share": share,
            "dedup_mb_per_s": figures["dedup"]["mb_per_s"] * share,
            "rules_mb_per_s": figures["rules"]["mb_per_s"] * share,
            "dedup_seconds_100_mb": DEFAULT_MAX_TOTAL_BYTES
            / 1e6
            / (figures["dedup"]["mb_per_s"] * share),
            "assumes": "one core here equals one Lambda vCPU (arm64 Graviton); S3 read time "
            "is not included",
        }
    return figures


def print_table(figures: dict[str, Any]) -> None:
    """Print the modes side by side (also used by benchmarks/run.py)."""
    print(
        f"{'mode':<8}{'seconds':>10}{'MB/s':>9}{'ns/id':>8}{'RSS growth MiB':>16}{'VmHWM MiB':>11}"
        f"{'CPU MB/s':>10}"
    )
    for mode in MODES:
        row = figures[mode]
        ns = f"{row['ns_per_id']:.0f}" if row["ns_per_id"] else "-"
        cpu = f"{row['cpu_mb_per_s']:.1f}" if row.get("cpu_mb_per_s") else "-"
        print(
            f"{mode:<8}{row['seconds']:>10.3f}{row['mb_per_s']:>9.1f}{ns:>8}"
            f"{row['rss_growth_mib']:>16.1f}{row['vm_hwm_mib']:>11.1f}{cpu:>10}"
        )
    if "load_average_1m" in figures:
        before, after = figures["load_average_1m"]
        print(
            f"medians of {figures['repeats']} fresh-process runs per mode; 1-minute load "
            f"average {before:.2f} before, {after:.2f} after, on {figures['cpus']} CPUs"
        )
    estimate = figures.get("lambda_estimate")
    if estimate:
        print(
            f"on_event at {estimate['memory_mb']} MB ({estimate['vcpu_share']:.2f} vCPU): "
            f"~{estimate['dedup_mb_per_s']:.0f} MB/s with dedup, "
            f"~{estimate['rules_mb_per_s']:.0f} MB/s rules only; a 100 MB list in "
            f"~{estimate['dedup_seconds_100_mb']:.1f} s ({estimate['assumes']})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=DEFAULT_MAX_TOTAL_BYTES / 1e6)
    parser.add_argument("--path", help="existing list to measure, or where to generate it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lambda-memory-mb", type=int, default=None)
    parser.add_argument("--json", dest="json_path", help="write the figures to this file")
    parser.add_argument(
        "--skewed",
        action="store_true",
        help="also measure lists that defeat hash partitioning (one id repeated; distinct ids "
        "crafted into one bucket): the memory bound under skew",
    )
    args = parser.parse_args(argv)
    figures = run(int(args.size_mb * 1e6), args.path, args.repeats, args.lambda_memory_mb)
    if args.skewed:
        figures["skewed"] = skewed(int(args.size_mb * 1e6))
    print(f"file: {figures['file_bytes']:,} bytes, {figures['ids']:,} ids")
    print_table(figures)
    stats = figures["stats"]
    print(
        f"ids received {stats['ids_received']:,}, duplicates {stats['duplicate_ids']:,}, "
        f"staged {stats['ids_staged']:,}"
    )
    for kind, row in figures.get("skewed", {}).items():
        print(
            f"skewed ({kind}): {row['file_bytes']:,} bytes in {row['seconds']:.1f} s "
            f"({row['mb_per_s']:.1f} MB/s, CPU {row['cpu_seconds']:.1f} s), RSS growth "
            f"{row['rss_growth_mib']:.1f} MiB, {row['stats']['ids_staged']:,} ids staged"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
