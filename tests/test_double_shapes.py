"""The double renders every response structure from its views the one way the service does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from personalize_deletion_local.personalize_double.shapes import field_name, structure

pytestmark = pytest.mark.fast


@dataclass
class _View:
    campaign_arn: str = "arn:aws:personalize:us-east-1:123456789012:campaign/c"
    min_provisioned_tps: int = 1
    campaign_config: dict[str, Any] = field(default_factory=lambda: {"sync": {"deep": True}})
    failure_reason: str | None = None


@pytest.mark.parametrize(
    ("member", "name"),
    [
        ("dataDeletionJobArn", "data_deletion_job_arn"),
        ("minProvisionedTPS", "min_provisioned_tps"),
        ("name", "name"),
        ("batchInferenceJobArn", "batch_inference_job_arn"),
    ],
)
def test_a_member_reads_the_field_of_its_snake_case_name(member: str, name: str) -> None:
    assert field_name(member) == name


def test_members_without_a_value_are_left_out_in_the_models_order() -> None:
    # GIVEN a view with no failure reason
    view = _View()
    # WHEN it is rendered with a member given as a value
    rendered = structure(
        view, "status campaignArn failureReason minProvisionedTPS", status="ACTIVE"
    )
    # THEN failureReason is absent and the members keep the order named
    assert list(rendered.items()) == [
        ("status", "ACTIVE"),
        ("campaignArn", "arn:aws:personalize:us-east-1:123456789012:campaign/c"),
        ("minProvisionedTPS", 1),
    ]


def test_mappings_are_copies_a_caller_cannot_change_the_view_through() -> None:
    # GIVEN a rendered view holding a nested mapping
    view = _View(failure_reason="boom")
    rendered = structure(view, "campaignConfig failureReason")
    # WHEN the caller changes what it got
    rendered["campaignConfig"]["sync"]["deep"] = False
    # THEN the view is unchanged, and a present failure reason is rendered
    assert view.campaign_config == {"sync": {"deep": True}}
    assert rendered["failureReason"] == "boom"
