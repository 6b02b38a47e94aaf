"""De-duplication in bounded memory (list_dedup): counts, canonical order and peak memory.

Budgets are injected small so that lists of a few hundred KB take every path: a bucket read
whole, a big bucket with few distinct ids (one running dict), a big bucket with many (hash
classes and a first-occurrence bitmap). Every path must give the bytes of the reference: the
documented order, crc32 bucket first, then first occurrence.
"""

from __future__ import annotations

import functools
import hashlib
import random
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from personalize_deletion_runtime import list_dedup
from personalize_deletion_runtime.list_dedup import MemoryBudget, PartitionStore, _flags
from personalize_deletion_runtime.user_list import (
    PARTITIONS,
    InputValidationError,
    ListStats,
    canonicalize,
)

pytestmark = pytest.mark.fast

TINY = MemoryBudget(buffer_bytes=4096, bucket_bytes=16_384, piece_bytes=512)


def reference(ids: list[bytes]) -> bytes:
    """Independent statement of the documented order: crc32 bucket, then first occurrence."""
    distinct = list(dict.fromkeys(ids))
    ordered = sorted(distinct, key=lambda i: zlib.crc32(i) % PARTITIONS)  # stable sort
    return b"USER_ID\n" + b"".join(i + b"\n" for i in ordered)


def run(
    ids: list[bytes], budget: MemoryBudget | None = None, workdir: Path | None = None
) -> tuple[ListStats, bytes]:
    data = b"USER_ID\n" + b"".join(i + b"\n" for i in ids)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    out: list[bytes] = []
    stats = canonicalize(
        [("a.csv", chunks)],
        out.append,
        budget=budget,
        workdir=None if workdir is None else str(workdir),
    )
    return stats, b"".join(out)


