"""The small type language the request model is written in: one declaration, two readings.

Each type both *parses* a value read from a JSON or YAML document (collecting every problem
instead of stopping at the first) and *describes* itself as JSON Schema, so the committed
schema is generated from exactly the declaration the loader applies and cannot drift from it.
Value rules that the construct and the handler enforce (request names, tags, ARNs) are not
restated here: a type takes the runtime's own check function and reports what it raises.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .findings import INVALID, WHERE, Findings, json_type, type_problem


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Type(abc.ABC):
    """A value the model accepts: how to read it, and how the schema describes it."""

    description: str = ""

    @abc.abstractmethod
    def parse(self, value: object, found: Findings, path: str) -> Any:
        """The value, typed and checked, or ``INVALID`` after adding the problems."""

    @abc.abstractmethod
    def schema(self) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of what ``parse`` accepts."""

    def _described(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": self.description, **schema} if self.description else schema


Check = Callable[[str], object]
"""A runtime rule: returns when the value is good, raises ``ValueError`` naming the problem."""


@dataclass(frozen=True)
class Text(Type):
    """A string; ``pattern`` (applied whole) and the lengths go into the schema as well.

    ``check`` is the runtime's own rule, applied after the pattern; ``rule`` names what either
    found wrong.
    """

    rule: str
    description: str = ""
    pattern: re.Pattern[str] | None = None
    min_length: int = 1
    max_length: int | None = None
    check: Check | None = None

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if not isinstance(value, str):
            return type_problem(found, path, "a string", value)
        if len(value) < self.min_length:
            found.add(
                path,
                self.rule,
                "must not be empty"
                if not value
                else f"is {len(value)} characters, at least {self.min_length} needed",
            )
            return INVALID
        if self.max_length is not None and len(value) > self.max_length:
            found.add(
                path, self.rule, f"is {len(value)} characters, at most {self.max_length} allowed"
            )
            return INVALID
        try:
            if self.check is not None:
                self.check(value)
            elif self.pattern is not None and not self.pattern.fullmatch(value):
                raise ValueError(f"{value!r} does not match ^{self.pattern.pattern}$")
        except (ValueError, TypeError) as exc:
            found.add(path, self.rule, _message(exc))
            return INVALID
        return value

    def schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "minLength": self.min_length}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern is not None:
            # JSON Schema patterns are ECMA-262, which spells named groups differently from
            # Python; plain groups read the same in both.
            pattern = re.sub(r"\(\?P<\w+>", "(", self.pattern.pattern)
            schema["pattern"] = f"^(?:{pattern})$"
        return self._described(schema)


@dataclass(frozen=True)
class Choice(Type):
    """One of a few fixed strings."""

    values: tuple[str, ...]
    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if not isinstance(value, str):
            return type_problem(found, path, "a string", value)
        if value not in self.values:
            found.add(path, "choice", f"{value!r} is not one of {', '.join(self.values)}")
            return INVALID
        return value

    def schema(self) -> dict[str, Any]:
        return self._described({"type": "string", "enum": list(self.values)})


