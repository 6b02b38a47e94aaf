"""What ``PersonalizeDataDeletion`` offers for watching its jobs: event rules, alarms, metrics.

A mixin, so that these methods stay on the construct (``deletion.on_job_state_change(...)``)
while the construct's module only wires the bucket, the role and the requests. Events are
filtered by the construct's job name prefix; the alarms and metrics are the stack's tracker's,
shared by every construct of the stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from personalize_deletion_runtime.notifications import (
    EVENT_DETAIL_TYPE,
    MODELS_DETAIL_TYPE,
    NOT_STARTED,
    RETRAINING_OUTCOMES,
    STUCK,
)

from constructs import Construct

from .errors import DeletionConfigError
from .job_events import EventRuleError, event_rule
from .tracker import DeletionTracker

if TYPE_CHECKING:
    from aws_cdk import aws_sns as sns

JOB_STATUSES = ("COMPLETED", "FAILED", STUCK, NOT_STARTED)
"""The ``status`` values of job events (see :meth:`PersonalizeDataDeletion.on_job_state_change`)."""


class DeletionMonitoring:
    """Event rules, alarms and metrics of a ``PersonalizeDataDeletion`` (mixed into it)."""

    # Set by the construct before any of these methods is called.
    job_name_prefix: str
    tracker: DeletionTracker
    _notification_topic: sns.ITopic | None
    _models_notified: bool

    def on_job_state_change(
        self,
        construct_id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Iterable[str] | None = None,
        description: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule for the job events of this construct's requests.

        One event per job end, whichever path saw it (deployment or tracker): ``status``
        COMPLETED or FAILED, STUCK when the tracker gave up on a running job, NOT_STARTED when a
        queued request was refused.

        :param construct_id: id of the rule, a child of this construct.
        :param target: where the events go. Default: none (add targets to the returned rule).
        :param statuses: narrows the rule to these statuses (see ``JOB_STATUSES``). Default:
            all of them.
        :param description: of the rule. Default: "Personalize data deletion job events of
            this stack's requests".
        """
        return self._event_rule(
            construct_id,
            detail_type=EVENT_DETAIL_TYPE,
            statuses=statuses,
            known_statuses=JOB_STATUSES,
            target=target,
            description=description
            or "Personalize data deletion job events of this stack's requests",
        )

    def on_models_retrained(
        self,
        construct_id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Iterable[str] | None = None,
        description: str | None = None,
    ) -> events.Rule:
        """An EventBridge rule for the "models retrained" events of this construct's requests.

        One event per job whose request asked for retraining, once the tracker saw every new
        solution version and campaign update end: ``status`` RETRAINED (``effectiveInModels``
        says whether every model now reflects the deletion), RETRAINING_FAILED, or
        RETRAINING_STUCK when the tracker gave up waiting.

        :param construct_id: id of the rule, a child of this construct.
        :param target: where the events go. Default: none (add targets to the returned rule).
        :param statuses: narrows the rule to these statuses. Default: all of them.
        :param description: of the rule. Default: "Personalize data deletion retraining
            events of this stack's requests".
        """
        return self._event_rule(
            construct_id,
            detail_type=MODELS_DETAIL_TYPE,
            statuses=statuses,
            known_statuses=RETRAINING_OUTCOMES,
            target=target,
            description=description
            or "Personalize data deletion retraining events of this stack's requests",
        )

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
        self,
        construct_id: str,
        *,
        detail_type: str,
        statuses: Iterable[str] | None,
        known_statuses: tuple[str, ...],
        target: events.IRuleTarget | None,
        description: str,
    ) -> events.Rule:
        try:
            return event_rule(
                cast(Construct, self),
                construct_id,
                detail_type=detail_type,
                job_name_prefix=self.job_name_prefix,
                statuses=statuses,
                known_statuses=known_statuses,
                target=target,
                description=description,
            )
        except EventRuleError as exc:
            raise DeletionConfigError(str(exc)) from exc

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