def same_bucket(count: int, bucket: int = 0, start: int = 0) -> list[bytes]:
    """``count`` distinct ids that all fall into ``bucket`` (the skew an adversary can craft)."""
    found: list[bytes] = []
    number = start
    while len(found) < count:
        candidate = b"u-%d" % number
        if zlib.crc32(candidate) % PARTITIONS == bucket:
            found.append(candidate)
        number += 1
    return found


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the large-bucket path runs, and the most hash classes the class path used."""
    calls = {"large": 0, "classes": 0}
    large, mark = PartitionStore._large_bucket, PartitionStore._mark_first

    def count_large(
        self: PartitionStore, index: int, size: int, count: int
    ) -> Iterator[tuple[int, bytes]]:
        calls["large"] += 1
        return large(self, index, size, count)

    def count_mark(self: PartitionStore, index: int, classes: int, first: bytearray) -> bool:
        # The most classes a pass split the bucket into (the salt is random per process, so
        # whether a first try overflows, and a second pass runs, is not deterministic).
        calls["classes"] = max(calls["classes"], classes)
        return mark(self, index, classes, first)

    monkeypatch.setattr(PartitionStore, "_large_bucket", count_large)
    monkeypatch.setattr(PartitionStore, "_mark_first", count_mark)
    return calls


@functools.cache
def lists() -> dict[str, list[bytes]]:
    rng = random.Random(14)
    skewed = same_bucket(3000)
    unique = [b"id-%d" % i for i in range(5000)]
    return {
        "skewed-distinct": skewed,
        "skewed-with-duplicates": [rng.choice(skewed) for _ in range(6000)],
        "one-id-repeated": [b"u1"] * 20_000,
        "few-ids-repeated": [b"x%d" % rng.randrange(7) for _ in range(20_000)],
        "all-unique": unique,
        "many-duplicates": [rng.choice(unique[:800]) for _ in range(8000)],
        "duplicates-far-apart": [*unique, *reversed(unique)],
        "one-id": [b"only"],
        "mixed-lengths": [b"v" * rng.randrange(1, 257) for _ in range(3000)],
    }


@pytest.mark.parametrize("name", sorted(lists()))
@pytest.mark.parametrize(
    "budget",
    [None, TINY, MemoryBudget(buffer_bytes=0, bucket_bytes=16_384, piece_bytes=64)],
    ids=["default", "tiny", "small-pieces"],
)
def test_every_path_gives_the_reference(name: str, budget: MemoryBudget | None) -> None:
    # GIVEN a list (skewed, repetitive, unique, ...) and a memory budget
    ids = lists()[name]
    # WHEN canonicalized
    stats, output = run(ids, budget)
    # THEN the bytes are the reference's and the counts add up
    assert output == reference(ids)
    distinct = len(set(ids))
    assert (stats.ids_received, stats.ids_staged) == (len(ids), distinct)
    assert stats.duplicate_ids == len(ids) - distinct
    assert stats.sha256 == hashlib.sha256(output).hexdigest()


def test_big_buckets_take_the_bounded_paths(paths: dict[str, int]) -> None:
    # GIVEN a tiny budget WHEN an even list is canonicalized THEN every bucket is read whole
    run([b"id-%d" % i for i in range(500)], TINY)
    assert paths == {"large": 0, "classes": 0}
    # WHEN one bucket holds many copies of a few ids THEN one running dict suffices
    run(same_bucket(2) * 10_000, TINY)
    assert paths == {"large": 1, "classes": 0}
    # WHEN one bucket holds many distinct ids THEN they are found class by class
    run(same_bucket(2000), TINY)
    assert paths["large"] == 2 and paths["classes"] >= 2


@pytest.mark.parametrize(
    "ids",
    [same_bucket(12_000), [b"u1"] * 200_000, same_bucket(50) * 2400],
    ids=["skewed-distinct", "one-id-repeated", "few-ids-repeated"],
)
def test_peak_memory_stays_within_the_budget(ids: list[bytes]) -> None:
    # GIVEN a list whose ids all fall into a few buckets, many times the bucket budget
    budget = MemoryBudget(buffer_bytes=16 << 10, bucket_bytes=32 << 10, piece_bytes=4 << 10)
    data = b"USER_ID\n" + b"".join(i + b"\n" for i in ids)
    assert len(data) > 3 * budget.bucket_bytes
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    # WHEN canonicalized while Python's allocations are traced (the output is hashed, not kept)
    sha = hashlib.sha256()
    tracemalloc.start()
    try:
        stats = canonicalize([("a.csv", iter(chunks))], sha.update, budget=budget)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # THEN the output is right AND the peak stays near buffer + bucket budget, far below the
    # list (the bitmap of first occurrences is an eighth of a byte per id)
    assert sha.digest() == hashlib.sha256(reference(ids)).digest()
    assert stats.ids_staged == len(set(ids))
    # (main's store peaked at 1.7, 9.4 and 6.6 MB on these lists)
    assert peak < budget.buffer_bytes + 2 * budget.bucket_bytes + len(ids) // 8 + (256 << 10)


def test_flags_read_any_run_of_bits() -> None:
    # GIVEN a random bitmap
    rng = random.Random(3)
    bits = bytearray(rng.randbytes(40))
    naive = [(bits[i >> 3] >> (i & 7)) & 1 for i in range(320)]
    # WHEN any run of bits is read THEN it is those bits, in order, as bytes of 0 and 1
    for start in range(0, 300, 7):
        for count in (1, 5, 8, 9, 20):
            assert _flags(bits, start, count) == bytes(naive[start : start + count])


def test_failures_leave_no_spill_files(tmp_path: Path) -> None:
    # GIVEN a skewed list spilled with a tiny budget, and a sink that fails mid-output
    ids = same_bucket(2000)

    def failing_sink(piece: bytes) -> None:
        if piece != b"USER_ID\n":
            raise OSError("disk full")

    data = b"USER_ID\n" + b"".join(i + b"\n" for i in ids)
    # WHEN the output cannot be written THEN the error surfaces AND no file remains
    with pytest.raises(OSError, match="disk full"):
        canonicalize([("a.csv", [data])], failing_sink, budget=TINY, workdir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    # AND WHEN the list is invalid after spilling THEN the rule is reported AND no file remains
    with pytest.raises(InputValidationError, match="forbidden-character"):
        canonicalize(
            [("a.csv", [data + b"a,b\n"])], failing_sink, budget=TINY, workdir=str(tmp_path)
        )
    assert list(tmp_path.iterdir()) == []
    # AND the happy path leaves nothing either
    run(ids, TINY, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="budgets"):
        MemoryBudget(bucket_bytes=-1)
    with pytest.raises(ValueError, match="piece_bytes"):
        MemoryBudget(piece_bytes=0)
    assert list_dedup.PARTITIONS == PARTITIONS == 256
