"""What a retraining did and what serves which model, read without acting.

Two rounds may not act: the one that finds the retraining's limit passed (a training it started
then would be followed by nobody, and its campaigns never moved), and RetrainStopped, which
records a retraining whose step failed for good. Step Functions hands RetrainStopped the state
of the last round that *succeeded*; the attempts that failed after it may still have started a
training (named after the job) or moved a campaign (an invocation that timed out after
UpdateCampaign), so a receipt written from that state would claim less than was done to
production models. :func:`observe` reads again what may have changed, with the round's own
reading code in its read-only mode (:func:`.retraining_models.advance_solution`): nothing is
trained or moved, and what cannot be read is named as unknown, never guessed.
:func:`leave_undone` then marks and names what the retraining did not do.

Also here, because they are readings too, both made when the retraining ends: which planned
campaigns no longer serve a retrained model (:func:`moved_back`), and which campaigns outside
the plan serve a model trained before the deletion (:func:`unlisted_serving`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .models import ACTIVE_STATUSES, ModelCallRefused
from .personalize_api import TransientFault
from .preflight import MAX_LISTED
from .properties import DeletionRequest
from .retraining_models import (
    ACTIVE,
    CAMPAIGN_ENDED,
    ENDED,
    FOLLOWS_LATEST,
    LATEST,
    MOVED_BACK,
    NOT_UPDATED,
    SERVES_RETRAINED,
    WAITING_FOR_DELETIONS,
    advance_solution,
    to_train,
    trained_after,
)
from .state import parse_iso


def observe(
    solutions: list[dict[str, Any]],
    request: DeletionRequest,
    job_name: str,
    models: Any,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each solution read again, read only: the version a failed attempt may have started
    (named after the job, by whichever execution: a re-track's plan is younger than what an
    earlier execution trained), its status, and its campaigns' (what they serve, their latest
    update). A solution whose reads fail is kept as the state had it and named, with the
    error, in the second result (unknown)."""
    observed, unknown = [], {}
    for solution in solutions:
        kept = {**solution, "campaigns": [dict(c) for c in solution["campaigns"]]}
        current = {**kept, "campaigns": [dict(c) for c in kept["campaigns"]]}
        try:
            if to_train(current):
                found = models.version_named(current["solutionArn"], job_name)
                if found is not None:
                    current["versionArn"] = found
            current = advance_solution(current, request, job_name, models, read_only=True)
            if current["versionArn"] and current["status"] not in ENDED:
                _syncing(current["campaigns"], models)
        except (ModelCallRefused, TransientFault) as exc:
            observed.append(kept)
            unknown[solution["solutionArn"]] = str(exc)
            continue
        observed.append(current)
    return observed, unknown


def _syncing(campaigns: list[dict[str, Any]], models: Any) -> None:
    """While the new version trains, the campaigns that follow the latest version on their own:
    nothing moves them, yet they will serve it once it is ACTIVE (never "not updated")."""
    for campaign in campaigns:
        if campaign["status"] is not None:
            continue
        try:
            config = models.campaign(campaign["campaignArn"]).get("campaignConfig") or {}
        except ModelCallRefused as exc:
            if exc.not_found:  # deleted meanwhile: recorded as not updated
                continue
            raise
        if config.get("syncWithLatestSolutionVersion"):
            campaign.update(
                action="follows the latest version on its own: it serves the new version once "
                "that is ACTIVE",
                status=FOLLOWS_LATEST,
            )


def leave_undone(
    solutions: list[dict[str, Any]], why: str, *, waited: bool, unread: Collection[str] = ()
) -> str | None:
    """What a retraining that may act no more leaves undone: every campaign it did not move
    is marked ``NOT UPDATED`` with ``why`` (an update already under way keeps its status: it
    ends on its own), and the solutions not trained, the versions still training and the
    campaigns not moved or still being updated are named. ``waited``: the solutions marked as
    waiting for other deletion jobs are named by the caveat that says so, not here; the
    solutions in ``unread`` (what was done to them is unknown) by the caveat that says that."""
    not_trained, training, not_moved, moving = [], [], [], []
    for solution in solutions:
        arn, status = solution["solutionArn"], solution["status"]
        if arn in unread:
            continue
        if solution["versionArn"] is None and status not in ENDED:
            if not (waited and status == WAITING_FOR_DELETIONS):
                not_trained.append(arn)
        elif status not in ENDED:
            training.append(solution["versionArn"])
        for campaign in solution["campaigns"]:
            if campaign["status"] in ACTIVE_STATUSES:
                moving.append(campaign["campaignArn"])
            elif campaign["status"] not in CAMPAIGN_ENDED:
                if status == ACTIVE:
                    not_moved.append(campaign["campaignArn"])
                campaign.update(action=f"not updated: {why}", status=NOT_UPDATED)
    parts = [
        (not_trained, "solution(s) not trained"),
        (training, "new version(s) still training, to which no campaign was moved"),
        (not_moved, "campaign(s) not moved to their solution's new version"),
        (moving, "campaign(s) still being updated to their solution's new version"),
    ]
    said = [f"{len(arns)} {what} ({_named(arns)})" for arns, what in parts if arns]
    return "; ".join(said) or None


