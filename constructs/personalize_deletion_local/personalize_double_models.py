"""The resources around a data deletion job, for the local Personalize double.

A data deletion job is not the whole story. Personalize's guide asks that no dataset import,
training or batch job runs on the dataset group while users are deleted (deletion from models
is not guaranteed otherwise), and models keep reflecting the deleted users until they are
retrained. The product therefore gets a *pre-flight* (list what is running before submitting)
and a *retraining* (a new FULL solution version per custom solution once the deletion job
COMPLETED, and campaign updates to serve it). This module gives
:class:`~personalize_deletion_local.personalize_double.PersonalizeDouble` the resources those
steps read and create, with the shapes and status machines of botocore's ``personalize``
model, so that code can be tested through boto3 against the double:

* datasets and dataset import jobs (``ListDatasets``, ``ListDatasetImportJobs``);
* solutions and solution versions (``ListSolutions``, ``DescribeSolution``,
  ``ListSolutionVersions``, ``DescribeSolutionVersion``, ``CreateSolutionVersion``);
* campaigns (``ListCampaigns``, ``DescribeCampaign``, ``UpdateCampaign``);
* batch inference and batch segment jobs (``ListBatchInferenceJobs``,
  ``ListBatchSegmentJobs``) and recommenders (``ListRecommenders``).

It lives apart from the double so the double's module stays about the wire protocol and the
deletion jobs. :class:`ResourceModelsMixin` is a base class of the double: it reaches the
double's clock, lock, validation and error type only through the members listed at the top
of the class, so this module never imports the double (no import cycle). Like the double it
needs only the standard library and botocore (its model types; the model itself is reached
through the double's validation), because the rehearsal CLI imports it without test
dependencies.

Statuses are derived from double time, never stored, exactly like the deletion jobs: a
resource created at ``t`` with ``pending_seconds`` and ``run_seconds`` is pending on
``[t, t + pending)``, running on ``[t + pending, t + pending + run)`` and terminal from then on.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, TypeVar

from botocore.model import Shape

__all__ = [
    "BATCH_JOB_STATUSES",
    "CREATE_STATUSES",
    "MODEL_OPERATIONS",
    "CampaignUpdateView",
    "CampaignView",
    "ResourceModelsMixin",
    "SolutionVersionView",
    "Statuses",
]

MODEL_OPERATIONS = (
    "ListDatasets",
    "ListDatasetImportJobs",
    "ListSolutions",
    "DescribeSolution",
    "ListSolutionVersions",
    "DescribeSolutionVersion",
    "CreateSolutionVersion",
    "ListCampaigns",
    "DescribeCampaign",
    "UpdateCampaign",
    "ListBatchInferenceJobs",
    "ListBatchSegmentJobs",
    "ListRecommenders",
)
"""The operations this module adds to the double (its handlers are the ``_op_*`` methods)."""

TrainingMode = Literal["FULL", "UPDATE", "AUTOTRAIN"]
DatasetType = Literal["Interactions", "Items", "Users", "Actions", "Action_Interactions"]

USER_PERSONALIZATION_RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
HRNN_COLDSTART_RECIPE = "arn:aws:personalize:::recipe/aws-hrnn-coldstart"
DOMAIN_RECIPE = "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you"
# "The UPDATE option can only be used when you already have an active solution version
# created from the input solution using the FULL option and the input solution was trained
# with the User-Personalization recipe or the legacy HRNN-Coldstart recipe."
_UPDATE_RECIPES = frozenset({USER_PERSONALIZATION_RECIPE, HRNN_COLDSTART_RECIPE})
LATEST_SUFFIX = "/$LATEST"
"""``SolutionArn/$LATEST``: how a campaign names "the latest version of this solution"."""
DEFAULT_AUTO_TRAINING_SCHEDULE = "rate(7 days)"
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}")  # the model's Name shape


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
BATCH_JOB_STATUSES = Statuses("PENDING", "IN PROGRESS", "ACTIVE", "CREATE FAILED")
"""Batch inference/segment jobs; the model documents exactly "PENDING, IN PROGRESS, ACTIVE,
CREATE FAILED" for ``BatchInferenceJobSummary.status`` and ``BatchSegmentJobSummary.status``
(with a space in ``IN PROGRESS``, unlike the other kinds' ``CREATE IN_PROGRESS``)."""


# --------------------------------------------------------------------------- records


@dataclass
class _Run:
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


@dataclass
class _Dataset:
    sequence: int
    arn: str
    name: str
    dataset_group_arn: str
    dataset_type: str
    created_at: float

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "datasetArn": self.arn,
            "datasetType": self.dataset_type,
            "status": "ACTIVE",
            "creationDateTime": self.created_at,
            "lastUpdatedDateTime": self.created_at,
        }


