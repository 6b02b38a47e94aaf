"""The stored records of the resources around a deletion job, and their status machines.

Datasets, imports, solutions and versions, campaigns and their updates, batch jobs and
recommenders, as the double keeps them (mutable, internal). Statuses are derived from double
time, never stored, like the deletion jobs': a resource created at ``t`` with
``pending_seconds`` and ``run_seconds`` is pending on ``[t, t + pending)``, running on
``[t + pending, t + pending + run)`` and terminal from then on. What callers see are the frozen
views of :mod:`.resource_views`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

from .shapes import active_since, structure

TrainingMode = Literal["FULL", "UPDATE", "AUTOTRAIN"]
BatchKind = Literal["inference", "segment"]
DatasetType = Literal["Interactions", "Items", "Users", "Actions", "Action_Interactions"]

USER_PERSONALIZATION_RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
HRNN_COLDSTART_RECIPE = "arn:aws:personalize:::recipe/aws-hrnn-coldstart"
DOMAIN_RECIPE = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"
# "The UPDATE option can only be used when you already have an active solution version
# created from the input solution using the FULL option and the input solution was trained
# with the User-Personalization recipe or the legacy HRNN-Coldstart recipe."
UPDATE_RECIPES = frozenset({USER_PERSONALIZATION_RECIPE, HRNN_COLDSTART_RECIPE})
LATEST_SUFFIX = "/$LATEST"
"""``SolutionArn/$LATEST``: how a campaign names "the latest version of this solution"."""
DEFAULT_AUTO_TRAINING_SCHEDULE = "rate(7 days)"


@dataclass(frozen=True)
class Statuses:
    """The four status strings of one kind's create lifecycle."""

    pending: str
    running: str
    done: str
    failed: str

    @property
    def in_progress(self) -> frozenset[str]:
        return frozenset({self.pending, self.running})


CREATE_STATUSES = Statuses("CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE", "CREATE FAILED")
"""Imports, solution versions and campaign updates: "CREATE PENDING > CREATE IN_PROGRESS >
ACTIVE -or- CREATE FAILED" (the model's documentation of each status member)."""
STOPPING = "CREATE STOPPING"
STOPPED = "CREATE STOPPED"
"""A stopped solution version's states (``SolutionVersion.status`` lists both).
StopSolutionVersionCreation: "CREATE_PENDING > CREATE_STOPPED or CREATE_IN_PROGRESS >
CREATE_STOPPING > CREATE_STOPPED ... You cannot resume creating a solution version once it has
been stopped": it never becomes ACTIVE."""
STOPPING_SECONDS = 300.0
"""Double time a version stopped while CREATE IN_PROGRESS spends CREATE STOPPING."""
VERSION_RUNNING = CREATE_STATUSES.in_progress | {STOPPING}
"""A solution version still training: a stopping one runs until it has stopped."""
DELETION_JOB_STATUSES = Statuses("PENDING", "IN_PROGRESS", "COMPLETED", "FAILED")
"""Data deletion jobs: "PENDING > IN_PROGRESS > COMPLETED -or- FAILED"."""
BATCH_JOB_STATUSES = Statuses("PENDING", "IN PROGRESS", "ACTIVE", "CREATE FAILED")
"""Batch inference/segment jobs; the model documents exactly "PENDING, IN PROGRESS, ACTIVE,
CREATE FAILED" for ``BatchInferenceJobSummary.status`` and ``BatchSegmentJobSummary.status``
(with a space in ``IN PROGRESS``, unlike the other kinds' ``CREATE IN_PROGRESS``)."""


class Progress(TypedDict):
    """What a view says of a run's progress (the fields of :class:`.resource_views.RunView`)."""

    status: str
    creation_date_time: float
    last_updated_date_time: float
    failure_reason: str | None


# --------------------------------------------------------------------------- records


@dataclass
class RunRecord:
    """When something started and how long it takes; its status is derived, never stored."""

    created_at: float
    pending_seconds: float = 0.0
    run_seconds: float = 0.0
    failure_reason: str | None = None

    def status(self, now: float, statuses: Statuses) -> tuple[str, float]:
        """``(status, lastUpdatedDateTime)`` as of ``now``."""
        started = self.created_at + self.pending_seconds
        finished = started + self.run_seconds
        if now < started:
            return statuses.pending, self.created_at
        if now < finished:
            return statuses.running, started
        return (statuses.failed if self.failure_reason is not None else statuses.done), finished

    def progress(self, now: float, statuses: Statuses) -> Progress:
        """Status, times and failure reason as of ``now``; the reason only once it failed."""
        status, updated = self.status(now, statuses)
        return Progress(
            status=status,
            creation_date_time=self.created_at,
            last_updated_date_time=updated,
            failure_reason=self.failure_reason if status == statuses.failed else None,
        )


