"""Putting the resources around a deletion job into any state, and observing them.

A data deletion job is not the whole story: Personalize's guide asks that no dataset import,
training or batch job runs on the dataset group while users are deleted, and models keep
reflecting deleted users until they are retrained. The product's pre-flight and retraining
read and create those resources; :class:`ResourceModelsMixin` (a base class of the double)
holds them, with set-up calls a test uses to build any world (no service rule checked) and the
views it observes. The wire operations on them live in :mod:`.model_operations`.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
from collections.abc import Mapping
from typing import Any, Literal

from .resource_views import CampaignView, SolutionVersionView, campaign_view, version_view
from .resources import (
    CREATE_STATUSES,
    DOMAIN_RECIPE,
    LATEST_SUFFIX,
    USER_PERSONALIZATION_RECIPE,
    BatchJobRecord,
    BatchKind,
    CampaignRecord,
    DatasetRecord,
    DatasetType,
    ImportRecord,
    RecommenderRecord,
    RunRecord,
    SolutionRecord,
    TrainingMode,
    VersionRecord,
)
from .validation import PatternMode

JobKind = Literal["dataset-import-job", "batch-inference-job", "batch-segment-job"]
"""The jobs :meth:`ResourceModelsMixin.start_job` starts, by their ARN's resource type."""
IMPORT = "dataset-import-job"

_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}")  # the model's Name shape


