"""Data deletion jobs: CreateDataDeletionJob, DescribeDataDeletionJob, ListDataDeletionJobs.

The part of the double the product's deletion path talks to. A job's status is derived from
double time and never stored: created at ``t`` with ``pending_seconds`` and ``run_seconds``, it
is PENDING on ``[t, t + pending)``, IN_PROGRESS until ``t + pending + run`` and COMPLETED (or
FAILED) from then on. :class:`DeletionJobsMixin` is a base class of the double and reaches
its clock, lock, validation and dataset groups only through the members declared at its top.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ServiceError, check_tag_count
from .pagination import paginate
from .resource_views import RunView
from .resources import DELETION_JOB_STATUSES, RunRecord
from .scenarios import REQUEST_SCENARIOS, SCENARIO_BUSY_REASON, RequestScenario
from .shapes import structure
from .validation import PatternMode, validate_request

JOB_OPERATIONS = ("CreateDataDeletionJob", "DescribeDataDeletionJob", "ListDataDeletionJobs")


@dataclass(frozen=True, kw_only=True)
class DataDeletionJobView(RunView):
    """Snapshot of a job as the service would describe it at the current double time."""

    job_name: str
    data_deletion_job_arn: str
    dataset_group_arn: str
    data_location: str
    role_arn: str
    tags: tuple[Mapping[str, str], ...]
    num_deleted: int | None

    def to_description(self) -> dict[str, Any]:
        """The ``DataDeletionJob`` structure of a Describe response.

        ``failureReason`` is only present for FAILED jobs and ``numDeleted`` only for
        COMPLETED ones, mirroring the service, which omits members it has no value for.
        """
        return structure(
            self,
            "jobName dataDeletionJobArn datasetGroupArn dataSource roleArn status"
            " creationDateTime lastUpdatedDateTime numDeleted failureReason",
            dataSource={"dataLocation": self.data_location},
        )

    def to_summary(self) -> dict[str, Any]:
        """The ``DataDeletionJobSummary`` structure of a List response."""
        return structure(
            self,
            "dataDeletionJobArn datasetGroupArn jobName status creationDateTime"
            " lastUpdatedDateTime failureReason",
        )


@dataclass
class _Job:
    """Mutable internal job state; the status is derived from double time, never stored."""

    sequence: int
    created: DataDeletionJobView
    """The job as created (its request, PENDING): every later view changes only progress."""
    run: RunRecord
    num_deleted: int | None = None


@dataclass
class _RequestPlan:
    """A request scenario as set: when its dataset group frees up, throttles still due."""

    scenario: RequestScenario
    busy_until: float | None
    throttles_left: int


class DeletionJobsMixin:
    """The deletion jobs' store, set-up calls, observations and ``_op_*`` handlers."""

    # Provided by PersonalizeDouble.
    account_id: str
    region: str
    pending_seconds: float
    run_seconds: float | Callable[[int], float]
    seconds_per_describe: float
    max_pending_jobs_per_dataset_group: int
    num_deleted: int | Callable[[DataDeletionJobView], int]
    busy_everywhere: tuple[str, float | None] | None
    pattern_mode: PatternMode
    _lock: threading.RLock
    _now: float
    _dataset_groups: set[str]
    _busy_dataset_groups: dict[str, tuple[str, float | None]]

    def _init_jobs(self) -> None:
        """Create the empty job store (called from the double's ``__init__``)."""
        self._jobs: dict[str, _Job] = {}
        self._jobs_by_arn: dict[str, _Job] = {}
        self._sequence = 0
        self._planned_failures: list[str] = []
        self._fail_all_reason: str | None = None
        self._request_scenarios: dict[str, _RequestPlan] = {}

    def set_request_scenario(self, job_name_prefix: str, name: str) -> None:
        """Treat the jobs whose name starts with ``job_name_prefix`` (one request's:
        ``<prefix>-<request name>-``) as scenario ``name`` says (see
        :data:`.scenarios.REQUEST_SCENARIOS`), whatever the double's own scenario."""
        if name not in REQUEST_SCENARIOS:
            raise ValueError(
                f"unknown scenario {name!r}; choose one of {sorted(REQUEST_SCENARIOS)}"
            )
        scenario = REQUEST_SCENARIOS[name]
        with self._lock:
            busy = scenario.busy_seconds
            self._request_scenarios[job_name_prefix] = _RequestPlan(
                scenario, None if busy is None else self._now + busy, scenario.throttled_creates
            )

    def _request_plan(self, job_name: str) -> _RequestPlan | None:
        matches = [p for p in self._request_scenarios if job_name.startswith(p)]
        return self._request_scenarios[max(matches, key=len)] if matches else None

    def _clear_planned_job_failures(self) -> None:
        self._planned_failures.clear()
        self._fail_all_reason = None

    def job_arn(self, job_name: str) -> str:
        """The ARN the double assigns to a data deletion job called ``job_name``."""
        return f"arn:aws:personalize:{self.region}:{self.account_id}:data-deletion-job/{job_name}"

    def fail_next_jobs(self, reason: str, count: int | None = 1) -> None:
        """Make the next ``count`` created jobs (``None``: all of them) end FAILED."""
        with self._lock:
            if count is None:
                self._fail_all_reason = reason
            else:
                self._planned_failures.extend([reason] * count)

    def fail_job(self, job_name: str, reason: str) -> None:
        """Make an existing, not yet terminal job end FAILED with ``reason``."""
        with self._lock:
            job = self._jobs.get(job_name)
            if job is None:
                raise KeyError(job_name)
            if self._status(job)[0] in ("COMPLETED", "FAILED"):
                raise ValueError(f"job {job_name!r} already reached a terminal status")
            job.run.failure_reason = reason

    # ------------------------------------------------------------ observations

    @property
    def jobs(self) -> dict[str, DataDeletionJobView]:
        """Every job by name, in creation order, as of the current double time (``jobs[name]``
        for one; ``KeyError`` if it does not exist)."""
        with self._lock:
            return {name: self._view(job) for name, job in self._jobs.items()}

    # -------------------------------------------------------------- internals

    def _status(self, job: _Job) -> tuple[str, float]:
        return job.run.status(self._now, DELETION_JOB_STATUSES)

    def _view(self, job: _Job) -> DataDeletionJobView:
        progress = job.run.progress(self._now, DELETION_JOB_STATUSES)
        view = dataclasses.replace(job.created, **progress)
        if progress["status"] != "COMPLETED":
            return view
        if job.num_deleted is None:
            source = self.num_deleted
            job.num_deleted = int(source(view) if callable(source) else source)
        return dataclasses.replace(view, num_deleted=job.num_deleted)

    def _op_CreateDataDeletionJob(self, body: dict[str, Any]) -> dict[str, Any]:
        tags = body.get("tags")
        check_tag_count(tags)
        validate_request("CreateDataDeletionJob", body, self.pattern_mode)
        name = body["jobName"]
        group = body["datasetGroupArn"]
        plan = self._request_plan(name)
        if plan is not None and plan.throttles_left > 0:
            plan.throttles_left -= 1
            raise ServiceError("LimitExceededException", "Rate exceeded")
        if group not in self._dataset_groups:
            raise ServiceError(
                "ResourceNotFoundException", f"Could not find the dataset group {group}."
            )
        if name in self._jobs:
            raise ServiceError(
                "ResourceAlreadyExistsException",
                f"A data deletion job with the name {name} already exists.",
            )
        busy_reason, busy_until = self._busy_dataset_groups.get(
            group, self.busy_everywhere or (None, None)
        )
        if plan is not None:
            busy_reason = SCENARIO_BUSY_REASON if plan.busy_until is not None else None
            busy_until = plan.busy_until
        if busy_reason is not None and (busy_until is None or self._now < busy_until):
            raise ServiceError(
                "ResourceInUseException",
                f"Cannot create a data deletion job for dataset group {group} while {busy_reason}.",
            )
        pending = sum(
            1
            for job in self._jobs.values()
            if job.created.dataset_group_arn == group and self._status(job)[0] == "PENDING"
        )
        limit = self.max_pending_jobs_per_dataset_group
        if pending >= limit:
            raise ServiceError(
                "LimitExceededException",
                f"Dataset group {group} already has {pending} data deletion jobs in PENDING "
                f"status; the limit is {limit}. Wait for a job to start before creating "
                "another one.",
            )
        failure = self._fail_all_reason
        if self._planned_failures:
            failure = self._planned_failures.pop(0)
        self._sequence += 1
        run_seconds = self.run_seconds
        if callable(run_seconds):
            run_seconds = float(run_seconds(self._sequence))
        pending_seconds = self.pending_seconds
        if plan is not None:
            failure = plan.scenario.failure_reason
            pending_seconds = plan.scenario.pending_seconds
            run_seconds = plan.scenario.run_seconds
        run = RunRecord(self._now, pending_seconds, run_seconds, failure)
        created = DataDeletionJobView(
            **run.progress(self._now, DELETION_JOB_STATUSES),
            job_name=name,
            data_deletion_job_arn=self.job_arn(name),
            dataset_group_arn=group,
            data_location=body["dataSource"].get("dataLocation", ""),
            role_arn=body["roleArn"],
            tags=tuple(dict(tag) for tag in tags or ()),
            num_deleted=None,
        )
        self._jobs[name] = self._jobs_by_arn[created.data_deletion_job_arn] = _Job(
            self._sequence, created, run
        )
        return {"dataDeletionJobArn": created.data_deletion_job_arn}

    def _op_DescribeDataDeletionJob(self, body: dict[str, Any]) -> dict[str, Any]:
        validate_request("DescribeDataDeletionJob", body, self.pattern_mode)
        self._now += self.seconds_per_describe
        arn = body["dataDeletionJobArn"]
        job = self._jobs_by_arn.get(arn)
        if job is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Could not find the data deletion job {arn}."
            )
        return {"dataDeletionJob": self._view(job).to_description()}

    def _op_ListDataDeletionJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first, paged like every list of the double (see :func:`.pagination.paginate`)."""
        validate_request("ListDataDeletionJobs", body, self.pattern_mode)
        group = body.get("datasetGroupArn")
        jobs = [j for j in self._jobs.values() if group in (None, j.created.dataset_group_arn)]
        return paginate("ListDataDeletionJobs", body, jobs, lambda j: self._view(j).to_summary())