@dataclass
class DatasetRecord:
    sequence: int
    arn: str
    name: str
    dataset_group_arn: str
    dataset_type: str
    created_at: float

    def summary(self, now: float) -> dict[str, Any]:
        """Its summary at ``now``, the same at any time: created ACTIVE, never changed."""
        return {"name": self.name, "datasetArn": self.arn, "datasetType": self.dataset_type} | (
            active_since(self.created_at)
        )


@dataclass
class ImportRecord:
    sequence: int
    arn: str
    name: str
    dataset_arn: str
    import_mode: str
    run: RunRecord

    def summary(self, now: float) -> dict[str, Any]:
        return _job_summary(
            "datasetImportJobArn",
            self.arn,
            self.name,
            self.run,
            now,
            CREATE_STATUSES,
            importMode=self.import_mode,
        )


@dataclass
class SolutionRecord:
    sequence: int
    arn: str
    name: str
    dataset_group_arn: str
    recipe_arn: str
    perform_auto_training: bool
    created_at: float

    @property
    def solution_config(self) -> dict[str, Any]:
        if not self.perform_auto_training:
            return {}
        return {"autoTrainingConfig": {"schedulingExpression": DEFAULT_AUTO_TRAINING_SCHEDULE}}

    def summary(self, now: float) -> dict[str, Any]:
        """Its summary at ``now``, the same at any time: created ACTIVE, never changed."""
        summary = {"name": self.name, "solutionArn": self.arn} | active_since(self.created_at)
        return summary | {"recipeArn": self.recipe_arn}


@dataclass
class VersionRecord:
    sequence: int
    arn: str
    name: str | None
    solution: SolutionRecord
    training_mode: str
    training_type: str
    tags: tuple[Mapping[str, str], ...]
    run: RunRecord
    stopped_at: float | None = None
    """When StopSolutionVersionCreation was accepted for it (``None``: never stopped)."""

    def progress(self, now: float) -> Progress:
        """Its run's progress at ``now``, unless it was stopped before its run ended: then
        CREATE STOPPED (stopped while pending), or CREATE STOPPING for
        :data:`STOPPING_SECONDS` and CREATE STOPPED from then on; never ACTIVE."""
        progress = self.run.progress(now, CREATE_STATUSES)
        run = self.run
        started = run.created_at + run.pending_seconds
        stop = self.stopped_at
        if stop is None or now < stop or stop >= started + run.run_seconds:
            return progress
        stopped = stop if stop < started else stop + STOPPING_SECONDS
        status, updated = (STOPPING, stop) if now < stopped else (STOPPED, stopped)
        return Progress(
            status=status,
            creation_date_time=run.created_at,
            last_updated_date_time=updated,
            failure_reason=None,
        )


@dataclass
class CampaignUpdateRecord:
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]
    run: RunRecord


@dataclass
class CampaignRecord:
    sequence: int
    arn: str
    name: str
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]
    created_at: float
    updates: list[CampaignUpdateRecord] = field(default_factory=list)


@dataclass
class BatchJobRecord:
    sequence: int
    kind: BatchKind
    arn: str
    name: str
    solution_version_arn: str
    run: RunRecord

    def summary(self, now: float) -> dict[str, Any]:
        arn_member = f"batch{self.kind.capitalize()}JobArn"
        summary = _job_summary(arn_member, self.arn, self.name, self.run, now, BATCH_JOB_STATUSES)
        summary["solutionVersionArn"] = self.solution_version_arn
        if self.kind == "inference":
            summary["batchInferenceJobMode"] = "BATCH_INFERENCE"
        return summary


@dataclass
class RecommenderRecord:
    sequence: int
    arn: str
    name: str
    dataset_group_arn: str
    recipe_arn: str
    recommender_config: dict[str, Any] | None
    created_at: float

    def summary(self, now: float) -> dict[str, Any]:
        """Its summary at ``now``, the same at any time: created ACTIVE, never changed."""
        return structure(
            self,
            "name recommenderArn datasetGroupArn recipeArn recommenderConfig",
            recommenderArn=self.arn,
        ) | active_since(self.created_at)


def _job_summary(
    arn_member: str,
    arn: str,
    name: str,
    run: RunRecord,
    now: float,
    statuses: Statuses,
    **members: Any,
) -> dict[str, Any]:
    """A job's summary at ``now``: its ARN, name, status and times, then ``members``, then
    ``failureReason`` (only on failed jobs, as the service does), in the model's order."""
    status, updated = run.status(now, statuses)
    summary = {
        arn_member: arn,
        "jobName": name,
        "status": status,
        "creationDateTime": run.created_at,
        "lastUpdatedDateTime": updated,
        **members,
    }
    if status == statuses.failed:
        summary |= structure(run, "failureReason")
    return summary
