"""Frozen snapshots of solution versions and campaigns, in the service's response shapes.

What tests observe and what Describe/List answers render, as of the double time they were
taken; the records they are made from live in :mod:`.resources`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .resources import CREATE_STATUSES, CampaignRecord, VersionRecord
from .shapes import structure


@dataclass(frozen=True, kw_only=True)
class RunView:
    """What every snapshot says of its resource's progress at double time (a job's, a
    version's, a campaign's or its update's): the members every Describe and List carries."""

    status: str
    creation_date_time: float
    last_updated_date_time: float
    failure_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class SolutionVersionView(RunView):
    """Snapshot of a solution version as the service would describe it at double time."""

    solution_version_arn: str
    name: str | None
    solution_arn: str
    dataset_group_arn: str
    recipe_arn: str
    solution_config: Mapping[str, Any]
    training_mode: str
    training_type: str
    tags: tuple[Mapping[str, str], ...]
    training_hours: float | None

    def to_summary(self) -> dict[str, Any]:
        """The ``SolutionVersionSummary`` of ListSolutionVersions / latestSolutionVersion."""
        return structure(
            self,
            "solutionVersionArn status trainingMode trainingType creationDateTime"
            " lastUpdatedDateTime failureReason",
        )

    def to_description(self) -> dict[str, Any]:
        """The ``SolutionVersion`` structure of DescribeSolutionVersion.

        ``trainingHours`` only for ACTIVE versions ("visible only after Amazon Personalize
        successfully trains a model"), ``failureReason`` only for CREATE FAILED ones, no
        ``solutionConfig`` for a solution created without one.
        """
        return structure(
            self,
            "name solutionVersionArn solutionArn performHPO performAutoML recipeArn"
            " datasetGroupArn solutionConfig trainingHours trainingMode status failureReason"
            " creationDateTime lastUpdatedDateTime trainingType",
            performHPO=False,
            performAutoML=False,
            solutionConfig=self.solution_config or None,
        )


@dataclass(frozen=True, kw_only=True)
class CampaignUpdateView(RunView):
    """Snapshot of a campaign's latest UpdateCampaign (``latestCampaignUpdate``)."""

    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: Mapping[str, Any]

    def to_summary(self) -> dict[str, Any]:
        """The ``CampaignUpdateSummary`` structure."""
        return structure(
            self,
            "solutionVersionArn minProvisionedTPS campaignConfig status failureReason"
            " creationDateTime lastUpdatedDateTime",
        )


@dataclass(frozen=True, kw_only=True)
class CampaignView(RunView):
    """Snapshot of a campaign at double time: what it *serves* plus its latest update.

    ``solution_version_arn``, ``min_provisioned_tps`` and ``campaign_config`` change only
    when an update reaches ACTIVE: "The campaign will use the previous solution version and
    campaign configuration to generate recommendations until the latest campaign update
    status is Active."
    """

    campaign_arn: str
    name: str
    solution_arn: str
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: Mapping[str, Any]
    latest_update: CampaignUpdateView | None

    @property
    def sync_with_latest(self) -> bool:
        """``campaignConfig.syncWithLatestSolutionVersion`` of the serving configuration."""
        return bool(self.campaign_config.get("syncWithLatestSolutionVersion", False))

    def to_summary(self) -> dict[str, Any]:
        """The ``CampaignSummary`` structure of ListCampaigns."""
        return structure(self, "name campaignArn status creationDateTime lastUpdatedDateTime")

    def to_description(self) -> dict[str, Any]:
        """The ``Campaign`` structure of DescribeCampaign.

        "The latestCampaignUpdate field is only returned when the campaign has had at least
        one UpdateCampaign call."
        """
        update = self.latest_update
        return structure(
            self,
            "name campaignArn solutionVersionArn minProvisionedTPS campaignConfig status"
            " creationDateTime lastUpdatedDateTime latestCampaignUpdate",
            latestCampaignUpdate=None if update is None else update.to_summary(),
        )


def version_view(version: VersionRecord, now: float) -> SolutionVersionView:
    """A solution version as the service would describe it at double time ``now``."""
    progress = version.progress(now)
    solution = version.solution
    return SolutionVersionView(
        **progress,
        solution_version_arn=version.arn,
        name=version.name,
        solution_arn=solution.arn,
        dataset_group_arn=solution.dataset_group_arn,
        recipe_arn=solution.recipe_arn,
        solution_config=solution.solution_config,
        training_mode=version.training_mode,
        training_type=version.training_type,
        tags=version.tags,
        training_hours=version.run.run_seconds / 3600 if progress["status"] == "ACTIVE" else None,
    )


def campaign_view(
    campaign: CampaignRecord, now: float, solution_of: Callable[[str], str]
) -> CampaignView:
    """A campaign at double time ``now``: what its ACTIVE updates made it serve, plus its
    latest update; ``solution_of`` names the solution of a version ARN."""
    serving = (campaign.solution_version_arn, campaign.min_provisioned_tps)
    config, updated = campaign.campaign_config, campaign.created_at
    latest: CampaignUpdateView | None = None
    for update in campaign.updates:
        progress = update.run.progress(now, CREATE_STATUSES)
        if progress["status"] == "ACTIVE":
            serving = (update.solution_version_arn, update.min_provisioned_tps)
            config, updated = update.campaign_config, progress["last_updated_date_time"]
        latest = CampaignUpdateView(
            **progress,
            solution_version_arn=update.solution_version_arn,
            min_provisioned_tps=update.min_provisioned_tps,
            campaign_config=copy.deepcopy(update.campaign_config),
        )
    return CampaignView(
        campaign_arn=campaign.arn,
        name=campaign.name,
        solution_arn=solution_of(serving[0]),
        solution_version_arn=serving[0],
        min_provisioned_tps=serving[1],
        campaign_config=copy.deepcopy(config),
        status="ACTIVE",
        creation_date_time=campaign.created_at,
        last_updated_date_time=updated,
        latest_update=latest,
    )
