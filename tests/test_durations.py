"""Settings that disagree say so in durations people read, never raw seconds or tokens."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from personalize_data_deletion import (
    DeletionConfigError,
    PersonalizeDataDeletion,
    ProviderSettingsError,
    TrackerSettingsError,
)
from personalize_data_deletion.durations import readable
from synth import ACCOUNT, REGION

pytestmark = pytest.mark.synth


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (90, "1 minute 30 seconds"),
        (90.5, "1 minute 30.5 seconds"),
        (3600, "1 hour"),
        (5400, "1 hour 30 minutes"),
        (129_600, "1 day 12 hours"),
        (691_200, "8 days"),
        (90_061, "1 day 1 hour 1 minute 1 second"),
    ],
)
def test_readable_writes_days_hours_minutes_and_seconds(seconds: float, text: str) -> None:
    # GIVEN a number of seconds WHEN it is made readable THEN the largest units come first
    assert readable(seconds) == text


def _stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "S", env=cdk.Environment(account=ACCOUNT, region=REGION))


def test_a_staged_list_expiring_before_its_tracking_ends_is_refused_in_readable_durations() -> None:
    # GIVEN a staged-list expiration of an hour and a half, under the 36-hour tracking timeout
    # WHEN the construct is created
    with pytest.raises(DeletionConfigError) as refused:
        PersonalizeDataDeletion(_stack(), "D", staged_input_expiration=cdk.Duration.minutes(90))
    # THEN both settings, and the fix, are written in days, hours and minutes (the fix in whole
    # days: S3 lifecycle expiration counts days, so 2 days 12 hours would be refused next)
    assert str(refused.value) == (
        "staged_input_expiration (1 hour 30 minutes) must exceed tracking_timeout (1 day 12 "
        "hours) by at least a day: a queued or pending job still has to read its staged list; "
        "raise staged_input_expiration to at least 3 days or lower tracking_timeout"
    )


@pytest.mark.parametrize(
    ("total_timeout", "message"),
    [
        (
            cdk.Duration.minutes(2),
            "total_timeout (2 minutes) must allow three reads of query_interval "
            "(1 minute): raise total_timeout to at least 3 minutes or lower query_interval",
        ),
        (
            cdk.Duration.minutes(59),
            "total_timeout (59 minutes) + 2 x query_interval (1 minute) exceeds "
            "CloudFormation's 1 hour custom resource cap: lower total_timeout to at most "
            "58 minutes",
        ),
    ],
)
def test_a_total_timeout_that_disagrees_with_the_query_interval_is_refused_readably(
    total_timeout: cdk.Duration, message: str
) -> None:
    # GIVEN a total timeout that does not fit the (default, one-minute) query interval
    # WHEN the construct is created
    with pytest.raises(ProviderSettingsError) as refused:
        PersonalizeDataDeletion(_stack(), "D", total_timeout=total_timeout)
    # THEN the message gives both durations and the bound in minutes, not seconds
    assert str(refused.value) == message


WHOLE = (
    "must be whole seconds: write it with Duration.seconds, minutes, hours or days of a whole "
    "number"
)


@pytest.mark.parametrize(
    ("setting", "value", "error", "message"),
    [
        (
            "query_interval",
            cdk.Duration.millis(60_500),
            ProviderSettingsError,
            f"query_interval (1 minute 0.5 seconds) {WHOLE}",
        ),
        (
            "total_timeout",
            cdk.Duration.seconds(1500.5),
            ProviderSettingsError,
            f"total_timeout (25 minutes 0.5 seconds) {WHOLE}",
        ),
        (
            "tracking_interval",
            cdk.Duration.millis(600_500),
            TrackerSettingsError,
            f"tracking_interval (10 minutes 0.5 seconds) {WHOLE}",
        ),
        (
            "tracking_timeout",
            cdk.Duration.millis(129_600_500),
            TrackerSettingsError,
            f"tracking_timeout (1 day 12 hours 0.5 seconds) {WHOLE}",
        ),
        (
            "staged_input_expiration",
            cdk.Duration.millis(8 * 86_400_000 + 500),
            DeletionConfigError,
            "staged_input_expiration (8 days 0.5 seconds) is not a whole number of days: the S3 "
            "lifecycle rule that expires staged lists counts days; use Duration.days(9)",
        ),
    ],
)
def test_a_duration_setting_of_a_fraction_of_a_second_is_refused_naming_the_setting(
    setting: str, value: cdk.Duration, error: type[Exception], message: str
) -> None:
    """GIVEN a construct duration setting that is not whole seconds (Duration.millis, or
    Duration.seconds of a fraction)
    WHEN the construct is created
    THEN it is refused with the library's error naming the setting and the rule, as every
    other breach of its rule is, not with jsii's RuntimeError from to_seconds(), which names
    neither (and which app.py prints as a traceback)."""
    with pytest.raises(error) as refused:
        PersonalizeDataDeletion(_stack(), "D", **{setting: value})
    assert str(refused.value) == message
