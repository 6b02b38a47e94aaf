"""The record of a retraining: ``receipts/<job>.models.json`` (once) and one "models" event.

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
RECOMMENDERS_NOTE = (
    "recommenders retrain fully on their own every 7 days; the deletion reaches their "
    "recommendations after their next automatic retraining"
)


def record(state: dict[str, Any], record: JobRecord, services: Services) -> dict[str, Any]:
    """Write the models receipt (once) and publish the "models retrained" event."""
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
        "caveat": bounded_reason(state.get("caveat")),
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
