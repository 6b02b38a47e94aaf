"""Reference paths, JSON value helpers and timestamps for the local ASL interpreter.

Why it is separate: the engine (``engine``), the intrinsic functions (``intrinsics``) and the
load-time validation (``validate``) all parse and look up the same reference paths, render
the same compact JSON and read the same RFC 3339 timestamps. Keeping these small helpers in one
leaf module that imports none of the others gives each a single definition without an import
cycle.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
from typing import Any

__all__ = [
    "MISSING",
    "SEGMENT",
    "compact",
    "instant",
    "is_int",
    "is_number",
    "iso_timestamp",
    "lookup",
    "parse_path",
    "path_problem",
    "wire",
]

# --- paths -------------------------------------------------------------------------------------

MISSING: Any = object()
SEGMENT = re.compile(
    r"\.(?P<name>[^.\[\]'\"*?@()\s$,]+)|\[(?P<index>\d+)\]|\['(?P<quoted>(?:[^'\\]|\\.)*)'\]"
)
_CONTEXT = {
    "Execution": {"Id", "Input", "Name", "StartTime"},
    "State": {"EnteredTime", "Name", "RetryCount"},
    "StateMachine": {"Id", "Name"},
}


@functools.cache
def parse_path(text: str) -> tuple[bool, tuple[str | int, ...]] | None:
    """``(is_context, segments)`` for a supported path, ``None`` for anything else."""
    is_context = text.startswith("$$")
    if not text.startswith("$"):
        return None
    rest, position = text[2 if is_context else 1 :], 0
    segments: list[str | int] = []
    while position < len(rest):
        match = SEGMENT.match(rest, position)
        if match is None:
            return None
        if match["index"] is not None:
            segments.append(int(match["index"]))
        elif match["name"] is not None:
            segments.append(match["name"])
        else:
            segments.append(re.sub(r"\\(.)", r"\1", match["quoted"]))
        position = match.end()
    return is_context, tuple(segments)


def path_problem(text: Any, *, context: bool = False, names_only: bool = False) -> str | None:
    """Why ``text`` is not a supported path here, or ``None`` when it is."""
    parsed = parse_path(text) if isinstance(text, str) else None
    if parsed is None:
        return f"{text!r} is not a supported path ($, $.a.b, $.a[0] or $['a b'])"
    is_context, segments = parsed
    if is_context and not context:
        return f"{text!r}: a context path ($$) is not supported here"
    if names_only and any(isinstance(segment, int) for segment in segments):
        return f"{text!r}: an array index is not supported here"
    if is_context and segments:
        head, tail = segments[0], segments[1:]
        known = _CONTEXT.get(head) if isinstance(head, str) else None
        if known is None or (tail and tail[0] not in known):
            return f"{text!r} is not a supported context object field"
        if len(tail) > 1 and tail[0] != "Input":
            return f"{text!r} is not a supported context object field"
    return None


def lookup(segments: tuple[str | int, ...], data: Any) -> Any:
    for segment in segments:
        if isinstance(segment, int):
            if not isinstance(data, list) or segment >= len(data):
                return MISSING
        elif not isinstance(data, dict) or segment not in data:
            return MISSING
        data = data[segment]
    return data


# --- JSON values -------------------------------------------------------------------------------


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def wire(value: Any) -> Any:
    """What survives a trip through JSON: handlers see exactly what crosses the wire."""
    return json.loads(json.dumps(value))


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- timestamps --------------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"
)


def instant(text: Any) -> int | None:
    """An RFC 3339 timestamp as integer nanoseconds since the epoch; ``None`` if it is not one."""
    match = _TIMESTAMP.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:
        return None
    zone = match[8]
    offset = 0 if zone == "Z" else int(zone[1:3]) * 3600 + int(zone[4:6]) * 60
    seconds = int(moment.timestamp()) - (-offset if zone[0] == "-" else offset)  # to UTC
    return seconds * 10**9 + int((match[7] or "").ljust(9, "0")[:9])


def iso_timestamp(seconds: float) -> str:
    """Epoch seconds as Step Functions renders them: ``2026-11-28T04:58:26.123Z``."""
    whole, micros = divmod(round(seconds * 1_000_000), 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros // 1000:03d}Z"
