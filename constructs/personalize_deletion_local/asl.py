"""A small, strict Amazon States Language interpreter (JSONPath) on a simulated clock.

Why it exists: moto's Step Functions backend runs Lambda tasks only in Docker and cannot reach a
non-moto service for ``aws-sdk:*`` tasks, so it cannot execute the project's tracker. The tests
and the local rehearsal therefore run the *real* definition (taken from the synthesized template)
with this interpreter, rather than a hand-written copy of its flow that could drift from it.

Strictness is the point: ``load_definition`` rejects, before anything runs, every field, state
type, comparator, path syntax or intrinsic function not implemented here, naming the state and
the field. A definition never runs with a field silently ignored.

Supported: Pass, Task, Wait, Choice, Succeed and Fail states; InputPath, Parameters,
ResultSelector, ResultPath and OutputPath; Retry and Catch; the top-level TimeoutSeconds; the
context object's Execution, State and StateMachine fields; simple reference paths (``$``,
``$.a.b``, ``$.a[0]``, ``$['a b']``); and the intrinsics States.Format, JsonToString,
StringToJson, MathAdd, Array and JsonMerge (shallow). Task work is delegated to a ``tasks``
callable; the adapters for ``lambda:invoke`` and ``aws-sdk:*`` live in ``asl_tasks`` and are
re-exported here.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import operator
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from .asl_tasks import TaskFailed, TaskHandler, aws_sdk, combine, lambda_invoke

__all__ = [
    "Clock",
    "ExecutionResult",
    "TaskFailed",
    "TaskHandler",
    "UnsupportedDefinition",
    "Visit",
    "aws_sdk",
    "combine",
    "iso_timestamp",
    "lambda_invoke",
    "load_definition",
    "run_execution",
]


class Clock(Protocol):
    """Simulated time: Wait states and retry delays advance it instead of sleeping."""

    def now(self) -> float:
        """Epoch seconds."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        ...


class UnsupportedDefinition(ValueError):
    """The definition uses something this interpreter does not implement (or is invalid).

    Raised by ``load_definition`` before anything runs, naming the state and the field, so a
    definition can never run locally with part of it silently ignored.
    """

    def __init__(self, state: str | None, field_name: str, message: str) -> None:
        where = "top level" if state is None else f"state {state!r}"
        super().__init__(f"{where}, field {field_name!r}: {message}")
        self.state = state
        self.field = field_name


@dataclass
class Visit:
    """One entry into a state: what it received, produced or failed with, how often retried."""

    state: str
    type: str
    entered_at: float
    input: Any
    output: Any | None = None
    error: str | None = None
    retries: int = 0
    resource: str | None = None
    """A Task's Resource, ``None`` for other states."""
    calls: int = 0
    """How often a Task called its resource (1 + retries, unless its Parameters failed)."""


@dataclass
class ExecutionResult:
    """How an execution ended, with every state visit, as ``DescribeExecution`` would say."""

    status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT"]
    output: Any | None
    error: str | None
    cause: str | None
    started_at: float
    stopped_at: float
    visits: list[Visit] = field(default_factory=list)
    transitions: int = 0
    """One per state entered plus one per retry attempt: what a standard workflow bills."""

    def states(self) -> list[str]:
        """The names of the states entered, in order."""
        return [visit.state for visit in self.visits]

    def task_calls(self, resource_prefix: str = "") -> int:
        """How many times a Task resource starting with ``resource_prefix`` was called."""
        return sum(
            visit.calls
            for visit in self.visits
            if visit.resource is not None and visit.resource.startswith(resource_prefix)
        )


class _Failure(Exception):
    """An ASL error raised while running a state (task failure, States.* error)."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class _TimedOut(Exception):
    """The execution's TimeoutSeconds has passed."""


# --- paths -------------------------------------------------------------------------------------

_MISSING: Any = object()
_SEGMENT = re.compile(
    r"\.(?P<name>[^.\[\]'\"*?@()\s$,]+)|\[(?P<index>\d+)\]|\['(?P<quoted>(?:[^'\\]|\\.)*)'\]"
)
_CONTEXT = {
    "Execution": {"Id", "Input", "Name", "StartTime"},
    "State": {"EnteredTime", "Name", "RetryCount"},
    "StateMachine": {"Id", "Name"},
}


