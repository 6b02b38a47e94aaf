"""The typed values that travel between the steps that follow one job.

Two hand-overs, each one JSON value rather than loose keys:

- :class:`JobTicket`: what ``on_event`` learned (job name and ARN, the list's counts, when the
  deployment must stop waiting). The Provider framework merges ``on_event``'s answer into the
  event it re-sends to every ``is_complete`` poll, so the ticket travels under one key.
- :class:`TrackedJob`: what the tracker state machine carries from its start to its end. Its
  JSON layout is part of the state machine definition's contract (``$.job.arn``,
  ``$.tracking.giveUp``, ``$.tracking.giveUpAt``, ``$.seen.status``, ``$.seen.checkedAt``), so
  the field names below are not to be renamed casually: the tracker tests run the synthesized
  definition against this code and fail if the two drift apart.

Neither value ever holds a user id: counts, hashes, names and ARNs only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

TICKET_KEY = "Ticket"
"""Where ``on_event`` puts the ticket in its answer (and so in every ``is_complete`` event)."""

TRACKED_JOB_VERSION = 1
QUEUED = "QUEUED"
"""Our status for a request Personalize has not accepted yet (the tracker submits it later)."""


class StateError(ValueError):
    """A ticket or tracker state that is missing or malformed; names the field."""


def iso(epoch: float) -> str:
    """UTC, seconds precision: how receipts, events and deadlines write times."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(value: str) -> float:
    """Epoch seconds of an RFC 3339 time (``Z`` or an offset; fractions allowed)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class JobTicket:
    """What ``on_event`` hands to every ``is_complete`` poll of the same request."""

    job_name: str
    job_arn: str | None
    input: dict[str, Any]
    started_at: float
    deadline: float
    blockers: tuple[dict[str, Any], ...] = ()
    """What the pre-flight found running when ``on_event`` first checked (ARNs, statuses)."""
    kept: bool = False
    """The job was the resource's already (an Update that kept the job identity, or returned
    to the job its job replaced): should this event fail, CloudFormation rolls back to a
    resource that still needs the job's list."""
    restaged: bool = False
    """That Update staged the list again (none was staged): its failure removes that copy."""
    returned: bool = False
    """``kept`` by a return (see ``Intake.returned``): the resource declared that job for this
    event only, so its failure removes its declarer key (:func:`.cancellation.abandon`)."""
    moved: bool = False
    """An Update moved the resource to this job, or kept it under other list properties: its
    success indexes it under the request's (:mod:`.job_source`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "jobName": self.job_name,
            "jobArn": self.job_arn,
            "input": self.input,
            "startedAt": self.started_at,
            "deadline": self.deadline,
            "blockers": list(self.blockers),
            "kept": self.kept,
            "restaged": self.restaged,
            "returned": self.returned,
            "moved": self.moved,
        }

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> JobTicket:
        value = event.get(TICKET_KEY)
        if not isinstance(value, Mapping):
            raise StateError(
                f"event field {TICKET_KEY} is missing: it is written by on_event; was this "
                "event sent by the Provider framework?"
            )
        return cls(
            job_name=_text(value, "jobName", TICKET_KEY),
            job_arn=_optional_text(value, "jobArn", TICKET_KEY),
            input=_object(value, "input", TICKET_KEY),
            started_at=_number(value, "startedAt", TICKET_KEY),
            deadline=_number(value, "deadline", TICKET_KEY),
            blockers=tuple(_list(value, "blockers", TICKET_KEY)),
            # Absent from tickets written before the field existed.
            kept="kept" in value and _flag(value, "kept", TICKET_KEY),
            restaged="restaged" in value and _flag(value, "restaged", TICKET_KEY),
            returned="returned" in value and _flag(value, "returned", TICKET_KEY),
            moved="moved" in value and _flag(value, "moved", TICKET_KEY),
        )


@dataclass(frozen=True)
class Origin:
    """Which deployment declared the job, and how it asked to be waited for."""

    stack_id: str
    logical_resource_id: str
    completion: str

    def to_json(self) -> dict[str, Any]:
        return {
            "stackId": self.stack_id,
            "logicalResourceId": self.logical_resource_id,
            "completion": self.completion,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any], where: str) -> Origin:
        return cls(
            stack_id=_text(value, "stackId", where),
            logical_resource_id=_text(value, "logicalResourceId", where),
            completion=_text(value, "completion", where),
        )


@dataclass(frozen=True)
class TrackedJob:
    """The tracker's state: one value from the execution's input to its output.

    ``request`` is the custom resource's properties as CloudFormation delivered them (strings),
    parsed again by every step with the same rules as the deploy-time path. ``seen`` is written
    by the state machine's own DescribeDataDeletionJob step, ``error`` by its Catch clauses,
    ``outcome`` by the last step.
    """

    request: dict[str, Any]
    job_name: str
    job_arn: str | None
    input: dict[str, Any]
    origin: Origin
    since: str
    give_up_at: str
    last_status: str
    blocked_by: str | None = None
    give_up: bool = False
    requested_at: str | None = None
    """When the deployment's ``on_event`` began (how long a pre-flight held the job back)."""
    blockers: tuple[dict[str, Any], ...] = ()
    seen: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    retraining: dict[str, Any] | None = None
    """Written by the finish step: what retraining was asked for, then how it went."""
    follow_up_of: str | None = None
    """Set when this state follows the further job started after interference: the first job."""
    version: int = field(default=TRACKED_JOB_VERSION)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "version": self.version,
            "request": self.request,
            "job": {"name": self.job_name, "arn": self.job_arn, "input": self.input},
            "origin": self.origin.to_json(),
            "tracking": {
                "since": self.since,
                "giveUpAt": self.give_up_at,
                "giveUp": self.give_up,
                "lastStatus": self.last_status,
                "blockedBy": self.blocked_by,
                "requestedAt": self.requested_at,
                "blockers": list(self.blockers),
            },
        }
        if self.follow_up_of is not None:
            document["job"]["followUpOf"] = self.follow_up_of
        optional = (
            ("seen", self.seen),
            ("error", self.error),
            ("outcome", self.outcome),
            ("retraining", self.retraining),
        )
        for name, value in optional:
            if value is not None:
                document[name] = value
        return document

    @classmethod
    def from_json(cls, value: Any) -> TrackedJob:
        if not isinstance(value, Mapping):
            raise StateError("tracker state must be a JSON object")
        version = value.get("version")
        if version != TRACKED_JOB_VERSION:
            raise StateError(
                f"tracker state version {version!r} is not {TRACKED_JOB_VERSION}: the execution "
                "was started by another release of this library"
            )
        job = _object(value, "job", "state")
        tracking = _object(value, "tracking", "state")
        return cls(
            request=_object(value, "request", "state"),
            job_name=_text(job, "name", "state.job"),
            job_arn=_optional_text(job, "arn", "state.job"),
            input=_object(job, "input", "state.job"),
            follow_up_of=_optional_text(job, "followUpOf", "state.job"),
            origin=Origin.from_json(_object(value, "origin", "state"), "state.origin"),
            since=_text(tracking, "since", "state.tracking"),
            give_up_at=_text(tracking, "giveUpAt", "state.tracking"),
            last_status=_text(tracking, "lastStatus", "state.tracking"),
            blocked_by=_optional_text(tracking, "blockedBy", "state.tracking"),
            give_up=_flag(tracking, "giveUp", "state.tracking"),
            requested_at=_optional_text(tracking, "requestedAt", "state.tracking"),
            blockers=tuple(_list(tracking, "blockers", "state.tracking")),
            seen=_optional_object(value, "seen"),
            error=_optional_object(value, "error"),
            outcome=_optional_object(value, "outcome"),
            retraining=_optional_object(value, "retraining"),
        )

    def evolve(self, **changes: Any) -> TrackedJob:
        return replace(self, **changes)


