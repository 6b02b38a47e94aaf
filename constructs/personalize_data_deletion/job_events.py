"""The events the handlers publish (one per job end, one per retraining) and their patterns.

Both kinds come from source ``personalize-data-deletion`` on the default bus, and carry the stack
id, the job name and the request's construct (``scope``, its path in the stack); a rule matches
one kind, this stack's events and one construct's ``scope``, optionally narrowed to some
``status`` values. The job name prefix cannot tell constructs apart: several may share one, and
one may start with another's (``pdd`` and ``pdd-eu``). An event without ``scope`` (its request
names no construct: written before requests did, and still sent by rollbacks and trackers
started then) is matched by the job name prefix, as rules did before ``scope`` existed. The
patterns use only what the detail holds (names, ARNs, statuses), never a user id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_events as events
from personalize_deletion_runtime.notifications import (
    EVENT_DETAIL_TYPE,
    EVENT_SOURCE,
    MODELS_DETAIL_TYPE,
    NOT_STARTED,
    RETRAINING_OUTCOMES,
    SCOPE_FIELD,
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
    kind: EventKind, scope_id: str, job_name_prefix: str, statuses: Iterable[str] | None
) -> events.EventPattern:
    """The pattern of one kind of event of this stack's requests of construct ``scope_id``
    (and of its jobs named ``<job_name_prefix>-...`` whose events name no construct).

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
        "$or": [
            {SCOPE_FIELD: [scope_id]},
            {SCOPE_FIELD: [{"exists": False}], "jobName": [{"prefix": f"{job_name_prefix}-"}]},
        ],
    }
    if wanted is not None:
        detail["status"] = wanted
    return events.EventPattern(source=[EVENT_SOURCE], detail_type=[kind.detail_type], detail=detail)


def refuse_nested_prefixes(
    served: Iterable[Mapping[str, object]], scope_id: str, job_name_prefix: str
) -> None:
    """Refuse a construct whose job name prefix nests with one already served in its stack.

    Job names are ``<prefix>-<request>-<digest>`` and the digest depends only on the dataset
    group and the list, so prefixes ``pdd`` and ``pdd-eu`` let request ``eu-x`` of one and
    request ``x`` of the other compose the same name: Personalize keeps one job per name, so
    the second request would adopt the first one's job. ``served``: the stack's constructs so
    far (``id`` and ``prefix``, as the provider serves them).
    """
    for other in served:
        other_id, other_prefix = str(other["id"]), str(other["prefix"])
        if other_prefix == job_name_prefix:
            continue  # one prefix: distinct names tell jobs apart (refuse_shared_request_name)
        shorter, longer = sorted(
            ((other_id, other_prefix), (scope_id, job_name_prefix)), key=lambda s: len(s[1])
        )
        rest = longer[1][len(shorter[1]) + 1 :]
        if not longer[1].startswith(f"{shorter[1]}-") or not rest[:1].isalnum():
            continue  # a request name starts with a letter or digit: no name in common
        raise DeletionConfigError(
            f"job_name_prefix {longer[1]!r} of construct {longer[0]!r} starts with "
            f"job_name_prefix {shorter[1]!r} of construct {shorter[0]!r} and '-': request "
            f"'{rest}-<name>' of {shorter[0]!r} and request '<name>' of {longer[0]!r} would "
            f"compose the same job name; give one construct a prefix that does not start with "
            f"the other's and '-' (e.g. {longer[1].replace('-', '')!r})"
        )


def refuse_shared_request_name(
    claimed: dict[tuple[str, str], str], scope_id: str, job_name_prefix: str, request_name: str
) -> None:
    """Refuse a request name another construct of the stack with the same prefix declared.

    Job names do not name the construct (``<prefix>-<request>-<digest>``), so two constructs
    sharing a prefix (the default ``pdd``) whose requests share a name compose the same job
    name whenever the group and list are the same: Personalize keeps one job per name, so
    one request adopts the other's job while each construct stages, declares, cancels and
    purges it in its own bucket. Refused whatever the groups and lists, which a later
    deployment may make equal. Only names declared in one synth meet here: moving a request
    to another construct in a later deployment is a rename of its resource, not a clash.
    ``claimed``: ``(prefix, request name)`` to the construct's path, kept by the provider.
    """
    other = claimed.setdefault((job_name_prefix, request_name), scope_id)
    if other != scope_id:
        raise DeletionConfigError(
            f"request {request_name!r} of construct {scope_id!r} and request {request_name!r} "
            f"of construct {other!r} share job_name_prefix {job_name_prefix!r}: they would "
            "compose the same job name (<prefix>-<request>-<digest of group and list>), and "
            "Personalize keeps one job per name, so one request would adopt the other's job; "
            "rename one request, or give one construct another job_name_prefix"
        )
