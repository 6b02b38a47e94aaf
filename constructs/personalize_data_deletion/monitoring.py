"""What ``PersonalizeDataDeletion`` offers for watching its jobs: event rules, alarms, metrics.

A mixin, so that these methods stay on the construct (``deletion.on_job_state_change(...)``)
while the construct's module only wires the bucket, the role and the requests. Events are
filtered by the construct's ``scope_id`` (see ``job_events``); the alarms and metrics are the
stack's tracker's, shared by every construct of the stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict, Unpack, cast

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events

from constructs import Construct

from .errors import refuse_unknown_keywords
from .job_events import JOB_EVENTS, JOB_STATUSES, MODELS_EVENTS, EventKind, event_pattern
from .tracker import DeletionTracker

if TYPE_CHECKING:
    from aws_cdk import aws_sns as sns

__all__ = ["JOB_STATUSES", "DeletionMonitoring", "RuleOptions"]


class RuleOptions(TypedDict, total=False):
    """What an ``on_*`` rule of :class:`PersonalizeDataDeletion` may set, declared once for
    every kind of event.

    :param target: where the events go. Default: none (add targets to the returned rule).
    :param statuses: narrows the rule to these statuses of the kind (``JOB_STATUSES`` for job
        events; RETRAINED, RETRAINING_FAILED, RETRAINING_STUCK, NOT_RETRAINED for retraining).
        Default: all.
    :param description: of the rule. Default: one naming the kind and this stack's requests.
    """

    target: events.IRuleTarget | None
    statuses: Iterable[str] | None
    description: str | None


class DeletionMonitoring:
    """Event rules, alarms and metrics of a ``PersonalizeDataDeletion`` (mixed into it)."""

    # Set by the construct before any of these methods is called.
    scope_id: str
    job_name_prefix: str
    tracker: DeletionTracker
    _notification_topic: sns.ITopic | None
    _models_notified: bool

    def on_job_state_change(self, construct_id: str, **options: Unpack[RuleOptions]) -> events.Rule:
        """An EventBridge rule for the job events of this construct's requests.

        One event per job end, whichever path saw it (deployment or tracker): ``status``
        COMPLETED or FAILED, STUCK when the tracker gave up on a running job, NOT_STARTED when a
        queued request was refused (``JOB_STATUSES``).

        :param construct_id: id of the rule, a child of this construct.
        :param options: ``target``, ``statuses`` and ``description`` (see
            :class:`RuleOptions`). Default: all statuses, no target, a description naming job
            events.
        """
        return self._event_rule(JOB_EVENTS, construct_id, options, "on_job_state_change")

    def on_models_retrained(self, construct_id: str, **options: Unpack[RuleOptions]) -> events.Rule:
        """An EventBridge rule for the "models retrained" events of this construct's requests.

        One event per job whose request asked for retraining, once the tracker saw every new
        solution version and campaign update end: ``status`` RETRAINED, RETRAINING_FAILED (a
        training failed, or a solution or campaign was deleted or refused), RETRAINING_STUCK
        when the tracker gave up waiting, or NOT_RETRAINED when the follow-up job it waits for
        never ended. ``effectiveInModels`` is true only when no model of the dataset group that
        serves recommendations was trained before the deletion (solutions left out of a
        ``Retrain.solutions`` list included; the receipt names those under ``unlistedServing``).

        :param construct_id: id of the rule, a child of this construct.
        :param options: as for :meth:`on_job_state_change` (see :class:`RuleOptions`).
            Default: all statuses, no target, a description naming retraining events.
        """
        return self._event_rule(MODELS_EVENTS, construct_id, options, "on_models_retrained")

    def _notify_models(self) -> None:
        """The topic also gets the "models retrained" events, once a request retrains."""
        if self._notification_topic is None or self._models_notified:
            return
        self._models_notified = True
        from aws_cdk import aws_events_targets as targets

        self.on_models_retrained(
            "NotifyTopicModels",
            target=targets.SnsTopic(self._notification_topic),
            description="Sends every Personalize data deletion retraining event to the topic",
        )

    def _event_rule(
        self, kind: EventKind, construct_id: str, options: RuleOptions, method: str
    ) -> events.Rule:
        known = RuleOptions.__optional_keys__
        refuse_unknown_keywords(options, known, f"PersonalizeDataDeletion.{method}")
        rule = events.Rule(
            cast(Construct, self),
            construct_id,
            description=options.get("description") or kind.description,
            event_pattern=event_pattern(
                kind, self.scope_id, self.job_name_prefix, options.get("statuses")
            ),
        )
        target = options.get("target")
        if target is not None:
            rule.add_target(target)
        return rule

    @property
    def job_failed_alarm(self) -> cloudwatch.Alarm:
        """Alarms when a job of this stack ends FAILED (shared by the stack's constructs)."""
        return self.tracker.job_failed_alarm

    @property
    def tracking_alarm(self) -> cloudwatch.Alarm:
        """Alarms when the tracker could not record a job's end (stuck, faults, timeouts)."""
        return self.tracker.tracking_alarm

    def metric_jobs(self, metric_name: str) -> cloudwatch.Metric:
        """``JobsCompleted``, ``JobsFailed`` or ``JobsStuck`` of this stack, summed per 5 min.

        :param metric_name: ``JobsCompleted``, ``JobsFailed`` or ``JobsStuck``.
        """
        return self.tracker.metric_jobs(metric_name)