@functools.cache
def _parse_path(text: str) -> tuple[bool, tuple[str | int, ...]] | None:
    """``(is_context, segments)`` for a supported path, ``None`` for anything else."""
    is_context = text.startswith("$$")
    if not text.startswith("$"):
        return None
    rest, position, segments = text[2 if is_context else 1 :], 0, []
    while position < len(rest):
        match = _SEGMENT.match(rest, position)
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


def _path_problem(text: Any, *, context: bool = False, names_only: bool = False) -> str | None:
    """Why ``text`` is not a supported path here, or ``None`` when it is."""
    parsed = _parse_path(text) if isinstance(text, str) else None
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


def _lookup(segments: tuple[str | int, ...], data: Any) -> Any:
    for segment in segments:
        if isinstance(segment, int):
            if not isinstance(data, list) or segment >= len(data):
                return _MISSING
        elif not isinstance(data, dict) or segment not in data:
            return _MISSING
        data = data[segment]
    return data


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- timestamps --------------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"
)


def _instant(text: Any) -> int | None:
    """An RFC 3339 timestamp as integer nanoseconds since the epoch; ``None`` if it is not one."""
    match = _TIMESTAMP.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    try:
        moment = dt.datetime(*(int(part) for part in match.groups()[:6]), tzinfo=dt.UTC)
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


# --- intrinsic functions -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A quoted string argument, kept raw because States.Format reads its escapes."""

    raw: str

    @property
    def value(self) -> str:
        return re.sub(r"\\(.)", r"\1", self.raw)


@dataclass(frozen=True)
class _Ref:
    path: str


@dataclass(frozen=True)
class _Call:
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
_PATH_TOKEN = re.compile(r"\$\$?(?:" + _SEGMENT.pattern + r")*")
_LITERALS = {"true": True, "false": False, "null": None}


@functools.cache
def _parse_intrinsic(text: str) -> _Call:
    """Parse ``States.Name(arg, ...)``; ``ValueError`` says what is not supported."""
    call, end = _parse_call(text, 0)
    if end != len(text):
        raise ValueError(f"unexpected text after the intrinsic function: {text[end:]!r}")
    return call


def _parse_call(text: str, position: int) -> tuple[_Call, int]:
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
    return _Call(name, tuple(args)), position


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
        return _Text(text[position + 1 : end]), end + 1
    if text.startswith("$", position):
        match = _PATH_TOKEN.match(text, position)
        assert match is not None  # the pattern matches at least "$"
        problem = _path_problem(match[0], context=True)
        if problem:
            raise ValueError(problem)
        return _Ref(match[0]), match.end()
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
        if not isinstance(args[0], _Text):
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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _apply(call: _Call, args: list[Any]) -> Any:
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
        return _compact(args[0])
    if call.name == "States.StringToJson":
        if not isinstance(args[0], str):
            raise ValueError("States.StringToJson takes a string")
        return json.loads(args[0])
    if call.name == "States.MathAdd":
        if not all(_is_int(arg) for arg in args):
            raise ValueError("States.MathAdd takes two integers")
        return args[0] + args[1]
    if call.name == "States.Array":
        return list(args)
    if not (isinstance(args[0], dict) and isinstance(args[1], dict)):
        raise ValueError("States.JsonMerge takes two objects")
    return {**args[0], **args[1]}


# --- loading -----------------------------------------------------------------------------------

