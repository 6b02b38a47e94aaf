"""The record of a retraining: ``receipts/<job>.models.json`` (written once, first) and its
"models" event (published after it, from it: :func:`record` says why).

Written when the tracker's rounds ended (:func:`record`), and also when a retraining that a
receipt promised cannot run (:func:`not_retrained`): the first job's receipt names the models
receipt of its follow-up job, so when that follow-up never ends, the promised record still says
what happened to the models, and why.
"""

from __future__ import annotations

import logging
from typing import Any

from .layout import models_receipt_key, models_receipt_uri
from .notifications import (
    MODELS_DETAIL_TYPE,
    MODELS_NOT_RETRAINED,
    MODELS_RETRAINED,
    NOT_RETRAINED,
    bounded_reason,
    scope_field,
    stack_name,
)
from .outcome import JobRecord
from .services import Services
from .state import iso

LOGGER = logging.getLogger(__name__)
MODELS_RECEIPT_VERSION = 2
"""2: ``caveat`` and ``unlistedServing`` added, and ``effectiveInModels`` false when either says
a model may still reflect the users (version 1 weighed only the retrained solutions)."""
RECORDED = (
    "outcome",
    "effectiveInModels",
    "caveat",
    "solutions",
    "unlistedServing",
    "recommenders",
    "startedAt",
    "finishedAt",
)
"""What a models receipt records of the retraining's state: the state returned is the stored
receipt's, so the execution's output never says other than the receipt."""
RECOMMENDERS_NOTE = (
    "recommenders retrain fully on their own every 7 days; the deletion reaches their "
    "recommendations after their next automatic retraining"
)


def record(state: dict[str, Any], record: JobRecord, services: Services) -> dict[str, Any]:
    """Write the models receipt (once), then publish its "models retrained" event and count
    it; return the state as the receipt records it.

    The receipt is written first, so that an event never announces a receipt that does not
    stand: a write that fails on every attempt of a round leaves no event, and the receipt
    RetrainStopped then writes is the only one announced. A receipt this execution wrote
    already (``trackedBy``) may be one whose event did not go out (the publish failed, or the
    invocation ended, after the write): its event is published again, built from the stored
    receipt, so it goes out at least once and always says what the receipt says (a repeat is
    possible, as EventBridge delivers at least once anyway). A receipt another execution wrote
    was announced by it: nothing is published again."""
    request = record.request
    receipt = {
        "version": MODELS_RECEIPT_VERSION,
        "requestName": request.request_name,
        "jobName": record.job_name,
        "datasetGroupArn": request.dataset_group_arn,
        "outcome": state["outcome"],
        "effectiveInModels": state["effectiveInModels"],
        "caveat": state.get("caveat"),
        "solutions": state["solutions"],
        "unlistedServing": state.get("unlistedServing"),
        "recommenders": state["recommenders"],
        "recommendersNote": RECOMMENDERS_NOTE if state["recommenders"] else None,
        "startedAt": state["startedAt"],
        "finishedAt": state["finishedAt"],
        "trackedBy": record.tracked_by,
        "stackId": record.origin.stack_id,
    }
    key = models_receipt_key(record.job_name)
    stored = services.storage.read_json(request.bucket, key)
    if stored is None and services.storage.put_json_once(request.bucket, key, receipt):
        stored = receipt
    elif stored is None:  # written concurrently: its writer announces it
        stored = services.storage.read_json(request.bucket, key) or receipt
    recorded = {**state, **{k: stored.get(k) for k in RECORDED}}
    if stored.get("trackedBy") != record.tracked_by:
        LOGGER.info("retraining recorded before", extra={"job_name": record.job_name})
        return recorded
    _announce(stored, record, services)
    LOGGER.info(
        "retraining recorded", extra={"job_name": record.job_name, "outcome": stored["outcome"]}
    )
    return recorded


def _announce(receipt: dict[str, Any], record: JobRecord, services: Services) -> None:
    """The "models retrained" event and metric of a stored models receipt."""
    request = record.request
    detail = {
        **{k: receipt[k] for k in ("requestName", "jobName", "datasetGroupArn", "stackId")},
        "status": receipt["outcome"],
        "effectiveInModels": receipt["effectiveInModels"],
        "solutions": [
            {k: s[k] for k in ("solutionArn", "versionArn", "status")} for s in receipt["solutions"]
        ],
        "receiptUri": models_receipt_uri(request.bucket, record.job_name),
        "caveat": bounded_reason(receipt.get("caveat")),
        **scope_field(request.scope_id),
    }
    services.notifier.publish(detail, detail_type=MODELS_DETAIL_TYPE)
    services.notifier.count(
        MODELS_RETRAINED if receipt["effectiveInModels"] else MODELS_NOT_RETRAINED,
        stack_name(record.origin.stack_id),
        int(services.clock() * 1000),
    )


def not_retrained(job: JobRecord, why: str, services: Services) -> dict[str, Any]:
    """Record that nothing was retrained (``NOT_RETRAINED``) and why; return the state."""
    now = iso(services.clock())
    state = {
        "requested": True,
        "done": True,
        "outcome": NOT_RETRAINED,
        "effectiveInModels": False,
        "caveat": why,
        "solutions": [],
        "unlistedServing": None,
        "recommenders": None,
        "startedAt": now,
        "finishedAt": now,
    }
    return record(state, job, services)
