"""Handing a job to the tracker: one Step Functions execution per job, named after the job.

The execution name is the idempotency key, as the job name is for Personalize: a retried,
repeated or concurrent hand-off of the same job finds the execution that already follows it
instead of starting a second one. Step Functions answers a repeated start with the same name
and input with the running execution, and anything else with ``ExecutionAlreadyExists``; then
the existing execution is described: if it still runs (or has seen the job to its end) it is
the tracker of record. If it ended without an answer (stuck, or a fault), a new execution
``<job>-2``, ``<job>-3``, ... takes over, so deploying again after a tracker failure re-tracks
the job rather than reporting a dead execution.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .state import TrackedJob

LOGGER = logging.getLogger(__name__)

MAX_ATTEMPTS = 9
"""Execution names tried per job (``<job>``, ``<job>-2`` ... ``<job>-9``)."""
FOLLOWED_OR_DONE = {"RUNNING", "SUCCEEDED"}
"""An execution in these states follows the job, or has recorded its end: no new one."""


def execution_names(job_name: str) -> list[str]:
    """The names an execution following ``job_name`` may have, in the order they are used."""
    return [job_name, *(f"{job_name}-{attempt}" for attempt in range(2, MAX_ATTEMPTS + 1))]


class StepFunctionsClient(Protocol):
    """The subset of boto3's Step Functions client used here."""

    def start_execution(self, **kwargs: Any) -> dict[str, Any]: ...
    def describe_execution(self, **kwargs: Any) -> dict[str, Any]: ...


class TrackerError(RuntimeError):
    """The job could not be handed to the tracker; the message says why."""


class Tracker:
    """Starts (or finds) the execution that follows a job."""

    def __init__(self, client: StepFunctionsClient, state_machine_arn: str) -> None:
        self.client = client
        self.state_machine_arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        """``arn:...:execution:<state machine>:<name>``, as Step Functions composes it."""
        return self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"

    def follow(self, job: TrackedJob) -> str:
        """Return the ARN of the execution that follows ``job``, starting one if needed."""
        document = json.dumps(job.to_json(), sort_keys=True)
        for name in execution_names(job.job_name):
            try:
                response = self.client.start_execution(
                    stateMachineArn=self.state_machine_arn, name=name, input=document
                )
                return response["executionArn"]
            except ClientError as exc:
                if _code(exc) != "ExecutionAlreadyExists":
                    raise TrackerError(_describe(exc, job.job_name)) from exc
            except BotoCoreError as exc:
                raise TrackerError(f"Step Functions unreachable: {exc}") from exc
            arn = self.execution_arn(name)
            if self._status(arn, job.job_name) in FOLLOWED_OR_DONE:
                return arn
        raise TrackerError(
            f"the tracker has ended {MAX_ATTEMPTS} executions for job {job.job_name} without "
            "an answer; see their failure causes in the Step Functions console"
        )

    def started_with(self, job_name: str) -> dict[str, Any] | None:
        """The input document of the execution named after ``job_name``, as it was started;
        ``None`` when there is none (never handed off, or purged 90 days after it closed) or it
        cannot be read. Not parsed: a release whose state this one does not parse wrote it,
        maybe, and :func:`.job_source.recorded_input` needs only its list's summary."""
        try:
            execution = self.client.describe_execution(executionArn=self.execution_arn(job_name))
            document = json.loads(execution["input"])
        except (ClientError, BotoCoreError, KeyError, TypeError, ValueError):
            return None
        return document if isinstance(document, dict) else None

    def handed_off(self, job_name: str) -> TrackedJob | None:
        """The state the execution named after ``job_name`` was started with: what the
        deployment that handed the job off knew (its list's summary, when it was requested,
        what its pre-flight found first); ``None`` when there is none or this release cannot
        parse it (:meth:`started_with`)."""
        document = self.started_with(job_name)
        try:
            return TrackedJob.from_json(document) if document is not None else None
        except ValueError:  # StateError: another release's state
            return None

    def following(self, job_name: str) -> bool:
        """Whether an execution still follows ``job_name`` (under any of the names
        :meth:`follow` gives): its staged list and asset must then stay. ``True`` when Step
        Functions cannot say (keeping a list is recoverable, deleting it is not)."""
        for name in execution_names(job_name):
            try:
                status = self.client.describe_execution(executionArn=self.execution_arn(name))
            except (ClientError, BotoCoreError) as exc:
                if isinstance(exc, ClientError) and _code(exc) == "ExecutionDoesNotExist":
                    return False
                LOGGER.warning(
                    "whether a tracker execution follows the job is unknown: its list is kept",
                    extra={"job_name": job_name, "error": str(exc)},
                )
                return True
            if status["status"] == "RUNNING":
                return True
        return False

    def _status(self, arn: str, job_name: str) -> str:
        try:
            return str(self.client.describe_execution(executionArn=arn)["status"])
        except ClientError as exc:
            raise TrackerError(_describe(exc, job_name)) from exc
        except BotoCoreError as exc:
            raise TrackerError(f"Step Functions unreachable: {exc}") from exc


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _describe(exc: ClientError, job_name: str) -> str:
    message = exc.response.get("Error", {}).get("Message", "") or "no message"
    return f"starting the tracker for job {job_name} failed with {_code(exc)}: {message}"
