"""After a COMPLETED deletion: retrain, so that the models forget the users too.

The Personalize guide's data deletion page: a completed job removes the users from the datasets,
but models still reflect them until retrained; create a new solution version for each custom
solution and update the campaigns that serve it (a campaign created with
``syncWithLatestSolutionVersion`` follows new versions on its own). Recommenders (domain dataset
groups) retrain fully on their own every 7 days.

Opt-in per request (``Retrain``: ALL solutions of the dataset group, or a LIST). The tracker runs
:func:`advance` every interval until everything it started has ended, then :func:`record` writes
``receipts/<job>.models.json`` once and publishes one "models retrained" event. Training hours
are billed by Personalize.
"""

from __future__ import annotations

import logging
from typing import Any

from .layout import models_receipt_key, models_receipt_uri
from .models import ACTIVE_STATUSES
from .notifications import (
    MODELS_DETAIL_TYPE,
    MODELS_NOT_RETRAINED,
    MODELS_RETRAINED,
    RETRAINED,
    RETRAINING_FAILED,
    RETRAINING_STUCK,
    scope_field,
    stack_name,
)
from .outcome import JobRecord
from .properties import RETRAIN_ALL, RETRAIN_NONE, DeletionRequest
from .services import Services
from .state import iso, parse_iso

LOGGER = logging.getLogger(__name__)
ACTIVE = "ACTIVE"
FAILED = "CREATE FAILED"
NOT_IN_GROUP = "NOT IN THE DATASET GROUP"
ENDED = (ACTIVE, FAILED, NOT_IN_GROUP)
"""Solution states after which nothing more happens to it."""
RECOMMENDERS_NOTE = (
    "recommenders retrain fully on their own every 7 days; the deletion reaches their "
    "recommendations after their next automatic retraining"
)


def plan(request: DeletionRequest, now: float, timeout_seconds: int) -> dict[str, Any]:
    """What the finish step hands to the tracker: retraining asked for, nothing started yet."""
    if request.retrain == RETRAIN_NONE:
        return {"requested": False}
    return {
        "requested": True,
        "policy": request.retrain,
        "startedAt": iso(now),
        "giveUpAt": iso(now + timeout_seconds),
        "solutions": None,
        "recommenders": None,
        "done": False,
    }


def advance(
    state: dict[str, Any], request: DeletionRequest, job_name: str, services: Services
) -> dict[str, Any]:
    """One round: start what can start, read what runs, decide whether all has ended."""
    models = services.models
    state = dict(state)
    if state["solutions"] is None:
        in_group = models.solutions(request.dataset_group_arn)
        targets = in_group if request.retrain == RETRAIN_ALL else list(request.retrain_solutions)
        state["solutions"] = [
            _planned(solution, models)
            if solution in in_group
            else _outside(solution, request.dataset_group_arn)
            for solution in targets
        ]
        state["recommenders"] = models.recommenders(request.dataset_group_arn)
    solutions = [_advance_solution(dict(s), request, job_name, models) for s in state["solutions"]]
    state["solutions"] = solutions
    ended = all(_solution_ended(solution) for solution in solutions)
    out_of_time = services.clock() >= parse_iso(state["giveUpAt"])
    if ended or out_of_time:
        failed = any(
            solution["status"] in (FAILED, NOT_IN_GROUP)
            or any(c["status"] == FAILED for c in solution["campaigns"])
            for solution in solutions
        )
        state["done"] = True
        state["finishedAt"] = iso(services.clock())
        state["outcome"] = (
            RETRAINING_STUCK if not ended else (RETRAINING_FAILED if failed else RETRAINED)
        )
        # Effective once every model that serves recommendations reflects the deletion:
        # campaigns updated or following the latest version; recommenders only after their
        # own next weekly retraining, so not yet.
        state["effectiveInModels"] = (
            state["outcome"] == RETRAINED
            and not state["recommenders"]
            and all(
                c["status"] in (ACTIVE, "FOLLOWS LATEST")
                for solution in solutions
                for c in solution["campaigns"]
            )
        )
    return state


