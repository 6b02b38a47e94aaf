"""The format rules of a deletion list, checked while the list streams past.

A CSV whose first line is exactly ``USER_ID`` followed by one user id per line; a UTF-8 byte
order mark before the header and CRLF line endings are accepted; blank lines are skipped (and
counted). :class:`Reader` enforces the rules chunk by chunk and hands each run of valid ids to
a store (:mod:`.list_dedup` de-duplicates them; the benchmark's rules-only run keeps nothing).

Error messages never contain an id: user ids are personal data and messages end up in
CloudFormation events, CloudWatch logs and terminal output. Messages name the source, the
line, the rule and how to fix it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DEFAULT_MAX_ID_LENGTH",
    "DEFAULT_MAX_TOTAL_BYTES",
    "HEADER",
    "IdSink",
    "InputValidationError",
    "Limits",
    "Reader",
    "check_user_id",
]

HEADER = "USER_ID"
"""The only column name Amazon Personalize accepts in a deletion list."""

DEFAULT_MAX_TOTAL_BYTES = 100_000_000
"""The Personalize quota says "100 MB"; we read it as decimal megabytes (100,000,000 bytes),
the stricter of the two readings (100 MiB would be 104,857,600), so a list that passes here
can never be rejected by the service for size."""

DEFAULT_MAX_ID_LENGTH = 256
"""Personalize ids are at most 256 characters (counted in Unicode characters, not bytes)."""

_BLOCK_SIZE = 1 << 17
"""Larger chunks are validated in blocks of this size, so that the ids split from a block
stay in the CPU cache while they are checked, hashed and partitioned. Never changes a
verdict or the output, only speed."""

_TOO_LONG = ("id-too-long", "the line is too long", "check that the line holds a single user id")
_BOM = codecs.BOM_UTF8
_HEADER_BYTES = HEADER.encode("ascii")

# Bytes that may appear in an all-ASCII block of complete lines: printable ASCII except the
# comma and double quote (which would make the line a multi-column or quoted CSV record),
# plus the newline separator. Deleting them leaves exactly the offending bytes.
_ASCII_ALLOWED = bytes(b for b in range(0x20, 0x7F) if b not in b',"') + b"\n"
# The same rule on decoded text: C0 controls except LF, DEL, C1 controls, comma, quote.
_FORBIDDEN_TEXT = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f,"]')
# A space just after or just before a newline (ASCII fast path; faster than two `in` tests).
_SPACE_AT_LINE_EDGE = re.compile(rb"\n | \n")
# Unicode whitespace (other than the line separator) at the start or end of a line.
_SURROUNDING_SPACE_TEXT = re.compile(r"(?m)^[^\S\n]|[^\S\n]$")


class InputValidationError(ValueError):
    """The deletion list breaks a format rule.

    One exception type for every rule so callers (the synth-time check and the Lambda) can
    report failures uniformly. ``rule`` is a short stable code that tests and callers can
    match on: ``empty``, ``header``, ``encoding``, ``forbidden-character``,
    ``surrounding-whitespace``, ``id-too-long``, ``size-limit``, ``no-ids``.

    The message deliberately never includes the offending line: it may be a user id, which
    is personal data.
    """

    def __init__(self, source: str, line: int | None, rule: str, problem: str, fix: str):
        where = f"{source}: line {line}" if line is not None else source
        super().__init__(f"{where}: [{rule}] {problem}. Fix: {fix}.")
        self.source = source
        self.line = line
        self.rule = rule


@dataclass(frozen=True)
class Limits:
    """Bounds enforced while reading a list.

    ``max_total_bytes`` counts raw input bytes (BOM, header, line endings and blank lines
    included) across all parts, because that is what the service quota is applied to.
    """

    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    max_id_length: int = DEFAULT_MAX_ID_LENGTH

    def __post_init__(self) -> None:
        if self.max_total_bytes < 0:
            raise ValueError("max_total_bytes must be >= 0")
        if self.max_id_length < 1:
            raise ValueError("max_id_length must be >= 1")


class IdSink(Protocol):
    """Where :class:`Reader` puts valid ids: ``ids`` (non-blank, checked) of ``size`` bytes."""

    def add(self, ids: list[bytes], size: int) -> None: ...


class Reader:
    """Streams parts, enforces the rules and hands valid ids to ``store``.

    Fast path: each chunk is cut at its last newline and the complete lines are checked
    with whole-block C operations (``isascii``, ``translate``, ``decode``, substring
    search). Only if a block looks suspicious is it rescanned line by line to find the
    exact line and rule; the rescan is authoritative, so the fast path may over-report but
    must never miss a problem. ASCII chunks with LF endings (the common case) take a faster
    variant, :meth:`_feed_ascii`, that needs no copy of the chunk; large chunks are taken
    in ``_BLOCK_SIZE`` blocks.
    """

    def __init__(self, limits: Limits, store: IdSink) -> None:
        self.limits = limits
        self.store = store
        self.bytes_read = 0
        self.ids_received = 0
        self.blank_lines = 0
        # A line longer than this many bytes (after dropping a trailing CR) is wrong no
        # matter what follows: even 4-byte characters would exceed max_id_length. Only its
        # first _max_line_bytes bytes are ever examined, which bounds the carry buffer and
        # makes the verdict independent of where chunks split.
        self._max_line_bytes = 4 * limits.max_id_length + 4

    # -- part / chunk handling -------------------------------------------------------

    def read_part(self, source: str, chunks: Iterable[bytes]) -> None:
        self.source = source
        self.line = 0  # complete lines consumed in this part
        self.header_done = False
        self.carry = b""
        part_bytes = 0
        limit = self.limits.max_total_bytes
        for chunk in chunks:
            if not chunk:
                continue
            size = len(chunk)
            part_bytes += size
            remaining = limit - self.bytes_read
            self.bytes_read += size
            if size > remaining:
                # Process what fits first, so an error earlier in the input wins over the
                # size error no matter how the input was chunked.
                self._feed(bytes(chunk[:remaining]))
                raise InputValidationError(
                    source,
                    None,
                    "size-limit",
                    f"the input exceeds the limit of {limit:,} bytes (counted across all "
                    "parts, including header, line endings and blank lines)",
                    "split the ids into several deletion lists, each within the limit",
                )
            self._feed(chunk)
        if part_bytes == 0:
            raise InputValidationError(
                source,
                None,
                "empty",
                "the file is empty",
                f"put the header {HEADER} on line 1 and one user id per line after it",
            )
        if self.carry:  # final line without a newline
            data, self.carry = self.carry + b"\n", b""
            self._consume(data)

    def _feed(self, chunk: bytes) -> None:
        if type(chunk) is not bytes:  # e.g. a bytearray or memoryview from a stream
            chunk = bytes(chunk)
        if len(chunk) > _BLOCK_SIZE:
            # Also before the header: a first chunk taken whole would hold all its ids at
            # once (a megabyte of two-byte ids is 350,000 objects).
            for start in range(0, len(chunk), _BLOCK_SIZE):
                self._feed_block(chunk[start : start + _BLOCK_SIZE])
        else:
            self._feed_block(chunk)

    def _feed_block(self, chunk: bytes) -> None:
        if not self._feed_ascii(chunk):
            data = self.carry + chunk if self.carry else chunk
            cut = data.rfind(b"\n") + 1
            if cut:
                self.carry = data[cut:]
                self._consume(data[:cut])
            else:
                self.carry = data
        if len(self.carry) > self._max_line_bytes + 1:
            # +1: a complete line of max+1 bytes may still shrink by a trailing CR.
            line = self.line + 1
            if not self.header_done:
                self._raise_header(line)
            # Always a problem: a line this long is at least too long.
            problem = _diagnose_id(self.carry, self.limits.max_id_length, self._max_line_bytes)
            self._raise(line, *(problem or _TOO_LONG))

    def _feed_ascii(self, chunk: bytes) -> bool:
        """Fast path for the common chunk: ASCII, LF or CRLF endings, header already read.

        Splits ``chunk`` itself (no copy of the carry plus the chunk): the carry is glued
        to the first piece and the last piece becomes the new carry. Every complete line
        except the first starts after and ends before a newline of ``chunk``, so the
        whole-chunk checks below see exactly those lines (plus the new carry's bytes,
        which can only over-report); the first line, which may begin in an earlier chunk,
        is diagnosed on its own. Returns False (nothing consumed) when the chunk or the
        carry needs the general path.
        """
        carry = self.carry
        if not (self.header_done and chunk.isascii()):
            return False
        if b"\r" in chunk:
            # CRLF endings: drop each CR of a CRLF (line numbers stay the same); a CR left
            # over (a lone CR, or a CRLF cut by the chunk end) needs the general path.
            chunk = chunk.replace(b"\r\n", b"\n")
            if b"\r" in chunk:
                return False
        if carry and (b"\r" in carry or not carry.isascii()):
            return False
        lines = chunk.split(b"\n")
        if carry:
            lines[0] = carry + lines[0]
        self.carry = lines.pop()
        if not lines:
            return True
        max_len = self.limits.max_id_length
        if (
            chunk.translate(None, _ASCII_ALLOWED)
            or (b" " in chunk and _SPACE_AT_LINE_EDGE.search(chunk) is not None)
            or max(map(len, lines)) > max_len
            or _diagnose_id(lines[0], max_len, self._max_line_bytes) is not None
        ):
            self._rescan_lines(lines)
        self._stage(lines, len(chunk))
        return True

    def _consume(self, block: bytes) -> None:
        """Validate and stage ``block``: complete lines, ending with ``\\n``."""
        if not self.header_done:
            end = block.index(b"\n")
            self.line = 1
            if not _is_header(block[:end]):
                self._raise_header(1)
            self.header_done = True
            block = block[end + 1 :]
            if not block:
                return
        work = block.replace(b"\r\n", b"\n") if b"\r" in block else block
        body = work[:-1]
        ids = body.split(b"\n")
        if not self._looks_valid(body, ids):
            self._rescan(block)
        self._stage(ids, len(body))

    def _stage(self, lines: list[bytes], size: int) -> None:
        """Count ``lines`` (checked ids, blank ones skipped) and stage them: ``size`` bytes."""
        self.line += len(lines)
        if b"" in lines:
            self.blank_lines += lines.count(b"")
            lines = list(filter(None, lines))
        self.ids_received += len(lines)
        self.store.add(lines, size)

    def _looks_valid(self, body: bytes, ids: list[bytes]) -> bool:
        """Whole-block checks; False means "rescan line by line", not necessarily invalid."""
        max_len = self.limits.max_id_length
        if body.isascii():
            if body.translate(None, _ASCII_ALLOWED):
                return False  # control character, lone CR, DEL, comma or quote
            if body.startswith(b" ") or body.endswith(b" ") or b"\n " in body or b" \n" in body:
                return False
            return max(map(len, ids)) <= max_len
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        if _FORBIDDEN_TEXT.search(text) or _SURROUNDING_SPACE_TEXT.search(text):
            return False
        if max(map(len, ids)) > max_len:  # bytes >= characters; count characters
            return all(len(i.decode("utf-8")) <= max_len for i in ids if len(i) > max_len)
        return True

    def _rescan(self, block: bytes) -> None:
        """Find the first bad line of ``block`` (original bytes) and raise for it."""
        self._rescan_lines(block[:-1].split(b"\n"))

    def _rescan_lines(self, lines: list[bytes]) -> None:
        """Raise for the first bad line of ``lines`` (complete lines, without ``\\n``)."""
        max_len, max_bytes = self.limits.max_id_length, self._max_line_bytes
        for number, raw in enumerate(lines, start=self.line + 1):
            problem = _diagnose_id(raw, max_len, max_bytes)
            if problem is not None:
                self._raise(number, *problem)

    # -- errors ----------------------------------------------------------------------

    def _raise(self, line: int, rule: str, problem: str, fix: str) -> None:
        raise InputValidationError(self.source, line, rule, problem, fix)

    def _raise_header(self, line: int) -> None:
        raise InputValidationError(
            self.source,
            line,
            "header",
            f"the header must be exactly {HEADER} (one column, upper case)",
            f"make line 1 of every CSV part exactly {HEADER}",
        )


def _is_header(raw: bytes) -> bool:
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw == _HEADER_BYTES


def check_user_id(user_id: str, max_len: int = DEFAULT_MAX_ID_LENGTH) -> tuple[str, str] | None:
    """Return ``(rule, problem)`` for one id given as a value (not a line of a file), or None.

    The CSV rules, applied to the whole value: a value is never a line, so nothing is
    forgiven that a line may carry (a trailing CR of a CRLF ending) and nothing is skipped
    (an empty value is not a blank line but an id that names no user). A value that passes
    is exactly one line of a list that passes, and that line reads back as the same id.
    Never puts the value into the texts.
    """
    if not user_id:
        return "empty-id", "the id is empty"
    try:
        user_id.encode("utf-8")
    except UnicodeEncodeError as exc:
        return "encoding", f"character {exc.start + 1} of the id cannot be written as UTF-8"
    problem = _diagnose_text(user_id, max_len, truncated=False)
    return None if problem is None else problem[:2]


def _diagnose_id(raw: bytes, max_len: int, max_bytes: int) -> tuple[str, str, str] | None:
    """Return ``(rule, problem, fix)`` for one data line, or None if it is valid or blank.

    ``raw`` excludes the ``\\n`` and may end with the CR of a CRLF. Lines longer than
    ``max_bytes`` are judged on their first ``max_bytes`` bytes only (they are too long
    anyway); checks run in a fixed order: encoding, then :func:`_diagnose_text`. Never puts
    the line's content into the texts.
    """
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if not raw:
        return None
    truncated = len(raw) > max_bytes
    try:
        if truncated:
            text = codecs.getincrementaldecoder("utf-8")().decode(raw[:max_bytes], final=False)
        else:
            text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            "encoding",
            f"byte {exc.start + 1} of the line is not valid UTF-8",
            "save the file as UTF-8 (without any other encoding)",
        )
    return _diagnose_text(text, max_len, truncated=truncated)


def _diagnose_text(text: str, max_len: int, *, truncated: bool) -> tuple[str, str, str] | None:
    """The rules on an id's decoded, non-empty ``text``, in a fixed order: forbidden
    character, surrounding whitespace, length (``truncated``: ``text`` is only the start of a
    longer id). One function for lines and for values, so both are judged alike."""
    for column, char in enumerate(text, start=1):
        code = ord(char)
        if char in ',"' or code < 0x20 or 0x7F <= code <= 0x9F:
            what = {",": "a comma", '"': "a double quote"}.get(
                char, f"the control character U+{code:04X}"
            )
            return (
                "forbidden-character",
                f"character {column} of the id is {what}; ids must be a single unquoted "
                "CSV field without control characters",
                "remove the character, or fix the export that produced the file "
                "(one id per line, no quoting, no extra columns)",
            )
    if text[0].isspace() or (not truncated and text[-1].isspace()):
        return (
            "surrounding-whitespace",
            "the id starts or ends with whitespace",
            "trim leading and trailing spaces from each id",
        )
    if truncated or len(text) > max_len:
        count = f"more than {len(text)}" if truncated else str(len(text))
        return (
            "id-too-long",
            f"the id has {count} characters; the maximum is {max_len}",
            "check that the line holds a single user id",
        )
    return None
