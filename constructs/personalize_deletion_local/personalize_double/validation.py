"""Request validation against botocore's own Personalize model, with Coral's messages.

Why botocore's model: constraint changes in a botocore upgrade then flow into the double by
themselves, and a hand-built request that boto3 would never send is refused as the service
would refuse it (``InvalidInputException`` listing every violation).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Any, Literal

import botocore.session
from botocore.model import ServiceModel, Shape

from .errors import ServiceError

PatternMode = Literal["match", "search", "fullmatch"]


@functools.cache
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """Maximal runs of code points sharing a Unicode general category (one ~0.2 s scan)."""
    runs: list[tuple[int, int, str]] = []
    start, current = 0, unicodedata.category("\x00")
    for code_point in range(1, sys.maxunicode + 1):
        category = unicodedata.category(chr(code_point))
        if category != current:
            runs.append((start, code_point - 1, current))
            start, current = code_point, category
    runs.append((start, sys.maxunicode, current))
    return tuple(runs)


@functools.cache
def _unicode_property_ranges(name: str) -> str:
    r"""Return a character-class body (no brackets) equivalent to Java's ``\p{name}``.

    Python's ``re`` has no ``\p{..}`` support, but the Personalize model uses
    ``\p{L}``, ``\p{Z}``, ``\p{N}`` (tag keys/values) and ``\p{ASCII}`` (next tokens).
    General categories are expanded from ``unicodedata`` (one cached scan), which is
    exact for the Unicode version Python ships.
    """
    if name == "ASCII":
        return r"\x00-\x7f"
    if not re.fullmatch(r"[A-Z][a-z]?", name):
        raise ValueError(f"unsupported regex property \\p{{{name}}}")
    ranges: list[tuple[int, int]] = []
    for low, high, category in _category_runs():
        if not category.startswith(name):
            continue
        if ranges and ranges[-1][1] == low - 1:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return "".join(
        f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges
    )


def _translate_pattern(pattern: str) -> str:
    r"""Rewrite a model (Java/ECMAScript flavoured) regex into Python ``re`` syntax.

    Only ``\p{..}``/``\P{..}`` needs rewriting for the patterns in this model; the rest
    (``\d``, ``\-`` inside classes, anchors) means the same in both flavours once the
    pattern is compiled with ``re.ASCII`` (Java's ``\d`` is ASCII-only).
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] in "pP" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                body = _unicode_property_ranges(pattern[i + 3 : end])
                negated = pattern[i + 1] == "P"
                if negated and in_class:
                    raise ValueError(f"unsupported negated property inside a class: {pattern}")
                if in_class:
                    out.append(body)
                else:
                    out.append(f"[^{body}]" if negated else f"[{body}]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _compiled_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate_pattern(pattern), re.ASCII)


def _pattern_ok(pattern: str, value: str, mode: PatternMode) -> bool:
    compiled = _compiled_pattern(pattern)
    if mode == "fullmatch":
        return compiled.fullmatch(value) is not None
    if mode == "search":
        return compiled.search(value) is not None
    return compiled.match(value) is not None


def _render_value(shape: Shape, value: Any) -> str:
    """Render a value for a Coral-style validation message (sensitive ones redacted)."""
    if shape.metadata.get("sensitive"):
        return "Value '*** Sensitive Data Redacted ***'"
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"Value '{value}'"
    return "Value"


def validate_against_shape(
    shape: Shape, value: Any, *, pattern_mode: PatternMode = "match"
) -> list[str]:
    r"""Validate ``value`` against a botocore input shape; return human-readable violations.

    The walk is generic over the model (structures, lists, maps, scalars), so nothing is
    hand-coded per field. Messages follow the format AWS's Coral validation layer uses,
    e.g. ``Value '-x' at 'jobName' failed to satisfy constraint: Member must satisfy
    regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\-_]*``, with paths like
    ``dataSource.dataLocation`` and ``tags.3.member.tagKey`` (list indices 1-based).

    ``pattern_mode`` picks the regex semantics. The default ``"match"`` anchors at the
    start only (``re.match``): the Personalize patterns are written as prefixes such as
    ``^[a-zA-Z0-9][a-zA-Z0-9\-_]*`` or ``arn:([a-z\d-]+):personalize:.*:.*:.+``, so
    ``re.fullmatch`` would be stricter than the model's author intended and
    ``re.search`` (Smithy's literal "not implicitly anchored" rule) laxer than the
    service for the ARN patterns. The two alternatives are available for experiments.

    Unknown members are reported too. AWS would ignore or reject them depending on the
    service; the double is strict because boto3 never sends them, so one appearing
    means a hand-built request is wrong.
    """
    errors: list[str] = []
    _walk(shape, value, "", errors, pattern_mode)
    return errors


_NUMBER = (int, float)
_EXPECTED: dict[str, tuple[tuple[type, ...], str]] = {
    "structure": ((dict,), "a structure"),
    "list": ((list,), "a list"),
    "map": ((dict,), "a map"),
    "string": ((str,), "a string"),
    "integer": ((int,), "an integer"),
    "long": ((int,), "an integer"),
    "float": (_NUMBER, "a number"),
    "double": (_NUMBER, "a number"),
    "boolean": ((bool,), "a boolean"),
    "timestamp": ((*_NUMBER, str), "a timestamp"),
    "blob": ((str,), "a base64-encoded string"),
}
"""The JSON values each kind of shape accepts, and what a refusal calls the kind. ``bool``
is an ``int`` to Python, never a number or a timestamp to the service."""


def _walk(shape: Shape, value: Any, path: str, errors: list[str], mode: PatternMode) -> None:
    def fail(rule: str) -> None:
        errors.append(
            f"{_render_value(shape, value)} at '{path}' failed to satisfy constraint: {rule}"
        )

    kind = shape.type_name
    meta = shape.metadata
    if kind in _EXPECTED:
        types, noun = _EXPECTED[kind]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            detail = f" ({shape.name})" if kind == "structure" else ""
            fail(f"Member must be {noun}{detail}")
            return
    if kind in ("list", "map", "string"):
        _check_length(meta, len(value), fail)
    if kind == "structure":
        _walk_members(shape, value, path, errors, mode)
    elif kind == "list":
        for index, item in enumerate(value, start=1):
            _walk(shape.member, item, f"{path}.{index}.member", errors, mode)
    elif kind == "map":
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.{key}.key", errors, mode)
            _walk(shape.value, item, f"{path}.{key}.value", errors, mode)
    elif kind == "string":
        if "pattern" in meta and not _pattern_ok(meta["pattern"], value, mode):
            fail(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    elif kind in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            fail(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            fail(f"Member must have value less than or equal to {meta['max']}")


def _walk_members(
    shape: Shape, value: dict[str, Any], path: str, errors: list[str], mode: PatternMode
) -> None:
    """A structure's required members, unknown members, and each member's own shape."""
    for name in shape.required_members:
        if value.get(name) is None:
            member_path = f"{path}.{name}" if path else name
            errors.append(
                f"Value null at '{member_path}' failed to satisfy constraint: "
                "Member must not be null"
            )
    for name, member_value in value.items():
        member_path = f"{path}.{name}" if path else name
        if name not in shape.members:
            errors.append(f"Unknown member '{member_path}' is not defined in {shape.name}")
            continue
        if member_value is not None:
            _walk(shape.members[name], member_value, member_path, errors, mode)


def validation_error(violations: list[str]) -> ServiceError:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return ServiceError(
        "InvalidInputException", f"{count} validation {noun} detected: " + "; ".join(violations)
    )


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("personalize")


def validate_request(operation: str, body: dict[str, Any], pattern_mode: PatternMode) -> None:
    """Refuse ``body`` as the service would if it breaks ``operation``'s input shape."""
    shape = service_model().operation_model(operation).input_shape
    violations = validate_against_shape(shape, body, pattern_mode=pattern_mode)
    if violations:
        raise validation_error(violations)


def _check_length(meta: dict[str, Any], length: int, fail: Any) -> None:
    """The model's ``min``/``max`` length of a list, map or string."""
    if "min" in meta and length < meta["min"]:
        fail(f"Member must have length greater than or equal to {meta['min']}")
    if "max" in meta and length > meta["max"]:
        fail(f"Member must have length less than or equal to {meta['max']}")
