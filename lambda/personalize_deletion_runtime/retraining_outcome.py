"""How a retraining ends: its outcome, whether the deletion holds in the models, and what
limits that record (``caveat``).

The models receipt never claims more than happened: what the deletion receipt found during the
job (:func:`interference_caveat`), a read refused for good, a wait for other deletion jobs, and
what a retraining that met its limit left undone all go into its ``caveat``, and any caveat
keeps it from ``effectiveInModels``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import ModelCallRefused
from .notifications import RETRAINED, RETRAINING_STUCK
from .retraining_models import SERVES_RETRAINED, WAITING_FOR_DELETIONS
from .retraining_observed import leave_undone
from .services import Services
from .state import iso


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


def stuck(state: dict[str, Any], unread: dict[str, str], services: Services) -> dict[str, Any]:
    """At the limit: ``RETRAINING_STUCK``, with what was left undone (and unread) in the caveat."""
    undone = leave_undone(
        state["solutions"],
        f"the retraining reached its limit ({state['giveUpAt']}) before it moved it",
        waited=bool(state.get("waitingFor")),
        unread=unread,
    )
    if undone:
        add_caveat(
            state,
            f"the retraining reached its limit ({state['giveUpAt']}) before it ended, and its "
            f"last round started no training and moved no campaign: {undone}; train new "
            "versions of those solutions and update their campaigns yourself once the "
            "trainings have ended",
        )
    say_unread(state, unread, "at the retraining's limit")
    return done(state, RETRAINING_STUCK, None, services)


def say_unread(state: dict[str, Any], unread: dict[str, str], when: str) -> None:
    """The solutions whose reads failed when nothing may be done any more: what the retraining
    did to them is unknown, and the caveat says so rather than the state they are listed in."""
    if unread:
        errors = "; ".join(f"{arn}: {error}" for arn, error in unread.items())
        add_caveat(
            state,
            f"what the retraining did to {len(unread)} solution(s) is unknown: reading them "
            f"{when} failed ({errors}); they are listed as an earlier round left them, but a "
            "version named after the job may have been trained and their campaigns moved to "
            "it: check them",
        )


def waited(state: dict[str, Any]) -> dict[str, Any]:
    """At the limit while training waited for deletion jobs: the caveat says so."""
    if state.get("waitingFor"):
        add_caveat(
            state,
            f"the retraining waited until its limit ({state['giveUpAt']}) for "
            f"{state['waitingFor']}: the Personalize guide advises against training while a "
            f"deletion job runs, so the solutions marked {WAITING_FOR_DELETIONS} were not "
            "trained; train new versions of them and update their campaigns once no deletion "
            "job of the group runs",
        )
    return state


def refused_read(state: dict[str, Any], exc: ModelCallRefused, what: str) -> None:
    """A read of the round refused for good: named in ``refused`` (once) and the caveat."""
    state["refused"] = [*state.get("refused", []), exc.operation]
    add_caveat(state, f"{what} (refused for good: {exc})")


def add_caveat(state: dict[str, Any], text: str) -> None:
    earlier = state.get("caveat")
    state["caveat"] = f"{earlier}; {text}" if earlier else text


def done(
    state: dict[str, Any],
    outcome: str,
    unlisted: list[dict[str, Any]] | None,
    services: Services,
) -> dict[str, Any]:
    """Everything ended (or the limit passed): the outcome, and whether the deletion now holds
    in every model that serves recommendations. It does only when every campaign of the
    retrained solutions serves a new version (updated, following the latest, or serving an
    even newer one) as read again when it ended (:func:`.retraining_observed.moved_back`), no
    other solution of the group serves a model trained before the
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
