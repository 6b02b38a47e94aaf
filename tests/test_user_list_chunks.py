"""Boundary tests for the deletion-list validator's chunked fast path (issue 14).

Every rule must give the same verdict wherever the stream is cut: an off-by-one at a chunk
boundary would accept a 257-character id, lose a duplicate or count the size limit wrong.
A single-chunk run (which reads the header and so takes the general path) is the oracle
for runs cut into many chunks (which take the ASCII fast path after the header).
"""

from __future__ import annotations

import hashlib
import random
import zlib
from pathlib import Path

import pytest
from personalize_deletion_runtime.user_list import (
    CHUNK_SIZE,
    PARTITIONS,
    InputValidationError,
    Limits,
    ListStats,
    MemoryBudget,
    canonicalize,
    validate_file,
)

pytestmark = pytest.mark.fast

SECRET = b"alice-secret-42"  # stands in for personal data that must never leak


def run(
    chunks: list[bytes], limits: Limits | None = None, budget: MemoryBudget | None = None
) -> tuple[ListStats, bytes]:
    out: list[bytes] = []
    stats = canonicalize([("c.csv", chunks)], out.append, limits=limits, budget=budget)
    return stats, b"".join(out)


def outcome(chunks: list[bytes], limits: Limits | None = None) -> object:
    """Stats and output, or the error's (rule, line); asserts no id leaks into an error."""
    try:
        return run(chunks, limits)
    except InputValidationError as exc:
        assert SECRET.decode() not in str(exc)
        return (exc.rule, exc.line)


def reference_output(ids: list[bytes]) -> bytes:
    distinct = list(dict.fromkeys(ids))
    ordered = sorted(distinct, key=lambda i: zlib.crc32(i) % PARTITIONS)
    return b"USER_ID\n" + b"".join(i + b"\n" for i in ordered)


def every_cut(data: bytes, start: int, stop: int) -> list[list[bytes]]:
    """``data`` in two chunks for every cut in [start, stop], then in three (header apart)."""
    header = data.index(b"\n") + 1
    splits = [[data[:cut], data[cut:]] for cut in range(start, stop + 1)]
    splits += [[data[:header], data[header:cut], data[cut:]] for cut in range(header, stop + 1)]
    return splits


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize(("length", "ok"), [(256, True), (257, False)])
def test_id_length_boundary_across_chunk_cuts(ending: bytes, length: int, ok: bool) -> None:
    # GIVEN an id of exactly 256 (or 257) characters between two valid ids
    long_id = SECRET + b"x" * (length - len(SECRET))
    data = b"USER_ID" + ending + b"u1" + ending + long_id + ending + b"u2" + ending
    start = data.index(long_id)
    # WHEN the stream is cut anywhere around and inside the long id (also between CR and LF)
    for chunks in [[data], *every_cut(data, start - 2, start + len(long_id) + len(ending) + 1)]:
        result = outcome(chunks)
        # THEN 256 is accepted and 257 refused on line 3, whatever the cut
        if ok:
            stats, output = result  # type: ignore[misc]
            assert (stats.ids_received, stats.ids_staged) == (3, 3)
            assert output == reference_output([b"u1", long_id, b"u2"])
        else:
            assert result == ("id-too-long", 3), chunks