def _text(value: Mapping[str, Any], name: str, where: str) -> str:
    item = value.get(name)
    if not isinstance(item, str) or not item:
        raise StateError(f"{where}.{name} must be a non-empty string")
    return item


def _optional_text(value: Mapping[str, Any], name: str, where: str) -> str | None:
    item = value.get(name)
    if item is None:
        return None
    if not isinstance(item, str) or not item:
        raise StateError(f"{where}.{name} must be a non-empty string or null")
    return item


def _number(value: Mapping[str, Any], name: str, where: str) -> float:
    item = value.get(name)
    if isinstance(item, bool) or not isinstance(item, int | float):
        raise StateError(f"{where}.{name} must be a number")
    return float(item)


def _flag(value: Mapping[str, Any], name: str, where: str) -> bool:
    item = value.get(name)
    if not isinstance(item, bool):
        raise StateError(f"{where}.{name} must be true or false")
    return item


def _object(value: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    item = value.get(name)
    if not isinstance(item, Mapping):
        raise StateError(f"{where}.{name} must be an object")
    return dict(item)


def _list(value: Mapping[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    """An optional list of objects (absent: empty)."""
    item = value.get(name, [])
    if not isinstance(item, list) or not all(isinstance(entry, Mapping) for entry in item):
        raise StateError(f"{where}.{name} must be a list of objects")
    return [dict(entry) for entry in item]


def _optional_object(value: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    item = value.get(name)
    if item is None:
        return None
    if not isinstance(item, Mapping):
        raise StateError(f"state.{name} must be an object")
    return dict(item)