def record(state: dict[str, Any], record: JobRecord, services: Services) -> dict[str, Any]:
    """Write the models receipt (once) and publish the "models retrained" event."""
    request = record.request
    receipt = {
        "version": 1,
        "requestName": request.request_name,
        "jobName": record.job_name,
        "datasetGroupArn": request.dataset_group_arn,
        "outcome": state["outcome"],
        "effectiveInModels": state["effectiveInModels"],
        "solutions": state["solutions"],
        "recommenders": state["recommenders"],
        "recommendersNote": RECOMMENDERS_NOTE if state["recommenders"] else None,
        "startedAt": state["startedAt"],
        "finishedAt": state["finishedAt"],
        "trackedBy": record.tracked_by,
        "stackId": record.origin.stack_id,
    }
    key = models_receipt_key(record.job_name)
    if services.storage.read_json(request.bucket, key) is not None:
        return state
    detail = {
        **{k: receipt[k] for k in ("requestName", "jobName", "datasetGroupArn", "stackId")},
        "status": state["outcome"],
        "effectiveInModels": state["effectiveInModels"],
        "solutions": [
            {k: s[k] for k in ("solutionArn", "versionArn", "status")} for s in state["solutions"]
        ],
        "receiptUri": models_receipt_uri(request.bucket, record.job_name),
        **scope_field(request.scope_id),
    }
    services.notifier.publish(detail, detail_type=MODELS_DETAIL_TYPE)
    services.notifier.count(
        MODELS_RETRAINED if state["effectiveInModels"] else MODELS_NOT_RETRAINED,
        stack_name(record.origin.stack_id),
        int(services.clock() * 1000),
    )
    services.storage.put_json_once(request.bucket, key, receipt)
    LOGGER.info(
        "retraining recorded", extra={"job_name": record.job_name, "outcome": state["outcome"]}
    )
    return state


def _planned(solution_arn: str, models: Any) -> dict[str, Any]:
    return {
        "solutionArn": solution_arn,
        "versionArn": None,
        "status": "NOT STARTED",
        "failureReason": None,
        "campaigns": [
            {"campaignArn": campaign, "action": None, "status": None}
            for campaign in models.campaigns(solution_arn)
        ],
    }


def _outside(solution_arn: str, dataset_group_arn: str) -> dict[str, Any]:
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


def _advance_solution(
    solution: dict[str, Any], request: DeletionRequest, job_name: str, models: Any
) -> dict[str, Any]:
    if solution["status"] in ENDED and _campaigns_ended(solution):
        return solution
    if solution["versionArn"] is None:
        version_arn = models.train(solution["solutionArn"], name=job_name)
        if version_arn is None:
            solution["status"] = "WAITING (another version of the solution is training)"
            return solution
        solution["versionArn"] = version_arn
    version = models.version(solution["versionArn"])
    solution["status"] = version.get("status", "UNKNOWN")
    solution["failureReason"] = version.get("failureReason")
    if solution["status"] == FAILED:
        for campaign in solution["campaigns"]:
            campaign.update(action="not updated: the new version failed", status="NOT UPDATED")
    elif solution["status"] == ACTIVE:
        solution["campaigns"] = [
            _advance_campaign(dict(c), solution["versionArn"], request, models)
            for c in solution["campaigns"]
        ]
    return solution


def _advance_campaign(
    campaign: dict[str, Any], version_arn: str, request: DeletionRequest, models: Any
) -> dict[str, Any]:
    if campaign["status"] in (ACTIVE, "FOLLOWS LATEST", "LEFT AS IT IS", FAILED):
        return campaign
    described = models.campaign(campaign["campaignArn"])
    if (described.get("campaignConfig") or {}).get("syncWithLatestSolutionVersion"):
        campaign.update(action="follows the latest version on its own", status="FOLLOWS LATEST")
        return campaign
    if not request.update_campaigns:
        campaign.update(action="left as it is (UpdateCampaigns is false)", status="LEFT AS IT IS")
        return campaign
    update = described.get("latestCampaignUpdate") or {}
    if update.get("solutionVersionArn") == version_arn or (
        described.get("solutionVersionArn") == version_arn and not update
    ):
        campaign.update(action="updated to the new version", status=update.get("status", ACTIVE))
        return campaign
    if update.get("status") in ACTIVE_STATUSES:
        campaign.update(action="waiting for an earlier update", status="WAITING")
        return campaign
    if models.point_campaign(campaign["campaignArn"], version_arn):
        campaign.update(action="updated to the new version", status="CREATE PENDING")
    return campaign


def _campaigns_ended(solution: dict[str, Any]) -> bool:
    return all(
        c["status"] in (ACTIVE, "FOLLOWS LATEST", "LEFT AS IT IS", FAILED, "NOT UPDATED")
        for c in solution["campaigns"]
    )


def _solution_ended(solution: dict[str, Any]) -> bool:
    return solution["status"] in ENDED and _campaigns_ended(solution)
