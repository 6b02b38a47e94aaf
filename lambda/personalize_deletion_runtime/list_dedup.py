"""De-duplication of a deletion list in bounded memory, in the canonical order.

The canonical order (see :mod:`.user_list`): bucket ``zlib.crc32(id) % PARTITIONS`` first,
then the order of first occurrence within the bucket. :class:`PartitionStore` scatters each
batch of ids into those buckets as it arrives (one ``crc32`` per id; the joined ``id\\n``
runs are compact bytes, not millions of small objects) and appends the buffered runs to one
anonymous spill file whenever ``MemoryBudget.buffer_bytes`` of ids are held. At the end each
bucket is de-duplicated on its own:

- a bucket whose estimated cost fits ``MemoryBudget.bucket_bytes`` (every bucket of an even
  list: 1/256 of it) is read whole and de-duplicated with an insertion-ordered dict;
- a bigger bucket (a skewed or very repetitive list: all ids alike, or crafted to share a
  bucket) is read in pieces of ``piece_bytes``: first into one running dict of its distinct
  ids, which suffices when they are few (many copies of a few ids); when they are too many
  for the budget, its distinct ids are split into hash classes (a hash salted per process,
  so no input can be crafted to fill one class) and each class is found in its own pass
  over the bucket, marking the position of each id's first occurrence in a bitmap (one bit
  per id); a last pass emits the marked ids, in bucket order.

So memory stays within about ``buffer_bytes + bucket_bytes`` plus a bitmap of the largest
bucket (an eighth of a byte per id) for any input; the budget never changes the output.
"""

from __future__ import annotations

import os
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import compress, islice, repeat
from typing import BinaryIO

__all__ = ["PARTITIONS", "MemoryBudget", "PartitionStore"]

PARTITIONS = 256
"""Number of hash buckets. Part of the output-order definition, so it is a constant rather
than a setting: changing it changes every canonical SHA-256."""

_PER_ID_BYTES = 128
"""Estimated memory one id costs beyond its bytes while a bucket is de-duplicated: the bytes
object's header, a list slot and a share of the dict's table (measured: 90-120)."""

_SET_ID_BYTES = 96
"""The same for an id held in a set (measured: 83 plus its length)."""

_MAX_CLASSES = 256
"""At most this many passes over one bucket: a class then holds 1/256 of the bucket's distinct
ids, at most about 12 MiB for a list of the 100 MB maximum."""

_BITS_TO_FLAGS = bytes.maketrans(b"01", b"\x00\x01")

_NO_RUNS: array[int] = array("q")
"""The runs of every bucket that has not spilled: shared, so it is never extended."""


@dataclass(frozen=True)
class MemoryBudget:
    """What the store may hold in memory; changes memory use and speed, never the output.

    ``buffer_bytes``: id bytes buffered before they are appended to the spill file;
    ``bucket_bytes``: estimated memory for de-duplicating one bucket (see the module doc);
    ``piece_bytes``: size of the pieces a bucket over that estimate is read in.
    """

    buffer_bytes: int = 8 << 20
    bucket_bytes: int = 24 << 20
    piece_bytes: int = 1 << 17

    def __post_init__(self) -> None:
        if min(self.buffer_bytes, self.bucket_bytes) < 0 or self.piece_bytes < 1:
            raise ValueError("budgets must be >= 0 and piece_bytes >= 1")


