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
(:func:`.retraining_outcome.interference_caveat`, with the outcome and the other caveats).

A retraining is recorded once and never redone: once ``receipts/<job>.models.json`` exists, a
later run of the tracker for the same job (a re-adoption in another stack, an Update months
later) plans nothing and moves no campaign (:func:`start`). What a round does to each solution
and campaign, and how their failures stay theirs, is in :mod:`.retraining_models`; what the
rounds that may not act (past the limit, RetrainStopped) read instead is in
:mod:`.retraining_observed`; the receipt and the event are written by :mod:`.retraining_record`.
"""

from __future__ import annotations

import logging
from typing import Any

from .layout import models_receipt_key, models_receipt_uri
from .models import ModelCallRefused
from .notifications import RETRAINED, RETRAINING_FAILED, RETRAINING_STUCK
from .personalize_api import TransientFault
from .preflight import MAX_LISTED
from .properties import RETRAIN_ALL, RETRAIN_LIST, RETRAIN_NONE, DeletionRequest
from .retraining_models import (
    CAMPAIGN_FAILURES,
    SOLUTION_FAILURES,
    advance_solution,
    outside,
    planned,
    solution_ended,
    to_train,
)
from .retraining_observed import leave_undone, moved_back, observe, unlisted_serving
from .retraining_outcome import (
    add_caveat,
    done,
    refused_read,
    say_unread,
    stuck,
    waited,
)
from .services import Services
from .state import iso, parse_iso

LOGGER = logging.getLogger(__name__)
_SERVED_NOW = (
    "whether the planned campaigns still serve the retrained models when the retraining ended "
    "is unknown: one may have been moved back to a model trained before the deletion since it "
    "was updated; check what they serve"
)


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
    recorded = recorded_elsewhere(request, job_name, services)
    if recorded is not None:
        return recorded
    now = services.clock()
    return {
        **plan(request, now, services.tracking_timeout_seconds),
        "deletedAt": deleted_at or iso(now),
        "caveat": caveat,
    }


def recorded_elsewhere(
    request: DeletionRequest,
    job_name: str,
    services: Services,
    execution: str | None = None,
    started_at: str | None = None,
) -> dict[str, Any] | None:
    """The retraining as recorded already (``receipts/<job>.models.json`` exists), or ``None``.

    A receipt this very retraining wrote (its ``trackedBy`` is ``execution`` and its
    ``startedAt`` this plan's ``started_at``) is not "elsewhere": a retry of the round that
    wrote it goes on to :func:`.retraining_record.record`, which publishes its event again.
    Both must match: an execution of the same name months later (Step Functions frees a name
    once its execution closed long ago) is another retraining. Any other receipt means this
    job's retraining is recorded and must not be redone or added to: whoever reads it must be
    able to trust that no model changed after it."""
    stored = services.storage.read_json(request.bucket, models_receipt_key(job_name))
    own = (
        execution is not None
        and stored is not None
        and stored.get("trackedBy") == execution
        and stored.get("startedAt") == started_at
    )
    if stored is None or own:
        return None
    LOGGER.info("retraining already recorded: not redone", extra={"job_name": job_name})
    return {"requested": False, "recorded": models_receipt_uri(request.bucket, job_name)}


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
    limit (``giveUpAt``) ends the waiting as ``RETRAINING_STUCK``: the round that finds it
    passed only reads (:func:`.retraining_observed.observe`), since nobody would follow a
    training it started or move a campaign to it, and says what was left undone. No training
    starts while another data deletion job of the group runs (:func:`_may_train`). Once the
    round has started a training or moved a campaign, a read Personalize refuses for good no
    longer fails it (its changes would be lost with it): the read's answer is recorded as unknown,
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
        add_caveat(
            state,
            f"the dataset group's solutions could not be listed before the retraining's limit "
            f"({exc}): nothing was retrained; train new solution versions of the group's "
            "solutions and update their campaigns yourself",
        )
        return done(state, RETRAINING_STUCK, None, services)
    unread: dict[str, str] = {}
    if out_of_time:
        solutions, unread = observe(state["solutions"], request, job_name, models)
    else:
        may_train = _may_train(state, request, job_name, models)
        solutions = [
            advance_solution(dict(s), request, job_name, models, may_train=may_train)
            for s in state["solutions"]
        ]
    state["solutions"] = solutions
    ended = all(solution_ended(solution) for solution in solutions)
    if not ended:
        return stuck(waited(state), unread, services) if out_of_time else state
    unlisted: list[dict[str, Any]] | None = []
    deleted_at = parse_iso(state.get("deletedAt") or state["startedAt"])
    # Read again at the end: a planned campaign may have been moved back meanwhile.
    try:
        moved_back(solutions, deleted_at, models)
    except TransientFault as exc:
        LOGGER.warning("retraining waits to read the campaigns", extra={"error": str(exc)})
        if not out_of_time:
            return state
        add_caveat(state, f"{_SERVED_NOW} (their reads failed until the limit: {exc})")
    except ModelCallRefused as exc:
        refused_read(state, exc, _SERVED_NOW)
    # Listed again at the end: a campaign created meanwhile may serve an old model.
    try:
        unlisted = unlisted_serving(solutions, request.dataset_group_arn, deleted_at, models)
    except TransientFault as exc:
        LOGGER.warning("retraining waits to read the campaigns", extra={"error": str(exc)})
        if not out_of_time:
            return state
        unlisted = None
        add_caveat(
            state,
            f"which {_unplanned(request)} serve a model trained before the deletion is "
            "unknown (unlistedServing is null): their reads failed until the retraining's "
            f"limit ({exc}); check them yourself",
        )
    except ModelCallRefused as exc:
        unlisted = None
        refused_read(
            state,
            exc,
            f"which {_unplanned(request)} serve a model trained before the deletion is "
            "unknown (unlistedServing is null): one may still serve a model that reflects "
            "the users; check them yourself",
        )
    failed = bool(state.get("refused")) or any(
        solution["status"] in SOLUTION_FAILURES
        or any(c["status"] in CAMPAIGN_FAILURES for c in solution["campaigns"])
        for solution in solutions
    )
    return done(state, RETRAINING_FAILED if failed else RETRAINED, unlisted, services)


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
        refused_read(
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


def _unplanned(request: DeletionRequest) -> str:
    """The campaigns ``unlistedServing`` is about, as the caveat names them."""
    if request.retrain == RETRAIN_LIST:
        return "campaigns of the group's solutions left out of RetrainSolutions"
    return "campaigns of the group's solutions created while the retraining ran (not in its plan)"


def stopped(
    state: dict[str, Any],
    why: str,
    deletion: str,
    request: DeletionRequest,
    job_name: str,
    services: Services,
) -> dict[str, Any]:
    """A retraining whose round failed for good (every retry of the tracker's step): ended as
    ``RETRAINING_FAILED``, never effective, so that the models receipt the deletion receipt
    promises is still written. ``state`` is the last round that succeeded, and the attempts
    that failed after it may have started trainings or moved campaigns: what they may have
    done is read again first, read only (:func:`.retraining_observed.observe`; nothing is
    started or moved here), and what could not be read is said to be unknown. ``deletion``
    says what the deletion receipt it accompanies records (a FAILED follow-up's, say)."""
    state = dict(state)
    unlisted_group = None
    if state.get("solutions") is None:
        try:
            state.update(_targets(request, services.models, read_only=True))
        except (TransientFault, ModelCallRefused) as exc:
            state.update(solutions=[], recommenders=None)
            unlisted_group = (
                f"the group's solutions could not be listed after the retraining stopped "
                f"({exc}): whether it started trainings (solution versions named {job_name}) "
                "or moved campaigns to them is unknown; check the group's solutions and "
                "their campaigns"
            )
    solutions, unread = observe(state["solutions"], request, job_name, services.models)
    state["solutions"] = solutions
    undone = leave_undone(
        solutions, "the retraining stopped before it moved it", waited=False, unread=unread
    )
    add_caveat(
        state,
        f"the retraining stopped before it ended ({why}); the solutions and campaigns listed "
        "are as read after it stopped (nothing was started or moved since)"
        + (f", with {undone}" if undone else "")
        + f". {deletion} but the models may still reflect the users: train new solution "
        "versions of the group's solutions and update their campaigns yourself",
    )
    if unlisted_group:
        add_caveat(state, unlisted_group)
    say_unread(state, unread, "after it stopped")
    return done(state, RETRAINING_FAILED, None, services)


def _targets(request: DeletionRequest, models: Any, *, read_only: bool = False) -> dict[str, Any]:
    in_group = models.solutions(request.dataset_group_arn)
    targets = in_group if request.retrain == RETRAIN_ALL else list(request.retrain_solutions)
    return {
        "solutions": [
            planned(solution, models, read_only=read_only)
            if solution in in_group
            else outside(solution, request.dataset_group_arn)
            for solution in targets
        ],
        "recommenders": models.recommenders(request.dataset_group_arn),
    }
