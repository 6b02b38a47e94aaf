"""Named configurations of the double for the rehearsal (``--scenario``) and the tests.

Each name says how Personalize will treat the deletion jobs: how long they pend and run,
whether they fail, whether the dataset group is in use, whether creates are throttled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def every_second_job_long(sequence: int) -> float:
    """Odd jobs end within a minute; even ones run five hours, past any deployment."""
    return 60.0 if sequence % 2 else 5 * 3600.0


#: Named configurations for the rehearsal CLI; see :meth:`PersonalizeDouble.from_scenario`.
SCENARIOS: Mapping[str, Mapping[str, Any]] = {
    # Every second job outlives the deployment (5 hours): the deployment hands it to the
    # tracker, which follows it to its end.
    "handoff": {
        "pending_seconds": 10.0,
        "run_seconds": every_second_job_long,
        "seconds_per_describe": 15.0,
    },
    # Every dataset group is in use for the first two hours: requests are queued with the
    # tracker, which submits them once the group is free.
    "queued": {"pending_seconds": 10.0, "run_seconds": 60.0, "seconds_per_describe": 15.0},
    # Completes after ~5 Describe polls: 10 s pending + 60 s running, 15 s per poll.
    "success": {"pending_seconds": 10.0, "run_seconds": 60.0, "seconds_per_describe": 15.0},
    # A realistic multi-hour job; with 60 s per poll it needs ~180 polls, enough to
    # exercise a poller's timeout / re-invocation path.
    "slow": {"pending_seconds": 300.0, "run_seconds": 10_500.0, "seconds_per_describe": 60.0},
    # Same timing as "success" but every job ends FAILED.
    "failed": {"pending_seconds": 10.0, "run_seconds": 60.0, "seconds_per_describe": 15.0},
    # Same timing as "success" but the first two creates are throttled.
    "throttled": {"pending_seconds": 10.0, "run_seconds": 60.0, "seconds_per_describe": 15.0},
    # Jobs as in "success"; every dataset group has models (see furnish_models) that a request
    # with retraining retrains: 2 hours per solution version, 10 minutes per campaign update.
    "retraining": {
        "pending_seconds": 10.0,
        "run_seconds": 60.0,
        "seconds_per_describe": 15.0,
        "training_seconds": 2 * 3600.0,
        "campaign_update_seconds": 600.0,
    },
}
SCENARIO_FAILURE_REASON = "Access Denied: the role cannot read the data location"
SCENARIO_BUSY_SECONDS = 2 * 3600.0
SCENARIO_BUSY_REASON = "a dataset import job is in progress"
MODELS_AGE_SECONDS = 7 * 24 * 3600.0
"""The ``retraining`` scenario's models were trained a week before the rehearsal starts."""


def furnish_models(double: Any, dataset_group_arn: str) -> None:
    """The models of a custom dataset group, as the ``retraining`` scenario gives every group:
    an Interactions dataset, and two solutions with one ACTIVE version each, one served by a
    campaign pinned to that version (retraining updates it), the other by a campaign that
    follows ``$LATEST`` (``syncWithLatestSolutionVersion``: nothing to update)."""
    group = dataset_group_arn.rsplit("/", 1)[-1]
    trained = {"trained_seconds_ago": MODELS_AGE_SECONDS}
    double.add_dataset(dataset_group_arn, "Interactions")
    pinned, _ = double.add_solution(dataset_group_arn, f"{group}-ranking", **trained)
    double.add_campaign(pinned, f"{group}-ranking")
    following, _ = double.add_solution(dataset_group_arn, f"{group}-for-you", **trained)
    double.add_campaign(following, f"{group}-for-you", sync_with_latest=True)


@dataclass(frozen=True)
class RequestScenario:
    """How the double treats the jobs of one request (``--request-scenario NAME=SCENARIO``):
    the same names as :data:`SCENARIOS`, for a single request's jobs. ``handoff`` means the
    request's job outlives the deployment."""

    pending_seconds: float = 10.0
    run_seconds: float = 60.0
    failure_reason: str | None = None
    busy_seconds: float | None = None
    """The dataset group is in use for this long after the scenario is set (``queued``)."""
    throttled_creates: int = 0
    """So many CreateDataDeletionJob calls for the request are throttled first."""


REQUEST_SCENARIOS: Mapping[str, RequestScenario] = {
    "handoff": RequestScenario(run_seconds=5 * 3600.0),
    "queued": RequestScenario(busy_seconds=SCENARIO_BUSY_SECONDS),
    "success": RequestScenario(),
    "slow": RequestScenario(pending_seconds=300.0, run_seconds=10_500.0),
    "failed": RequestScenario(failure_reason=SCENARIO_FAILURE_REASON),
    "throttled": RequestScenario(throttled_creates=2),
}
