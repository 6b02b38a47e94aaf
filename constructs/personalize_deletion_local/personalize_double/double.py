"""A local, wire-faithful test double for Amazon Personalize data deletion jobs.

moto does not implement ``CreateDataDeletionJob`` and friends, and stubbing boto3
(``botocore.stub.Stubber``) would skip exactly the parts that break in production:
request serialization, error parsing and the retry policy. This module therefore runs a
tiny HTTP server on ``127.0.0.1`` that speaks Personalize's real wire protocol
(``awsJson1_1``: ``POST /`` with ``X-Amz-Target: AmazonPersonalize.<Operation>`` and a
JSON body; errors are HTTP 4xx/5xx with ``{"__type": ..., "message": ...}``). Point a
real boto3 client at it with ``endpoint_url=double.endpoint_url`` (or the
``AWS_ENDPOINT_URL_PERSONALIZE`` environment variable) and every layer of the SDK runs.

One concern per module: this one holds the double's state, clock, faults and dispatch;
``server`` the HTTP side; ``validation`` the request checks against botocore's own service
model (constraint changes in a botocore upgrade flow into the double by themselves);
``jobs`` the deletion job operations; ``model_setup``, ``model_operations``, ``resources``
and ``resource_views`` the resources a pre-flight and a retraining read and create
(datasets, imports, solutions and versions, campaigns, batch jobs, recommenders);
``pagination`` the List paging; ``scenarios`` the rehearsal's named configurations.

Job progress is driven by *double time*, a clock that only moves when told to
(``advance()``) or by a fixed step on every Describe call (``seconds_per_describe``).
That keeps lifecycle tests deterministic and lets a rehearsal compress an hour-long
deletion into a handful of polls.

Example::

    with PersonalizeDouble(pending_seconds=10, run_seconds=60) as double:
        group = double.add_dataset_group(double.dataset_group_arn("movies"))
        client = boto3.client("personalize", endpoint_url=double.endpoint_url, ...)
        arn = client.create_data_deletion_job(...)["dataDeletionJobArn"]
        double.advance(70)
        assert client.describe_data_deletion_job(dataDeletionJobArn=arn)[
            "dataDeletionJob"]["status"] == "COMPLETED"

Standard library plus botocore (for the service model) only, so the rehearsal CLI can
import it without test dependencies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import DEFAULT_ERROR_STATUS, MAX_TAGS, ServiceError, default_fault_message
from .jobs import JOB_OPERATIONS, DataDeletionJobView, DeletionJobsMixin
from .model_operations import MODEL_OPERATIONS, ModelOperationsMixin
from .scenarios import (
    SCENARIO_BUSY_REASON,
    SCENARIO_BUSY_SECONDS,
    SCENARIO_FAILURE_REASON,
    SCENARIOS,
    furnish_models,
)
from .server import TARGET_PREFIX, Server
from .validation import PatternMode

OPERATIONS = (*JOB_OPERATIONS, *MODEL_OPERATIONS)


@dataclass(frozen=True)
class RecordedCall:
    """One request the double received, in arrival order.

    ``body`` is the parsed JSON (or the raw text when it was not valid JSON), ``status``
    the HTTP status returned and ``error_code`` the ``__type`` sent back (``None`` on
    success). Injected faults and retried attempts are recorded too, which is what lets
    tests assert how many attempts boto3's retry policy actually made.
    """

    operation: str
    body: Any
    status: int
    error_code: str | None
    double_time: float


@dataclass
class _Fault:
    operation: str | None
    code: str
    status: int
    message: str
    remaining: int


class PersonalizeDouble(DeletionJobsMixin, ModelOperationsMixin):
    """An in-process Personalize endpoint for data deletion jobs and the resources around
    them (one account, one region; see :mod:`.jobs` and :mod:`.model_setup`).

    Thread-safe: all state sits behind one re-entrant lock, and each request is handled
    entirely under it, so tests see a linearizable service.
    """

    MAX_TAGS: ClassVar[int] = MAX_TAGS
    """Tags per Personalize resource (the API's list type allows 200; the service, 50)."""

    def __init__(
        self,
        *,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        pending_seconds: float = 60.0,
        run_seconds: float | Callable[[int], float] = 600.0,
        seconds_per_describe: float = 0.0,
        training_seconds: float = 3600.0,
        campaign_update_seconds: float = 600.0,
        start_time: float | None = None,
        num_deleted: int | Callable[[DataDeletionJobView], int] = 0,
        max_pending_jobs_per_dataset_group: int = 5,
        dataset_group_arns: Iterable[str] = (),
        pattern_mode: PatternMode = "match",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Configure the double; the server starts on :meth:`start` / ``with``.

        Args:
            account_id, region: where jobs live; used to build job ARNs.
            pending_seconds: double time a new job, a version from CreateSolutionVersion or
                an UpdateCampaign spends (CREATE) PENDING (captured per resource at create
                time, so changing it later only affects new ones).
            run_seconds: double time a job spends IN_PROGRESS before its terminal
                status. ``math.inf`` keeps jobs running forever. A callable gets the job's
                creation sequence number (1, 2, ...) and returns its duration, for scenarios
                that mix short and long jobs.
            seconds_per_describe: how far double time advances on every Describe call
                (DescribeDataDeletionJob, -Solution, -SolutionVersion, -Campaign), before
                answering. ``0`` means the clock only moves through :meth:`advance`; a
                positive value gives a time-compressed service for rehearsals.
            training_seconds, campaign_update_seconds: double time a version created by
                CreateSolutionVersion spends CREATE IN_PROGRESS, and an UpdateCampaign spends
                CREATE IN_PROGRESS, after ``pending_seconds``.
            start_time: double time origin as epoch seconds; defaults to wall time now.
                Pass a constant for byte-for-byte reproducible responses.
            num_deleted: ``numDeleted`` reported for COMPLETED jobs, or a callable
                computing it from the job (called once, the first time the job is
                observed COMPLETED), e.g. counting the rows of the S3 CSV.
            max_pending_jobs_per_dataset_group: the service quota (5) on PENDING jobs.
            dataset_group_arns: dataset groups that exist from the start.
            pattern_mode: regex semantics for model patterns; see
                :func:`validate_against_shape`.
            host, port: bind address; port 0 picks a free ephemeral port.
        """
        self.account_id = account_id
        self.region = region
        self.pending_seconds = float(pending_seconds)
        self.run_seconds = run_seconds if callable(run_seconds) else float(run_seconds)
        self.seconds_per_describe = float(seconds_per_describe)
        self.training_seconds = float(training_seconds)
        self.campaign_update_seconds = float(campaign_update_seconds)
        self.max_pending_jobs_per_dataset_group = max_pending_jobs_per_dataset_group
        self.pattern_mode: PatternMode = pattern_mode
        self.num_deleted = num_deleted
        self._now = float(time.time() if start_time is None else start_time)
        self._lock = threading.RLock()
        self._dataset_groups: set[str] = set(dataset_group_arns)
        self._busy_dataset_groups: dict[str, tuple[str, float | None]] = {}
        self.busy_everywhere: tuple[str, float | None] | None = None
        """Like :meth:`set_dataset_group_busy` for every dataset group (scenario ``queued``)."""
        self.furnish_new_groups: Callable[[PersonalizeDouble, str], None] | None = None
        """Called with each dataset group added later, to give it models (``retraining``)."""
        self._faults: list[_Fault] = []
        self._calls: list[RecordedCall] = []
        self._init_jobs()
        self._init_models()
        self._server = Server(self.handle, host, port)

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def from_scenario(cls, name: str, **overrides: Any) -> PersonalizeDouble:
        """Build a double preconfigured for a rehearsal scenario.

        ``"success"``: jobs complete after a few polls. ``"slow"``: jobs take ~3 hours of
        double time. ``"handoff"``: every second job takes 5 hours. ``"queued"``: every
        dataset group is in use for the first two hours. ``"failed"``: every job ends FAILED
        with :data:`SCENARIO_FAILURE_REASON`. ``"throttled"``: the first two creates get
        ``LimitExceededException`` (which boto3's standard retry mode retries).
        Keyword ``overrides`` are passed to the constructor.
        """
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}")
        double = cls(**{**SCENARIOS[name], **overrides})
        if name == "failed":
            double.fail_next_jobs(SCENARIO_FAILURE_REASON, count=None)
        elif name == "throttled":
            double.inject("CreateDataDeletionJob", error="LimitExceededException", times=2)
        elif name == "queued":
            double.busy_everywhere = (SCENARIO_BUSY_REASON, double.now + SCENARIO_BUSY_SECONDS)
        elif name == "retraining":
            double.furnish_new_groups = furnish_models
        return double

    def start(self) -> PersonalizeDouble:
        """Bind the server and serve on a daemon thread; idempotent."""
        self._server.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        self._server.close()

    def __enter__(self) -> PersonalizeDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``boto3.client(..., endpoint_url=...)``."""
        return self._server.endpoint_url

    # ------------------------------------------------------------------- clock

    @property
    def now(self) -> float:
        """Current double time (epoch seconds)."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move double time forward by ``seconds``; return the new time."""
        if seconds < 0:
            raise ValueError("double time cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    # ------------------------------------------------------------- world setup

    def dataset_group_arn(self, name: str) -> str:
        """The ARN a dataset group called ``name`` has in this account and region."""
        return f"arn:aws:personalize:{self.region}:{self.account_id}:dataset-group/{name}"

    @property
    def dataset_groups(self) -> frozenset[str]:
        """The dataset groups that exist now."""
        with self._lock:
            return frozenset(self._dataset_groups)

    def add_dataset_group(self, arn: str) -> str:
        """Make a dataset group exist (creates against unknown ones are ResourceNotFound);
        a new one gets the models of :attr:`furnish_new_groups`, if set."""
        with self._lock:
            new = arn not in self._dataset_groups
            self._dataset_groups.add(arn)
            if new and self.furnish_new_groups is not None:
                self.furnish_new_groups(self, arn)
        return arn

    def remove_dataset_group(self, arn: str) -> None:
        """Make a dataset group disappear (creates against it become ResourceNotFound)."""
        with self._lock:
            self._dataset_groups.discard(arn)

    def set_dataset_group_busy(
        self,
        arn: str,
        busy: bool = True,
        reason: str = "a dataset import job is in progress",
        until: float | None = None,
    ) -> None:
        """Make creates on ``arn`` fail with ``ResourceInUseException`` until cleared.

        Models the service refusing a deletion while the dataset group is in use. With
        ``until`` (double time), the group frees itself then, as a finishing import would.
        """
        with self._lock:
            if busy:
                self._busy_dataset_groups[arn] = (reason, until)
            else:
                self._busy_dataset_groups.pop(arn, None)

    # ---------------------------------------------------------- fault injection

    def inject(
        self,
        operation: str | None,
        error: str = "LimitExceededException",
        *,
        times: int = 1,
        status: int | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``operation`` (``None``: any) with an error.

        Faults are consumed in injection order and fire before parsing or validation, the
        way a throttling front end would, so the request has no effect on state. The
        status defaults to 500 for ``InternalServerError``/``InternalFailure``, 503 for
        ``ServiceUnavailable``, 429 for ``TooManyRequestsException`` and 400 otherwise.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = _Fault(
            operation=operation,
            code=error,
            status=status if status is not None else DEFAULT_ERROR_STATUS.get(error, 400),
            message=message or default_fault_message(error),
            remaining=times,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Drop every pending injected fault, planned failure and busy dataset group."""
        with self._lock:
            self._clear_planned_model_failures()
            self._clear_planned_job_failures()
            self._faults.clear()
            self._busy_dataset_groups.clear()

    # ------------------------------------------------------------ observations

    @property
    def calls(self) -> list[RecordedCall]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    def calls_for(self, operation: str) -> list[RecordedCall]:
        """The recorded requests for one operation, oldest first."""
        with self._lock:
            return [call for call in self._calls if call.operation == operation]

    def reset_calls(self) -> None:
        """Forget recorded requests (e.g. after test setup)."""
        with self._lock:
            self._calls.clear()

    def _record(self, operation: str, body: Any, status: int, error_code: str | None) -> None:
        self._calls.append(RecordedCall(operation, body, status, error_code, self._now))

    def _take_fault(self, operation: str) -> _Fault | None:
        for fault in self._faults:
            if fault.operation in (None, operation):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def handle(self, target: str | None, raw_body: bytes) -> tuple[int, dict[str, Any]]:
        """Process one wire request; return ``(http_status, json_body)``.

        Public so that callers can exercise the protocol without sockets, but normally
        reached through the HTTP server.
        """
        with self._lock:
            operation = ""
            if target and target.startswith(TARGET_PREFIX):
                operation = target[len(TARGET_PREFIX) :]
            try:
                body: Any = json.loads(raw_body.decode("utf-8")) if raw_body else {}
            except (UnicodeDecodeError, ValueError):
                body = raw_body.decode("utf-8", errors="replace")
            try:
                if operation not in OPERATIONS:
                    raise ServiceError(
                        "UnknownOperationException",
                        f"Operation {target or '(missing X-Amz-Target)'} is not supported "
                        "by this Personalize double",
                    )
                fault = self._take_fault(operation)
                if fault is not None:
                    raise ServiceError(fault.code, fault.message, fault.status)
                if not isinstance(body, dict):
                    raise ServiceError(
                        "SerializationException", "Request body must be a JSON object"
                    )
                result = getattr(self, f"_op_{operation}")(body)
            except ServiceError as error:
                self._record(operation or (target or ""), body, error.status, error.code)
                return error.status, {"__type": error.code, "message": error.message}
            except Exception as error:  # a bug or a failing num_deleted callback
                self._record(operation, body, 500, "InternalServerError")
                return 500, {"__type": "InternalServerError", "message": repr(error)}
            self._record(operation, body, 200, None)
            return 200, result