class PartitionStore:
    """Collects valid ids (``add``) and yields them de-duplicated (``deduplicated``)."""

    def __init__(self, workdir: str | None, budget: MemoryBudget | None = None) -> None:
        self._workdir = workdir
        self._budget = budget or MemoryBudget()
        self._scratch: list[list[bytes]] = [[] for _ in range(PARTITIONS)]
        self._buckets: list[list[bytes]] = [[] for _ in range(PARTITIONS)]
        self._buffered = 0
        self._spill: BinaryIO | None = None
        # Offset and length of each spilled run of a bucket, in pairs; a bucket gets its own
        # array when it first spills (256 arrays cost more than validating a short list).
        self._runs: list[array[int]] = [_NO_RUNS] * PARTITIONS
        self._spilled_ids = [0] * PARTITIONS  # ids in each bucket's spilled runs
        self._spilled = 0  # bytes written to the spill file

    def add(self, ids: list[bytes], size: int) -> None:
        """Buffer ``ids`` (``size``: their approximate byte count, for the spill budget).

        Each batch is scattered into per-bucket scratch lists and joined at once, while the
        fresh id objects are still in the CPU cache (holding them longer is slower).
        """
        scratch, mask = self._scratch, PARTITIONS - 1
        for user_id, crc in zip(ids, map(zlib.crc32, ids), strict=True):
            scratch[crc & mask].append(user_id)  # specialized list.append
        for part, bucket in zip(scratch, self._buckets, strict=True):
            if part:
                part.append(b"")  # so the join ends with a newline
                bucket.append(b"\n".join(part))
                part.clear()
        self._buffered += size
        if self._buffered > self._budget.buffer_bytes:
            self._spill_buckets()

    def _spill_buckets(self) -> None:
        if self._spill is None:
            # Anonymous (unlinked at creation on Linux), so nothing is left behind on a crash.
            self._spill = tempfile.TemporaryFile(prefix="user-list-", dir=self._workdir)  # noqa: SIM115
        write, offset = self._spill.write, self._spilled
        for index, bucket in enumerate(self._buckets):
            if bucket:
                run = b"".join(bucket)
                bucket.clear()
                write(run)
                runs = self._runs[index]
                if runs is _NO_RUNS:
                    runs = self._runs[index] = array("q")
                runs.extend((offset, len(run)))
                self._spilled_ids[index] += run.count(b"\n")
                offset += len(run)
        self._spilled = offset
        self._buffered = 0

    def deduplicated(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(count, ids)`` pieces in canonical order: ``count`` distinct ids as
        ``id\\n`` records; together the pieces are the whole de-duplicated list."""
        if self._spill is not None:
            self._spill.flush()
        for index in range(PARTITIONS):
            bucket, runs = self._buckets[index], self._runs[index]
            if not (bucket or runs):
                continue
            size = sum(runs[1::2]) + sum(map(len, bucket))
            count = self._spilled_ids[index] + sum(run.count(b"\n") for run in bucket)
            if 2 * size + count * _PER_ID_BYTES <= self._budget.bucket_bytes:
                yield self._small_bucket(index)
            else:
                yield from self._large_bucket(index, size, count)
            bucket.clear()

    def _small_bucket(self, index: int) -> tuple[int, bytes]:
        runs = [*map(_read, repeat(self._spill), *_pairs(self._runs[index])), *self._buckets[index]]
        ids: list[bytes] = []
        for run in runs:  # each run ends with a newline
            ids += run.split(b"\n")
            ids.pop()
        distinct = dict.fromkeys(ids)
        if len(distinct) == len(ids):
            return len(ids), b"".join(runs)
        distinct[b""] = None  # so the join ends with a newline
        return len(distinct) - 1, b"\n".join(distinct)

    def _large_bucket(self, index: int, size: int, count: int) -> Iterator[tuple[int, bytes]]:
        """Bucket ``index`` (``size`` bytes of ``count`` ids) de-duplicated in pieces."""
        limit = self._budget.bucket_bytes
        # Few distinct ids (many copies): one running dict keeps them in first-occurrence order.
        distinct: dict[bytes, None] = {}
        held = 0
        for ids in self._pieces(index):
            before = len(distinct)
            distinct.update(dict.fromkeys(ids))  # a known id keeps its place
            added = len(distinct) - before
            held += sum(map(len, islice(reversed(distinct), added))) + added * _PER_ID_BYTES
            if held > limit:
                break
        else:
            distinct[b""] = None
            yield len(distinct) - 1, b"\n".join(distinct)
            return
        del distinct
        # Too many distinct ids: find first occurrences class by class, then emit them.
        classes = min(-(-(size + count * _SET_ID_BYTES) // max(limit, 1)) + 1, _MAX_CLASSES)
        first = bytearray((count + 7) // 8)
        while not self._mark_first(index, classes, first):
            classes = min(2 * classes, _MAX_CLASSES)
            first = bytearray(len(first))
        position = 0
        for ids in self._pieces(index):
            kept = list(compress(ids, _flags(first, position, len(ids))))
            position += len(ids)
            if kept:
                kept.append(b"")
                yield len(kept) - 1, b"\n".join(kept)

    def _mark_first(self, index: int, classes: int, first: bytearray) -> bool:
        """Set the bit of each id's first occurrence, one hash class per pass; False if a
        class outgrew the budget (then more classes are needed).

        Each id's class is computed once, into a spill file of one byte per id, so a pass
        only selects its ids (``translate`` and ``compress``, no per-id Python call)."""
        salt = int.from_bytes(os.urandom(8), "little")
        with tempfile.TemporaryFile(prefix="user-list-", dir=self._workdir) as labels:
            for ids in self._pieces(index):
                labels.write(bytes(map(classes.__rmod__, map(hash, zip(repeat(salt), ids)))))
            for number in range(classes):
                select = bytes(int(label == number) for label in range(256))
                seen: set[bytes] = set()
                held = 0
                position = 0
                labels.seek(0)
                for ids in self._pieces(index):
                    chosen = labels.read(len(ids)).translate(select)
                    at_ids = zip(
                        compress(range(position, position + len(ids)), chosen),
                        compress(ids, chosen),
                        strict=True,
                    )
                    for at, user_id in at_ids:
                        if user_id not in seen:
                            seen.add(user_id)
                            held += len(user_id) + _SET_ID_BYTES
                            first[at >> 3] |= 1 << (at & 7)
                    position += len(ids)
                    if held > self._budget.bucket_bytes and classes < _MAX_CLASSES:
                        return False
        return True

    def _pieces(self, index: int) -> Iterator[list[bytes]]:
        """The ids of bucket ``index`` in order, in lists of about ``piece_bytes`` each."""
        spill, piece = self._spill, self._budget.piece_bytes
        for offset, length in zip(*_pairs(self._runs[index]), strict=True):
            end = offset + length
            while offset < end:
                data = _whole_lines(partial(_read, spill, offset), end - offset, piece)
                offset += len(data)
                yield data[:-1].split(b"\n")
        for run in self._buckets[index]:
            start = 0
            while start < len(run):
                data = _whole_lines(partial(_slice, run, start), len(run) - start, piece)
                start += len(data)
                yield data[:-1].split(b"\n")

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None


def _pairs(runs: array[int]) -> tuple[array[int], array[int]]:
    """The offsets and the lengths of ``runs``."""
    return runs[::2], runs[1::2]


def _flags(bits: bytearray, start: int, count: int) -> bytes:
    """Bits ``start`` to ``start + count - 1`` of ``bits`` (bit i: byte i >> 3, bit i & 7)
    as ``count`` bytes of 0 or 1, a selector for ``itertools.compress``."""
    value = int.from_bytes(bits[start >> 3 : ((start + count - 1) >> 3) + 1], "little")
    value = (value >> (start & 7)) & ((1 << count) - 1)
    return format(value, f"0{count}b")[::-1].encode("ascii").translate(_BITS_TO_FLAGS)


def _whole_lines(read: Callable[[int], bytes], remaining: int, size: int) -> bytes:
    """``read(n)`` of about ``size`` bytes cut after its last newline (``remaining`` bytes are
    left, ending with one); reads more when a line is longer than ``size``."""
    while True:
        data = read(min(size, remaining))
        if len(data) == remaining:
            return data
        cut = data.rfind(b"\n") + 1
        if cut:
            return data[:cut]
        size *= 2


def _slice(data: bytes, start: int, length: int) -> bytes:
    return data[start : start + length]


def _read(spill: BinaryIO | None, offset: int, length: int) -> bytes:
    assert spill is not None
    spill.seek(offset)
    data = spill.read(length)
    if len(data) != length:  # pragma: no cover - the file is ours and only grows
        raise OSError("deletion list spill file was truncated")
    return data