_TOP_FIELDS = {"StartAt", "States", "Comment", "TimeoutSeconds", "Version", "QueryLanguage"}
_STATE_FIELDS = {
    "Pass": {"Result", "Parameters", "InputPath", "ResultPath", "OutputPath", "Next", "End"},
    "Task": {"Resource", "Parameters", "ResultSelector", "InputPath", "ResultPath", "OutputPath"}
    | {"Retry", "Catch", "Next", "End"},
    "Wait": {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "InputPath", "OutputPath"}
    | {"Next", "End"},
    "Choice": {"Choices", "Default", "InputPath", "OutputPath"},
    "Succeed": {"InputPath", "OutputPath"},
    "Fail": {"Error", "Cause", "ErrorPath", "CausePath"},
}
_WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
_RETRY_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate"}
_RETRY_FIELDS |= {"MaxDelaySeconds", "JitterStrategy", "Comment"}
_CATCH_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Comment"}
_ORDER = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
_COMPARATORS = {f"{kind}{op}" for kind in ("String", "Numeric", "Timestamp") for op in _ORDER}
_COMPARATORS |= {"BooleanEquals"}
_COMPARATORS |= {f"{name}Path" for name in _COMPARATORS} | {"StringMatches"}
_COMPARATORS |= {"IsNull", "IsPresent", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"}


def load_definition(definition: Mapping[str, Any] | str) -> dict[str, Any]:
    """Parse (if a string), copy and strictly validate a definition; return the copy.

    Raises ``UnsupportedDefinition`` for anything the interpreter would otherwise ignore or
    misread, and for dangling transitions, so problems surface before any state runs.
    """
    machine = json.loads(definition) if isinstance(definition, str) else _wire(definition)
    if not isinstance(machine, dict):
        raise UnsupportedDefinition(None, "", "a definition is a JSON object")
    for key in machine:
        if key not in _TOP_FIELDS:
            raise UnsupportedDefinition(None, key, "top-level field is not supported")
    if machine.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise UnsupportedDefinition(None, "QueryLanguage", "only JSONPath is supported")
    if machine.get("Version", "1.0") != "1.0":
        raise UnsupportedDefinition(None, "Version", "only version 1.0 is supported")
    if not isinstance(machine.get("Comment", ""), str):
        raise UnsupportedDefinition(None, "Comment", "must be a string")
    timeout = machine.get("TimeoutSeconds", 1)
    if not _is_int(timeout) or timeout < 1:
        raise UnsupportedDefinition(None, "TimeoutSeconds", "must be a positive integer")
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        raise UnsupportedDefinition(None, "States", "must be a non-empty object")
    if not isinstance(machine.get("StartAt"), str) or machine["StartAt"] not in states:
        raise UnsupportedDefinition(None, "StartAt", f"no state {machine.get('StartAt')!r}")
    for name, state in states.items():
        _Checker(name, states).state(state)
    return machine


class _Checker:
    """Validates one state; every complaint names the state and the field."""

    def __init__(self, name: str, states: Mapping[str, Any]) -> None:
        self.name, self.states = name, states

    def fail(self, field_name: str, message: str) -> UnsupportedDefinition:
        return UnsupportedDefinition(self.name, field_name, message)

    def state(self, state: Any) -> None:
        kind = state.get("Type") if isinstance(state, dict) else None
        if kind not in _STATE_FIELDS:
            raise self.fail("Type", f"state type {kind!r} is not supported")
        for key in state:
            if key not in _STATE_FIELDS[kind] | {"Type", "Comment"}:
                raise self.fail(key, f"field is not supported on a {kind} state")
        if not isinstance(state.get("Comment", ""), str):
            raise self.fail("Comment", "must be a string")
        if kind in ("Pass", "Task", "Wait"):
            if ("Next" in state) == ("End" in state) or state.get("End", True) is not True:
                raise self.fail("Next", "exactly one of Next and End (true) is required")
            if "Next" in state:
                self.target("Next", state["Next"])
        for key in ("InputPath", "OutputPath", "ResultPath"):
            if state.get(key) is not None:
                self.path(key, state[key], names_only=key == "ResultPath")
        for key in ("Parameters", "ResultSelector"):
            if key in state:
                if not isinstance(state[key], dict):
                    raise self.fail(key, "must be an object")
                self.template(key, state[key])
        getattr(self, f"check_{kind.lower()}")(state)

    def target(self, field_name: str, target: Any) -> None:
        if not isinstance(target, str) or target not in self.states:
            raise self.fail(field_name, f"no state {target!r} to go to")

    def path(self, field_name: str, text: Any, *, names_only: bool = False) -> None:
        problem = _path_problem(text, names_only=names_only)
        if problem:
            raise self.fail(field_name, problem)

    def template(self, where: str, template: Any) -> None:
        if isinstance(template, list):
            for index, item in enumerate(template):
                self.template(f"{where}[{index}]", item)
            return
        if not isinstance(template, dict):
            return
        for key, value in template.items():
            here = f"{where}.{key}"
            if not key.endswith(".$"):
                self.template(here, value)
            elif key[:-2] in template:
                raise self.fail(here, f"both {key[:-2]!r} and {key!r} are given")
            elif isinstance(value, str) and value.startswith("States."):
                try:
                    _parse_intrinsic(value)
                except ValueError as exc:
                    raise self.fail(here, str(exc)) from None
            elif problem := _path_problem(value, context=True):
                raise self.fail(here, problem)

    def check_pass(self, state: dict[str, Any]) -> None:
        """Nothing beyond the common fields: Result is any JSON value."""

    def check_task(self, state: dict[str, Any]) -> None:
        if not isinstance(state.get("Resource"), str) or not state["Resource"]:
            raise self.fail("Resource", "a Task needs a Resource string")
        for key, allowed in (("Retry", _RETRY_FIELDS), ("Catch", _CATCH_FIELDS)):
            entries = state.get(key, [])
            if not isinstance(entries, list):
                raise self.fail(key, "must be an array")
            for index, entry in enumerate(entries):
                self.handler(f"{key}[{index}]", entry, allowed, last=index == len(entries) - 1)

    def handler(self, where: str, entry: Any, allowed: set[str], *, last: bool) -> None:
        if not isinstance(entry, dict):
            raise self.fail(where, "must be an object")
        for key in entry:
            if key not in allowed:
                raise self.fail(f"{where}.{key}", "field is not supported")
        errors = entry.get("ErrorEquals")
        if not errors or not isinstance(errors, list) or any(type(e) is not str for e in errors):
            raise self.fail(f"{where}.ErrorEquals", "must be a non-empty array of strings")
        if "States.ALL" in errors and (len(errors) > 1 or not last):
            raise self.fail(f"{where}.ErrorEquals", "States.ALL must be alone and last")
        if "Next" in allowed:
            self.target(f"{where}.Next", entry.get("Next"))
            if entry.get("ResultPath") is not None:
                self.path(f"{where}.ResultPath", entry["ResultPath"], names_only=True)
            return
        minimums = {"IntervalSeconds": 1, "MaxAttempts": 0, "MaxDelaySeconds": 1}
        for key, minimum in minimums.items():
            if key in entry and (not _is_int(entry[key]) or entry[key] < minimum):
                raise self.fail(f"{where}.{key}", f"must be an integer >= {minimum}")
        rate = entry.get("BackoffRate", 2.0)
        if not _is_number(rate) or rate < 1.0:
            raise self.fail(f"{where}.BackoffRate", "must be a number >= 1.0")
        if entry.get("JitterStrategy", "NONE") != "NONE":
            raise self.fail(f"{where}.JitterStrategy", "only NONE is supported")

    def check_wait(self, state: dict[str, Any]) -> None:
        given = [key for key in _WAIT_FIELDS if key in state]
        if len(given) != 1:
            raise self.fail("Seconds", f"exactly one of {', '.join(_WAIT_FIELDS)} is required")
        value = state[given[0]]
        if given[0] == "Seconds" and (not _is_int(value) or value < 0):
            raise self.fail("Seconds", "must be a non-negative integer")
        if given[0] == "Timestamp" and _instant(value) is None:
            raise self.fail("Timestamp", f"{value!r} is not an RFC 3339 timestamp")
        if given[0].endswith("Path"):
            self.path(given[0], value)

    def check_choice(self, state: dict[str, Any]) -> None:
        choices = state.get("Choices")
        if not isinstance(choices, list) or not choices:
            raise self.fail("Choices", "must be a non-empty array")
        for index, rule in enumerate(choices):
            self.rule(f"Choices[{index}]", rule, top=True)
        if "Default" in state:
            self.target("Default", state["Default"])

    def rule(self, where: str, rule: Any, *, top: bool) -> None:
        if not isinstance(rule, dict):
            raise self.fail(where, "a choice rule is an object")
        if top:
            self.target(f"{where}.Next", rule.get("Next"))
        elif "Next" in rule:
            raise self.fail(f"{where}.Next", "only a top-level choice rule has Next")
        keys = set(rule) - {"Next", "Comment"}
        if keys & {"And", "Or", "Not"}:
            if len(keys) != 1:
                raise self.fail(where, "And, Or or Not stands alone in its rule")
            (operator,) = keys
            nested = rule[operator]
            if operator == "Not":
                self.rule(f"{where}.Not", nested, top=False)
            elif not isinstance(nested, list) or not nested:
                raise self.fail(f"{where}.{operator}", "must be a non-empty array")
            else:
                for index, item in enumerate(nested):
                    self.rule(f"{where}.{operator}[{index}]", item, top=False)
            return
        self.path(f"{where}.Variable", rule.get("Variable"))
        for key in keys - {"Variable"} - _COMPARATORS:
            raise self.fail(f"{where}.{key}", "comparator or field is not supported")
        comparators = keys - {"Variable"}
        if len(comparators) != 1:
            raise self.fail(where, "a choice rule needs exactly one comparator")
        (comparator,) = comparators
        operand = rule[comparator]
        if comparator.endswith("Path"):
            self.path(f"{where}.{comparator}", operand)
        elif not _operand_ok(comparator, operand):
            raise self.fail(f"{where}.{comparator}", f"invalid operand {operand!r}")

    def check_succeed(self, state: dict[str, Any]) -> None:
        """Nothing beyond the common fields."""

    def check_fail(self, state: dict[str, Any]) -> None:
        for key in ("Error", "Cause"):
            if key in state and f"{key}Path" in state:
                raise self.fail(f"{key}Path", f"{key} and {key}Path are exclusive")
            if not isinstance(state.get(key, ""), str):
                raise self.fail(key, "must be a string")
            if f"{key}Path" in state:
                self.path(f"{key}Path", state[f"{key}Path"])


def _operand_ok(comparator: str, operand: Any) -> bool:
    if comparator.startswith("Is") or comparator == "BooleanEquals":
        return isinstance(operand, bool)
    if comparator.startswith("String"):
        return isinstance(operand, str)
    if comparator.startswith("Numeric"):
        return _is_number(operand)
    return _instant(operand) is not None


# --- running -----------------------------------------------------------------------------------


def run_execution(
    definition: Mapping[str, Any] | str,
    execution_input: Any,
    *,
    tasks: Callable[[str, Any], Any],
    clock: Clock,
    execution_name: str = "local",
    state_machine_arn: str = "arn:aws:states:us-east-1:123456789012:stateMachine:local",
    max_transitions: int = 100_000,
) -> ExecutionResult:
    """Run one execution of ``definition`` from start to end on ``clock``.

    ``tasks(resource, parameters)`` performs a Task state's work and returns its raw result, or
    raises ``TaskFailed`` for a failure Retry/Catch may handle; any other exception propagates.
    Waits and retry delays advance ``clock``. ``max_transitions`` stops a definition that would
    loop forever with a ``RuntimeError`` naming the last states entered.
    """
    machine = load_definition(definition)
    if ":stateMachine:" not in state_machine_arn:
        raise ValueError(f"not a state machine ARN: {state_machine_arn}")
    run = _Execution(machine, tasks, clock, max_transitions)
    run.context = {
        "Execution": {
            "Id": f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:"
            f"{execution_name}",
            "Input": _wire(execution_input),
            "Name": execution_name,
            "StartTime": iso_timestamp(run.started_at),
        },
        "StateMachine": {"Id": state_machine_arn, "Name": state_machine_arn.rsplit(":", 1)[1]},
    }
    return run.run(_wire(execution_input))


def _wire(value: Any) -> Any:
    """What survives a trip through JSON: handlers see exactly what crosses the wire."""
    return json.loads(json.dumps(value))


def _runtime(state: str, message: str) -> _Failure:
    return _Failure(
        "States.Runtime", f"An error occurred while executing the state '{state}'. {message}"
    )


def _matches(handler: Mapping[str, Any], error: str | None) -> bool:
    """ErrorEquals semantics: States.Runtime is never handled; States.TaskFailed is any task
    error but States.Timeout; States.ALL is anything else."""
    if error is None or error == "States.Runtime":
        return False
    return any(
        name in (error, "States.ALL") or (name == "States.TaskFailed" and error != "States.Timeout")
        for name in handler["ErrorEquals"]
    )


class _Execution:
    """The state of one running execution: clock, deadline, visits and transition count."""

    def __init__(
        self, machine: dict[str, Any], tasks: Callable[[str, Any], Any], clock: Clock, limit: int
    ) -> None:
        self.machine, self.tasks, self.clock, self.limit = machine, tasks, clock, limit
        self.started_at = clock.now()
        timeout = machine.get("TimeoutSeconds")
        self.deadline = None if timeout is None else self.started_at + timeout
        self.context: dict[str, Any] = {}
        self.visits: list[Visit] = []
        self.transitions = 0

    def run(self, data: Any) -> ExecutionResult:
        name: str | None = self.machine["StartAt"]
        while name is not None:
            state = self.machine["States"][name]
            if self.deadline is not None and self.clock.now() > self.deadline:
                return self.result("TIMED_OUT", None, "States.Timeout")
            self.count()
            visit = Visit(name, state["Type"], self.clock.now(), copy.deepcopy(data))
            visit.resource = state.get("Resource")
            self.visits.append(visit)
            try:
                name, data = self.step(visit, state, data)
            except _Failure as failure:
                visit.error = failure.error
                return self.result("FAILED", None, failure.error, failure.cause)
            except _TimedOut:
                visit.error = "States.Timeout"
                return self.result("TIMED_OUT", None, "States.Timeout")
            visit.output = data
        if self.deadline is not None and self.clock.now() > self.deadline:
            return self.result("TIMED_OUT", None, "States.Timeout")
        return self.result("SUCCEEDED", data, None)

    def result(
        self, status: Any, output: Any, error: str | None, cause: str | None = None
    ) -> ExecutionResult:
        timed_out = status == "TIMED_OUT" and self.deadline is not None
        return ExecutionResult(
            status=status,
            output=output,
            error=error,
            cause=cause,
            started_at=self.started_at,
            stopped_at=self.deadline if timed_out else self.clock.now(),
            visits=self.visits,
            transitions=self.transitions,
        )

    def count(self) -> None:
        self.transitions += 1
        if self.transitions > self.limit:
            last = ", ".join(visit.state for visit in self.visits[-10:])
            raise RuntimeError(f"more than {self.limit} state transitions; last states: {last}")

    def sleep(self, seconds: float) -> None:
        """Advance the clock, but never past the execution's deadline."""
        now = self.clock.now()
        if self.deadline is not None and now + seconds > self.deadline:
            self.clock.advance(max(0.0, self.deadline - now))
            raise _TimedOut
        if seconds > 0:
            self.clock.advance(seconds)

    def step(self, visit: Visit, state: dict[str, Any], raw: Any) -> tuple[str | None, Any]:
        """Run one state on its raw input; return the next state (``None`` at the end) and the
        state's output."""
        kind = state["Type"]
        if kind == "Fail":
            error, cause = (self.fail_field(visit, state, key, raw) for key in ("Error", "Cause"))
            raise _Failure(error, cause)
        data = self.select(visit, state, "InputPath", raw)
        if kind == "Pass":
            if "Parameters" in state:
                data = self.template(visit, state["Parameters"], data)
            result = copy.deepcopy(state["Result"]) if "Result" in state else data
            return state.get("Next"), self.finish(visit, state, raw, result)
        if kind == "Task":
            return self.task(visit, state, raw, data)
        if kind == "Wait":
            self.sleep(self.wait_seconds(visit, state, data))
        following = self.choose(visit, state, data) if kind == "Choice" else state.get("Next")
        return following, self.select(visit, state, "OutputPath", data)

    def state_context(self, visit: Visit) -> dict[str, Any]:
        state = {
            "EnteredTime": iso_timestamp(visit.entered_at),
            "Name": visit.state,
            "RetryCount": visit.retries,
        }
        return {**self.context, "State": state}

    def resolve(self, visit: Visit, path: str, data: Any) -> Any:
        """The value at ``path`` (``$`` in ``data``, ``$$`` in the context), or ``_MISSING``."""
        parsed = _parse_path(path)
        assert parsed is not None  # validated at load
        is_context, segments = parsed
        return _lookup(segments, self.state_context(visit) if is_context else data)

    def select(self, visit: Visit, state: dict[str, Any], key: str, data: Any) -> Any:
        """InputPath/OutputPath: absent is ``$``, null is ``{}``, a missing path an error."""
        if key not in state:
            return data
        if state[key] is None:
            return {}
        value = self.resolve(visit, state[key], data)
        if value is _MISSING:
            raise _runtime(
                visit.state,
                f"Invalid path '{state[key]}' for {key}: nothing at that path in "
                f"'{_compact(data)}'",
            )
        return value

    def template(self, visit: Visit, template: Any, data: Any) -> Any:
        """A payload template: keys ending in ``.$`` take a path or an intrinsic's value."""
        if isinstance(template, list):
            return [self.template(visit, item, data) for item in template]
        if not isinstance(template, dict):
            return copy.deepcopy(template)
        result = {}
        for key, value in template.items():
            if not key.endswith(".$"):
                result[key] = self.template(visit, value, data)
            elif value.startswith("States."):
                result[key[:-2]] = self.intrinsic(visit, _parse_intrinsic(value), data)
            else:
                found = self.resolve(visit, value, data)
                if found is _MISSING:
                    raise _runtime(
                        visit.state,
                        f"The JSONPath '{value}' specified for the field '{key}' "
                        f"could not be found in the input '{_compact(data)}'",
                    )
                result[key[:-2]] = copy.deepcopy(found)
        return result

    def intrinsic(self, visit: Visit, node: Any, data: Any) -> Any:
        if isinstance(node, _Text):
            return node.value
        if isinstance(node, _Ref):
            found = self.resolve(visit, node.path, data)
            if found is _MISSING:
                raise _runtime(visit.state, f"The JSONPath '{node.path}' could not be found")
            return copy.deepcopy(found)
        if not isinstance(node, _Call):
            return node
        args = [self.intrinsic(visit, arg, data) for arg in node.args]
        try:
            return _apply(node, args)
        except ValueError as exc:
            raise _runtime(visit.state, f"{node.name} failed: {exc}") from None

    def finish(self, visit: Visit, state: dict[str, Any], raw: Any, result: Any) -> Any:
        """ResultPath then OutputPath."""
        combined = self.put(visit, raw, state.get("ResultPath", "$"), result)
        return self.select(visit, state, "OutputPath", combined)

    def put(self, visit: Visit, raw: Any, path: str | None, result: Any) -> Any:
        """ResultPath: ``result`` placed in a copy of the raw input, creating objects on the way."""
        segments = () if path is None else _parse_path(path)[1]  # type: ignore[index]
        if path is None or not segments:
            return raw if path is None else result
        combined = node = copy.deepcopy(raw)
        for segment in segments[:-1]:
            if isinstance(node, dict):
                node = node.setdefault(segment, {})
        if not isinstance(node, dict):
            raise _runtime(visit.state, f"Unable to apply ResultPath '{path}' to '{_compact(raw)}'")
        node[segments[-1]] = result
        return combined

    def task(
        self, visit: Visit, state: dict[str, Any], raw: Any, data: Any
    ) -> tuple[str | None, Any]:
        retriers = state.get("Retry", [])
        attempts = [0] * len(retriers)
        while True:
            try:
                parameters = data
                if "Parameters" in state:
                    parameters = self.template(visit, state["Parameters"], data)
                visit.calls += 1
                try:
                    result = _wire(self.tasks(state["Resource"], _wire(parameters)))
                except TaskFailed as exc:
                    raise _Failure(exc.error, exc.cause) from exc
                break
            except _Failure as failure:
                error = failure.error
                index = next((i for i, r in enumerate(retriers) if _matches(r, error)), None)
                if index is None or attempts[index] >= retriers[index].get("MaxAttempts", 3):
                    return self.catch(visit, state, raw, failure)
                retrier = retriers[index]
                delay = retrier.get("IntervalSeconds", 1) * (
                    retrier.get("BackoffRate", 2.0) ** attempts[index]
                )
                self.sleep(min(delay, retrier.get("MaxDelaySeconds", delay)))
                attempts[index] += 1
                visit.retries += 1
                self.count()
        if "ResultSelector" in state:
            result = self.template(visit, state["ResultSelector"], result)
        return state.get("Next"), self.finish(visit, state, raw, result)

    def catch(
        self, visit: Visit, state: dict[str, Any], raw: Any, failure: _Failure
    ) -> tuple[str, Any]:
        for catcher in state.get("Catch", []):
            if _matches(catcher, failure.error):
                visit.error = failure.error
                caught = {"Error": failure.error, "Cause": failure.cause}
                return catcher["Next"], self.put(visit, raw, catcher.get("ResultPath", "$"), caught)
        raise failure

    def wait_seconds(self, visit: Visit, state: dict[str, Any], data: Any) -> float:
        if "Seconds" in state:
            return state["Seconds"]
        if "SecondsPath" in state:
            seconds = self.resolve(visit, state["SecondsPath"], data)
            if not _is_int(seconds) or seconds < 0:
                raise _runtime(
                    visit.state,
                    f"SecondsPath '{state['SecondsPath']}' is not a non-negative "
                    f"integer in '{_compact(data)}'",
                )
            return seconds
        stamp = state.get("Timestamp")
        if stamp is None:
            stamp = self.resolve(visit, state["TimestampPath"], data)
        instant = _instant(stamp)
        if instant is None:
            raise _runtime(
                visit.state,
                f"TimestampPath '{state['TimestampPath']}' is not a timestamp in "
                f"'{_compact(data)}'",
            )
        whole, nanos = divmod(instant, 10**9)
        return max(0.0, whole - self.clock.now() + nanos / 1e9)

    def choose(self, visit: Visit, state: dict[str, Any], data: Any) -> str:
        for rule in state["Choices"]:
            if self.holds(visit, rule, data):
                return rule["Next"]
        if "Default" in state:
            return state["Default"]
        raise _Failure(
            "States.NoChoiceMatched",
            f"No Choice Rules matched and no Default was specified for state '{visit.state}'",
        )

    def holds(self, visit: Visit, rule: dict[str, Any], data: Any) -> bool:
        if "And" in rule:
            return all(self.holds(visit, item, data) for item in rule["And"])
        if "Or" in rule:
            return any(self.holds(visit, item, data) for item in rule["Or"])
        if "Not" in rule:
            return not self.holds(visit, rule["Not"], data)
        (comparator,) = set(rule) & _COMPARATORS
        value = self.resolve(visit, rule["Variable"], data)
        if comparator == "IsPresent":
            return (value is not _MISSING) == rule[comparator]
        value, operand = self.present(visit, rule["Variable"], value), rule[comparator]
        if comparator.endswith("Path"):
            operand = self.present(visit, operand, self.resolve(visit, operand, data))
        return _compare(comparator.removesuffix("Path"), value, operand)

    def present(self, visit: Visit, path: str, value: Any) -> Any:
        """A Choice rule's value, which must exist (only IsPresent tolerates a missing one)."""
        if value is _MISSING:
            raise _runtime(
                visit.state,
                f"Invalid path '{path}': The choice state's condition path references an invalid "
                "value.",
            )
        return value

    def fail_field(self, visit: Visit, state: dict[str, Any], key: str, raw: Any) -> str | None:
        if key in state or f"{key}Path" not in state:
            return state.get(key)
        value = self.resolve(visit, state[f"{key}Path"], raw)
        if not isinstance(value, str):
            raise _runtime(
                visit.state,
                f"{key}Path '{state[f'{key}Path']}' is not a string in '{_compact(raw)}'",
            )
        return value


def _compare(comparator: str, value: Any, operand: Any) -> bool:
    """One comparator; a value of the wrong type makes it false, never an error."""
    checks = {
        "IsNull": lambda: value is None,
        "IsString": lambda: isinstance(value, str),
        "IsNumeric": lambda: _is_number(value),
        "IsBoolean": lambda: isinstance(value, bool),
        "IsTimestamp": lambda: _instant(value) is not None,
    }
    if comparator in checks:
        return checks[comparator]() == operand
    if comparator == "BooleanEquals":
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    if comparator == "StringMatches":
        pattern = "".join(
            ".*" if part == "*" else re.escape(part[-1])
            for part in re.findall(r"\\.|\*|[^\\*]", operand)
        )
        return isinstance(value, str) and re.fullmatch(pattern, value, re.DOTALL) is not None
    kind = next(kind for kind in ("String", "Numeric", "Timestamp") if comparator.startswith(kind))
    if kind == "String" and not (isinstance(value, str) and isinstance(operand, str)):
        return False
    if kind == "Numeric" and not (_is_number(value) and _is_number(operand)):
        return False
    if kind == "Timestamp":
        value, operand = _instant(value), _instant(operand)
        if value is None or operand is None:
            return False
    return _ORDER[comparator[len(kind) :]](value, operand)