class ResourceModelsMixin:
    """Datasets, imports, solutions, versions, campaigns, batch jobs and recommenders.

    A base class of ``PersonalizeDouble``; it adds the set-up API, the observations and the
    stores the ``_op_*`` handlers of :mod:`.model_operations` answer from. Everything it needs
    from the double is declared just below (the double sets all of it).
    """

    # Provided by PersonalizeDouble.
    account_id: str
    region: str
    pending_seconds: float
    seconds_per_describe: float
    training_seconds: float
    campaign_update_seconds: float
    _lock: threading.RLock
    _now: float
    _dataset_groups: set[str]
    pattern_mode: PatternMode

    # ------------------------------------------------------------------ state

    def _init_models(self) -> None:
        """Create the empty resource stores (called from the double's ``__init__``)."""
        self._model_sequence = 0
        self._datasets: dict[str, DatasetRecord] = {}
        self._imports: dict[str, ImportRecord] = {}
        self._solutions: dict[str, SolutionRecord] = {}
        self._versions: dict[str, VersionRecord] = {}
        self._campaigns: dict[str, CampaignRecord] = {}
        self._batch_jobs: dict[str, BatchJobRecord] = {}
        self._recommenders: dict[str, RecommenderRecord] = {}
        self._planned_version_failures: list[str] = []
        self._planned_update_failures: list[str] = []

    def _clear_planned_model_failures(self) -> None:
        self._planned_version_failures.clear()
        self._planned_update_failures.clear()

    def _next_sequence(self) -> int:
        self._model_sequence += 1
        return self._model_sequence

    def _arn(self, resource: str) -> str:
        return f"arn:aws:personalize:{self.region}:{self.account_id}:{resource}"

    # ------------------------------------------------------------- ARN helpers

    def dataset_arn(self, dataset_group_arn: str, dataset_type: str) -> str:
        """``.../dataset/<group name>/<TYPE>``: a group has at most one dataset per type."""
        group_name = dataset_group_arn.rsplit("/", 1)[-1]
        return self._arn(f"dataset/{group_name}/{dataset_type.upper()}")

    def solution_arn(self, name: str) -> str:
        """The ARN of a solution called ``name`` (``.../solution/<name>``)."""
        return self._arn(f"solution/{name}")

    def campaign_arn(self, name: str) -> str:
        """The ARN of a campaign called ``name`` (``.../campaign/<name>``)."""
        return self._arn(f"campaign/{name}")

    @staticmethod
    def latest_version_ref(solution_arn: str) -> str:
        """``SolutionArn/$LATEST``, the reference a syncing campaign deploys."""
        return solution_arn + LATEST_SUFFIX

    # ------------------------------------------------------------------ set-up

    def add_dataset(
        self, dataset_group_arn: str, dataset_type: DatasetType = "Interactions", *, name: str = ""
    ) -> str:
        """Add an ACTIVE dataset of ``dataset_type`` to an existing dataset group.

        ``name`` defaults to ``<group name>-<type>``. Returns the dataset ARN.
        """
        with self._lock:
            self._require_group(dataset_group_arn)
            arn = self.dataset_arn(dataset_group_arn, dataset_type)
            group_name = dataset_group_arn.rsplit("/", 1)[-1]
            name = name or f"{group_name}-{dataset_type.lower().replace('_', '-')}"
            self._require_new(self._datasets, arn, name)
            self._datasets[arn] = DatasetRecord(
                self._next_sequence(),
                arn,
                name,
                dataset_group_arn,
                dataset_type.upper(),
                self._now,
            )
            return arn

    def start_job(
        self,
        kind: JobKind,
        parent_arn: str,
        job_name: str,
        seconds: float,
        *,
        pending_seconds: float = 0.0,
        failure_reason: str | None = None,
        import_mode: Literal["FULL", "INCREMENTAL"] = "FULL",
    ) -> str:
        """Start a job that keeps a dataset group busy, now: a ``dataset-import-job`` on a
        dataset, or a ``batch-inference-job`` / ``batch-segment-job`` on a solution version.

        It is pending (CREATE PENDING, or PENDING for batch jobs) for ``pending_seconds``, in
        progress for ``seconds``, then ACTIVE, or CREATE FAILED with ``failure_reason``.
        ``import_mode`` is an import's. Returns the job ARN (``.../<kind>/<job_name>``).
        """
        with self._lock:
            parents: Mapping[str, Any] = self._datasets if kind == IMPORT else self._versions
            if parent_arn not in parents:
                raise KeyError(parent_arn)
            arn = self._arn(f"{kind}/{job_name}")
            store: dict[str, Any] = self._imports if kind == IMPORT else self._batch_jobs
            self._require_new(store, arn, job_name)
            run = RunRecord(self._now, pending_seconds, seconds, failure_reason)
            if kind == IMPORT:
                store[arn] = ImportRecord(
                    self._next_sequence(), arn, job_name, parent_arn, import_mode, run
                )
            else:
                batch: BatchKind = "inference" if kind == "batch-inference-job" else "segment"
                store[arn] = BatchJobRecord(
                    self._next_sequence(), batch, arn, job_name, parent_arn, run
                )
            return arn

    def add_solution(
        self,
        dataset_group_arn: str,
        name: str,
        *,
        recipe_arn: str = USER_PERSONALIZATION_RECIPE,
        perform_auto_training: bool = False,
        trained_seconds_ago: float = 0.0,
    ) -> tuple[str, str]:
        """Add an ACTIVE custom solution with one ACTIVE FULL (MANUAL) solution version,
        created ``trained_seconds_ago`` before now (a model trained before a deletion job).

        With ``perform_auto_training`` the solution reports ``performAutoTraining`` and the
        service's default schedule (``rate(7 days)``); the double never trains on its own,
        use :meth:`start_training` with ``automatic=True`` for that.
        Returns ``(solution ARN, initial version ARN)``.
        """
        with self._lock:
            self._require_group(dataset_group_arn)
            arn = self.solution_arn(name)
            self._require_new(self._solutions, arn, name)
            solution = SolutionRecord(
                self._next_sequence(),
                arn,
                name,
                dataset_group_arn,
                recipe_arn,
                perform_auto_training,
                self._now - trained_seconds_ago,
            )
            self._solutions[arn] = solution
            trained = RunRecord(self._now - trained_seconds_ago)
            version = self._add_version(solution, None, "FULL", "MANUAL", (), trained)
            return arn, version.arn

    def start_training(
        self,
        solution_arn: str,
        seconds: float,
        *,
        name: str | None = None,
        training_mode: TrainingMode = "FULL",
        automatic: bool = False,
        pending_seconds: float = 0.0,
        failure_reason: str | None = None,
    ) -> str:
        """Start a solution version now, in progress for ``pending_seconds + seconds``.

        ``automatic`` marks it ``trainingType`` AUTOMATIC (a scheduled training of a solution
        with performAutoTraining) instead of MANUAL. No service rule is checked: this is how
        a test puts the world into any state. Returns the version ARN.
        """
        with self._lock:
            solution = self._solutions[solution_arn]
            run = RunRecord(self._now, pending_seconds, seconds, failure_reason)
            training_type = "AUTOMATIC" if automatic else "MANUAL"
            return self._add_version(solution, name, training_mode, training_type, (), run).arn

    def stop_training(self, solution_version_arn: str) -> None:
        """Stop a CREATE PENDING or CREATE IN_PROGRESS version now, as the team would with
        StopSolutionVersionCreation (the wire operation; :class:`.resources.VersionRecord`)."""
        with self._lock:
            version = self._versions[solution_version_arn]
            if self._version_status(version) not in CREATE_STATUSES.in_progress:
                raise ValueError(f"{solution_version_arn} is {self._version_status(version)}")
            version.stopped_at = self._now

    def add_campaign(
        self,
        solution_arn: str,
        name: str,
        *,
        solution_version_arn: str | None = None,
        sync_with_latest: bool = False,
        min_provisioned_tps: int = 1,
    ) -> str:
        """Add an ACTIVE campaign serving a version of ``solution_arn``.

        With ``sync_with_latest`` the campaign deploys ``SolutionArn/$LATEST`` with
        ``campaignConfig.syncWithLatestSolutionVersion`` true, as the API requires ("If you
        specify True, you must specify the ARN of your solution for the SolutionVersionArn
        parameter. It must be in SolutionArn/$LATEST format."). Otherwise it serves
        ``solution_version_arn``, by default the solution's newest ACTIVE version.
        Returns the campaign ARN.
        """
        with self._lock:
            solution = self._solutions[solution_arn]
            if sync_with_latest:
                if solution_version_arn not in (None, self.latest_version_ref(solution_arn)):
                    raise ValueError("a syncing campaign deploys SolutionArn/$LATEST")
                solution_version_arn = self.latest_version_ref(solution_arn)
            elif solution_version_arn is None:
                active = [
                    version
                    for version in self._versions.values()
                    if version.solution is solution and self._version_status(version) == "ACTIVE"
                ]
                if not active:
                    raise ValueError(f"solution {solution_arn} has no ACTIVE version")
                solution_version_arn = active[-1].arn
            elif self._versions[solution_version_arn].solution is not solution:
                raise ValueError(f"{solution_version_arn} is not a version of {solution_arn}")
            arn = self.campaign_arn(name)
            self._require_new(self._campaigns, arn, name)
            self._campaigns[arn] = CampaignRecord(
                sequence=self._next_sequence(),
                arn=arn,
                name=name,
                solution_version_arn=solution_version_arn,
                min_provisioned_tps=min_provisioned_tps,
                campaign_config={"syncWithLatestSolutionVersion": sync_with_latest},
                created_at=self._now,
            )
            return arn

    def add_recommender(
        self,
        dataset_group_arn: str,
        name: str,
        *,
        recipe_arn: str = DOMAIN_RECIPE,
        recommender_config: Mapping[str, Any] | None = None,
    ) -> str:
        """Add an ACTIVE recommender (a domain dataset group's use case). Returns its ARN."""
        with self._lock:
            self._require_group(dataset_group_arn)
            arn = self._arn(f"recommender/{name}")
            self._require_new(self._recommenders, arn, name)
            config = copy.deepcopy(dict(recommender_config)) if recommender_config else None
            self._recommenders[arn] = RecommenderRecord(
                self._next_sequence(),
                arn,
                name,
                dataset_group_arn,
                recipe_arn,
                config,
                self._now,
            )
            return arn

    def fail_next_solution_versions(self, reason: str, count: int = 1) -> None:
        """Make the next ``count`` versions created by CreateSolutionVersion end CREATE FAILED
        with ``failureReason`` ``reason`` (after their full training time)."""
        with self._lock:
            self._planned_version_failures.extend([reason] * count)

    def fail_next_campaign_updates(self, reason: str, count: int = 1) -> None:
        """Make the next ``count`` UpdateCampaign calls end CREATE FAILED with ``reason``;
        the campaign keeps serving what it served before."""
        with self._lock:
            self._planned_update_failures.extend([reason] * count)

    # ------------------------------------------------------------ observations

    @property
    def solution_versions(self) -> dict[str, SolutionVersionView]:
        """Every solution version by ARN, oldest first, as of the current double time."""
        with self._lock:
            return {arn: self._version_view(version) for arn, version in self._versions.items()}

    @property
    def campaigns(self) -> dict[str, CampaignView]:
        """Every campaign by ARN, oldest first, as of the current double time: what each
        serves, and its latest update."""
        with self._lock:
            return {arn: self._campaign_view(campaign) for arn, campaign in self._campaigns.items()}

    # --------------------------------------------------------------- internals

    def _require_group(self, dataset_group_arn: str) -> None:
        if dataset_group_arn not in self._dataset_groups:
            raise KeyError(f"unknown dataset group {dataset_group_arn}; add_dataset_group first")

    @staticmethod
    def _require_new(store: Mapping[str, Any], arn: str, name: str) -> None:
        _check_name(name)
        if arn in store:
            raise ValueError(f"{arn} already exists")

    def _add_version(
        self,
        solution: SolutionRecord,
        name: str | None,
        training_mode: str,
        training_type: str,
        tags: tuple[Mapping[str, str], ...],
        run: RunRecord,
    ) -> VersionRecord:
        sequence = self._next_sequence()
        # Version ids are 8 hex digits in the service; derived, so runs are reproducible.
        version_id = hashlib.sha256(f"{solution.arn}#{sequence}".encode()).hexdigest()[:8]
        arn = f"{solution.arn}/{version_id}"
        # The record's fields in their order, named as this method's parameters are.
        version = VersionRecord(
            sequence, arn, name, solution, training_mode, training_type, tags, run
        )
        self._versions[version.arn] = version
        return version

    def _version_status(self, version: VersionRecord) -> str:
        return version.progress(self._now)["status"]

    def _version_view(self, version: VersionRecord) -> SolutionVersionView:
        return version_view(version, self._now)

    def _campaign_view(self, campaign: CampaignRecord) -> CampaignView:
        return campaign_view(campaign, self._now, self._solution_of)

    def _solution_of(self, solution_version_arn: str) -> str:
        if solution_version_arn.endswith(LATEST_SUFFIX):
            return solution_version_arn[: -len(LATEST_SUFFIX)]
        return self._versions[solution_version_arn].solution.arn


def _check_name(name: str) -> str:
    """Refuse set-up names the service would refuse (the model's ``Name`` shape)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid Personalize name {name!r}: 1-63 of [a-zA-Z0-9-_]")
    return name