@dataclass(frozen=True)
class Integer(Type):
    """A whole number (``true`` is not one, although Python would count it)."""

    minimum: int
    maximum: int
    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return type_problem(found, path, "a whole number", value)
        if not self.minimum <= value <= self.maximum:
            found.add(path, "range", f"{value} is outside {self.minimum} to {self.maximum}")
            return INVALID
        return value

    def schema(self) -> dict[str, Any]:
        return self._described(
            {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        )


@dataclass(frozen=True)
class Boolean(Type):
    """``true`` or ``false`` (not the strings)."""

    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if not isinstance(value, bool):
            return type_problem(found, path, "true or false", value)
        return value

    def schema(self) -> dict[str, Any]:
        return self._described({"type": "boolean"})


@dataclass(frozen=True)
class StringMap(Type):
    """An object of string values, checked as a whole by ``check`` (the runtime's rule)."""

    rule: str
    check: Callable[[dict[str, str]], object]
    max_properties: int
    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if not isinstance(value, Mapping):
            return type_problem(found, path, "an object of strings", value)
        ok = _no_repeats(value, found, path)
        for key, item in value.items():
            if not isinstance(item, str):
                type_problem(found, f"{path}.{key}", "a string", item)
                ok = False
        if not ok:
            return INVALID
        try:
            self.check(dict(value))
        except (ValueError, TypeError) as exc:
            found.add(path, self.rule, _message(exc))
            return INVALID
        return dict(value)

    def schema(self) -> dict[str, Any]:
        return self._described(
            {
                "type": "object",
                "maxProperties": self.max_properties,
                "additionalProperties": {"type": "string"},
            }
        )


@dataclass(frozen=True)
class ListOf(Type):
    """A list of ``item``; ``unique``: the same value twice is an error, not a no-op."""

    item: Type
    min_items: int = 1
    unique: bool = True
    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        if not isinstance(value, list):
            return type_problem(found, path, "a list", value)
        if len(value) < self.min_items:
            found.add(path, "required", f"must list at least {self.min_items}")
            return INVALID
        items = [self.item.parse(item, found, f"{path}[{i}]") for i, item in enumerate(value)]
        if self.unique:
            seen: set[str] = set()
            for index, item in enumerate(value):
                key = repr(item)
                if key in seen:
                    found.add(f"{path}[{index}]", "duplicate", "repeats an earlier item")
                    items[index] = INVALID
                seen.add(key)
        return INVALID if any(item is INVALID for item in items) else items

    def schema(self) -> dict[str, Any]:
        schema = {"type": "array", "minItems": self.min_items, "items": self.item.schema()}
        if self.unique:
            schema["uniqueItems"] = True
        return self._described(schema)


@dataclass(frozen=True)
class Either(Type):
    """A value of one of several types, told apart by JSON type (a string or a list, ...)."""

    options: tuple[tuple[str, Type], ...]
    """(JSON type, type) pairs."""
    description: str = ""

    def parse(self, value: object, found: Findings, path: str) -> Any:
        for kind, option in self.options:
            if json_type(value) == kind:
                return option.parse(value, found, path)
        expected = " or ".join(kind for kind, _ in self.options)
        found.add(path, "type", f"must be {expected}, not {json_type(value)}")
        return INVALID

    def schema(self) -> dict[str, Any]:
        return self._described({"oneOf": [option.schema() for _, option in self.options]})


@dataclass(frozen=True)
class Field:
    """One key of a record."""

    key: str
    type: Type
    required: bool = False


@dataclass(frozen=True)
class Record(Type):
    """An object with known keys: unknown and repeated keys are errors, never ignored.

    ``exactly_one``: groups of keys of which exactly one must be present; ``at_most_one``:
    groups of which at most one may be.
    """

    fields: tuple[Field, ...]
    description: str = ""
    exactly_one: tuple[tuple[str, ...], ...] = ()
    at_most_one: tuple[tuple[str, ...], ...] = ()
    extra_keys: tuple[str, ...] = ()
    """Keys accepted and ignored (``$schema``, for editors)."""

    def parse(self, value: object, found: Findings, path: str = "") -> Any:
        before = len(found.problems)
        parsed = self.partial(value, found, path)
        return parsed if len(found.problems) == before else INVALID

    def partial(self, value: object, found: Findings, path: str = "") -> Any:
        """The fields that are good (the others reported), so checks that need only those
        can still run and report too; ``INVALID`` if ``value`` is not an object at all."""
        if not isinstance(value, Mapping):
            return type_problem(found, path, "an object", value)
        _no_repeats(value, found, path)
        known = {f.key: f for f in self.fields}
        for key in value:
            if key not in known and key not in self.extra_keys:
                found.add(
                    _join(path, str(key)),
                    "unknown-field",
                    f"is not a field here; allowed: {', '.join(sorted(known))}",
                )
        for group in self.exactly_one:
            present = [key for key in group if key in value]
            if len(present) != 1:
                found.add(
                    path,
                    "exactly-one",
                    f"give exactly one of {', '.join(group)}"
                    + (f" (found {', '.join(present)})" if present else ""),
                )
        for group in self.at_most_one:
            present = [key for key in group if key in value]
            if len(present) > 1:
                found.add(path, "at-most-one", f"give at most one of {', '.join(present)}")
        parsed: dict[str, Any] = {}
        for spec in self.fields:
            if spec.key not in value:
                if spec.required:
                    found.add(_join(path, spec.key), "required", "is required")
                continue
            item = spec.type.parse(value[spec.key], found, _join(path, spec.key))
            if item is not INVALID:
                parsed[spec.key] = item
        return parsed

    def schema(self) -> dict[str, Any]:
        properties = {f.key: f.type.schema() for f in self.fields}
        for key in self.extra_keys:
            properties[key] = {"type": "string"}
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
        }
        required = [f.key for f in self.fields if f.required]
        if required:
            schema["required"] = required
        rules: list[dict[str, Any]] = [
            {"oneOf": [{"required": [key]} for key in group]} for group in self.exactly_one
        ]
        rules += [{"not": {"required": list(group)}} for group in self.at_most_one]
        if rules:
            schema["allOf"] = rules
        return self._described(schema)


def _message(exc: Exception) -> str:
    return str(exc).removeprefix(f"{WHERE}: ")


def _no_repeats(value: Mapping[Any, Any], found: Findings, path: str) -> bool:
    repeated = getattr(value, "repeated", ())
    for key in repeated:
        found.add(_join(path, key), "duplicate-key", "appears more than once in this object")
    return not repeated
