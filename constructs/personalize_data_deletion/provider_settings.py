"""How the shared provider polls, checked against CloudFormation's one-hour cap.

The settings are a value of their own (one per stack, compared when a second construct of the
stack asks for the provider) and their rules are arithmetic on durations, not resources: they
live apart from the provider construct, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from personalize_deletion_runtime.properties import (
    DEFAULT_QUERY_INTERVAL_SECONDS,
    DEFAULT_TOTAL_TIMEOUT_SECONDS,
    handler_deadline_seconds,
)

from .durations import DurationSettings, PollingRule, readable

CLOUDFORMATION_CAP_SECONDS = 3600
SERVICE_TIMEOUT_SLACK_SECONDS = 600
"""A request carries ``ServiceTimeout`` only when the provider's bound is at least this much
shorter than CloudFormation's default (its one-hour cap): otherwise the default serves."""
DEFAULT_QUERY_INTERVAL = Duration.seconds(DEFAULT_QUERY_INTERVAL_SECONDS)
DEFAULT_TOTAL_TIMEOUT = Duration.seconds(DEFAULT_TOTAL_TIMEOUT_SECONDS)


class ProviderSettingsError(ValueError):
    """Provider settings that CloudFormation or the Provider framework cannot honour."""


POLLING_RULE = PollingRule(
    (10, 600),
    "polling faster only costs invocations; Personalize jobs take minutes to hours",
    ProviderSettingsError,
)


@dataclass(frozen=True, eq=False)
class ProviderSettings(DurationSettings):
    """How the shared provider polls; one value per stack because the provider is shared.

    ``total_timeout`` plus two query intervals must fit in CloudFormation's one-hour cap: the
    handler gives up one interval before the framework does (so the reason is ours, not
    "Operation timed out"), and CloudFormation must still receive the framework's answer.

    Settings are equal when their durations are (jsii's ``Duration`` objects compare by
    identity, so ``Duration.minutes(1)`` is not the default's ``Duration.minutes(1)``).

    :param query_interval: time between two status reads while the deployment waits, 10
        seconds to 10 minutes. Default: 60 seconds.
    :param total_timeout: how long the deployment waits for a job at most. Default: 55 minutes.
    :param log_retention: of the provider's log groups. Default: one year.
    """

    query_interval: Duration = DEFAULT_QUERY_INTERVAL
    total_timeout: Duration = DEFAULT_TOTAL_TIMEOUT
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        interval, total = self._read(POLLING_RULE)
        if total + 2 * interval > CLOUDFORMATION_CAP_SECONDS:
            raise ProviderSettingsError(
                f"total_timeout ({readable(total)}) + 2 x query_interval ({readable(interval)}) "
                "exceeds CloudFormation's 1 hour custom resource cap: lower total_timeout to at "
                f"most {readable(CLOUDFORMATION_CAP_SECONDS - 2 * interval)}"
            )

    @property
    def service_timeout_seconds(self) -> int:
        """What CloudFormation needs to wait: the framework's timeout plus its final answer."""
        interval, total = self._seconds
        return int(total + 2 * interval)

    @property
    def request_service_timeout(self) -> str | None:
        """``ServiceTimeout`` for each request, or ``None`` where CloudFormation's default (its
        one-hour cap) serves: it only matters if the framework never answers, and then a bound
        a few minutes shorter is not worth its bytes in every request."""
        seconds = self.service_timeout_seconds
        slack = CLOUDFORMATION_CAP_SECONDS - SERVICE_TIMEOUT_SLACK_SECONDS
        return None if seconds > slack else str(seconds)

    @property
    def handler_deadline_seconds(self) -> int:
        """Seconds after the create call at which ``is_complete`` stops waiting, with a reason."""
        interval, total = self._seconds
        return handler_deadline_seconds(total, interval)
