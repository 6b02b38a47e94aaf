"""The intrinsic functions of the local ASL interpreter: parsing and applying ``States.*`` calls.

Why it is separate: an intrinsic is a small expression language of its own (quoted strings with
escapes, paths, numbers, nested calls), used both when a definition is loaded (``validate``
parses every intrinsic so a bad one is rejected before anything runs) and when a payload
template is evaluated (``engine``). Supported: States.Format, JsonToString, StringToJson, MathAdd,
Array and JsonMerge (shallow); any other function is rejected by ``parse_intrinsic``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

from .paths import SEGMENT, compact, is_int, path_problem

__all__ = ["Call", "Ref", "Text", "apply_intrinsic", "parse_intrinsic"]


@dataclass(frozen=True)
class Text:
    """A quoted string argument, kept raw because States.Format reads its escapes."""

    raw: str

    @property
    def value(self) -> str:
        return re.sub(r"\\(.)", r"\1", self.raw)


@dataclass(frozen=True)
class Ref:
    path: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


_ARITY = {
    "States.Format": (1, None),
    "States.JsonToString": (1, 1),
    "States.StringToJson": (1, 1),
    "States.MathAdd": (2, 2),
    "States.Array": (0, None),
    "States.JsonMerge": (3, 3),
}
_FUNCTION = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_PATH_TOKEN = re.compile(r"\$\$?(?:" + SEGMENT.pattern + r")*")
_LITERALS = {"true": True, "false": False, "null": None}


@functools.cache
def parse_intrinsic(text: str) -> Call:
    """Parse ``States.Name(arg, ...)``; ``ValueError`` says what is not supported."""
    call, end = _parse_call(text, 0)
    if end != len(text):
        raise ValueError(f"unexpected text after the intrinsic function: {text[end:]!r}")
    return call


def _parse_call(text: str, position: int) -> tuple[Call, int]:
    match = _FUNCTION.match(text, position)
    if match is None or match[0] not in _ARITY:
        name = match[0] if match else text[position:]
        raise ValueError(f"intrinsic function {name!r} is not supported")
    name, position, args = match[0], match.end(), []
    if text[position : position + 1] != "(":
        raise ValueError(f"{name}: expected '('")
    position = _skip(text, position + 1)
    if text[position : position + 1] == ")":
        position += 1
    else:
        while True:
            arg, position = _parse_arg(text, position)
            args.append(arg)
            position = _skip(text, position)
            separator = text[position : position + 1]
            position += 1
            if separator == ")":
                break
            if separator != ",":
                raise ValueError(f"{name}: expected ',' or ')' at offset {position - 1}")
    low, high = _ARITY[name]
    if len(args) < low or (high is not None and len(args) > high):
        raise ValueError(f"{name} does not take {len(args)} argument(s)")
    _check_call(name, args)
    return Call(name, tuple(args)), position


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] == " ":
        position += 1
    return position


def _parse_arg(text: str, position: int) -> tuple[Any, int]:
    position = _skip(text, position)
    if text.startswith("'", position):
        end = position + 1
        while end < len(text) and text[end] != "'":
            if text[end] == "\\":
                if text[end + 1 : end + 2] not in ("'", "{", "}", "\\"):
                    raise ValueError(f"unsupported escape at offset {end} in {text!r}")
                end += 1
            end += 1
        if end >= len(text):
            raise ValueError(f"unterminated string in {text!r}")
        return Text(text[position + 1 : end]), end + 1
    if text.startswith("$", position):
        match = _PATH_TOKEN.match(text, position)
        assert match is not None  # the pattern matches at least "$"
        problem = path_problem(match[0], context=True)
        if problem:
            raise ValueError(problem)
        return Ref(match[0]), match.end()
    if text.startswith("States.", position):
        return _parse_call(text, position)
    for word, value in _LITERALS.items():
        if text.startswith(word, position):
            return value, position + len(word)
    match = _NUMBER.match(text, position)
    if match is None:
        raise ValueError(f"unsupported argument at offset {position} in {text!r}")
    return json.loads(match[0]), match.end()


def _check_call(name: str, args: list[Any]) -> None:
    if name == "States.Format":
        if not isinstance(args[0], Text):
            raise ValueError("States.Format: the template must be a quoted string")
        if len(_format_pieces(args[0].raw)) - 1 != len(args) - 1:
            raise ValueError("States.Format: the number of {} does not match the arguments")
    if name == "States.JsonMerge" and args[2] is not False:
        raise ValueError("States.JsonMerge: only a shallow merge (false) is supported")


def _format_pieces(raw: str) -> list[str]:
    """The literal text between the ``{}`` placeholders of a States.Format template."""
    pieces, current, position = [], [], 0
    while position < len(raw):
        char = raw[position]
        if char == "\\":
            current.append(raw[position + 1])
            position += 2
        elif raw.startswith("{}", position):
            pieces.append("".join(current))
            current, position = [], position + 2
        elif char in "{}":
            raise ValueError("States.Format: an unescaped brace that is not {}")
        else:
            current.append(char)
            position += 1
    return [*pieces, "".join(current)]


def apply_intrinsic(call: Call, args: list[Any]) -> Any:
    """Evaluate one intrinsic on evaluated arguments; ``ValueError`` for a bad argument."""
    if call.name == "States.Format":
        texts = []
        for arg in args[1:]:
            if isinstance(arg, dict | list):
                raise ValueError("States.Format takes strings, numbers, booleans and null")
            texts.append(arg if isinstance(arg, str) else json.dumps(arg))
        pieces = _format_pieces(call.args[0].raw)
        return pieces[0] + "".join(t + p for t, p in zip(texts, pieces[1:], strict=True))
    if call.name == "States.JsonToString":
        return compact(args[0])
    if call.name == "States.StringToJson":
        if not isinstance(args[0], str):
            raise ValueError("States.StringToJson takes a string")
        return json.loads(args[0])
    if call.name == "States.MathAdd":
        if not all(is_int(arg) for arg in args):
            raise ValueError("States.MathAdd takes two integers")
        return args[0] + args[1]
    if call.name == "States.Array":
        return list(args)
    if not (isinstance(args[0], dict) and isinstance(args[1], dict)):
        raise ValueError("States.JsonMerge takes two objects")
    return {**args[0], **args[1]}
