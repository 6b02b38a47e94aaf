"""The events the handlers publish (one per job end, one per retraining) and their patterns.

Both kinds come from source ``personalize-data-deletion`` on the default bus, and carry the stack
id and the job name; a rule matches one kind, this stack's events and one construct's job name
prefix, optionally narrowed to some ``status`` values. The patterns use only what the detail
holds (names, ARNs, statuses), never a user id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_events as events
from personalize_deletion_runtime.notifications import (
    EVENT_DETAIL_TYPE,
    EVENT_SOURCE,
    MODELS_DETAIL_TYPE,
    NOT_STARTED,
    RETRAINING_OUTCOMES,
    STUCK,
)

from .errors import DeletionConfigError


@dataclass(frozen=True)
class EventKind:
    """One kind of event the handlers publish: its ``detail-type``, every ``status`` it
    carries, and the description of a rule that matches it."""

    detail_type: str
    statuses: tuple[str, ...]
    description: str


JOB_STATUSES = ("COMPLETED", "FAILED", STUCK, NOT_STARTED)
"""The ``status`` values of job events (see :meth:`PersonalizeDataDeletion.on_job_state_change`)."""
JOB_EVENTS = EventKind(
    EVENT_DETAIL_TYPE, JOB_STATUSES, "Personalize data deletion job events of this stack's requests"
)
MODELS_EVENTS = EventKind(
    MODELS_DETAIL_TYPE,
    RETRAINING_OUTCOMES,
    "Personalize data deletion retraining events of this stack's requests",
)


def event_pattern(
    kind: EventKind, job_name_prefix: str, statuses: Iterable[str] | None
) -> events.EventPattern:
    """The pattern of one kind of event of this stack's jobs named ``<job_name_prefix>-...``.

    ``statuses`` narrows it (default: every status of the kind); a string or a status the kind
    never carries is refused, since the rule would silently never fire.
    """
    if isinstance(statuses, str):
        raise TypeError(f"statuses must be a list of statuses, not the string {statuses!r}")
    wanted = list(statuses) if statuses is not None else None
    if wanted is not None and (not wanted or not set(wanted) <= set(kind.statuses)):
        raise DeletionConfigError(
            f"statuses {wanted!r}: choose one or more of {', '.join(kind.statuses)}"
        )
    detail: dict[str, object] = {
        "stackId": [Aws.STACK_ID],
        "jobName": [{"prefix": f"{job_name_prefix}-"}],
    }
    if wanted is not None:
        detail["status"] = wanted
    return events.EventPattern(source=[EVENT_SOURCE], detail_type=[kind.detail_type], detail=detail)
