"""The tracker's state machine definition (Amazon States Language, JSONPath).

One execution follows one job: wait, read the job's status with Step Functions' direct AWS SDK
integration (no Lambda per poll), decide; Lambda steps only where logic is needed (submit a
queued request, finish an ended job, retrain, give up, renew a hand-started re-track's limit),
all running the runtime package's code.

::

    Retrack <--"retrack": true-- CheckAccepted (back to CheckAccepted with a new limit)

    CheckAccepted --arn--> WaitForJob -> ReadStatus -> CheckEnded --ended--> Finish
         |                     ^                           |  \\--limit--> GiveUp -> NotConfirmed
         |                     +--------running------------+
         +--queued--> WaitToSubmit -> Submit -> CheckSubmitted --arn--> WaitForJob
                           ^                         |  \\--give up--> GiveUp
                           +--------blocked----------+

    Finish -> CheckFollowUp --follow-up job queued--> WaitToSubmit
                   \\--> CheckRetraining --asked for--> Retrain -> CheckRetrained --done--> Recorded
                              \\--not asked--> Recorded  ^--- WaitForModels <--running--+
    Retrain --failed for good--> RetrainStopped (models receipt) -> TrackerFailed

The state it carries is the runtime's ``TrackedJob`` JSON (``$.job.arn``, ``$.tracking.*``,
``$.seen``). Written as data rather than with CDK's state classes so that the exact document is
visible here, asserted by the tests and executed locally by ``personalize_deletion_local.asl``.
``${TrackerFunctionArn}`` and ``${Partition}`` are CloudFormation definition substitutions, which
keep the definition a plain string that cfn-lint can check.
"""

from __future__ import annotations

import math
from typing import Any

FUNCTION_ARN = "${TrackerFunctionArn}"
PARTITION = "${Partition}"
PERMANENT_STEP_ERRORS = ["StepError", "StateError", "PropertyError", "ScopeError"]
"""Raised by the runtime for inputs no retry can fix: fail over to GiveUp at once."""
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
READ_RETRY = {
    "ErrorEquals": ["States.ALL"],
    "IntervalSeconds": 60,
    "MaxAttempts": 5,
    "BackoffRate": 2,
    "MaxDelaySeconds": 900,
}
"""Reading the status: throttling or a fault is retried for ~30 minutes before giving up."""
BACKSTOP_SECONDS = 3600
"""The execution's own timeout exceeds its longest planned run by two intervals and this margin,
so the Choice-based limits (with their events) normally come first and TimeoutSeconds only
catches a definition or service fault. The longest planned run is three tracking limits: a job,
its follow-up job (opt-in) and the retraining (opt-in), each followed up to the limit."""
PLANNED_RUNS = 3
MAX_HISTORY_EVENTS = 25_000
"""A standard workflow execution fails when its history would exceed this many events (Step
Functions' service quotas; a hard limit)."""
EVENTS_PER_READ = 9
"""History events of one turn of each polling loop (submit, status, retraining): its Wait
(entered, exited), its Task (entered, scheduled, started, succeeded, exited), its Choice
(entered, exited)."""
RESERVED_EVENTS = 1_000
"""Kept for the states outside the loops (about 40) and for retried Task calls (3 each)."""
MAX_READS_PER_RUN = (MAX_HISTORY_EVENTS - RESERVED_EVENTS) // (PLANNED_RUNS * EVENTS_PER_READ)
"""Turns of a polling loop one run may take, so that ``PLANNED_RUNS`` runs fit the history."""
FOLLOW_UP = "FOLLOW_UP"
"""The finish step's ``outcome.status`` when it queued the further job (runtime: same value)."""
RETRAIN_STOPPED = "retrain_stopped"
"""The Lambda step that records a retraining whose step failed for good, before the execution
fails (runtime: same value)."""
RETRACK = "retrack"
"""The input field (``"retrack": true``) of an execution started by hand to follow a job again
after one gave up: its first step renews the tracking limit (runtime: same value)."""


def reads_per_run(interval_seconds: float, timeout_seconds: float) -> int:
    """Turns of a polling loop a run followed up to ``timeout_seconds`` may take: one per
    interval until a read finds the limit passed, and one more if a read lands just short."""
    return math.ceil(timeout_seconds / interval_seconds) + 1


def longest_tracking_timeout(interval_seconds: int) -> int:
    """The longest tracking limit at ``interval_seconds`` whose ``PLANNED_RUNS`` runs fit the
    execution's history (``MAX_READS_PER_RUN``): beyond it Step Functions would fail an
    execution before its own limits could report the job. (The execution's year binds later:
    at the longest interval, an hour, this limit is about 37 days.)"""
    return (MAX_READS_PER_RUN - 1) * interval_seconds


