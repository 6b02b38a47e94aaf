"""EventBridge rules for the events the handlers publish: one per job end, one per retraining.

Both kinds come from source ``personalize-data-deletion`` on the default bus, and carry the stack
id and the job name; a rule matches one kind, this stack's events and one construct's job name
prefix, optionally narrowed to some ``status`` values. The patterns use only what the detail
holds (names, ARNs, statuses), never a user id.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Aws
from aws_cdk import aws_events as events
from personalize_deletion_runtime.notifications import EVENT_SOURCE

from constructs import Construct


class EventRuleError(ValueError):
    """A rule that could never match: a status the events never carry."""


def event_rule(
    scope: Construct,
    construct_id: str,
    *,
    detail_type: str,
    job_name_prefix: str,
    statuses: Iterable[str] | None,
    known_statuses: tuple[str, ...],
    target: events.IRuleTarget | None,
    description: str,
) -> events.Rule:
    """A rule for one kind of event of this stack's jobs named ``<job_name_prefix>-...``.

    ``statuses`` narrows it (default: every status of ``known_statuses``); a string or a status
    outside ``known_statuses`` is refused, since the rule would silently never fire.
    """
    if isinstance(statuses, str):
        raise TypeError(f"statuses must be a list of statuses, not the string {statuses!r}")
    wanted = list(statuses) if statuses is not None else None
    if wanted is not None and (not wanted or not set(wanted) <= set(known_statuses)):
        raise EventRuleError(
            f"statuses {wanted!r}: choose one or more of {', '.join(known_statuses)}"
        )
    detail: dict[str, object] = {
        "stackId": [Aws.STACK_ID],
        "jobName": [{"prefix": f"{job_name_prefix}-"}],
    }
    if wanted is not None:
        detail["status"] = wanted
    rule = events.Rule(
        scope,
        construct_id,
        description=description,
        event_pattern=events.EventPattern(
            source=[EVENT_SOURCE], detail_type=[detail_type], detail=detail
        ),
    )
    if target is not None:
        rule.add_target(target)
    return rule
