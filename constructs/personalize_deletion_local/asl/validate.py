"""Load-time validation of a States Language definition for the local interpreter.

Strictness is the point: ``load_definition`` rejects, before anything runs, every field, state
type, comparator, path syntax or intrinsic function not implemented by the interpreter, naming
the state and the field. A definition never runs with a field silently ignored.

Why it is separate: checking a definition is a different job from running one. It shares only
the helpers for paths, intrinsics and comparators (``paths``, ``intrinsics``,
``choice``), never the engine (``engine``), which imports it and re-exports its public names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .choice import COMPARATORS
from .intrinsics import parse_intrinsic
from .paths import instant, is_int, is_number, path_problem, wire

__all__ = ["UnsupportedDefinition", "load_definition"]


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


def load_definition(definition: Mapping[str, Any] | str) -> dict[str, Any]:
    """Parse (if a string), copy and strictly validate a definition; return the copy.

    Raises ``UnsupportedDefinition`` for anything the interpreter would otherwise ignore or
    misread, and for dangling transitions, so problems surface before any state runs.
    """
    machine = json.loads(definition) if isinstance(definition, str) else wire(definition)
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
    if not is_int(timeout) or timeout < 1:
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
        problem = path_problem(text, names_only=names_only)
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
                    parse_intrinsic(value)
                except ValueError as exc:
                    raise self.fail(here, str(exc)) from None
            elif problem := path_problem(value, context=True):
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
            if key in entry and (not is_int(entry[key]) or entry[key] < minimum):
                raise self.fail(f"{where}.{key}", f"must be an integer >= {minimum}")
        rate = entry.get("BackoffRate", 2.0)
        if not is_number(rate) or rate < 1.0:
            raise self.fail(f"{where}.BackoffRate", "must be a number >= 1.0")
        if entry.get("JitterStrategy", "NONE") != "NONE":
            raise self.fail(f"{where}.JitterStrategy", "only NONE is supported")

    def check_wait(self, state: dict[str, Any]) -> None:
        given = [key for key in _WAIT_FIELDS if key in state]
        if len(given) != 1:
            raise self.fail("Seconds", f"exactly one of {', '.join(_WAIT_FIELDS)} is required")
        value = state[given[0]]
        if given[0] == "Seconds" and (not is_int(value) or value < 0):
            raise self.fail("Seconds", "must be a non-negative integer")
        if given[0] == "Timestamp" and instant(value) is None:
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
        for key in keys - {"Variable"} - COMPARATORS:
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
        return is_number(operand)
    return instant(operand) is not None
