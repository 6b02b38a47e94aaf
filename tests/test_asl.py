"""The local States Language interpreter (``personalize_deletion_local.asl``) and its adapters.

Each test runs a small definition on a fake clock and asserts exact outputs, error names,
causes, simulated times and transition counts, so a deviation from Step Functions' semantics
shows up as a precise diff.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from personalize_deletion_local.asl import (
    TaskFailed,
    UnsupportedDefinition,
    aws_sdk,
    combine,
    lambda_invoke,
    load_definition,
    run_execution,
)

pytestmark = pytest.mark.fast

START = 1_800_000_000  # 2027-01-15T08:00:00Z
TASK = "arn:aws:states:::test:work"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:tracker"
JOB_ARN = "arn:aws:personalize:us-east-1:123456789012:data-deletion-job/job-1"


class FakeClock:
    """Time that moves only when the interpreter advances it."""

    def __init__(self, start: float = START) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


def no_tasks(resource: str, parameters: Any) -> Any:
    raise AssertionError(f"unexpected task {resource} {parameters}")


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def run(definition: dict[str, Any], data: Any, tasks: Any = no_tasks, clock: Any = None) -> Any:
    return run_execution(definition, data, tasks=tasks, clock=clock or FakeClock())


# --- input and output processing ---------------------------------------------------------------


def test_task_processing_runs_input_path_parameters_selector_result_path_output_path() -> None:
    # GIVEN a Task using every processing field, and a handler echoing its parameters
    calls = []

    def tasks(resource: str, parameters: Any) -> Any:
        calls.append((resource, parameters))
        return {"echo": parameters, "noise": True}

    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "InputPath": "$.in",
                "Parameters": {
                    "x.$": "$.a",
                    "first.$": "$.list[0]",
                    "spaced.$": "$['a b']",
                    "literal": {"kept": "$.not-a-path"},
                    "text.$": "States.Format('a={} b={}, \\{literal\\}', $.a, $['a b'])",
                    "json.$": "States.JsonToString($.list)",
                    "parsed.$": "States.StringToJson('{\"k\": [1]}')",
                    "sum.$": "States.MathAdd($.a, -7)",
                    "array.$": "States.Array('s', 2, $.a)",
                    "merged.$": "States.JsonMerge($.obj, States.StringToJson('{\"b\":3}'), false)",
                },
                "ResultSelector": {"got.$": "$.echo.x", "text.$": "$.echo.text"},
                "ResultPath": "$.in.result",
                "OutputPath": "$.in",
                "End": True,
            }
        }
    )
    data = {"in": {"a": 5, "a b": "sp", "list": [9, 8], "obj": {"a": 1, "b": 2}}, "other": True}

    # WHEN it runs
    result = run(definition, data, tasks)

    # THEN the handler saw the Parameters built from the InputPath's selection, and the output
    # is the selected result written into the raw input, then narrowed by OutputPath
    assert calls == [
        (
            TASK,
            {
                "x": 5,
                "first": 9,
                "spaced": "sp",
                "literal": {"kept": "$.not-a-path"},
                "text": "a=5 b=sp, {literal}",
                "json": "[9,8]",
                "parsed": {"k": [1]},
                "sum": -2,
                "array": ["s", 2, 5],
                "merged": {"a": 1, "b": 3},
            },
        )
    ]
    assert result.status == "SUCCEEDED"
    assert result.output == {
        "a": 5,
        "a b": "sp",
        "list": [9, 8],
        "obj": {"a": 1, "b": 2},
        "result": {"got": 5, "text": "a=5 b=sp, {literal}"},
    }
    assert result.transitions == 1
    assert result.task_calls(TASK) == 1


def test_pass_result_path_creates_objects_and_null_paths_discard_or_empty() -> None:
    # GIVEN Pass states with a deep ResultPath, ResultPath null, InputPath null, OutputPath null
    definition = machine(
        {
            "Deep": {"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.a.b.c", "Next": "Drop"},
            "Drop": {"Type": "Pass", "Result": "gone", "ResultPath": None, "Next": "Empty"},
            "Empty": {"Type": "Pass", "InputPath": None, "ResultPath": "$.e", "Next": "Out"},
            "Out": {"Type": "Pass", "OutputPath": None, "End": True},
        }
    )

    # WHEN it runs
    result = run(definition, {"keep": 1})

    # THEN each step's output is exact
    assert [visit.output for visit in result.visits] == [
        {"keep": 1, "a": {"b": {"c": {"r": 1}}}},
        {"keep": 1, "a": {"b": {"c": {"r": 1}}}},
        {"keep": 1, "a": {"b": {"c": {"r": 1}}}, "e": {}},
        {},
    ]
    assert result.output == {}
    assert result.transitions == 4


def test_result_path_into_a_non_object_is_a_runtime_error() -> None:
    # GIVEN a ResultPath whose parent is a string
    definition = machine({"P": {"Type": "Pass", "Result": 1, "ResultPath": "$.s.x", "End": True}})

    # WHEN it runs
    result = run(definition, {"s": "text"})

    # THEN the execution fails with States.Runtime
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'P'. "
        "Unable to apply ResultPath '$.s.x' to '{\"s\":\"text\"}'"
    )


def test_context_object_values() -> None:
    # GIVEN a Wait then a Pass reading every supported context field, at a start with millis
    definition = machine(
        {
            "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Read"},
            "Read": {
                "Type": "Pass",
                "Parameters": {
                    "id.$": "$$.Execution.Id",
                    "name.$": "$$.Execution.Name",
                    "start.$": "$$.Execution.StartTime",
                    "input.$": "$$.Execution.Input",
                    "inputField.$": "$$.Execution.Input.job",
                    "state.$": "$$.State.Name",
                    "entered.$": "$$.State.EnteredTime",
                    "retries.$": "$$.State.RetryCount",
                    "machine.$": "$$.StateMachine.Id",
                    "machineName.$": "$$.StateMachine.Name",
                },
                "End": True,
            },
        }
    )

    # WHEN it runs as a named execution
    result = run_execution(
        definition,
        {"job": "j"},
        tasks=no_tasks,
        clock=FakeClock(START + 0.123),
        execution_name="run-1",
        state_machine_arn=MACHINE,
    )

    # THEN the values are those Step Functions would give
    assert result.output == {
        "id": "arn:aws:states:us-east-1:123456789012:execution:tracker:run-1",
        "name": "run-1",
        "start": "2027-01-15T08:00:00.123Z",
        "input": {"job": "j"},
        "inputField": "j",
        "state": "Read",
        "entered": "2027-01-15T08:00:02.123Z",
        "retries": 0,
        "machine": MACHINE,
        "machineName": "tracker",
    }


def test_wait_loop_with_counter_ends_through_choice() -> None:
    # GIVEN a loop that waits 10 s and counts to 3
    definition = machine(
        {
            "Init": {"Type": "Pass", "Result": {"count": 0}, "Next": "Pause"},
            "Pause": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Count"},
            "Count": {
                "Type": "Pass",
                "Parameters": {"count.$": "States.MathAdd($.count, 1)", "wait": 10},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.count", "NumericLessThan": 3, "Next": "Pause"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    )
    definition["States"]["Init"]["Result"]["wait"] = 10
    clock = FakeClock()

    # WHEN it runs
    result = run(definition, {}, clock=clock)

    # THEN it took 3 waits (30 s) and 11 transitions: Init, 3 x (Pause, Count, Check), Done
    assert result.status == "SUCCEEDED"
    assert result.output == {"count": 3, "wait": 10}
    assert clock.time == START + 30
    assert (result.started_at, result.stopped_at) == (START, START + 30)
    assert result.transitions == 11
    assert result.states() == ["Init"] + ["Pause", "Count", "Check"] * 3 + ["Done"]
    assert [v.entered_at for v in result.visits if v.state == "Count"] == [
        START + 10,
        START + 20,
        START + 30,
    ]


def test_wait_until_a_timestamp_and_a_past_timestamp_does_not_wait() -> None:
    # GIVEN waits until an instant 90.5 s ahead (given with an offset), then one in the past
    definition = machine(
        {
            "Until": {"Type": "Wait", "TimestampPath": "$.at", "Next": "Past"},
            "Past": {"Type": "Wait", "Timestamp": "2020-01-01T00:00:00Z", "End": True},
        }
    )
    clock = FakeClock()

    # WHEN it runs
    result = run(definition, {"at": "2027-01-15T09:01:30.5+01:00"}, clock=clock)

    # THEN the clock stands exactly at that instant
    assert result.status == "SUCCEEDED"
    assert clock.time == START + 90.5


# --- Choice ------------------------------------------------------------------------------------


def decide(rule: dict[str, Any], data: Any) -> str:
    """Which branch a single-rule Choice takes: "Yes", or "No" (its Default)."""
    definition = machine(
        {
            "Decide": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No"},
            "Yes": {"Type": "Succeed"},
            "No": {"Type": "Succeed"},
        }
    )
    result = run(definition, data)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.states()[-1]


TS_RULE = {"Variable": "$.seen", "TimestampGreaterThanEqualsPath": "$.limit"}


@pytest.mark.parametrize(
    ("rule", "data", "branch"),
    [
        # the same instant, written with an offset and with Z
        (TS_RULE, {"seen": "2027-01-15T09:00:00+01:00", "limit": "2027-01-15T08:00:00Z"}, "Yes"),
        (TS_RULE, {"seen": "2027-01-15T08:00:00.001Z", "limit": "2027-01-15T08:00:00Z"}, "Yes"),
        (TS_RULE, {"seen": "2027-01-15T07:59:59.999Z", "limit": "2027-01-15T08:00:00Z"}, "No"),
        # not a timestamp: false, not an error
        (TS_RULE, {"seen": "yesterday", "limit": "2027-01-15T08:00:00Z"}, "No"),
        ({"Variable": "$.v", "IsString": True}, {"v": None}, "No"),
        ({"Variable": "$.v", "IsString": True}, {"v": "arn"}, "Yes"),
        ({"Variable": "$.v", "IsNull": True}, {"v": None}, "Yes"),
        ({"Variable": "$.v", "IsPresent": False}, {}, "Yes"),
        ({"Variable": "$.v", "IsPresent": True}, {"v": None}, "Yes"),
        ({"Variable": "$.v", "IsNumeric": True}, {"v": True}, "No"),
        ({"Variable": "$.v", "IsTimestamp": True}, {"v": "2027-01-15T08:00:00Z"}, "Yes"),
        ({"Variable": "$.v", "NumericEquals": 1}, {"v": True}, "No"),
        ({"Variable": "$.v", "NumericEquals": 1}, {"v": 1.0}, "Yes"),
        ({"Variable": "$.v", "NumericGreaterThanEqualsPath": "$.w"}, {"v": 2, "w": 2}, "Yes"),
        ({"Variable": "$.v", "StringEquals": "1"}, {"v": 1}, "No"),
        ({"Variable": "$.v", "StringLessThan": "b"}, {"v": "a"}, "Yes"),
        ({"Variable": "$.v", "StringMatches": "job-*.csv"}, {"v": "job-12.csv"}, "Yes"),
        ({"Variable": "$.v", "StringMatches": "a\\*"}, {"v": "ab"}, "No"),
        ({"Variable": "$.v", "StringMatches": "a\\*"}, {"v": "a*"}, "Yes"),
        ({"Variable": "$.v", "StringEqualsPath": "$.w"}, {"v": None, "w": "x"}, "No"),
        ({"Variable": "$.v", "BooleanEquals": False}, {"v": 0}, "No"),
        ({"Variable": "$.v", "BooleanEqualsPath": "$.w"}, {"v": True, "w": True}, "Yes"),
        (
            {
                "And": [
                    {"Variable": "$.a", "NumericGreaterThan": 1},
                    {
                        "Or": [
                            {"Variable": "$.s", "StringEquals": "COMPLETED"},
                            {"Not": {"Variable": "$.s", "IsPresent": True}},
                        ]
                    },
                ]
            },
            {"a": 2, "s": "COMPLETED"},
            "Yes",
        ),
        (
            {
                "And": [
                    {"Variable": "$.a", "NumericGreaterThan": 1},
                    {"Not": {"Variable": "$.s", "StringEquals": "FAILED"}},
                ]
            },
            {"a": 2, "s": "FAILED"},
            "No",
        ),
    ],
)
def test_choice_comparators(rule: dict[str, Any], data: Any, branch: str) -> None:
    # GIVEN one rule and an input / WHEN the Choice runs / THEN it takes the expected branch
    assert decide(rule, data) == branch


def test_choice_on_a_missing_variable_fails_the_execution() -> None:
    # GIVEN a rule on a field the input lacks
    definition = machine(
        {
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.job.arn", "IsString": True, "Next": "Yes"}],
                "Default": "Yes",
            },
            "Yes": {"Type": "Succeed"},
        }
    )

    # WHEN it runs
    result = run(definition, {"job": {}})

    # THEN the execution fails with States.Runtime, not the Default branch
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'Decide'. Invalid path '$.job.arn': "
        "The choice state's condition path references an invalid value."
    )
    assert result.states() == ["Decide"]


def test_choice_on_a_missing_comparison_path_fails_the_execution() -> None:
    # GIVEN a Path comparator whose path the input lacks
    definition = machine(
        {
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "NumericEqualsPath": "$.b", "Next": "Yes"}],
                "Default": "Yes",
            },
            "Yes": {"Type": "Succeed"},
        }
    )

    # WHEN it runs / THEN it fails with States.Runtime naming that path
    result = run(definition, {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'Decide'. Invalid path '$.b': "
        "The choice state's condition path references an invalid value."
    )


@pytest.mark.parametrize(
    ("state", "cause"),
    [
        (
            {"Type": "Pass", "InputPath": "$.gone", "End": True},
            "Invalid path '$.gone' for InputPath: nothing at that path in '{\"a\":\"x\"}'",
        ),
        (
            {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.a, 1)"}, "End": True},
            "States.MathAdd failed: States.MathAdd takes two integers",
        ),
        (
            {"Type": "Wait", "SecondsPath": "$.a", "End": True},
            "SecondsPath '$.a' is not a non-negative integer in '{\"a\":\"x\"}'",
        ),
    ],
)
def test_data_errors_are_states_runtime(state: dict[str, Any], cause: str) -> None:
    # GIVEN a state whose input does not fit its paths or intrinsics
    definition = machine({"Bad": state})

    # WHEN it runs / THEN the execution fails with States.Runtime and an exact cause
    result = run(definition, {"a": "x"})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == f"An error occurred while executing the state 'Bad'. {cause}"


def test_choice_without_match_or_default_fails_with_no_choice_matched() -> None:
    # GIVEN a Choice with no Default and no matching rule
    definition = machine(
        {
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Yes"}],
            },
            "Yes": {"Type": "Succeed"},
        }
    )

    # WHEN it runs
    result = run(definition, {"n": 2})

    # THEN it fails with States.NoChoiceMatched
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")
    assert result.cause == "No Choice Rules matched and no Default was specified for state 'Decide'"


# --- Retry, Catch, Fail ------------------------------------------------------------------------


def failing_task(retry_counts: list[int]) -> Any:
    def tasks(resource: str, parameters: Any) -> Any:
        retry_counts.append(parameters["attempt"])
        raise TaskFailed("Boom", "it broke")

    return tasks


def test_history_events_are_what_a_standard_workflow_records() -> None:
    # GIVEN a polling loop (Wait, Task, Choice) that ends in a Fail state on its third turn
    definition = machine(
        {
            "Wait": {"Type": "Wait", "Seconds": 60, "Next": "Read"},
            "Read": {"Type": "Task", "Resource": TASK, "ResultPath": "$.n", "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 3, "Next": "Wait"}],
                "Default": "Stop",
            },
            "Stop": {"Type": "Fail", "Error": "Stuck"},
        }
    )
    reads = iter([1, 2, 3])

    # WHEN it runs
    result = run(definition, {}, lambda resource, parameters: next(reads))

    # THEN each turn recorded 9 events (Wait entered and exited; Task entered, scheduled,
    # started, succeeded and exited; Choice entered and exited), the execution its start and
    # end, and the Fail state only its entry
    assert (result.status, result.error) == ("FAILED", "Stuck")
    assert result.history_events == 2 + 3 * 9 + 1


def test_retry_backs_off_with_a_cap_then_catch_places_the_error() -> None:
    # GIVEN a Task failing every time: a retrier that never retries Fatal, then one for Boom
    # (3 s, doubling, capped at 10 s, 4 attempts), then a catch-all to Handled at $.error
    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "Parameters": {"attempt.$": "$$.State.RetryCount"},
                "Retry": [
                    {"ErrorEquals": ["Fatal"], "MaxAttempts": 0},
                    {
                        "ErrorEquals": ["Boom"],
                        "IntervalSeconds": 3,
                        "MaxAttempts": 4,
                        "BackoffRate": 2,
                        "MaxDelaySeconds": 10,
                    },
                    {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100},
                ],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}
                ],
                "Next": "Handled",
            },
            "Handled": {"Type": "Pass", "End": True},
        }
    )
    attempts: list[int] = []
    clock = FakeClock()

    # WHEN it runs
    result = run(definition, {"x": 1}, failing_task(attempts), clock)

    # THEN it retried after 3, 6, 10 and 10 s (29 s), only with the Boom retrier, then caught
    assert attempts == [0, 1, 2, 3, 4]
    assert clock.time == START + 29
    assert result.status == "SUCCEEDED"
    assert result.output == {"x": 1, "error": {"Error": "Boom", "Cause": "it broke"}}
    assert result.transitions == 1 + 4 + 1
    assert (result.visits[0].retries, result.visits[0].error) == (4, "Boom")
    assert result.task_calls(TASK) == 5
    # AND its history: start and end, Work entered and exited with 5 calls of 3 events, Handled
    assert result.history_events == 2 + (2 + 5 * 3) + 2


def test_max_attempts_zero_and_task_failed_wildcard() -> None:
    # GIVEN a retrier with MaxAttempts 0 for the error and a States.TaskFailed catcher
    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "Parameters": {"attempt": 0},
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}],
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        }
    )
    attempts: list[int] = []

    # WHEN it runs
    result = run(definition, {"x": 1}, failing_task(attempts))

    # THEN there was no retry and the caught error replaced the input (ResultPath "$")
    assert attempts == [0]
    assert result.output == {"Error": "Boom", "Cause": "it broke"}
    assert result.transitions == 2


def test_uncaught_task_failure_fails_the_execution() -> None:
    # GIVEN a Task whose error no catcher matches
    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "Parameters": {"attempt": 0},
                "Catch": [{"ErrorEquals": ["Other"], "Next": "Work"}],
                "End": True,
            }
        }
    )

    # WHEN it runs
    result = run(definition, {}, failing_task([]))

    # THEN the execution fails with the task's error and cause
    assert (result.status, result.error, result.cause) == ("FAILED", "Boom", "it broke")


def test_states_all_does_not_handle_states_runtime() -> None:
    # GIVEN a Task whose Parameters reference a missing field, with catch-all Retry and Catch
    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "Parameters": {"arn.$": "$.job.arn"},
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Succeed"},
        }
    )
    clock = FakeClock()

    # WHEN it runs
    result = run(definition, {"job": {}}, clock=clock)

    # THEN it fails at once with States.Runtime: no retry, no catch, the task never called
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'Work'. The JSONPath '$.job.arn' "
        "specified for the field 'arn.$' could not be found in the input '{\"job\":{}}'"
    )
    assert (result.transitions, clock.time, result.task_calls()) == (1, START, 0)
    assert result.visits[0].retries == 0


def test_task_handler_bug_propagates() -> None:
    # GIVEN a handler that raises something other than TaskFailed
    def tasks(resource: str, parameters: Any) -> Any:
        raise KeyError("wiring")

    definition = machine({"Work": {"Type": "Task", "Resource": TASK, "End": True}})

    # WHEN / THEN it propagates out of the interpreter
    with pytest.raises(KeyError, match="wiring"):
        run(definition, {}, tasks)


def test_fail_with_error_path_and_cause_path() -> None:
    # GIVEN a Fail state reading its error and cause from its input
    definition = machine(
        {"Stop": {"Type": "Fail", "ErrorPath": "$.outcome.error", "CausePath": "$.outcome.cause"}}
    )

    # WHEN it runs
    result = run(definition, {"outcome": {"error": "NotConfirmed", "cause": "gave up"}})

    # THEN the execution fails with them
    assert (result.status, result.error, result.cause) == ("FAILED", "NotConfirmed", "gave up")
    assert result.visits[0].error == "NotConfirmed"


def test_fail_with_literal_error_and_no_cause() -> None:
    # GIVEN a Fail state with only a literal Error
    definition = machine({"Stop": {"Type": "Fail", "Error": "TrackerFailed"}})

    # WHEN it runs / THEN the cause is absent
    result = run(definition, {})
    assert (result.status, result.error, result.cause) == ("FAILED", "TrackerFailed", None)


# --- timeouts and runaway loops ----------------------------------------------------------------


def test_wait_crossing_timeout_seconds_times_out_exactly_at_the_deadline() -> None:
    # GIVEN an execution limited to 100 s that waits 60 s forever
    definition = machine(
        {"Pause": {"Type": "Wait", "Seconds": 60, "Next": "Pause"}}, TimeoutSeconds=100
    )
    clock = FakeClock()

    # WHEN it runs
    result = run(definition, {}, clock=clock)

    # THEN it timed out at start + 100, the clock advanced only to the deadline
    assert (result.status, result.error, result.output) == ("TIMED_OUT", "States.Timeout", None)
    assert (result.stopped_at, clock.time) == (START + 100, START + 100)
    assert result.transitions == 2
    assert result.visits[-1].error == "States.Timeout"


def test_retry_delay_crossing_timeout_seconds_times_out() -> None:
    # GIVEN a 10 s limit and a retry delay of 8 s, then 16 s
    definition = machine(
        {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "Parameters": {"attempt.$": "$$.State.RetryCount"},
                "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 8}],
                "End": True,
            }
        },
        TimeoutSeconds=10,
    )
    attempts: list[int] = []
    clock = FakeClock()

    # WHEN it runs
    result = run(definition, {}, failing_task(attempts), clock)

    # THEN the second delay stops at the deadline
    assert attempts == [0, 1]
    assert (result.status, result.stopped_at, clock.time) == ("TIMED_OUT", START + 10, START + 10)
    assert result.transitions == 2


def test_a_wait_ending_exactly_at_the_deadline_does_not_time_out() -> None:
    # GIVEN a wait that uses up exactly TimeoutSeconds
    definition = machine({"Pause": {"Type": "Wait", "Seconds": 5, "End": True}}, TimeoutSeconds=5)

    # WHEN it runs / THEN the time has not *passed* the deadline
    assert run(definition, {}).status == "SUCCEEDED"


def test_max_transitions_stops_an_endless_loop() -> None:
    # GIVEN a definition looping without end
    definition = machine({"Loop": {"Type": "Pass", "Next": "Loop"}})

    # WHEN / THEN the guard raises naming the states last visited
    with pytest.raises(RuntimeError, match=r"more than 50 state transitions; last states: Loop"):
        run_execution(definition, {}, tasks=no_tasks, clock=FakeClock(), max_transitions=50)


# --- strict loading ----------------------------------------------------------------------------


def task_state(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": TASK, "End": True, **fields}


@pytest.mark.parametrize(
    ("state", "field", "message"),
    [
        ({"Type": "Pass", "End": True, "Foo": 1}, "Foo", "field is not supported"),
        ({"Type": "Map", "End": True}, "Type", "state type 'Map' is not supported"),
        (task_state(TimeoutSeconds=5), "TimeoutSeconds", "field is not supported"),
        (task_state(Arguments={}), "Arguments", "field is not supported"),
        (
            task_state(Retry=[{"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL"}]),
            "Retry[0].JitterStrategy",
            "only NONE is supported",
        ),
        (
            task_state(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]),
            "Retry[0].ErrorEquals",
            "States.ALL must be alone and last",
        ),
        (
            task_state(Parameters={"items.$": "$.items[?(@.a)]"}),
            "Parameters.items.$",
            "is not a supported path",
        ),
        (task_state(InputPath="$..a"), "InputPath", "is not a supported path"),
        (task_state(ResultPath="$.a[0]"), "ResultPath", "an array index is not supported"),
        (
            task_state(ResultSelector={"x.$": "$$.Task.Token"}),
            "ResultSelector.x.$",
            "is not a supported context object field",
        ),
        (
            task_state(Parameters={"id.$": "States.UUID()"}),
            "Parameters.id.$",
            "intrinsic function 'States.UUID' is not supported",
        ),
        (
            task_state(Parameters={"t.$": "States.Format('{} {}', $.a)"}),
            "Parameters.t.$",
            "the number of {} does not match",
        ),
        ({"Type": "Pass", "Next": "Nowhere"}, "Next", "no state 'Nowhere' to go to"),
        ({"Type": "Pass"}, "Next", "exactly one of Next and End"),
        (
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": 1, "Next": "S"}]},
            "Choices[0].StringEquals",
            "invalid operand 1",
        ),
        (
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringFoo": "x", "Next": "S"}]},
            "Choices[0].StringFoo",
            "comparator or field is not supported",
        ),
        ({"Type": "Wait", "Seconds": 1, "Timestamp": "x", "End": True}, "Seconds", "exactly one"),
        ({"Type": "Fail", "InputPath": "$"}, "InputPath", "field is not supported"),
    ],
)
def test_load_rejects_what_it_does_not_implement(state: Any, field: str, message: str) -> None:
    # GIVEN a definition with one unsupported or invalid element in state "Bad"
    definition = machine({"Bad": state, "S": {"Type": "Succeed"}}, start="Bad")

    # WHEN it is loaded / THEN the error names the state and the field
    with pytest.raises(UnsupportedDefinition, match="state 'Bad'") as raised:
        load_definition(definition)
    assert (raised.value.state, raised.value.field) == ("Bad", field)
    assert message in str(raised.value)


def test_run_execution_validates_before_running_anything() -> None:
    # GIVEN a bad state reachable only after a task
    definition = machine(
        {
            "Work": {"Type": "Task", "Resource": TASK, "Next": "Bad"},
            "Bad": {"Type": "Parallel", "End": True},
        }
    )

    # WHEN it runs / THEN nothing is called before the definition is rejected
    with pytest.raises(UnsupportedDefinition, match="state 'Bad', field 'Type'"):
        run(definition, {})


def test_load_rejects_unsupported_top_level_fields() -> None:
    # GIVEN definitions with JSONata or an unknown top-level field
    base = machine({"S": {"Type": "Succeed"}})

    # WHEN / THEN each is rejected at the top level
    with pytest.raises(UnsupportedDefinition, match="top level, field 'QueryLanguage'"):
        load_definition({**base, "QueryLanguage": "JSONata"})
    with pytest.raises(UnsupportedDefinition, match="top level, field 'Assign'"):
        load_definition({**base, "Assign": {}})
    assert load_definition(json.dumps(base)) == base


# --- lambda:invoke -----------------------------------------------------------------------------

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:tracker"


def lambda_definition() -> dict[str, Any]:
    return machine(
        {
            "Step": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": FUNCTION_ARN, "Payload": {"state.$": "$"}},
                "OutputPath": "$.Payload",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Out"}],
                "End": True,
            },
            "Out": {"Type": "Pass", "End": True},
        }
    )


def test_lambda_invoke_wraps_the_returned_value() -> None:
    # GIVEN a function registered by bare name
    events = []

    def tracker(event: Any) -> Any:
        events.append(event)
        return {"seen": event["state"]["n"], "day": dt.date(2027, 1, 15).isoformat()}

    invoke = lambda_invoke({"tracker": tracker})

    # WHEN the optimized integration is called with the function's ARN
    raw = invoke(
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": FUNCTION_ARN, "Payload": {"state": {"n": 1}}},
    )

    # THEN the raw result is the invoke envelope around the returned value
    request_id = raw["SdkResponseMetadata"]["RequestId"]
    assert str(uuid.UUID(request_id)) == request_id
    assert raw == {
        "ExecutedVersion": "$LATEST",
        "Payload": {"seen": 1, "day": "2027-01-15"},
        "SdkHttpMetadata": {"HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }

    # AND in a definition, OutputPath $.Payload yields the function's return value
    result = run(lambda_definition(), {"n": 3}, combine(invoke))
    assert result.output == {"seen": 3, "day": "2027-01-15"}
    assert events == [{"state": {"n": 1}}, {"state": {"n": 3}}]


class StepError(Exception):
    """Stands in for the runtime's permanent step error."""