@dataclass
class _Import:
    sequence: int
    arn: str
    name: str
    dataset_arn: str
    import_mode: str
    run: _Run

    def summary(self, now: float) -> dict[str, Any]:
        status, updated = self.run.status(now, CREATE_STATUSES)
        summary = {
            "datasetImportJobArn": self.arn,
            "jobName": self.name,
            "status": status,
            "creationDateTime": self.run.created_at,
            "lastUpdatedDateTime": updated,
            "importMode": self.import_mode,
        }
        return _with_failure(summary, status, CREATE_STATUSES, self.run.failure_reason)


@dataclass
class _Solution:
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

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "solutionArn": self.arn,
            "status": "ACTIVE",
            "creationDateTime": self.created_at,
            "lastUpdatedDateTime": self.created_at,
            "recipeArn": self.recipe_arn,
        }


@dataclass
class _Version:
    sequence: int
    arn: str
    name: str | None
    solution: _Solution
    training_mode: str
    training_type: str
    tags: tuple[Mapping[str, str], ...]
    run: _Run


@dataclass
class _CampaignUpdate:
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]
    run: _Run


@dataclass
class _Campaign:
    sequence: int
    arn: str
    name: str
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: dict[str, Any]
    created_at: float
    updates: list[_CampaignUpdate] = field(default_factory=list)


@dataclass
class _BatchJob:
    sequence: int
    kind: Literal["inference", "segment"]
    arn: str
    name: str
    solution_version_arn: str
    run: _Run

    def summary(self, now: float) -> dict[str, Any]:
        status, updated = self.run.status(now, BATCH_JOB_STATUSES)
        summary: dict[str, Any] = {
            f"batch{self.kind.capitalize()}JobArn": self.arn,
            "jobName": self.name,
            "status": status,
            "creationDateTime": self.run.created_at,
            "lastUpdatedDateTime": updated,
        }
        summary = _with_failure(summary, status, BATCH_JOB_STATUSES, self.run.failure_reason)
        summary["solutionVersionArn"] = self.solution_version_arn
        if self.kind == "inference":
            summary["batchInferenceJobMode"] = "BATCH_INFERENCE"
        return summary


@dataclass
class _Recommender:
    sequence: int
    arn: str
    name: str
    dataset_group_arn: str
    recipe_arn: str
    recommender_config: dict[str, Any] | None
    created_at: float

    def summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "name": self.name,
            "recommenderArn": self.arn,
            "datasetGroupArn": self.dataset_group_arn,
            "recipeArn": self.recipe_arn,
        }
        if self.recommender_config is not None:
            summary["recommenderConfig"] = copy.deepcopy(self.recommender_config)
        summary.update(
            status="ACTIVE", creationDateTime=self.created_at, lastUpdatedDateTime=self.created_at
        )
        return summary


def _with_failure(
    summary: dict[str, Any], status: str, statuses: Statuses, reason: str | None
) -> dict[str, Any]:
    """Add ``failureReason`` (only to failed resources, as the service does)."""
    if status == statuses.failed and reason is not None:
        summary["failureReason"] = reason
    return summary


# ----------------------------------------------------------------------------- views


