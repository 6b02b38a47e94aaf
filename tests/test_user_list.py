"""Tests for the deletion-list validator and canonicalizer (personalize_deletion_runtime)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from personalize_deletion_runtime.list_rules import check_user_id
from personalize_deletion_runtime.user_list import (
    PARTITIONS,
    InputValidationError,
    Limits,
    ListStats,
    MemoryBudget,
    canonicalize,
    select_csv_keys,
    validate_file,
)

pytestmark = pytest.mark.fast

SECRET = "alice-secret-42"  # stands in for personal data that must never leak
S = SECRET.encode()
BOM = b"\xef\xbb\xbf"


def run(parts: list[tuple[str, bytes | list[bytes]]], **kwargs) -> tuple[ListStats, bytes]:
    """Canonicalize ``parts`` (each given whole or as a list of chunks); return stats, output."""
    out: list[bytes] = []
    stats = canonicalize(
        [(src, [data] if isinstance(data, bytes) else data) for src, data in parts],
        out.append,
        **kwargs,
    )
    return stats, b"".join(out)


def reference_output(ids: list[bytes]) -> bytes:
    """Independent statement of the documented order: crc32 bucket, then first occurrence."""
    distinct = list(dict.fromkeys(ids))
    ordered = sorted(distinct, key=lambda i: zlib.crc32(i) % PARTITIONS)  # stable sort
    return b"USER_ID\n" + b"".join(i + b"\n" for i in ordered)


@dataclass
class Ok:
    received: int
    staged: int
    blank: int = 0
    dups: int = 0


@dataclass
class Err:
    rule: str
    line: int | None
    source: str = "a.csv"


# (id, parts, limits, expected). Every part is (source, bytes).
CASES: list[tuple[str, list[tuple[str, bytes]], Limits | None, Ok | Err]] = [
    ("plain", [("a.csv", b"USER_ID\nu1\nu2\n")], None, Ok(2, 2)),
    ("bom", [("a.csv", BOM + b"USER_ID\nu1\n")], None, Ok(1, 1)),
    ("crlf", [("a.csv", b"USER_ID\r\nu1\r\nu2\r\n")], None, Ok(2, 2)),
    ("bom-crlf", [("a.csv", BOM + b"USER_ID\r\n" + S + b"\r\n")], None, Ok(1, 1)),
    ("mixed-crlf-lf", [("a.csv", b"USER_ID\r\nu1\nu2\r\nu3\n")], None, Ok(3, 3)),
    ("no-final-newline", [("a.csv", b"USER_ID\nu1\n" + S)], None, Ok(2, 2)),
    ("no-final-newline-cr", [("a.csv", b"USER_ID\nu1\r")], None, Ok(1, 1)),
    ("trailing-blank-lines", [("a.csv", b"USER_ID\nu1\n\n\n")], None, Ok(1, 1, blank=2)),
    ("blank-lines-middle", [("a.csv", b"USER_ID\nu1\n\r\n\nu2\n")], None, Ok(2, 2, blank=2)),
    (
        "dups-within-part",
        [("a.csv", b"USER_ID\n" + S + b"\nu1\n" + S + b"\n")],
        None,
        Ok(3, 2, 0, 1),
    ),
    (
        "dups-across-parts",
        [("a.csv", b"USER_ID\nu1\n" + S + b"\n"), ("b.csv", b"USER_ID\r\n" + S + b"\r\nu2\n")],
        None,
        Ok(4, 3, 0, 1),
    ),
    ("interior-space-ok", [("a.csv", b"USER_ID\nfirst last\n")], None, Ok(1, 1)),
    ("id-256-chars-ok", [("a.csv", b"USER_ID\n" + b"x" * 256 + b"\n")], None, Ok(1, 1)),
    (
        "multibyte-256-chars-ok",
        [("a.csv", b"USER_ID\n" + "é".encode() * 256 + b"\n")],
        None,
        Ok(1, 1),
    ),
    ("multibyte-4-byte-ok", [("a.csv", "USER_ID\n😀user\n".encode())], None, Ok(1, 1)),
    ("empty-file", [("a.csv", b"")], None, Err("empty", None)),
    ("header-only", [("a.csv", b"USER_ID\n")], None, Err("no-ids", None)),
    ("header-only-no-newline", [("a.csv", BOM + b"USER_ID")], None, Err("no-ids", None)),
    ("only-blank-after-header", [("a.csv", b"USER_ID\n\n\r\n\n")], None, Err("no-ids", None)),
    ("header-lower-case", [("a.csv", b"user_id\n" + S + b"\n")], None, Err("header", 1)),
    ("header-extra-column", [("a.csv", b"USER_ID,X\n" + S + b"\n")], None, Err("header", 1)),
    ("header-missing", [("a.csv", S + b"\nu2\n")], None, Err("header", 1)),
    ("header-quoted", [("a.csv", b'"USER_ID"\nu1\n')], None, Err("header", 1)),
    ("header-bom-twice", [("a.csv", BOM + BOM + b"USER_ID\nu1\n")], None, Err("header", 1)),
    (
        "extra-column-in-row",
        [("a.csv", b"USER_ID\nu1\n" + S + b",x\n")],
        None,
        Err("forbidden-character", 3),
    ),
    ("quoted-id", [("a.csv", b'USER_ID\n"' + S + b'"\n')], None, Err("forbidden-character", 2)),
    ("comma-only", [("a.csv", b"USER_ID\n,\n")], None, Err("forbidden-character", 2)),
    ("tab", [("a.csv", b"USER_ID\nu1\n" + S + b"\tx\n")], None, Err("forbidden-character", 3)),
    ("nul", [("a.csv", b"USER_ID\n" + S + b"\x00\n")], None, Err("forbidden-character", 2)),
    ("del", [("a.csv", b"USER_ID\n" + S + b"\x7f\n")], None, Err("forbidden-character", 2)),
    (
        "c1-control",
        [("a.csv", "USER_ID\nü\x85".encode() + S + b"\n")],
        None,
        Err("forbidden-character", 2),
    ),
    (
        "lone-cr-inside",
        [("a.csv", b"USER_ID\n" + S + b"\rx\n")],
        None,
        Err("forbidden-character", 2),
    ),
    ("double-cr", [("a.csv", b"USER_ID\n" + S + b"\r\r\n")], None, Err("forbidden-character", 2)),
    (
        "leading-space",
        [("a.csv", b"USER_ID\n " + S + b"\n")],
        None,
        Err("surrounding-whitespace", 2),
    ),
    (
        "trailing-space",
        [("a.csv", b"USER_ID\nu\n" + S + b" \r\n")],
        None,
        Err("surrounding-whitespace", 3),
    ),
    (
        "spaces-only-line",
        [("a.csv", b"USER_ID\nu1\n   \n")],
        None,
        Err("surrounding-whitespace", 3),
    ),
    (
        "nbsp-suffix",
        [("a.csv", b"USER_ID\n" + S + "\u00a0".encode() + b"\n")],
        None,
        Err("surrounding-whitespace", 2),
    ),
    (
        "id-257-chars",
        [("a.csv", b"USER_ID\nu1\n" + S + b"x" * (257 - len(S)) + b"\n")],
        None,
        Err("id-too-long", 3),
    ),
    (
        "multibyte-257-chars",
        [("a.csv", b"USER_ID\n" + "é".encode() * 257 + b"\n")],
        None,
        Err("id-too-long", 2),
    ),
    ("very-long-line", [("a.csv", b"USER_ID\n" + S * 10_000)], None, Err("id-too-long", 2)),
    (
        "invalid-utf8-line-4",
        [("a.csv", b"USER_ID\nu1\nu2\n" + S + b"\xff\nu3\n")],
        None,
        Err("encoding", 4),
    ),
    (
        "latin1-file",
        [("a.csv", "USER_ID\nu1\nJosé".encode("latin-1") + b"\n")],
        None,
        Err("encoding", 3),
    ),
    ("truncated-utf8-at-eof", [("a.csv", b"USER_ID\n" + S + b"\xc3")], None, Err("encoding", 2)),
    (
        "first-error-wins",
        [("a.csv", b"USER_ID\n" + S + b",\n\xff\n")],
        None,
        Err("forbidden-character", 2),
    ),
    (
        "second-part-bad-header",
        [("a.csv", b"USER_ID\nu1\n"), ("folder/b.csv", b"USER_ID;\n" + S + b"\n")],
        None,
        Err("header", 1, "folder/b.csv"),
    ),
    (
        "second-part-empty",
        [("a.csv", b"USER_ID\nu1\n"), ("folder/b.csv", b"")],
        None,
        Err("empty", None, "folder/b.csv"),
    ),
    ("header-only-part-ok", [("a.csv", b"USER_ID\n"), ("b.csv", b"USER_ID\nu1\n")], None, Ok(1, 1)),
    ("size-exactly-at-limit", [("a.csv", b"USER_ID\nu1\n")], Limits(max_total_bytes=11), Ok(1, 1)),
    (
        "size-one-byte-over",
        [("a.csv", b"USER_ID\nu1\n")],
        Limits(max_total_bytes=10),
        Err("size-limit", None),
    ),
    (
        "size-over-across-parts",
        [("a.csv", b"USER_ID\nu1\n"), ("b.csv", b"USER_ID\nu2\n")],
        Limits(max_total_bytes=21),
        Err("size-limit", None, "b.csv"),
    ),
    (
        "content-error-before-size-limit",
        [("a.csv", b"USER_ID\n" + S + b",\nu2\nu3\n")],
        Limits(max_total_bytes=27),
        Err("forbidden-character", 2),
    ),
    (
        "custom-id-length",
        [("a.csv", b"USER_ID\nabcd\n")],
        Limits(max_id_length=3),
        Err("id-too-long", 2),
    ),
]


@pytest.mark.parametrize(
    ("parts", "limits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_input_table(parts, limits, expected) -> None:
    # GIVEN a (possibly malformed) deletion list, passed in one chunk per part
    kwargs = {"limits": limits} if limits else {}
    if isinstance(expected, Ok):
        # WHEN it is canonicalized
        stats, output = run(parts, **kwargs)
        # THEN the counts match and the output is the documented canonical form
        assert (stats.ids_received, stats.ids_staged) == (expected.received, expected.staged)
        assert (stats.blank_lines, stats.duplicate_ids) == (expected.blank, expected.dups)
        assert stats.parts == len(parts)
        assert stats.bytes_read == sum(len(data) for _, data in parts)
        assert stats.sha256 == hashlib.sha256(output).hexdigest()
        assert output.startswith(b"USER_ID\n") and output.endswith(b"\n")
        assert len(output.split(b"\n")) - 2 == stats.ids_staged
        assert b"\r" not in output and BOM not in output
    else:
        # WHEN it is canonicalized THEN the error names source, line and rule
        with pytest.raises(InputValidationError, match=rf"\[{expected.rule}\]") as info:
            run(parts, **kwargs)
        exc = info.value
        assert (exc.rule, exc.line, exc.source) == (expected.rule, expected.line, expected.source)
        assert str(exc).startswith(expected.source)
        if expected.line is not None:
            assert f"line {expected.line}:" in str(exc)
        assert "Fix:" in str(exc)
        # AND the id (personal data) never appears in the message or repr
        assert SECRET not in str(exc) and SECRET not in repr(exc)
        assert "José" not in str(exc)


def test_no_parts_is_no_ids() -> None:
    # GIVEN a folder with no CSV parts WHEN canonicalized THEN the whole input has no ids
    with pytest.raises(InputValidationError, match=r"no CSV parts") as info:
        canonicalize([], lambda _: None, name="s3://bucket/folder/")
    assert (info.value.rule, info.value.line, info.value.source) == (
        "no-ids",
        None,
        "s3://bucket/folder/",
    )


def test_rejected_input_writes_nothing() -> None:
    # GIVEN a list whose last line is invalid
    out: list[bytes] = []
    # WHEN canonicalized THEN it fails AND write was never called (no partial output)
    with pytest.raises(InputValidationError, match="forbidden-character"):
        canonicalize([("a.csv", [b"USER_ID\nu1\nu2\nu,3\n"])], out.append)
    assert out == []


def test_select_csv_keys_mixed_listing() -> None:
    # GIVEN an S3 listing of a "folder" with parts, markers and other files, out of order
    keys = [
        "exports/b.csv",
        "exports/",
        "exports/A.CSV",
        "exports/readme.txt",
        "exports/old.csv.gz",
        "exports/sub/",
        "exports/sub/c.Csv",
        "exports/_SUCCESS",
    ]
    # WHEN selecting parts
    parts, ignored = select_csv_keys(keys)
    # THEN only .csv keys (any case) are parts, sorted; everything else is reported
    assert parts == ["exports/A.CSV", "exports/b.csv", "exports/sub/c.Csv"]
    assert ignored == [
        "exports/",
        "exports/_SUCCESS",
        "exports/old.csv.gz",
        "exports/readme.txt",
        "exports/sub/",
    ]
    assert select_csv_keys([]) == ([], [])


def test_canonical_bytes_and_sha256_known_input() -> None:
    # GIVEN a list with BOM, CRLF, a blank line, a duplicate and no final newline
    data = BOM + b"USER_ID\r\nuser-3\r\nuser-1\r\n\r\nuser-2\nuser-1\nuser-10"
    # WHEN canonicalized
    stats, output = run([("known.csv", data)])
    # THEN the exact canonical bytes are: header, then ids by crc32 bucket, LF-terminated
    # crc32 % 256: user-1 -> 20, user-10 -> 26, user-3 -> 56, user-2 -> 174
    expected = b"USER_ID\nuser-1\nuser-10\nuser-3\nuser-2\n"
    assert output == expected
    assert output == reference_output([b"user-3", b"user-1", b"user-2", b"user-1", b"user-10"])
    assert stats == ListStats(
        parts=1,
        bytes_read=len(data),
        ids_received=5,
        blank_lines=1,
        duplicate_ids=1,
        ids_staged=4,
        sha256=hashlib.sha256(expected).hexdigest(),
    )
    assert stats.sha256 == "be43f0fb00aeb6b8a929c00c3dc471e5787b915f13da10f3bd08a8d2b4cf814e"


CHUNK_INPUTS = [
    BOM + "USER_ID\r\nü1\r\n\r\nu2\nü1\r\n😀\nlast".encode(),
    b"USER_ID\nu1\n" + "é".encode() * 257 + b"\n",  # too long (multi-byte)
    b"USER_ID\nu1\n" + b"y" * 1100 + b"\xff" + b"\n",  # long line: judged on its prefix
    b"USER_ID\nu1\r\nu2\xc3(\nu3\n",  # invalid UTF-8 on line 3
    b"USER_ID\nu1\nu2\r\r\n",  # stray CR
    BOM + b"USER_ID\r",  # header only
    b"USER_ID\nok\nbad \n",
]


@pytest.mark.parametrize("data", CHUNK_INPUTS, ids=range(len(CHUNK_INPUTS)))
def test_chunk_split_invariance(data: bytes) -> None:
    # GIVEN an input and its outcome when read in one chunk
    def outcome(chunks: list[bytes], limits: Limits) -> object:
        try:
            return run([("c.csv", chunks)], limits=limits)
        except InputValidationError as exc:
            return (exc.rule, exc.line, exc.source)

    for limits in (Limits(), Limits(max_total_bytes=len(data) - 1)):
        whole = outcome([data], limits)
        # WHEN split at every position (incl. mid-UTF-8 and between CR and LF)
        for cut in range(len(data) + 1):
            # THEN the outcome (stats + bytes, or rule + line) is identical
            assert outcome([data[:cut], data[cut:]], limits) == whole, cut
        assert outcome([data[i : i + 1] for i in range(len(data))], limits) == whole
        assert outcome([data[i : i + 7] for i in range(0, len(data), 7)], limits) == whole


def test_spill_path_matches_in_memory(tmp_path: Path) -> None:
    # GIVEN a list with many ids and duplicates spread across parts
    ids = [f"user-{i % 700}".encode() for i in range(2000)]
    part1 = b"USER_ID\n" + b"\n".join(ids[:1200]) + b"\n"
    part2 = b"USER_ID\r\n" + b"\r\n".join(ids[1200:]) + b"\r\n"
    parts = [("p1.csv", part1), ("p2.csv", part2)]
    in_memory = run(parts)
    # WHEN the spill threshold is tiny, forcing spill files in workdir
    spilled = run(parts, workdir=str(tmp_path), budget=MemoryBudget(buffer_bytes=64))
    # THEN the output is identical, matches the documented order, and no files remain
    assert spilled == in_memory
    assert spilled[1] == reference_output(ids)
    assert spilled[0].ids_staged == 700 and spilled[0].duplicate_ids == 1300
    assert list(tmp_path.iterdir()) == []


def test_error_after_spill_cleans_up(tmp_path: Path) -> None:
    # GIVEN spilling is forced and the input fails late
    budget = MemoryBudget(buffer_bytes=8)
    data = b"USER_ID\n" + b"".join(b"u%d\n" % i for i in range(100)) + S + b"\x00\n"
    # WHEN canonicalized THEN it fails on the right line and leaves no spill files
    with pytest.raises(InputValidationError, match="line 102"):
        run([("a.csv", data)], workdir=str(tmp_path), budget=budget)
    assert list(tmp_path.iterdir()) == []


def test_deterministic_across_hash_seeds() -> None:
    # GIVEN a script that canonicalizes a fixed list and prints the sha256
    script = (
        "from personalize_deletion_runtime.user_list import canonicalize\n"
        "ids = b''.join(b'id-%d\\n' % (i * 7919 % 5000) for i in range(20000))\n"
        "print(canonicalize([('a', [b'USER_ID\\n' + ids])], lambda b: None).sha256)\n"
    )
    env = dict(os.environ)
    digests = set()
    # WHEN run under different PYTHONHASHSEED values
    for seed in ("0", "1", "12345", "random"):
        env["PYTHONHASHSEED"] = seed
        proc = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(proc.stdout.strip())
    # THEN every run produces the same canonical sha256
    assert len(digests) == 1


def test_validate_file(tmp_path: Path) -> None:
    # GIVEN a local CSV file
    path = tmp_path / "users.csv"
    path.write_bytes(b"USER_ID\r\nu1\r\nu1\r\nu2\r\n")
    # WHEN validated at synth time THEN stats come back and the path names errors
    stats = validate_file(path)
    assert (stats.ids_received, stats.ids_staged, stats.duplicate_ids) == (3, 2, 1)
    path.write_bytes(b"USER_ID\n" + S + b"\t\n")
    with pytest.raises(InputValidationError, match="line 2") as info:
        validate_file(path)
    assert info.value.source == str(path)
    assert SECRET not in str(info.value)


def test_limits_reject_nonsense() -> None:
    # GIVEN/WHEN impossible limits THEN construction fails early
    with pytest.raises(ValueError, match="max_id_length"):
        Limits(max_id_length=0)
    with pytest.raises(ValueError, match="max_total_bytes"):
        Limits(max_total_bytes=-1)


# A value that passes check_user_id is one line of a valid CSV, read back as that very id.
ID_VALUES = [
    ("u-1", None),
    ("Zoë 1/2 😀", None),
    ("é" * 256, None),
    ("alice\nbob", "forbidden-character"),  # one string, two lines: two users
    ("alice\r\nbob", "forbidden-character"),
    ("alice\r", "forbidden-character"),  # a line would drop the CR of its CRLF: user alice
    ("", "empty-id"),  # a line would be blank, skipped
    ("alice,bob", "forbidden-character"),
    (" alice", "surrounding-whitespace"),
    ("alice\u2028", "surrounding-whitespace"),
    ("é" * 257, "id-too-long"),
    ("alice\udc80", "encoding"),  # a lone surrogate: no UTF-8 for it
]


@pytest.mark.parametrize(("value", "rule"), ID_VALUES, ids=range(len(ID_VALUES)))
def test_an_id_given_as_a_value_is_one_valid_line_or_refused(value: str, rule: str | None) -> None:
    # GIVEN one id given as a value (inline ids), not read from a file
    # WHEN it is checked by the CSV rules
    problem = check_user_id(value)
    # THEN it is refused by the rule a CSV line breaks, the value itself never in the problem
    assert (problem[0] if problem else None) == rule
    assert problem is None or value not in problem[1] or not value
    if rule is None:
        # AND a value that passes is exactly one id of the CSV it is written into
        stats, output = run([("inline", b"USER_ID\n" + value.encode() + b"\n")])
        assert (stats.ids_staged, stats.blank_lines, output) == (
            1,
            0,
            b"USER_ID\n" + value.encode() + b"\n",
        )
