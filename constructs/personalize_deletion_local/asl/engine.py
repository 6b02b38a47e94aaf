"""A small, strict Amazon States Language interpreter (JSONPath) on a simulated clock.

Why it exists: moto's Step Functions backend runs Lambda tasks only in Docker and cannot reach a
non-moto service for ``aws-sdk:*`` tasks, so it cannot execute the project's tracker. The tests
and the local rehearsal therefore run the *real* definition (taken from the synthesized template)
with this interpreter, rather than a hand-written copy of its flow that could drift from it.

Supported: Pass, Task, Wait, Choice, Succeed and Fail states; InputPath, Parameters,
ResultSelector, ResultPath and OutputPath; Retry and Catch; the top-level TimeoutSeconds; the
context object's Execution, State and StateMachine fields; simple reference paths (``$``,
``$.a.b``, ``$.a[0]``, ``$['a b']``); and the intrinsics of ``intrinsics``.

This module is the execution engine; the package re-exports its public names. One concern per
module lives beside it: ``results`` (visits and results), ``validate`` (``load_definition``:
anything not implemented is rejected before a state runs), ``intrinsics``, ``choice``
(comparators), ``paths`` (paths, JSON values, timestamps) and ``tasks`` (``lambda:invoke`` and
``aws-sdk:*``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from .choice import COMPARATORS, compare
from .intrinsics import Call, Ref, Text, apply_intrinsic, parse_intrinsic
from .paths import MISSING, compact, instant, is_int, iso_timestamp, lookup, parse_path, wire
from .results import Clock, ExecutionResult, Visit
from .tasks import TaskFailed
from .validate import load_definition


class _Failure(Exception):
    """An ASL error raised while running a state (task failure, States.* error)."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class _TimedOut(Exception):
    """The execution's TimeoutSeconds has passed."""


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
            "Input": wire(execution_input),
            "Name": execution_name,
            "StartTime": iso_timestamp(run.started_at),
        },
        "StateMachine": {"Id": state_machine_arn, "Name": state_machine_arn.rsplit(":", 1)[1]},
    }
    return run.run(wire(execution_input))


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
        stopped_at = self.clock.now()
        if status == "TIMED_OUT" and self.deadline is not None:
            stopped_at = self.deadline
        return ExecutionResult(
            status=status,
            output=output,
            error=error,
            cause=cause,
            started_at=self.started_at,
            stopped_at=stopped_at,
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
        """The value at ``path`` (``$`` in ``data``, ``$$`` in the context), or ``MISSING``."""
        parsed = parse_path(path)
        assert parsed is not None  # validated at load
        is_context, segments = parsed
        return lookup(segments, self.state_context(visit) if is_context else data)

    def select(self, visit: Visit, state: dict[str, Any], key: str, data: Any) -> Any:
        """InputPath/OutputPath: absent is ``$``, null is ``{}``, a missing path an error."""
        if key not in state:
            return data
        if state[key] is None:
            return {}
        value = self.resolve(visit, state[key], data)
        if value is MISSING:
            raise _runtime(
                visit.state,
                f"Invalid path '{state[key]}' for {key}: nothing at that path in '{compact(data)}'",
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
                result[key[:-2]] = self.intrinsic(visit, parse_intrinsic(value), data)
            else:
                found = self.resolve(visit, value, data)
                if found is MISSING:
                    raise _runtime(
                        visit.state,
                        f"The JSONPath '{value}' specified for the field '{key}' "
                        f"could not be found in the input '{compact(data)}'",
                    )
                result[key[:-2]] = copy.deepcopy(found)
        return result

    def intrinsic(self, visit: Visit, node: Any, data: Any) -> Any:
        if isinstance(node, Text):
            return node.value
        if isinstance(node, Ref):
            found = self.resolve(visit, node.path, data)
            if found is MISSING:
                raise _runtime(visit.state, f"The JSONPath '{node.path}' could not be found")
            return copy.deepcopy(found)
        if not isinstance(node, Call):
            return node
        args = [self.intrinsic(visit, arg, data) for arg in node.args]
        try:
            return apply_intrinsic(node, args)
        except ValueError as exc:
            raise _runtime(visit.state, f"{node.name} failed: {exc}") from None

    def finish(self, visit: Visit, state: dict[str, Any], raw: Any, result: Any) -> Any:
        """ResultPath then OutputPath."""
        combined = self.put(visit, raw, state.get("ResultPath", "$"), result)
        return self.select(visit, state, "OutputPath", combined)

    def put(self, visit: Visit, raw: Any, path: str | None, result: Any) -> Any:
        """ResultPath: ``result`` placed in a copy of the raw input, creating objects on the way."""
        segments = () if path is None else parse_path(path)[1]  # type: ignore[index]
        if path is None or not segments:
            return raw if path is None else result
        combined = node = copy.deepcopy(raw)
        for segment in segments[:-1]:
            if isinstance(node, dict):
                node = node.setdefault(segment, {})
        if not isinstance(node, dict):
            raise _runtime(visit.state, f"Unable to apply ResultPath '{path}' to '{compact(raw)}'")
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
                    result = wire(self.tasks(state["Resource"], wire(parameters)))
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
            if not is_int(seconds) or seconds < 0:
                raise _runtime(
                    visit.state,
                    f"SecondsPath '{state['SecondsPath']}' is not a non-negative "
                    f"integer in '{compact(data)}'",
                )
            return seconds
        stamp = state.get("Timestamp")
        if stamp is None:
            stamp = self.resolve(visit, state["TimestampPath"], data)
        moment = instant(stamp)
        if moment is None:
            raise _runtime(
                visit.state,
                f"TimestampPath '{state['TimestampPath']}' is not a timestamp in '{compact(data)}'",
            )
        whole, nanos = divmod(moment, 10**9)
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
        (comparator,) = set(rule) & COMPARATORS
        value = self.resolve(visit, rule["Variable"], data)
        if comparator == "IsPresent":
            return (value is not MISSING) == rule[comparator]
        value, operand = self.present(visit, rule["Variable"], value), rule[comparator]
        if comparator.endswith("Path"):
            operand = self.present(visit, operand, self.resolve(visit, operand, data))
        return compare(comparator.removesuffix("Path"), value, operand)

    def present(self, visit: Visit, path: str, value: Any) -> Any:
        """A Choice rule's value, which must exist (only IsPresent tolerates a missing one)."""
        if value is MISSING:
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
                f"{key}Path '{state[f'{key}Path']}' is not a string in '{compact(raw)}'",
            )
        return value
