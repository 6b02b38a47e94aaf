"""Durations as people read them, for error messages.

A message that says ``tracking_timeout (129600 s)`` makes the reader do arithmetic, and one
that printed a ``Duration`` token would say nothing at all; ``1 day 12 hours`` says what was
set, in the units the setting is usually written in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, cast

from aws_cdk import Duration

if TYPE_CHECKING:
    from aws_cdk import aws_logs as logs

__all__ = [
    "DurationSettings",
    "PollingRule",
    "duration",
    "exact_seconds",
    "readable",
    "whole_seconds",
]

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


def duration(value: object, name: str) -> Duration:
    """A setting that is a ``Duration``: anything else (seconds as an int, say) is a
    ``TypeError`` naming the setting, not jsii's ``AttributeError`` on ``to_seconds``."""
    if not isinstance(value, Duration):
        raise TypeError(
            f"{name} must be a Duration (Duration.seconds, minutes, hours or days), not "
            f"{type(value).__name__}"
        )
    return value


def exact_seconds(value: Duration) -> float:
    """``value`` in seconds, a fraction of a second kept.

    jsii's ``to_seconds()`` raises a ``RuntimeError`` for a fraction (``'1500 millis' cannot
    be converted into a whole number of seconds``) that names neither the setting nor the
    rule, before any check of ours could; read every setting with this instead and let its
    check refuse a fraction by name (:func:`whole_seconds`, or a setting's own rule).
    """
    return value.to_seconds(integral=False)


def whole_seconds(value: Duration, name: str, error: type[ValueError]) -> int:
    """``value`` in whole seconds, else ``error`` naming the setting ``name`` and the rule:
    every duration setting becomes whole seconds (a Lambda environment variable, a Step
    Functions ``Wait``, a request's ``WaitSeconds``), and rounding one silently would set
    another value than the one written."""
    seconds = exact_seconds(value)
    if seconds != int(seconds):
        raise error(
            f"{name} ({readable(seconds)}) must be whole seconds: write it with "
            "Duration.seconds, minutes, hours or days of a whole number"
        )
    return int(seconds)


@dataclass(frozen=True)
class PollingRule:
    """What a polling setting's interval and timeout must satisfy: the interval within
    ``interval_bounds`` seconds (``why`` says why), the timeout at least three intervals and
    ``at_least`` seconds; a breach raises ``error`` naming both settings."""

    interval_bounds: tuple[int, int]
    why: str
    error: type[ValueError]
    at_least: float = 0


class DurationSettings:
    """Settings of two durations and a log retention, compared, hashed and shown by their
    seconds: jsii's ``Duration`` objects compare by identity, so ``Duration.minutes(1)`` is not
    the default's ``Duration.minutes(1)``.

    A frozen dataclass subclass (``eq=False``) whose first two fields are the interval and
    the timeout calls :meth:`_read` in its ``__post_init__``, which stores their seconds as
    ``_seconds`` (read once: every later use is Python arithmetic, not a jsii round trip).
    Messages name them by their fields, or by ``_duration_names`` where users know them by
    other names.
    """

    _duration_names: ClassVar[tuple[str, str] | None] = None
    _seconds: tuple[float, float]
    log_retention: logs.RetentionDays

    def _fields(self) -> tuple[str, str]:
        """The names of the interval's and the timeout's fields (the first two)."""
        first, second = (field.name for field in fields(cast(Any, self))[:2])
        return first, second

    def _names(self) -> tuple[str, str]:
        return self._duration_names or self._fields()

    def _read(self, rule: PollingRule) -> tuple[float, float]:
        """Read the interval and the timeout once (kept as ``_seconds``) and apply ``rule``."""
        interval_name, timeout_name = self._names()
        (low, high), error, at_least = rule.interval_bounds, rule.error, rule.at_least
        every, until = (
            whole_seconds(duration(getattr(self, field), name), name, error)
            for field, name in zip(self._fields(), (interval_name, timeout_name), strict=True)
        )
        seconds = (every, until)
        object.__setattr__(self, "_seconds", seconds)
        if not low <= every <= high:
            raise error(
                f"{interval_name} is {readable(every)}: use {readable(low)} to {readable(high)} "
                f"({rule.why})"
            )
        needed = max(3 * every, at_least)
        if until < needed:
            floor = f"be at least {readable(at_least)} and " if at_least else ""
            fix = f" or lower {interval_name}" if 3 * every >= at_least else ""
            raise error(
                f"{timeout_name} ({readable(until)}) must {floor}allow three reads of "
                f"{interval_name} ({readable(every)}): raise {timeout_name} to at least "
                f"{readable(needed)}{fix}"
            )
        return seconds

    def _key(self) -> tuple[float, float, str]:
        first, second = self._seconds
        return first, second, self.log_retention.name

    def _shown(self) -> tuple[tuple[str, str], ...]:
        """Each setting's name and value as messages write them, in field order."""
        first, second, retention = self._key()
        first_name, second_name = self._names()
        return (
            (first_name, readable(first)),
            (second_name, readable(second)),
            ("log_retention", retention),
        )

    def differences(self, asked: DurationSettings) -> list[tuple[str, str, str]]:
        """``(setting, this value, asked value)`` for each setting ``asked`` sets otherwise:
        what a message must name when two constructs ask for one shared resource, so that
        the reader does not diff the settings by hand.

        :param asked: the settings another construct asks for.
        """
        return [
            (name, mine, theirs)
            for (name, mine), (_, theirs) in zip(self._shown(), asked._shown(), strict=True)
            if mine != theirs
        ]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in self._shown())