def tracker_definition(*, interval_seconds: int, timeout_seconds: int) -> dict[str, Any]:
    """The definition for a tracker polling every ``interval_seconds``."""
    return {
        "Comment": (
            "Follows one Amazon Personalize data deletion job to its end: submits it if it was "
            "queued, polls its status, then records the outcome (receipt, event, purge)."
        ),
        "TimeoutSeconds": PLANNED_RUNS * timeout_seconds + 2 * interval_seconds + BACKSTOP_SECONDS,
        "StartAt": "CheckAccepted",
        "States": {
            "CheckAccepted": {
                "Type": "Choice",
                "Comment": (
                    "A hand-started re-track renews its limit first; a queued request has no "
                    "job ARN yet."
                ),
                "Choices": [
                    {
                        "And": [
                            {"Variable": f"$.{RETRACK}", "IsPresent": True},
                            {"Variable": f"$.{RETRACK}", "BooleanEquals": True},
                        ],
                        "Next": "Retrack",
                    },
                    {"Variable": "$.job.arn", "IsString": True, "Next": "WaitForJob"},
                ],
                "Default": "WaitToSubmit",
            },
            "Retrack": _step(RETRACK, "CheckAccepted"),
            "WaitToSubmit": {"Type": "Wait", "Seconds": interval_seconds, "Next": "Submit"},
            "Submit": _step("submit", "CheckSubmitted"),
            "CheckSubmitted": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.job.arn", "IsString": True, "Next": "WaitForJob"},
                    {"Variable": "$.tracking.giveUp", "BooleanEquals": True, "Next": "GiveUp"},
                ],
                "Default": "WaitToSubmit",
            },
            "WaitForJob": {"Type": "Wait", "Seconds": interval_seconds, "Next": "ReadStatus"},
            "ReadStatus": {
                "Type": "Task",
                "Resource": f"arn:{PARTITION}:states:::aws-sdk:personalize:describeDataDeletionJob",
                "Parameters": {"DataDeletionJobArn.$": "$.job.arn"},
                "ResultSelector": {
                    "status.$": "$.DataDeletionJob.Status",
                    "checkedAt.$": "$$.State.EnteredTime",
                },
                "ResultPath": "$.seen",
                "Retry": [READ_RETRY],
                "Catch": [_catch("GiveUp")],
                "Next": "CheckEnded",
            },
            "CheckEnded": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Or": [
                            {"Variable": "$.seen.status", "StringEquals": "COMPLETED"},
                            {"Variable": "$.seen.status", "StringEquals": "FAILED"},
                        ],
                        "Next": "Finish",
                    },
                    {
                        "Variable": "$.seen.checkedAt",
                        "TimestampGreaterThanEqualsPath": "$.tracking.giveUpAt",
                        "Next": "GiveUp",
                    },
                ],
                "Default": "WaitForJob",
            },
            "Finish": _step("finish", "CheckFollowUp"),
            "CheckFollowUp": {
                "Type": "Choice",
                "Comment": "After imports or trainings during the job: one further job.",
                "Choices": [
                    {
                        "Variable": "$.outcome.status",
                        "StringEquals": FOLLOW_UP,
                        "Next": "WaitToSubmit",
                    }
                ],
                "Default": "CheckRetraining",
            },
            "CheckRetraining": {
                "Type": "Choice",
                "Comment": "Retraining is opt-in, and only after a COMPLETED job.",
                "Choices": [
                    {"Variable": "$.retraining.requested", "BooleanEquals": True, "Next": "Retrain"}
                ],
                "Default": "Recorded",
            },
            "Retrain": _step("retrain", "CheckRetrained", on_error="RetrainStopped"),
            "CheckRetrained": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.retraining.done", "BooleanEquals": True, "Next": "Recorded"}
                ],
                "Default": "WaitForModels",
            },
            "WaitForModels": {"Type": "Wait", "Seconds": interval_seconds, "Next": "Retrain"},
            "Recorded": {"Type": "Succeed"},
            "RetrainStopped": _step(RETRAIN_STOPPED, "TrackerFailed", on_error="TrackerFailed"),
            "GiveUp": _step("give_up", "NotConfirmed", on_error="TrackerFailed"),
            "NotConfirmed": {
                "Type": "Fail",
                "ErrorPath": "$.outcome.error",
                "CausePath": "$.outcome.cause",
            },
            "TrackerFailed": {
                "Type": "Fail",
                "Error": "TrackerFailed",
                "CausePath": "$.error.Cause",
            },
        },
    }


def _step(step: str, next_state: str, on_error: str = "GiveUp") -> dict[str, Any]:
    """A Lambda step: the whole state in, the next state out (``OutputPath`` ``$.Payload``)."""
    return {
        "Type": "Task",
        "Resource": f"arn:{PARTITION}:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": FUNCTION_ARN,
            "Payload": {"step": step, "execution.$": "$$.Execution.Id", "state.$": "$"},
        },
        "OutputPath": "$.Payload",
        "Retry": [
            {"ErrorEquals": PERMANENT_STEP_ERRORS, "MaxAttempts": 0},
            {
                "ErrorEquals": LAMBDA_SERVICE_ERRORS,
                "IntervalSeconds": 2,
                "MaxAttempts": 6,
                "BackoffRate": 2,
            },
            {
                "ErrorEquals": ["States.ALL"],
                "IntervalSeconds": 30,
                "MaxAttempts": 4,
                "BackoffRate": 2,
                "MaxDelaySeconds": 600,
            },
        ],
        "Catch": [_catch(on_error)],
        "Next": next_state,
    }


def _catch(next_state: str) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": next_state}