def test_lambda_invoke_reports_a_raised_exception_as_the_function_error() -> None:
    # GIVEN a function, registered by ARN, that raises
    def tracker(event: Any) -> Any:
        raise StepError("no job arn")

    # WHEN the definition runs and catches the error at $.error
    result = run(lambda_definition(), {"n": 3}, lambda_invoke({FUNCTION_ARN: tracker}))

    # THEN the error is the exception's class name, the cause the runtime's error document
    assert result.status == "SUCCEEDED"
    assert result.output["n"] == 3
    assert result.output["error"]["Error"] == "StepError"
    cause = json.loads(result.output["error"]["Cause"])
    assert str(uuid.UUID(cause["requestId"])) == cause["requestId"]
    assert len(cause["stackTrace"]) == 1
    assert cause["stackTrace"][0].endswith(', in tracker\n    raise StepError("no job arn")\n')
    assert cause == {
        "errorMessage": "no job arn",
        "errorType": "StepError",
        "requestId": cause["requestId"],
        "stackTrace": cause["stackTrace"],
    }
    assert list(cause) == ["errorMessage", "errorType", "requestId", "stackTrace"]


def test_lambda_invoke_and_combine_refuse_unknown_functions_and_resources() -> None:
    # GIVEN an adapter for one function
    invoke = lambda_invoke({"tracker": lambda event: event})
    tasks = combine(invoke)

    # WHEN / THEN an unknown function or resource is a set-up error, not a task failure
    with pytest.raises(LookupError, match="no local function for FunctionName 'other'"):
        tasks("arn:aws:states:::lambda:invoke", {"FunctionName": "other", "Payload": {}})
    with pytest.raises(LookupError, match="no local integration for task resource arn:x"):
        tasks("arn:x", {})
    with pytest.raises(LookupError, match="no local integration for task resource arn:x"):
        invoke("arn:x", {})


