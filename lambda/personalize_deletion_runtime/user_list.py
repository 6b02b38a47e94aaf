"""Validate and canonicalize an Amazon Personalize deletion list (a CSV of user ids).

The same rules run in two places: at synth time, where the CDK construct checks a local
file before it is uploaded, and inside the custom-resource Lambda, where the list is
streamed from S3 before ``CreateDataDeletionJob`` is called. Keeping the rules in these
stdlib-only modules means a list that passes ``cdk synth`` cannot fail later for a different
reason. This module is the entry point: the rules are in :mod:`.list_rules`, the
de-duplication (and its spill file) in :mod:`.list_dedup`.

Input format: a CSV whose first line is exactly ``USER_ID`` followed by one user id per
line. A UTF-8 byte order mark before the header and CRLF line endings are accepted and
normalized away; blank lines are ignored (and counted); duplicate ids are dropped (and
counted).

Canonical output: ``USER_ID\\n`` followed by every distinct id, each terminated by ``\\n``.
The output is a pure function of the input bytes (it does not depend on chunk boundaries,
``PYTHONHASHSEED``, the size limit, the memory budget or the working directory), so its
SHA-256 identifies the list that was actually submitted (and names the job: the order is
part of every job's identity and must not change).

Output order (the trade-off of bounded-memory deduplication): ids are hash-partitioned into
``PARTITIONS`` buckets by ``zlib.crc32(id) % PARTITIONS`` so that each bucket can be
deduplicated on its own, from a spill file when the list is large. The output lists bucket
0 first, then bucket 1, and so on; within a bucket ids keep the order of their first
occurrence. The order is therefore stable but not the input order. Amazon Personalize does
not care about the order of a deletion list, and a globally sorted output would need an
external merge sort, which is several times slower in pure Python.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .list_dedup import PARTITIONS, MemoryBudget, PartitionStore
from .list_rules import (
    DEFAULT_MAX_ID_LENGTH,
    DEFAULT_MAX_TOTAL_BYTES,
    HEADER,
    InputValidationError,
    Limits,
    Reader,
)

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_MAX_ID_LENGTH",
    "DEFAULT_MAX_TOTAL_BYTES",
    "HEADER",
    "PARTITIONS",
    "InputValidationError",
    "Limits",
    "ListStats",
    "MemoryBudget",
    "canonicalize",
    "iter_chunks",
    "select_csv_keys",
    "validate_file",
]

CHUNK_SIZE = 1 << 20
"""Read size used by :func:`validate_file` and recommended for S3 streaming bodies."""

_HEADER_LINE = HEADER.encode("ascii") + b"\n"


@dataclass(frozen=True)
class ListStats:
    """What canonicalization saw and produced; safe to log (contains no ids).

    ``ids_received`` counts non-blank data lines including duplicates;
    ``ids_staged = ids_received - duplicate_ids`` is the number of ids in the output;
    ``sha256`` is the hex digest of the canonical output bytes.
    """

    parts: int
    bytes_read: int
    ids_received: int
    blank_lines: int
    duplicate_ids: int
    ids_staged: int
    sha256: str


def select_csv_keys(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split an S3 listing of a "folder" source into CSV parts and ignored keys.

    A key is a part when it ends with ``.csv`` (case-insensitive). Folder markers (keys
    ending with ``/``) and any other files are returned separately so the caller can report
    how many were skipped instead of silently dropping them. Both lists are sorted by code
    point (equal to S3's UTF-8 binary order), because part order influences output order
    and must not depend on how the listing was paginated.
    """
    csv_keys: list[str] = []
    ignored: list[str] = []
    for key in keys:
        if not key.endswith("/") and key.lower().endswith(".csv"):
            csv_keys.append(key)
        else:
            ignored.append(key)
    return sorted(csv_keys), sorted(ignored)


def iter_chunks(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield ``stream`` in chunks; a tiny adapter so files and S3 bodies look the same."""
    while chunk := stream.read(chunk_size):
        yield chunk


def validate_file(
    path: str | os.PathLike[str],
    *,
    limits: Limits | None = None,
    workdir: str | None = None,
) -> ListStats:
    """Check a local deletion list at synth time and return its statistics.

    This runs the full canonicalization (so duplicate counts and the SHA-256 match what the
    Lambda will compute) but discards the output bytes.
    """
    with open(path, "rb") as stream:
        return canonicalize(
            [(os.fspath(path), iter_chunks(stream))],
            _discard,
            limits=limits,
            workdir=workdir,
        )


def canonicalize(
    parts: Iterable[tuple[str, Iterable[bytes]]],
    write: Callable[[bytes], object],
    *,
    limits: Limits | None = None,
    workdir: str | None = None,
    name: str | None = None,
    budget: MemoryBudget | None = None,
) -> ListStats:
    """Validate one or more CSV parts and write the canonical deletion list to ``write``.

    ``parts`` yields ``(source, chunks)`` pairs; ``source`` names the part in error
    messages (a file path or S3 key) and ``chunks`` may split the bytes anywhere. Each part
    carries its own header. ``write`` is called only after the whole input has been
    validated, so a rejected list never produces partial output. The spill file (only
    needed for lists larger than a few MiB) is an anonymous temporary file in ``workdir``
    (default: the system temp dir), closed and gone before returning. ``name`` labels the
    input as a whole in errors that concern no single part (default: the only part's
    source, or ``"input"``). ``budget`` bounds the memory de-duplication uses (default:
    ``MemoryBudget()``); it never changes the output.

    Raises :class:`InputValidationError` on the first rule violated, in input order.
    """
    limits = limits or Limits()
    store = PartitionStore(workdir, budget)
    try:
        reader = Reader(limits, store)
        sources: list[str] = []
        for source, chunks in parts:
            sources.append(source)
            reader.read_part(source, chunks)
        label = name or (sources[0] if len(sources) == 1 else "input")
        if reader.ids_received == 0:
            raise InputValidationError(
                label,
                None,
                "no-ids",
                "the list contains no user ids" + ("" if sources else " (no CSV parts were given)"),
                f"add at least one id below the {HEADER} header, or remove the deletion",
            )
        sha = hashlib.sha256()
        write(_HEADER_LINE)
        sha.update(_HEADER_LINE)
        staged = 0
        for count, piece in store.deduplicated():
            staged += count
            write(piece)
            sha.update(piece)
    finally:
        store.close()
    return ListStats(
        parts=len(sources),
        bytes_read=reader.bytes_read,
        ids_received=reader.ids_received,
        blank_lines=reader.blank_lines,
        duplicate_ids=reader.ids_received - staged,
        ids_staged=staged,
        sha256=sha.hexdigest(),
    )


def _discard(_: bytes) -> None:
    """A ``write`` sink for validation-only runs."""
