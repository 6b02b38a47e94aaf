"""One round of retraining for one solution and its campaigns, and what serves which model.

Every Personalize call here is about one solution or one campaign, and its failure is that
resource's, never the round's: a solution or campaign deleted meanwhile, or a call refused for
good, is recorded on it (by ARN) and the others go on; a limit or a transient fault leaves it as
it was, to be tried again at the next round (until the retraining's own limit, ``giveUpAt``).

A campaign is never moved to a version older than the one it serves: a version created after
this retraining's (by the team, say) is kept; so is anything a later run of the tracker finds.

A round that may not act (past the retraining's limit, or recording a retraining whose step
failed for good) reads with ``read_only``: the same reads and the same statuses, but nothing is
trained or moved, and a read that fails is raised to the caller, which says what is unknown
(:mod:`.retraining_observed`), rather than recorded as a refusal of something never asked.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from .models import ACTIVE_STATUSES, ModelCallRefused
from .personalize_api import TransientFault
from .properties import DeletionRequest
from .state import parse_iso

LOGGER = logging.getLogger(__name__)
ACTIVE = "ACTIVE"
FAILED = "CREATE FAILED"
STOPPED = "CREATE STOPPED"
"""A version stopped by StopSolutionVersionCreation: "You cannot resume creating a solution
version once it has been stopped", so it never becomes ACTIVE (CREATE STOPPING, before it, is
still running)."""
NOT_IN_GROUP = "NOT IN THE DATASET GROUP"
DELETED = "DELETED"
"""A solution or campaign that no longer exists (deleted while retraining ran)."""
REFUSED = "REFUSED"
"""Personalize refused the call for good (its message is recorded)."""
WAITING_TO_TRAIN = (
    "WAITING (another version of the solution is training, or the account's limit of "
    "concurrent trainings is reached)"
)
WAITING_FOR_DELETIONS = "WAITING (until no other data deletion job of the dataset group runs)"
"""Not trained yet: the guide advises against training while a deletion job runs."""
ENDED = (ACTIVE, FAILED, STOPPED, NOT_IN_GROUP, DELETED, REFUSED)
"""Solution states after which nothing more happens to it."""
SOLUTION_FAILURES = (FAILED, STOPPED, NOT_IN_GROUP, DELETED, REFUSED)
FOLLOWS_LATEST = "FOLLOWS LATEST"
LEFT = "LEFT AS IT IS"
NOT_UPDATED = "NOT UPDATED"
SERVES_NEWER = "SERVES A NEWER VERSION"
SERVES_NEWER_UPDATE = "SERVES A NEWER UPDATE-MODE VERSION"
"""Left as it is (never moved back), but not counted as serving a model trained after the
deletion: an ``UPDATE`` version is incremental from the model before it."""
MOVED_BACK = "MOVED BACK TO A MODEL TRAINED BEFORE THE DELETION"
"""Served a retrained model during the retraining, but no longer when it ended (rolled back by
the team, say): read again at the end (:func:`.retraining_observed.moved_back`)."""
CAMPAIGN_FAILURES = (FAILED, DELETED, REFUSED)
CAMPAIGN_ENDED = (
    ACTIVE,
    FOLLOWS_LATEST,
    LEFT,
    NOT_UPDATED,
    SERVES_NEWER,
    SERVES_NEWER_UPDATE,
    MOVED_BACK,
    *CAMPAIGN_FAILURES,
)
SERVES_RETRAINED = (ACTIVE, FOLLOWS_LATEST, SERVES_NEWER)
"""Campaign states in which it serves a model trained after the deletion."""
LATEST = "/$LATEST"
BEING_UPDATED = "being updated to the new version"


def planned(solution_arn: str, models: Any, *, read_only: bool = False) -> dict[str, Any]:
    """A solution of the group, before anything was started for it (``read_only``: a refused
    listing of its campaigns is raised, since something may have been started for it)."""
    solution: dict[str, Any] = {
        "solutionArn": solution_arn,
        "versionArn": None,
        "status": "NOT STARTED",
        "failureReason": None,
        "campaigns": [],
    }
    try:
        campaigns = models.campaigns(solution_arn)
    except ModelCallRefused as exc:
        if read_only:
            raise
        return _refused(solution, exc, "solution", solution_arn)
    solution["campaigns"] = [
        {"campaignArn": campaign, "action": None, "status": None} for campaign in campaigns
    ]
    return solution


def outside(solution_arn: str, dataset_group_arn: str) -> dict[str, Any]:
    """A listed solution the dataset group does not have: training it would cost hours and
    change nothing about this deletion (its data is another group's)."""
    return {
        "solutionArn": solution_arn,
        "versionArn": None,
        "status": NOT_IN_GROUP,
        "failureReason": (
            f"solution {solution_arn} is not in dataset group {dataset_group_arn}: a deletion "
            "there does not change its data, so it was not retrained; list only the group's "
            "solutions in RetrainSolutions"
        ),
        "campaigns": [],
    }


def advance_solution(
    solution: dict[str, Any],
    request: DeletionRequest,
    job_name: str,
    models: Any,
    *,
    may_train: bool = True,
    read_only: bool = False,
) -> dict[str, Any]:
    """Start its training (when ``may_train``: no other deletion job of the group runs), read
    it, and once ACTIVE move its campaigns to it. With ``read_only``, only read: a solution
    without a version is left as it is, and a failed read (but a deletion) is raised."""
    if solution_ended(solution) or (read_only and solution["versionArn"] is None):
        return solution
    if solution["versionArn"] is None and not may_train:
        solution["status"] = WAITING_FOR_DELETIONS
        return solution
    try:
        if solution["versionArn"] is None:
            version_arn = models.train(solution["solutionArn"], name=job_name)
            if version_arn is None:
                solution["status"] = WAITING_TO_TRAIN
                return solution
            solution["versionArn"] = version_arn
        version = models.version(solution["versionArn"])
    except ModelCallRefused as exc:
        if read_only and not exc.not_found:
            raise
        if solution["versionArn"] is None:
            return _refused(solution, exc, "solution", solution["solutionArn"])
        return _refused(solution, exc, "solution version", solution["versionArn"])
    except TransientFault as exc:
        if read_only:
            raise
        _wait(solution["solutionArn"], exc)
        return solution
    solution["status"] = version.get("status", "UNKNOWN")
    solution["failureReason"] = version.get("failureReason")
    if solution["status"] == FAILED:
        for campaign in solution["campaigns"]:
            campaign.update(action="not updated: the new version failed", status=NOT_UPDATED)
    elif solution["status"] == STOPPED:
        solution["failureReason"] = (
            f"its new version {solution['versionArn']} was stopped (StopSolutionVersionCreation) "
            "before its training ended, and a stopped version is never resumed: the solution was "
            "not retrained; train a new version of it and update its campaigns"
        )
        for campaign in solution["campaigns"]:
            campaign.update(
                action="not updated: the new version was stopped before it was trained",
                status=NOT_UPDATED,
            )
    elif solution["status"] == ACTIVE:
        created = timestamp(version.get("creationDateTime"))
        solution["campaigns"] = [
            _advance_campaign(dict(c), solution["versionArn"], created, request, models, read_only)
            for c in solution["campaigns"]
        ]
    return solution


def to_train(solution: dict[str, Any]) -> bool:
    """Whether a training is still to be started for it."""
    return solution["versionArn"] is None and solution["status"] not in ENDED


def solution_ended(solution: dict[str, Any]) -> bool:
    return solution["status"] in ENDED and all(
        c["status"] in CAMPAIGN_ENDED for c in solution["campaigns"]
    )


def _advance_campaign(
    campaign: dict[str, Any],
    version_arn: str,
    version_created: float | None,
    request: DeletionRequest,
    models: Any,
    read_only: bool = False,
) -> dict[str, Any]:
    if campaign["status"] in CAMPAIGN_ENDED:
        return campaign
    arn = campaign["campaignArn"]
    try:
        return _point(campaign, version_arn, version_created, request, models, read_only)
    except ModelCallRefused as exc:
        if read_only and not exc.not_found:
            raise
        if exc.not_found:
            campaign.update(
                action=f"not updated: campaign {arn} no longer exists ({exc.operation}: "
                f"{exc.code}); it serves nothing",
                status=DELETED,
            )
        else:
            campaign.update(action=f"not updated: {exc}", status=REFUSED)
    except TransientFault as exc:
        if read_only:
            raise
        _wait(arn, exc)
    return campaign


def _point(
    campaign: dict[str, Any],
    version_arn: str,
    version_created: float | None,
    request: DeletionRequest,
    models: Any,
    read_only: bool = False,
) -> dict[str, Any]:
    """Move the campaign to the new version unless it follows the latest on its own, is left
    as it is, is already on its way there, or serves a newer one. ``read_only`` moves nothing:
    a campaign that would be moved keeps its status (not ended), for the caller to record."""
    described = models.campaign(campaign["campaignArn"])
    if (described.get("campaignConfig") or {}).get("syncWithLatestSolutionVersion"):
        campaign.update(action="follows the latest version on its own", status=FOLLOWS_LATEST)
        return campaign
    if not request.update_campaigns:
        campaign.update(action="left as it is (UpdateCampaigns is false)", status=LEFT)
        return campaign
    update = described.get("latestCampaignUpdate") or {}
    serving = described.get("solutionVersionArn") or ""
    if update.get("solutionVersionArn") == version_arn or (serving == version_arn and not update):
        return _update_to(campaign, update, serving)
    if update.get("status") in ACTIVE_STATUSES:
        campaign.update(action="waiting for an earlier update", status="WAITING")
        return campaign
    newer = _newer(serving, version_created, models)
    if newer is not None:
        if newer.get("trainingMode") == "UPDATE":
            campaign.update(
                action=(
                    f"left as it is (never moved back): it serves {serving}, created after the "
                    "new version but trained in trainingMode UPDATE, incremental from the model "
                    "before it, so it may still reflect the users"
                ),
                status=SERVES_NEWER_UPDATE,
            )
        else:
            campaign.update(
                action=f"left as it is: it serves {serving}, created after the new version",
                status=SERVES_NEWER,
            )
        return campaign
    if not read_only and models.point_campaign(campaign["campaignArn"], version_arn):
        campaign.update(action=BEING_UPDATED, status="CREATE PENDING")
    return campaign


def _update_to(campaign: dict[str, Any], update: dict[str, Any], serving: str) -> dict[str, Any]:
    """The campaign's update to the new version as its status says it went: the action text
    never says more than the status (an auditor reads "updated" as "serves the new model")."""
    status = update.get("status", ACTIVE)
    if status == ACTIVE:
        action = "updated to the new version"
    elif status == FAILED:
        reason = update.get("failureReason") or "Personalize gave no reason"
        action = (
            f"not updated: its update to the new version failed ({reason}); it still serves "
            f"{serving or 'the version it served before'}"
        )
    else:
        action = BEING_UPDATED
    campaign.update(action=action, status=status)
    return campaign


def _newer(serving: str, than: float | None, models: Any) -> dict[str, Any] | None:
    """The campaign's version, described, if it was created after ``than``: a campaign is
    never moved back to an older version. Whether it counts as serving a model trained after
    the deletion is the caller's (an ``UPDATE`` version does not: :func:`trained_after`)."""
    if not serving or serving.endswith(LATEST) or than is None:
        return None
    try:
        version = models.version(serving)
    except ModelCallRefused as exc:
        if exc.not_found:
            return None
        raise
    created = timestamp(version.get("creationDateTime"))
    return version if created is not None and created > than else None


def trained_after(version: dict[str, Any], than: float) -> bool:
    """Whether a described solution version is a model trained after ``than``.

    Created after it is not enough: a version trained in ``trainingMode`` ``UPDATE`` is not a
    full retraining (CreateSolutionVersion: it processes only the data changed since the
    latest training, on top of the model before it), so it may still be the pre-deletion model
    and is never counted as trained after the deletion, nor as newer than a retrained one."""
    if version.get("trainingMode") == "UPDATE":
        return False
    created = timestamp(version.get("creationDateTime"))
    return created is not None and created > than


def _refused(
    solution: dict[str, Any], exc: ModelCallRefused, what: str, arn: str
) -> dict[str, Any]:
    if exc.not_found:
        status = DELETED
        reason = (
            f"{what} {arn} no longer exists ({exc.operation}: {exc.code}): it was deleted "
            "during retraining, so it was not retrained"
        )
    else:
        status, reason = REFUSED, f"{exc}; it was not retrained"
    solution.update(status=status, failureReason=reason)
    for campaign in solution["campaigns"]:
        if campaign["status"] not in CAMPAIGN_ENDED:
            campaign.update(action=f"not updated: the {what} is {status}", status=NOT_UPDATED)
    return solution


def _wait(arn: str, exc: TransientFault) -> None:
    LOGGER.warning("retraining waits: try again next round", extra={"arn": arn, "error": str(exc)})


def timestamp(value: Any) -> float | None:
    """``creationDateTime`` as boto3 parses it (a datetime), or an ISO string or a number."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        return parse_iso(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
