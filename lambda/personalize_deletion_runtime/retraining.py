"""After a COMPLETED deletion: retrain, so that the models forget the users too.

The Personalize guide's data deletion page: a completed job removes the users from the datasets,
but models still reflect them until retrained; create a new solution version for each custom
solution and update the campaigns that serve it (a campaign created with
``syncWithLatestSolutionVersion`` follows new versions on its own). Recommenders (domain dataset
groups) retrain fully on their own every 7 days.

Opt-in per request (``Retrain``: ALL solutions of the dataset group, or a LIST). The tracker runs
:func:`advance` every interval until everything it started has ended, then :func:`record` writes
``receipts/<job>.models.json`` once and publishes one "models retrained" event. Training hours
are billed by Personalize. No training starts while another data deletion job of the dataset
group runs (the guide advises against training during one), and the models receipt never
claims more than the deletion receipt: what it found during the job limits the retraining too
(:func:`interference_caveat`).

A retraining is recorded once and never redone: once ``receipts/<job>.models.json`` exists, a
later run of the tracker for the same job (a re-adoption in another stack, an Update months
later) plans nothing and moves no campaign (:func:`start`). What a round does to each solution
and campaign, and how their failures stay theirs, is in :mod:`.retraining_models`; the receipt
and the event are written by :mod:`.retraining_record`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .layout import models_receipt_key, models_receipt_uri
from .models import ModelCallRefused
from .notifications import RETRAINED, RETRAINING_FAILED, RETRAINING_STUCK
from .personalize_api import TransientFault
from .preflight import MAX_LISTED
from .properties import RETRAIN_ALL, RETRAIN_LIST, RETRAIN_NONE, DeletionRequest
from .retraining_models import (
    CAMPAIGN_FAILURES,
    SERVES_RETRAINED,
    SOLUTION_FAILURES,
    WAITING_FOR_DELETIONS,
    advance_solution,
    outside,
    planned,
    solution_ended,
    to_train,
    unlisted_serving,
)
from .services import Services
from .state import iso, parse_iso

LOGGER = logging.getLogger(__name__)


def start(
    request: DeletionRequest,
    job_name: str,
    services: Services,
    *,
    deleted_at: str | None,
    caveat: str | None = None,
) -> dict[str, Any]:
    """What the finish step hands to the tracker: the plan, or nothing to do when the request
    asks for none or the retraining after ``job_name`` is recorded already (never redone)."""
    if request.retrain == RETRAIN_NONE:
        return {"requested": False}
    if services.storage.read_json(request.bucket, models_receipt_key(job_name)) is not None:
        LOGGER.info("retraining already recorded: not redone", extra={"job_name": job_name})
        return {"requested": False, "recorded": models_receipt_uri(request.bucket, job_name)}
    now = services.clock()
    return {
        **plan(request, now, services.tracking_timeout_seconds),
        "deletedAt": deleted_at or iso(now),
        "caveat": caveat,
    }


def interference_caveat(job_name: str, interference: Mapping[str, Any] | None) -> str | None:
    """What the deletion receipt's ``interference`` says that the models receipt must carry.

    An import or training that ran during the job is the guide's "we can't guarantee that the
    users' data will be deleted" case: the retraining then reads datasets it may have brought
    the users back into, so a retrained model may reflect them. A check that could not be made
    leaves that open, and so does a request with its pre-flight off (``None``: nothing was
    checked). Either way the models receipt says so (``caveat``) and is never
    ``effectiveInModels``; only a check that found nothing adds no caveat."""
    if interference is None:
        return (
            f"the pre-flight was off for job {job_name}, so whether an import or training ran "
            "while it ran was not checked: if one did, Personalize does not guarantee the "
            "deletion, and a retrained model may reflect users it brought back; check the "
            "dataset group's imports and trainings of that time, and if any ran, run another "
            "deletion job and retrain once they have ended"
        )
    if not interference.get("checked"):
        return (
            f"whether an import or training ran while job {job_name} ran is unknown (its "
            f"receipt's interference was not checked: {interference.get('why')}): if one did, "
            "Personalize does not guarantee the deletion, and a retrained model may reflect "
            "users it brought back; check the dataset group's imports and trainings of that "
            "time, and if any ran, run another deletion job and retrain once they have ended"
        )
    started = interference.get("started") or []
    if not started:
        return None
    return (
        f"the receipt of job {job_name} records {len(started)} import(s) or training(s) that "
        "started while the job ran (its interference): Personalize does not guarantee the "
        "users are deleted, and a retrained model may reflect users they brought back; run "
        "another deletion job once they have ended, then retrain"
    )


def plan(request: DeletionRequest, now: float, timeout_seconds: int) -> dict[str, Any]:
    """Retraining asked for, nothing started yet."""
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
    """One round: start what can start, read what runs, decide whether all has ended.

    A limit or a fault of a listing leaves the round to the next one; the retraining's own
    limit (``giveUpAt``) ends the waiting as ``RETRAINING_STUCK``. No training starts while
    another data deletion job of the group runs (:func:`_may_train`). Once the round has
    started a training or moved a campaign, a read Personalize refuses for good no longer
    fails it (its changes would be lost with it): the read's answer is recorded as unknown,
    the refusal in ``caveat``, and the outcome is ``RETRAINING_FAILED``."""
    models = services.models
    state = dict(state)
    out_of_time = services.clock() >= parse_iso(state["giveUpAt"])
    try:
        if state["solutions"] is None:
            state.update(_targets(request, models))
    except TransientFault as exc:
        LOGGER.warning("retraining waits to list the group", extra={"error": str(exc)})
        if not out_of_time:
            return state
        state.update(solutions=[], recommenders=[])
        _caveat(
            state,
            f"the dataset group's solutions could not be listed before the retraining's limit "
            f"({exc}): nothing was retrained; train new solution versions of the group's "
            "solutions and update their campaigns yourself",
        )
        return _done(state, RETRAINING_STUCK, None, services)
    may_train = _may_train(state, request, job_name, models)
    solutions = [
        advance_solution(dict(s), request, job_name, models, may_train=may_train)
        for s in state["solutions"]
    ]
    state["solutions"] = solutions
    ended = all(solution_ended(solution) for solution in solutions)
    if not ended:
        return _done(_waited(state), RETRAINING_STUCK, None, services) if out_of_time else state
    unlisted: list[dict[str, Any]] | None = []
    if request.retrain == RETRAIN_LIST:
        deleted_at = parse_iso(state.get("deletedAt") or state["startedAt"])
        try:
            unlisted = unlisted_serving(solutions, request.dataset_group_arn, deleted_at, models)
        except TransientFault as exc:
            LOGGER.warning("retraining waits to read the campaigns", extra={"error": str(exc)})
            if not out_of_time:
                return state
            unlisted = None
            _caveat(
                state,
                "which campaigns of the group's solutions left out of RetrainSolutions serve a "
                "model trained before the deletion is unknown (unlistedServing is null): their "
                f"reads failed until the retraining's limit ({exc}); check them yourself",
            )
        except ModelCallRefused as exc:
            unlisted = None
            _refused_read(
                state,
                exc,
                "which campaigns of the group's solutions left out of RetrainSolutions serve a "
                "model trained before the deletion is unknown (unlistedServing is null): one "
                "may still serve a model that reflects the users; check them yourself",
            )
    failed = bool(state.get("refused")) or any(
        solution["status"] in SOLUTION_FAILURES
        or any(c["status"] in CAMPAIGN_FAILURES for c in solution["campaigns"])
        for solution in solutions
    )
    return _done(state, RETRAINING_FAILED if failed else RETRAINED, unlisted, services)


def _may_train(state: dict[str, Any], request: DeletionRequest, job_name: str, models: Any) -> bool:
    """Whether this round may start trainings: not while another data deletion job of the
    dataset group is pending or in progress. The guide advises against training during a
    deletion job (the models trained meanwhile may keep the users it deletes, and that job's
    receipt would report the training as interference), so the retraining waits for the next
    round, until its own limit. Asked only while a training is still to start (one
    ``ListDataDeletionJobs`` per page of 100 jobs); a listing refused for good is recorded
    once (``caveat``) and does not hold the retraining back."""
    state["waitingFor"] = None
    if "ListDataDeletionJobs" in state.get("refused", []) or not any(
        to_train(solution) for solution in state["solutions"]
    ):
        return True
    try:
        running = [
            job.arn
            for job in models.deletion_jobs(request.dataset_group_arn)
            if job.running and not job.arn.endswith(f"/{job_name}")
        ]
    except TransientFault as exc:
        LOGGER.warning("retraining waits to list deletion jobs", extra={"error": str(exc)})
        state["waitingFor"] = (
            f"an answer of ListDataDeletionJobs (whether another data deletion job of the "
            f"dataset group runs), which failed: {exc}"
        )
        return False
    except ModelCallRefused as exc:
        _refused_read(
            state,
            exc,
            "whether another data deletion job of the dataset group ran when the trainings "
            "started is unknown: the Personalize guide advises against training while one "
            "runs (the models trained meanwhile may keep the users that job deletes)",
        )
        return True
    if running:
        shown = ", ".join(running[:MAX_LISTED])
        more = f" and {len(running) - MAX_LISTED} more" if len(running) > MAX_LISTED else ""
        state["waitingFor"] = (
            f"{len(running)} other data deletion job(s) of the dataset group to end ({shown}{more})"
        )
        LOGGER.info("retraining waits for deletion jobs", extra={"running": len(running)})
    return not running


def _waited(state: dict[str, Any]) -> dict[str, Any]:
    """At the limit while training waited for deletion jobs: the caveat says so."""
    if state.get("waitingFor"):
        _caveat(
            state,
            f"the retraining waited until its limit ({state['giveUpAt']}) for "
            f"{state['waitingFor']}: the Personalize guide advises against training while a "
            f"deletion job runs, so the solutions marked {WAITING_FOR_DELETIONS} were not "
            "trained; train new versions of them and update their campaigns once no deletion "
            "job of the group runs",
        )
    return state


def _refused_read(state: dict[str, Any], exc: ModelCallRefused, what: str) -> None:
    """A read of the round refused for good: named in ``refused`` (once) and the caveat."""
    state["refused"] = [*state.get("refused", []), exc.operation]
    _caveat(state, f"{what} (refused for good: {exc})")


def _caveat(state: dict[str, Any], text: str) -> None:
    earlier = state.get("caveat")
    state["caveat"] = f"{earlier}; {text}" if earlier else text


def stopped(state: dict[str, Any], why: str, services: Services) -> dict[str, Any]:
    """A retraining whose round failed for good (every retry of the tracker's step): ended as
    ``RETRAINING_FAILED``, never effective, with what the last round left (nothing, if the
    group could not even be listed) and ``why`` in its caveat, so that the models receipt the
    deletion receipt promises is still written."""
    stop = (
        f"the retraining stopped before it ended ({why}); the solutions and campaigns listed are "
        "as the last round left them. The deletion COMPLETED (see its receipt) but the models "
        "may still reflect the users: train new solution versions of the group's solutions and "
        "update their campaigns yourself"
    )
    state = {
        **state,
        "solutions": state.get("solutions") or [],
        "recommenders": state.get("recommenders"),
    }
    _caveat(state, stop)
    return _done(state, RETRAINING_FAILED, None, services)


def _targets(request: DeletionRequest, models: Any) -> dict[str, Any]:
    in_group = models.solutions(request.dataset_group_arn)
    targets = in_group if request.retrain == RETRAIN_ALL else list(request.retrain_solutions)
    return {
        "solutions": [
            planned(solution, models)
            if solution in in_group
            else outside(solution, request.dataset_group_arn)
            for solution in targets
        ],
        "recommenders": models.recommenders(request.dataset_group_arn),
    }


def _done(
    state: dict[str, Any],
    outcome: str,
    unlisted: list[dict[str, Any]] | None,
    services: Services,
) -> dict[str, Any]:
    """Everything ended (or the limit passed): the outcome, and whether the deletion now holds
    in every model that serves recommendations. It does only when every campaign of the
    retrained solutions serves a new version (updated, following the latest, or serving an
    even newer one), no other solution of the group serves a model trained before the
    deletion (``unlistedServing``; ``None`` when it could not be read), no recommender waits
    for its weekly retraining, and nothing limits the record (``caveat``)."""
    state.update(
        done=True,
        finishedAt=iso(services.clock()),
        outcome=outcome,
        unlistedServing=unlisted,
    )
    state["effectiveInModels"] = (
        outcome == RETRAINED
        and unlisted == []
        and not state["recommenders"]
        and not state.get("caveat")
        and all(
            c["status"] in SERVES_RETRAINED
            for solution in state["solutions"]
            for c in solution["campaigns"]
        )
    )
    return state
