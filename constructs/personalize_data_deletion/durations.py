"""Durations as people read them, for error messages.

A message that says ``tracking_timeout (129600 s)`` makes the reader do arithmetic, and one
that printed a ``Duration`` token would say nothing at all; ``1 day 12 hours`` says what was
set, in the units the setting is usually written in.
"""

from __future__ import annotations

UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


def readable(seconds: float) -> str:
    """``seconds`` in days, hours, minutes and seconds, largest first, zero parts left out.

    ``readable(5400)`` is ``"1 hour 30 minutes"``, ``readable(0)`` is ``"0 seconds"``; a
    fraction of a second is kept on the seconds (``readable(90.5)`` is
    ``"1 minute 30.5 seconds"``). Negative values are written with a leading minus.
    """
    if seconds < 0:
        return f"-{readable(-seconds)}"
    whole = int(seconds)
    fraction = seconds - whole
    parts: list[str] = []
    for name, size in UNITS:
        count, whole = divmod(whole, size)
        value: float = count + fraction if size == 1 else count
        if value:
            parts.append(f"{value:g} {name}{'' if value == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


__all__ = ["readable"]