@dataclass(frozen=True)
class SolutionVersionView:
    """Snapshot of a solution version as the service would describe it at double time."""

    solution_version_arn: str
    name: str | None
    solution_arn: str
    dataset_group_arn: str
    recipe_arn: str
    solution_config: Mapping[str, Any]
    training_mode: str
    training_type: str
    tags: tuple[Mapping[str, str], ...]
    status: str
    creation_date_time: float
    last_updated_date_time: float
    failure_reason: str | None
    training_hours: float | None

    def to_summary(self) -> dict[str, Any]:
        """The ``SolutionVersionSummary`` of ListSolutionVersions / latestSolutionVersion."""
        summary: dict[str, Any] = {
            "solutionVersionArn": self.solution_version_arn,
            "status": self.status,
            "trainingMode": self.training_mode,
            "trainingType": self.training_type,
            "creationDateTime": self.creation_date_time,
            "lastUpdatedDateTime": self.last_updated_date_time,
        }
        if self.failure_reason is not None:
            summary["failureReason"] = self.failure_reason
        return summary

    def to_description(self) -> dict[str, Any]:
        """The ``SolutionVersion`` structure of DescribeSolutionVersion.

        ``trainingHours`` only for ACTIVE versions ("visible only after Amazon Personalize
        successfully trains a model"), ``failureReason`` only for CREATE FAILED ones.
        """
        description: dict[str, Any] = {}
        if self.name is not None:
            description["name"] = self.name
        description.update(
            solutionVersionArn=self.solution_version_arn,
            solutionArn=self.solution_arn,
            performHPO=False,
            performAutoML=False,
            recipeArn=self.recipe_arn,
            datasetGroupArn=self.dataset_group_arn,
        )
        if self.solution_config:
            description["solutionConfig"] = copy.deepcopy(dict(self.solution_config))
        if self.training_hours is not None:
            description["trainingHours"] = self.training_hours
        description.update(trainingMode=self.training_mode, status=self.status)
        if self.failure_reason is not None:
            description["failureReason"] = self.failure_reason
        description.update(
            creationDateTime=self.creation_date_time,
            lastUpdatedDateTime=self.last_updated_date_time,
            trainingType=self.training_type,
        )
        return description


@dataclass(frozen=True)
class CampaignUpdateView:
    """Snapshot of a campaign's latest UpdateCampaign (``latestCampaignUpdate``)."""

    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: Mapping[str, Any]
    status: str
    creation_date_time: float
    last_updated_date_time: float
    failure_reason: str | None

    def to_summary(self) -> dict[str, Any]:
        """The ``CampaignUpdateSummary`` structure."""
        summary: dict[str, Any] = {
            "solutionVersionArn": self.solution_version_arn,
            "minProvisionedTPS": self.min_provisioned_tps,
            "campaignConfig": copy.deepcopy(dict(self.campaign_config)),
            "status": self.status,
        }
        if self.failure_reason is not None:
            summary["failureReason"] = self.failure_reason
        summary.update(
            creationDateTime=self.creation_date_time,
            lastUpdatedDateTime=self.last_updated_date_time,
        )
        return summary


@dataclass(frozen=True)
class CampaignView:
    """Snapshot of a campaign at double time: what it *serves* plus its latest update.

    ``solution_version_arn``, ``min_provisioned_tps`` and ``campaign_config`` change only
    when an update reaches ACTIVE: "The campaign will use the previous solution version and
    campaign configuration to generate recommendations until the latest campaign update
    status is Active."
    """

    campaign_arn: str
    name: str
    solution_arn: str
    solution_version_arn: str
    min_provisioned_tps: int
    campaign_config: Mapping[str, Any]
    status: str
    creation_date_time: float
    last_updated_date_time: float
    latest_update: CampaignUpdateView | None

    @property
    def sync_with_latest(self) -> bool:
        """``campaignConfig.syncWithLatestSolutionVersion`` of the serving configuration."""
        return bool(self.campaign_config.get("syncWithLatestSolutionVersion", False))

    def to_summary(self) -> dict[str, Any]:
        """The ``CampaignSummary`` structure of ListCampaigns."""
        return {
            "name": self.name,
            "campaignArn": self.campaign_arn,
            "status": self.status,
            "creationDateTime": self.creation_date_time,
            "lastUpdatedDateTime": self.last_updated_date_time,
        }

    def to_description(self) -> dict[str, Any]:
        """The ``Campaign`` structure of DescribeCampaign.

        "The latestCampaignUpdate field is only returned when the campaign has had at least
        one UpdateCampaign call."
        """
        description: dict[str, Any] = {
            "name": self.name,
            "campaignArn": self.campaign_arn,
            "solutionVersionArn": self.solution_version_arn,
            "minProvisionedTPS": self.min_provisioned_tps,
            "campaignConfig": copy.deepcopy(dict(self.campaign_config)),
            "status": self.status,
            "creationDateTime": self.creation_date_time,
            "lastUpdatedDateTime": self.last_updated_date_time,
        }
        if self.latest_update is not None:
            description["latestCampaignUpdate"] = self.latest_update.to_summary()
        return description