def moved_back(solutions: list[dict[str, Any]], deleted_at: float, models: Any) -> None:
    """Every planned campaign recorded as serving a retrained model, read again when the
    retraining ends: one recorded ACTIVE rounds earlier may have been moved back since (the
    team rolls back a model that "looks worse"), and the receipt must say what serves now, not
    what served then. One whose version (or the update under way) is not trained after the
    deletion is marked :data:`.retraining_models.MOVED_BACK`, which keeps the receipt from
    ``effectiveInModels``. A campaign deleted meanwhile serves nothing and is left as recorded;
    any other failed read is raised, for the caller to wait or say what is unknown."""
    for solution in solutions:
        for campaign in solution["campaigns"]:
            if campaign["status"] not in SERVES_RETRAINED:
                continue
            try:
                described = models.campaign(campaign["campaignArn"])
            except ModelCallRefused as exc:
                if exc.not_found:
                    continue
                raise
            update = described.get("latestCampaignUpdate") or {}
            serving = [described.get("solutionVersionArn") or ""]
            if update.get("status") in ACTIVE_STATUSES:
                serving.append(update.get("solutionVersionArn") or "")
            old = [
                v
                for v in serving
                if not _trained_after(v, solution["solutionArn"], deleted_at, models)
            ]
            if old:
                campaign.update(
                    action=f"moved back to {old[0] or 'no version'}, a model trained before the "
                    "deletion, after the retraining had moved it to a retrained one: it may "
                    "still reflect the deleted users",
                    status=MOVED_BACK,
                )


def unlisted_serving(
    solutions: list[dict[str, Any]], dataset_group_arn: str, deleted_at: float, models: Any
) -> list[dict[str, Any]]:
    """Campaigns of the group's solutions that are not in the plan and serve a version not
    trained after the deletion (created before it ended, or an ``UPDATE`` of an earlier model):
    models that may still reflect the deleted users. The campaigns are
    listed again when the retraining ends, so that those of solutions left out of a list and
    those created while it ran (on a model trained before the deletion, say) both count."""
    planned = {c["campaignArn"] for solution in solutions for c in solution["campaigns"]}
    found = []
    for solution_arn in models.solutions(dataset_group_arn):
        for campaign_arn in models.campaigns(solution_arn):
            if campaign_arn in planned:
                continue
            try:
                serving = models.campaign(campaign_arn).get("solutionVersionArn") or ""
            except ModelCallRefused as exc:
                if exc.not_found:  # deleted meanwhile: it serves nothing
                    continue
                raise
            if not _trained_after(serving, solution_arn, deleted_at, models):
                found.append(
                    {
                        "solutionArn": solution_arn,
                        "campaignArn": campaign_arn,
                        "solutionVersionArn": serving,
                    }
                )
    return found


def _trained_after(serving: str, solution_arn: str, deleted_at: float, models: Any) -> bool:
    """Whether the campaign's version is a model trained after the deletion (the rule of
    :func:`.retraining_models.trained_after`: an ``UPDATE`` version is not); for one that
    follows the latest version, the solution's latest ACTIVE version, described for its mode."""
    if serving.endswith(LATEST):
        active = [
            (parse_iso(version.created_at), version.arn)
            for version in models.versions(solution_arn)
            if version.status == ACTIVE and version.created_at
        ]
        if not active:
            return False
        serving = max(active)[1]
    if not serving:
        return False
    return trained_after(models.version(serving), deleted_at)


def _named(arns: list[str]) -> str:
    more = f" and {len(arns) - MAX_LISTED} more" if len(arns) > MAX_LISTED else ""
    return ", ".join(arns[:MAX_LISTED]) + more