def test_id_length_boundary_on_module_chunk_size(tmp_path: Path) -> None:
    # GIVEN files where a 256- or 257-character id straddles the CHUNK_SIZE read boundary
    filler = b"USER_ID\n" + b"".join(b"f%07d\n" % i for i in range((CHUNK_SIZE - 408) // 9))
    for length, offset in [(256, 100), (257, 100), (256, 1), (257, 1), (257, 256), (257, 257)]:
        long_id = SECRET + b"y" * (length - len(SECRET))
        pad = CHUNK_SIZE - offset - len(filler)  # bytes of valid lines still needed
        head = filler
        while pad > 200:
            head, pad = head + b"p" * 99 + b"\n", pad - 100
        head += b"q" * (pad - 1) + b"\n"
        assert len(head) == CHUNK_SIZE - offset  # the long id starts `offset` bytes early
        path = tmp_path / f"{length}-{offset}.csv"
        path.write_bytes(head + long_id + b"\nlast\n")
        lines = head.count(b"\n") + 1  # the long id's line number
        # WHEN validated with the module's chunk size
        if length == 256:
            # THEN a 256-character id passes
            stats = validate_file(path)
            assert stats.ids_received == lines  # ids below the header, plus "last"
        else:
            # THEN a 257-character id is refused on its own line, without its content
            with pytest.raises(InputValidationError, match=r"\[id-too-long\]") as info:
                validate_file(path)
            assert info.value.line == lines
            assert SECRET.decode() not in str(info.value)


@pytest.mark.parametrize("spill", [False, True], ids=["in-memory", "spilled"])
def test_duplicate_copies_in_different_chunks(spill) -> None:
    # GIVEN a list whose two copies of an id lie in different chunks (and runs, if spilled)
    budget = MemoryBudget(buffer_bytes=16) if spill else None
    ids = [b"id-%d" % i for i in range(50)]
    first, second = [*ids[:25], SECRET], [*ids[25:], SECRET]
    chunks = [b"USER_ID\n", b"\n".join(first) + b"\n", b"\n".join(second) + b"\n"]
    # WHEN canonicalized, also with the second copy cut in two and with no final newline
    for variant in (
        chunks,
        [*chunks[:2], chunks[2][:-9], chunks[2][-9:]],
        [*chunks[:2], chunks[2][:-1]],
    ):
        stats, output = run(variant, budget=budget)
        # THEN exactly one duplicate is found and the first copy is kept
        assert (stats.ids_received, stats.duplicate_ids, stats.ids_staged) == (52, 1, 51)
        assert output == reference_output(first + second)
        assert stats.sha256 == hashlib.sha256(output).hexdigest()


def test_last_line_without_newline() -> None:
    # GIVEN a last line without a trailing newline, read whole or cut inside it
    data = b"USER_ID\nu1\nu2\nlast-id"
    for chunks in [[data], *every_cut(data, len(data) - 9, len(data))]:
        stats, output = run(chunks)
        # THEN it is an id like any other
        assert (stats.ids_received, stats.ids_staged) == (3, 3)
        assert output == reference_output([b"u1", b"u2", b"last-id"])
    # AND a 257-character last line without a newline is still too long
    data = b"USER_ID\nu1\n" + SECRET + b"z" * (257 - len(SECRET))
    for chunks in [[data], *every_cut(data, 10, len(data))]:
        assert outcome(chunks) == ("id-too-long", 3)


def test_size_limit_exactly_and_one_byte_over() -> None:
    # GIVEN a list, in chunks that take the fast path after the header
    data = b"USER_ID\n" + b"".join(b"user-%d\n" % i for i in range(300))
    size = len(data)
    for chunks in [[data], *every_cut(data, 8, 40), *every_cut(data, size - 20, size)]:
        # WHEN the limit is exactly its size THEN it passes
        stats, _ = run(chunks, Limits(max_total_bytes=size))
        assert (stats.bytes_read, stats.ids_received) == (size, 300)
        # WHEN the limit is one byte less THEN the size rule refuses it
        assert outcome(chunks, Limits(max_total_bytes=size - 1)) == ("size-limit", None)


def test_blank_lines_counted_across_chunks() -> None:
    # GIVEN blank lines (LF and CRLF) at chunk edges
    data = b"USER_ID\nu1\n\n\nu2\n\r\nu3\n\n"
    for chunks in [[data], *every_cut(data, 8, len(data))]:
        stats, _ = run(chunks)
        # THEN each blank line is counted once and ignored
        assert (stats.ids_received, stats.blank_lines) == (3, 4)


LINE_KINDS = [
    b"plain-id",
    b"",
    b" lead",
    b"trail ",
    b"in side",
    b"com,ma",
    b'"quoted"',
    b"tab\tx",
    b"del\x7f",
    "é-multibyte".encode(),
    b"bad\xff",
    b"x" * 256,
    b"x" * 257,
    b"y" * 1100,
    b"lone\rcr",
    SECRET,
]


def test_fast_path_matches_general_path_on_random_inputs() -> None:
    # GIVEN random lists mixing valid and invalid lines, LF and CRLF endings
    rng = random.Random(14)
    for _ in range(300):
        lines = [rng.choice(LINE_KINDS[:1] * 6 + LINE_KINDS) for _ in range(rng.randrange(1, 12))]
        ending = rng.choice([b"\n", b"\n", b"\r\n"])
        data = b"USER_ID\n" + b"".join(line + ending for line in lines)
        if rng.random() < 0.3:
            data = data[: -len(ending)]
        limits = Limits(max_total_bytes=rng.choice([len(data), len(data) - 1, 10**9]))
        # WHEN read in one chunk (general path) and in random chunks (fast path)
        whole = outcome([data], limits)
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(1, 6))))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        # THEN the verdict (stats and bytes, or rule and line) is identical
        assert outcome(chunks, limits) == whole, (data, cuts)