# ------------------------------------------------------------------------ pagination


class _Sequenced(Protocol):
    sequence: int


_R = TypeVar("_R", bound=_Sequenced)
_PAGING_MEMBERS = frozenset({"nextToken", "maxResults"})


def _encode_token(after_sequence: int, operation: str, query: Mapping[str, Any]) -> str:
    raw = json.dumps(
        {"v": 2, "op": operation, "query": query, "after": after_sequence},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: str, operation: str, query: Mapping[str, Any]) -> int | None:
    """The sequence a page starts after, or ``None`` for a token of another query."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("v") != 2
        or data.get("op") != operation
        or data.get("query") != dict(query)
        or not isinstance(data.get("after"), int)
    ):
        return None
    return data["after"]


# ----------------------------------------------------------------------------- mixin


class ResourceModelsMixin:
    """Datasets, imports, solutions, versions, campaigns, batch jobs and recommenders.

    A base class of ``PersonalizeDouble``; it adds the set-up API, the observations and the
    ``_op_*`` handlers of :data:`MODEL_OPERATIONS`. Everything it needs from the double is
    declared just below (the double sets or defines all of it).
    """

    # Provided by PersonalizeDouble.
    MAX_TAGS: ClassVar[int]
    account_id: str
    region: str
    pending_seconds: float
    seconds_per_describe: float
    training_seconds: float
    campaign_update_seconds: float
    _lock: threading.RLock
    _now: float
    _dataset_groups: set[str]

    def _validate(self, operation: str, body: dict[str, Any]) -> None:
        raise NotImplementedError

    def _service_error(self, code: str, message: str) -> Exception:
        raise NotImplementedError

    def _input_shape(self, operation: str) -> Shape:
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    def _init_models(self) -> None:
        """Create the empty resource stores (called from the double's ``__init__``)."""
        self._model_sequence = 0
        self._datasets: dict[str, _Dataset] = {}
        self._imports: dict[str, _Import] = {}
        self._solutions: dict[str, _Solution] = {}
        self._versions: dict[str, _Version] = {}
        self._campaigns: dict[str, _Campaign] = {}
        self._batch_jobs: dict[str, _BatchJob] = {}
        self._recommenders: dict[str, _Recommender] = {}
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
            self._datasets[arn] = _Dataset(
                self._next_sequence(),
                arn,
                name,
                dataset_group_arn,
                dataset_type.upper(),
                self._now,
            )
            return arn

    def start_import(
        self,
        dataset_arn: str,
        job_name: str,
        seconds: float,
        *,
        pending_seconds: float = 0.0,
        failure_reason: str | None = None,
        import_mode: Literal["FULL", "INCREMENTAL"] = "FULL",
    ) -> str:
        """Start a dataset import job now: CREATE PENDING for ``pending_seconds``, CREATE
        IN_PROGRESS for ``seconds``, then ACTIVE (CREATE FAILED with ``failure_reason``).

        Returns the job ARN (``.../dataset-import-job/<job_name>``).
        """
        with self._lock:
            if dataset_arn not in self._datasets:
                raise KeyError(dataset_arn)
            arn = self._arn(f"dataset-import-job/{job_name}")
            self._require_new(self._imports, arn, job_name)
            run = _Run(self._now, pending_seconds, seconds, failure_reason)
            self._imports[arn] = _Import(
                self._next_sequence(), arn, job_name, dataset_arn, import_mode, run
            )
            return arn

    def add_solution(
        self,
        dataset_group_arn: str,
        name: str,
        *,
        recipe_arn: str = USER_PERSONALIZATION_RECIPE,
        perform_auto_training: bool = False,
    ) -> tuple[str, str]:
        """Add an ACTIVE custom solution with one ACTIVE FULL (MANUAL) solution version.

        With ``perform_auto_training`` the solution reports ``performAutoTraining`` and the
        service's default schedule (``rate(7 days)``); the double never trains on its own,
        use :meth:`start_training` with ``automatic=True`` for that.
        Returns ``(solution ARN, initial version ARN)``.
        """
        with self._lock:
            self._require_group(dataset_group_arn)
            arn = self.solution_arn(name)
            self._require_new(self._solutions, arn, name)
            solution = _Solution(
                self._next_sequence(),
                arn,
                name,
                dataset_group_arn,
                recipe_arn,
                perform_auto_training,
                self._now,
            )
            self._solutions[arn] = solution
            version = self._add_version(solution, None, "FULL", "MANUAL", (), _Run(self._now))
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
            run = _Run(self._now, pending_seconds, seconds, failure_reason)
            training_type = "AUTOMATIC" if automatic else "MANUAL"
            return self._add_version(solution, name, training_mode, training_type, (), run).arn

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
            self._campaigns[arn] = _Campaign(
                sequence=self._next_sequence(),
                arn=arn,
                name=name,
                solution_version_arn=solution_version_arn,
                min_provisioned_tps=min_provisioned_tps,
                campaign_config={"syncWithLatestSolutionVersion": sync_with_latest},
                created_at=self._now,
            )
            return arn

    def start_batch_inference_job(
        self,
        solution_version_arn: str,
        job_name: str,
        seconds: float,
        *,
        pending_seconds: float = 0.0,
        failure_reason: str | None = None,
    ) -> str:
        """Start a batch inference job on a solution version now: PENDING for
        ``pending_seconds``, IN PROGRESS for ``seconds``, then ACTIVE (or CREATE FAILED).

        Returns the job ARN (``.../batch-inference-job/<job_name>``).
        """
        return self._start_batch_job(
            "inference", solution_version_arn, job_name, seconds, pending_seconds, failure_reason
        )

    def start_batch_segment_job(
        self,
        solution_version_arn: str,
        job_name: str,
        seconds: float,
        *,
        pending_seconds: float = 0.0,
        failure_reason: str | None = None,
    ) -> str:
        """Like :meth:`start_batch_inference_job`, for a batch segment job
        (``.../batch-segment-job/<job_name>``)."""
        return self._start_batch_job(
            "segment", solution_version_arn, job_name, seconds, pending_seconds, failure_reason
        )

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
            self._recommenders[arn] = _Recommender(
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

    def solution_version(self, arn: str) -> SolutionVersionView:
        """One solution version as of double time; ``KeyError`` if it does not exist."""
        with self._lock:
            return self._version_view(self._versions[arn])

    @property
    def campaigns(self) -> dict[str, CampaignView]:
        """Every campaign by ARN, oldest first, as of the current double time."""
        with self._lock:
            return {arn: self._campaign_view(campaign) for arn, campaign in self._campaigns.items()}

    def campaign(self, arn: str) -> CampaignView:
        """One campaign as of double time; ``KeyError`` if it does not exist."""
        with self._lock:
            return self._campaign_view(self._campaigns[arn])

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
        solution: _Solution,
        name: str | None,
        training_mode: str,
        training_type: str,
        tags: tuple[Mapping[str, str], ...],
        run: _Run,
    ) -> _Version:
        sequence = self._next_sequence()
        # Version ids are 8 hex digits in the service; derived, so runs are reproducible.
        version_id = hashlib.sha256(f"{solution.arn}#{sequence}".encode()).hexdigest()[:8]
        version = _Version(
            sequence=sequence,
            arn=f"{solution.arn}/{version_id}",
            name=name,
            solution=solution,
            training_mode=training_mode,
            training_type=training_type,
            tags=tags,
            run=run,
        )
        self._versions[version.arn] = version
        return version

    def _start_batch_job(
        self,
        kind: Literal["inference", "segment"],
        solution_version_arn: str,
        job_name: str,
        seconds: float,
        pending_seconds: float,
        failure_reason: str | None,
    ) -> str:
        with self._lock:
            if solution_version_arn not in self._versions:
                raise KeyError(solution_version_arn)
            arn = self._arn(f"batch-{kind}-job/{job_name}")
            self._require_new(self._batch_jobs, arn, job_name)
            run = _Run(self._now, pending_seconds, seconds, failure_reason)
            self._batch_jobs[arn] = _BatchJob(
                self._next_sequence(), kind, arn, job_name, solution_version_arn, run
            )
            return arn

    def _version_status(self, version: _Version) -> str:
        return version.run.status(self._now, CREATE_STATUSES)[0]

    def _version_view(self, version: _Version) -> SolutionVersionView:
        status, updated = version.run.status(self._now, CREATE_STATUSES)
        solution = version.solution
        return SolutionVersionView(
            solution_version_arn=version.arn,
            name=version.name,
            solution_arn=solution.arn,
            dataset_group_arn=solution.dataset_group_arn,
            recipe_arn=solution.recipe_arn,
            solution_config=solution.solution_config,
            training_mode=version.training_mode,
            training_type=version.training_type,
            tags=version.tags,
            status=status,
            creation_date_time=version.run.created_at,
            last_updated_date_time=updated,
            failure_reason=version.run.failure_reason if status == "CREATE FAILED" else None,
            training_hours=version.run.run_seconds / 3600 if status == "ACTIVE" else None,
        )

    def _campaign_view(self, campaign: _Campaign) -> CampaignView:
        serving = (campaign.solution_version_arn, campaign.min_provisioned_tps)
        config, updated = campaign.campaign_config, campaign.created_at
        latest: CampaignUpdateView | None = None
        for update in campaign.updates:
            status, update_time = update.run.status(self._now, CREATE_STATUSES)
            if status == "ACTIVE":
                serving = (update.solution_version_arn, update.min_provisioned_tps)
                config, updated = update.campaign_config, update_time
            latest = CampaignUpdateView(
                solution_version_arn=update.solution_version_arn,
                min_provisioned_tps=update.min_provisioned_tps,
                campaign_config=copy.deepcopy(update.campaign_config),
                status=status,
                creation_date_time=update.run.created_at,
                last_updated_date_time=update_time,
                failure_reason=update.run.failure_reason if status == "CREATE FAILED" else None,
            )
        return CampaignView(
            campaign_arn=campaign.arn,
            name=campaign.name,
            solution_arn=self._solution_of(serving[0]),
            solution_version_arn=serving[0],
            min_provisioned_tps=serving[1],
            campaign_config=copy.deepcopy(config),
            status="ACTIVE",
            creation_date_time=campaign.created_at,
            last_updated_date_time=updated,
            latest_update=latest,
        )

    def _solution_of(self, solution_version_arn: str) -> str:
        if solution_version_arn.endswith(LATEST_SUFFIX):
            return solution_version_arn[: -len(LATEST_SUFFIX)]
        return self._versions[solution_version_arn].solution.arn

    def _not_found(self, kind: str, arn: str) -> Exception:
        return self._service_error("ResourceNotFoundException", f"Could not find the {kind} {arn}.")

    def _paginate(
        self,
        operation: str,
        body: Mapping[str, Any],
        key: str,
        records: Iterable[_R],
        render: Callable[[_R], dict[str, Any]],
    ) -> dict[str, Any]:
        """One page of ``records``, newest first (AWS documents no order).

        ``maxResults`` defaults to the model's maximum for the operation (100; "The default
        value is 100" in ListBatchInferenceJobs). The opaque ``nextToken`` encodes the
        sequence number of the last record returned plus the operation and its filter
        members, so pages stay stable while records are added between calls and a token is
        refused (``InvalidNextTokenException``) by any other query.
        """
        query = {name: value for name, value in body.items() if name not in _PAGING_MEMBERS}
        limit = body.get("maxResults") or self._input_shape(operation).members[
            "maxResults"
        ].metadata.get("max", 100)
        after = None
        if body.get("nextToken") is not None:
            after = _decode_token(body["nextToken"], operation, query)
            if after is None:
                raise self._service_error("InvalidNextTokenException", "The next token is invalid.")
        ordered = sorted(records, key=lambda record: record.sequence, reverse=True)
        remaining = [record for record in ordered if after is None or record.sequence < after]
        page = remaining[:limit]
        result: dict[str, Any] = {key: [render(record) for record in page]}
        if len(remaining) > limit:
            result["nextToken"] = _encode_token(page[-1].sequence, operation, query)
        return result

    # ---------------------------------------------------------------- handlers

    def _op_ListDatasets(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("ListDatasets", body)
        group = body.get("datasetGroupArn")
        datasets = [d for d in self._datasets.values() if group in (None, d.dataset_group_arn)]
        return self._paginate("ListDatasets", body, "datasets", datasets, _Dataset.summary)

    def _op_ListDatasetImportJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("ListDatasetImportJobs", body)
        dataset = body.get("datasetArn")
        jobs = [job for job in self._imports.values() if dataset in (None, job.dataset_arn)]
        return self._paginate(
            "ListDatasetImportJobs",
            body,
            "datasetImportJobs",
            jobs,
            lambda job: job.summary(self._now),
        )

    def _op_ListSolutions(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("ListSolutions", body)
        group = body.get("datasetGroupArn")
        solutions = [s for s in self._solutions.values() if group in (None, s.dataset_group_arn)]
        return self._paginate("ListSolutions", body, "solutions", solutions, _Solution.summary)

    def _op_DescribeSolution(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("DescribeSolution", body)
        self._now += self.seconds_per_describe
        solution = self._solutions.get(body["solutionArn"])
        if solution is None:
            raise self._not_found("solution", body["solutionArn"])
        description: dict[str, Any] = {
            "name": solution.name,
            "solutionArn": solution.arn,
            "performHPO": False,
            "performAutoML": False,
            "performAutoTraining": solution.perform_auto_training,
            "recipeArn": solution.recipe_arn,
            "datasetGroupArn": solution.dataset_group_arn,
        }
        if solution.solution_config:
            description["solutionConfig"] = solution.solution_config
        description.update(
            status="ACTIVE",
            creationDateTime=solution.created_at,
            lastUpdatedDateTime=solution.created_at,
        )
        versions = [v for v in self._versions.values() if v.solution is solution]
        if versions:
            description["latestSolutionVersion"] = self._version_view(versions[-1]).to_summary()
        return {"solution": description}

    def _op_ListSolutionVersions(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("ListSolutionVersions", body)
        solution = body.get("solutionArn")
        if solution is not None and solution not in self._solutions:
            raise self._not_found("solution", solution)
        versions = [v for v in self._versions.values() if solution in (None, v.solution.arn)]
        return self._paginate(
            "ListSolutionVersions",
            body,
            "solutionVersions",
            versions,
            lambda version: self._version_view(version).to_summary(),
        )

    def _op_DescribeSolutionVersion(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("DescribeSolutionVersion", body)
        self._now += self.seconds_per_describe
        version = self._versions.get(body["solutionVersionArn"])
        if version is None:
            raise self._not_found("solution version", body["solutionVersionArn"])
        return {"solutionVersion": self._version_view(version).to_description()}

    def _op_CreateSolutionVersion(self, body: dict[str, Any]) -> dict[str, Any]:
        tags = body.get("tags")
        if isinstance(tags, list) and len(tags) > self.MAX_TAGS:
            raise self._service_error(
                "TooManyTagsException",
                f"The number of tags ({len(tags)}) exceeds the limit of {self.MAX_TAGS}.",
            )
        self._validate("CreateSolutionVersion", body)
        solution = self._solutions.get(body["solutionArn"])
        if solution is None:
            raise self._not_found("solution", body["solutionArn"])
        mine = [v for v in self._versions.values() if v.solution is solution]
        running = [v for v in mine if self._version_status(v) in CREATE_STATUSES.in_progress]
        if running:
            raise self._service_error(
                "ResourceInUseException",
                f"The solution {solution.arn} already has a solution version in progress "
                f"({running[-1].arn}). Wait until it is ACTIVE or CREATE FAILED.",
            )
        name = body.get("name")
        if name is not None and any(v.name == name for v in mine):
            raise self._service_error(
                "ResourceAlreadyExistsException",
                f"A solution version with the name {name} already exists for {solution.arn}.",
            )
        mode = body.get("trainingMode", "FULL")
        if mode == "UPDATE" and not (
            solution.recipe_arn in _UPDATE_RECIPES
            and any(v.training_mode == "FULL" and self._version_status(v) == "ACTIVE" for v in mine)
        ):
            raise self._service_error(
                "InvalidInputException",
                "trainingMode UPDATE requires an ACTIVE FULL solution version of a solution "
                "using the User-Personalization or HRNN-Coldstart recipe.",
            )
        failure = self._planned_version_failures.pop(0) if self._planned_version_failures else None
        run = _Run(self._now, self.pending_seconds, self.training_seconds, failure)
        stored_tags = tuple(dict(tag) for tag in tags or ())
        version = self._add_version(solution, name, mode, "MANUAL", stored_tags, run)
        return {"solutionVersionArn": version.arn}

    def _op_ListCampaigns(self, body: dict[str, Any]) -> dict[str, Any]:
        """Filtered by the solution each campaign *serves* now (a pending update to another
        solution's version does not move it yet)."""
        self._validate("ListCampaigns", body)
        solution = body.get("solutionArn")
        campaigns = [
            campaign
            for campaign in self._campaigns.values()
            if solution in (None, self._campaign_view(campaign).solution_arn)
        ]
        return self._paginate(
            "ListCampaigns",
            body,
            "campaigns",
            campaigns,
            lambda campaign: self._campaign_view(campaign).to_summary(),
        )

    def _op_DescribeCampaign(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("DescribeCampaign", body)
        self._now += self.seconds_per_describe
        campaign = self._campaigns.get(body["campaignArn"])
        if campaign is None:
            raise self._not_found("campaign", body["campaignArn"])
        return {"campaign": self._campaign_view(campaign).to_description()}

    def _op_UpdateCampaign(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start a campaign update; the campaign keeps serving until it is ACTIVE.

        "To update a campaign, the campaign status must be ACTIVE or CREATE FAILED"; a
        second update while one is pending or in progress is ``ResourceInUseException``.
        Omitted members keep their serving values; ``campaignConfig`` members are merged.
        """
        self._validate("UpdateCampaign", body)
        campaign = self._campaigns.get(body["campaignArn"])
        if campaign is None:
            raise self._not_found("campaign", body["campaignArn"])
        view = self._campaign_view(campaign)
        if view.latest_update is not None and view.latest_update.status in (
            CREATE_STATUSES.in_progress
        ):
            raise self._service_error(
                "ResourceInUseException",
                f"The campaign {campaign.arn} has an update in progress "
                f"({view.latest_update.status}). Wait until it is ACTIVE or CREATE FAILED.",
            )
        target = body.get("solutionVersionArn", view.solution_version_arn)
        config = {**view.campaign_config, **copy.deepcopy(body.get("campaignConfig") or {})}
        if target.endswith(LATEST_SUFFIX):
            if target[: -len(LATEST_SUFFIX)] not in self._solutions:
                raise self._not_found("solution", target[: -len(LATEST_SUFFIX)])
        elif config.get("syncWithLatestSolutionVersion"):
            raise self._service_error(
                "InvalidInputException",
                "When syncWithLatestSolutionVersion is true, solutionVersionArn must be the "
                f"ARN of your solution in SolutionArn/$LATEST format, not {target}.",
            )
        elif target not in self._versions:
            raise self._not_found("solution version", target)
        elif self._version_status(self._versions[target]) != "ACTIVE":
            raise self._service_error(
                "InvalidInputException",
                f"The solution version {target} is not ACTIVE "
                f"({self._version_status(self._versions[target])}).",
            )
        failure = self._planned_update_failures.pop(0) if self._planned_update_failures else None
        campaign.updates.append(
            _CampaignUpdate(
                solution_version_arn=target,
                min_provisioned_tps=body.get("minProvisionedTPS", view.min_provisioned_tps),
                campaign_config=config,
                run=_Run(self._now, self.pending_seconds, self.campaign_update_seconds, failure),
            )
        )
        return {"campaignArn": campaign.arn}

    def _op_ListBatchInferenceJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._list_batch_jobs("ListBatchInferenceJobs", "inference", body)

    def _op_ListBatchSegmentJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._list_batch_jobs("ListBatchSegmentJobs", "segment", body)

    def _list_batch_jobs(self, operation: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        self._validate(operation, body)
        version = body.get("solutionVersionArn")
        jobs = [
            job
            for job in self._batch_jobs.values()
            if job.kind == kind and version in (None, job.solution_version_arn)
        ]
        key = f"batch{kind.capitalize()}Jobs"
        return self._paginate(operation, body, key, jobs, lambda job: job.summary(self._now))

    def _op_ListRecommenders(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("ListRecommenders", body)
        group = body.get("datasetGroupArn")
        found = [r for r in self._recommenders.values() if group in (None, r.dataset_group_arn)]
        return self._paginate("ListRecommenders", body, "recommenders", found, _Recommender.summary)


def _check_name(name: str) -> str:
    """Refuse set-up names the service would refuse (the model's ``Name`` shape)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid Personalize name {name!r}: 1-63 of [a-zA-Z0-9-_]")
    return name
