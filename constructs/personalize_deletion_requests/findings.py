"""What reading a request file finds wrong, and how it is said: problems and their collector.

Apart from the type language (:mod:`.fields`) because the loader, the placement and
``pdd-validate`` report problems without parsing anything; only the types create them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .parsed import YamlNumber

WHERE = "value"
"""The ``where`` given to a runtime rule that names what it checks; the prefix is dropped from
its message, because a problem names its field already."""

INVALID: Any = type("Invalid", (), {"__repr__": lambda _self: "INVALID"})()
"""What a parse returns for a value it reported a problem about."""


@dataclass(frozen=True)
class Problem:
    """One finding: which file, which entry, which field, which rule, and what to do.

    Messages carry names, locations, counts and hashes, never a user id.
    """

    file: str
    entry: str | None
    field: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = [part for part in (self.file, self.entry, self.field) if part]
        return f"{': '.join(where)}: [{self.rule}] {self.message}"


@dataclass
class Findings:
    """Where problems go while one entry of one file is read."""

    file: str
    entry: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str | None, rule: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.entry, path or None, rule, message))

    def at(self, entry: str | None) -> Findings:
        """The same file and problem list, another entry."""
        return Findings(self.file, entry, self.problems)


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (YamlNumber, "YAML 1.1 number"),
    (type(None), "null"),
    (bool, "boolean"),  # before int: a bool is an int
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (Mapping, "object"),
    (list, "array"),
)


def json_type(value: object) -> str:
    """JSON's name for a parsed value's type (YAML dates and the like keep Python's)."""
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def type_problem(found: Findings, path: str, expected: str, value: object) -> Any:
    """Report ``value`` as not of the ``expected`` type, with the fix for YAML numbers JSON would
    not read; return ``INVALID``."""
    if isinstance(value, YamlNumber):
        fix = {
            "a whole number": "write it in plain decimal digits, as JSON reads a number (no "
            "leading zero, sign, '_', ':', 0x, 0o or 0b)",
            "a string": "quote it",
        }.get(expected, f"write {expected}")
        found.add(
            path,
            "type",
            f"must be {expected}, not {value.text}, which YAML 1.1 reads as {value.read_as} and "
            f"JSON not as a number at all: {fix}",
        )
        return INVALID
    hint = " (quote it)" if isinstance(value, int | float) and expected == "a string" else ""
    found.add(path, "type", f"must be {expected}, not {json_type(value)}{hint}")
    return INVALID