# --- aws-sdk -----------------------------------------------------------------------------------


@pytest.fixture
def personalize() -> Any:
    client = boto3.client(
        "personalize",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


READ_STATUS = "arn:aws:states:::aws-sdk:personalize:describeDataDeletionJob"


def test_aws_sdk_converts_names_both_ways(personalize: Any) -> None:
    # GIVEN a real Personalize client answering DescribeDataDeletionJob
    client, stubber = personalize
    created = dt.datetime(2027, 1, 15, 8, 0, 0, 250_000, tzinfo=dt.UTC)
    stubber.add_response(
        "describe_data_deletion_job",
        {
            "dataDeletionJob": {
                "jobName": "job-1",
                "dataDeletionJobArn": JOB_ARN,
                "status": "COMPLETED",
                "dataSource": {"dataLocation": "s3://bucket/users.csv"},
                "numDeleted": 2,
                "creationDateTime": created,
            }
        },
        {"dataDeletionJobArn": JOB_ARN},
    )
    sdk = aws_sdk(lambda service: {"personalize": client}[service])

    # WHEN a Task reads the status the way the tracker does
    definition = machine(
        {
            "ReadStatus": {
                "Type": "Task",
                "Resource": READ_STATUS,
                "Parameters": {"DataDeletionJobArn.$": "$.job.arn"},
                "ResultSelector": {
                    "status.$": "$.DataDeletionJob.Status",
                    "job.$": "$.DataDeletionJob",
                },
                "ResultPath": "$.seen",
                "End": True,
            }
        }
    )
    result = run(definition, {"job": {"arn": JOB_ARN}}, sdk)

    # THEN the request used botocore's names and the result Step Functions' PascalCase names
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {
        "job": {"arn": JOB_ARN},
        "seen": {
            "status": "COMPLETED",
            "job": {
                "JobName": "job-1",
                "DataDeletionJobArn": JOB_ARN,
                "Status": "COMPLETED",
                "DataSource": {"DataLocation": "s3://bucket/users.csv"},
                "NumDeleted": 2,
                "CreationDateTime": "2027-01-15T08:00:00.250Z",
            },
        },
    }


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ResourceNotFoundException", "Personalize.ResourceNotFoundException"),
        ("Throttling", "Personalize.ThrottlingException"),
    ],
)
def test_aws_sdk_service_errors_are_named_service_dot_error(
    personalize: Any, code: str, error: str
) -> None:
    # GIVEN the service answers with an error
    client, stubber = personalize
    stubber.add_client_error(
        "describe_data_deletion_job",
        service_error_code=code,
        service_message="Could not find job",
        http_status_code=400,
        expected_params={"dataDeletionJobArn": JOB_ARN},
    )
    sdk = aws_sdk(lambda service: client)

    # WHEN the adapter performs the call
    with pytest.raises(TaskFailed) as raised:
        sdk(READ_STATUS, {"DataDeletionJobArn": JOB_ARN})

    # THEN the error is ServiceName.ErrorNameException and the cause the service's message
    assert (raised.value.error, raised.value.cause) == (error, "Could not find job")


def test_aws_sdk_refuses_an_unknown_operation(personalize: Any) -> None:
    # GIVEN a resource naming an operation Personalize does not have
    client, _ = personalize
    sdk = aws_sdk(lambda service: client)

    # WHEN / THEN it is a set-up error
    with pytest.raises(LookupError, match="personalize has no operation DescribeNothing"):
        sdk("arn:aws:states:::aws-sdk:personalize:describeNothing", {})
