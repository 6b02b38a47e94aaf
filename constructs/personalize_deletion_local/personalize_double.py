"""A local, wire-faithful test double for Amazon Personalize data deletion jobs.

moto does not implement ``CreateDataDeletionJob`` and friends, and stubbing boto3
(``botocore.stub.Stubber``) would skip exactly the parts that break in production:
request serialization, error parsing and the retry policy. This module therefore runs a
tiny HTTP server on ``127.0.0.1`` that speaks Personalize's real wire protocol
(``awsJson1_1``: ``POST /`` with ``X-Amz-Target: AmazonPersonalize.<Operation>`` and a
JSON body; errors are HTTP 4xx/5xx with ``{"__type": ..., "message": ...}``). Point a
real boto3 client at it with ``endpoint_url=double.endpoint_url`` (or the
``AWS_ENDPOINT_URL_PERSONALIZE`` environment variable) and every layer of the SDK runs.

The deletion job operations (``CreateDataDeletionJob``, ``DescribeDataDeletionJob``,
``ListDataDeletionJobs``) live here; the resources a pre-flight and a retraining around a
deletion read and create (datasets, imports, solutions and versions, campaigns, batch jobs,
recommenders) live in :mod:`.personalize_double_models`, a base class of the double. Requests
are validated against botocore's own service model, so constraint changes in a botocore
upgrade flow into the double automatically.

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

import dataclasses
import functools
import json
import re
import socket
import sys
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Literal

import botocore.session
from botocore.model import ServiceModel, Shape

from .personalize_double_models import MODEL_OPERATIONS, ResourceModelsMixin

__all__ = [
    "SCENARIOS",
    "DataDeletionJobView",
    "PersonalizeDouble",
    "RecordedCall",
    "ServiceError",
    "validate_against_shape",
]

PatternMode = Literal["match", "search", "fullmatch"]

TARGET_PREFIX = "AmazonPersonalize."
CONTENT_TYPE = "application/x-amz-json-1.1"
OPERATIONS = (
    "CreateDataDeletionJob",
    "DescribeDataDeletionJob",
    "ListDataDeletionJobs",
    *MODEL_OPERATIONS,
)

# Status codes for error codes that are not plain client errors. Everything else is 400,
# which is what Personalize returns for all of its modeled exceptions.
_DEFAULT_ERROR_STATUS = {
    "InternalServerError": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "TooManyRequestsException": 429,
}


# --------------------------------------------------------------------------- errors


class ServiceError(Exception):
    """An error the double returns to the client as an awsJson error response.

    ``code`` becomes ``__type`` in the body, which botocore's JSON parser turns into
    ``ClientError.response["Error"]["Code"]`` (it strips any ``namespace#`` prefix), and
    ``message`` becomes ``response["Error"]["Message"]``.
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else _DEFAULT_ERROR_STATUS.get(code, 400)


# --------------------------------------------------------------------- model validation


@functools.cache
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """Maximal runs of code points sharing a Unicode general category (one ~0.2 s scan)."""
    runs: list[tuple[int, int, str]] = []
    start, current = 0, unicodedata.category("\x00")
    for code_point in range(1, sys.maxunicode + 1):
        category = unicodedata.category(chr(code_point))
        if category != current:
            runs.append((start, code_point - 1, current))
            start, current = code_point, category
    runs.append((start, sys.maxunicode, current))
    return tuple(runs)


@functools.cache
def _unicode_property_ranges(name: str) -> str:
    r"""Return a character-class body (no brackets) equivalent to Java's ``\p{name}``.

    Python's ``re`` has no ``\p{..}`` support, but the Personalize model uses
    ``\p{L}``, ``\p{Z}``, ``\p{N}`` (tag keys/values) and ``\p{ASCII}`` (next tokens).
    General categories are expanded from ``unicodedata`` (one cached scan), which is
    exact for the Unicode version Python ships.
    """
    if name == "ASCII":
        return r"\x00-\x7f"
    if not re.fullmatch(r"[A-Z][a-z]?", name):
        raise ValueError(f"unsupported regex property \\p{{{name}}}")
    ranges: list[tuple[int, int]] = []
    for low, high, category in _category_runs():
        if not category.startswith(name):
            continue
        if ranges and ranges[-1][1] == low - 1:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return "".join(
        f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges
    )


def _translate_pattern(pattern: str) -> str:
    r"""Rewrite a model (Java/ECMAScript flavoured) regex into Python ``re`` syntax.

    Only ``\p{..}``/``\P{..}`` needs rewriting for the patterns in this model; the rest
    (``\d``, ``\-`` inside classes, anchors) means the same in both flavours once the
    pattern is compiled with ``re.ASCII`` (Java's ``\d`` is ASCII-only).
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            if pattern[i + 1] in "pP" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                body = _unicode_property_ranges(pattern[i + 3 : end])
                negated = pattern[i + 1] == "P"
                if negated and in_class:
                    raise ValueError(f"unsupported negated property inside a class: {pattern}")
                if in_class:
                    out.append(body)
                else:
                    out.append(f"[^{body}]" if negated else f"[{body}]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _compiled_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(_translate_pattern(pattern), re.ASCII)


def _pattern_ok(pattern: str, value: str, mode: PatternMode) -> bool:
    compiled = _compiled_pattern(pattern)
    if mode == "fullmatch":
        return compiled.fullmatch(value) is not None
    if mode == "search":
        return compiled.search(value) is not None
    return compiled.match(value) is not None


def _render_value(shape: Shape, value: Any) -> str:
    """Render a value for a Coral-style validation message (sensitive ones redacted)."""
    if shape.metadata.get("sensitive"):
        return "Value '*** Sensitive Data Redacted ***'"
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"Value '{value}'"
    return "Value"


def validate_against_shape(
    shape: Shape, value: Any, *, pattern_mode: PatternMode = "match"
) -> list[str]:
    r"""Validate ``value`` against a botocore input shape; return human-readable violations.

    The walk is generic over the model (structures, lists, maps, scalars), so nothing is
    hand-coded per field. Messages follow the format AWS's Coral validation layer uses,
    e.g. ``Value '-x' at 'jobName' failed to satisfy constraint: Member must satisfy
    regular expression pattern: ^[a-zA-Z0-9][a-zA-Z0-9\-_]*``, with paths like
    ``dataSource.dataLocation`` and ``tags.3.member.tagKey`` (list indices 1-based).

    ``pattern_mode`` picks the regex semantics. The default ``"match"`` anchors at the
    start only (``re.match``): the Personalize patterns are written as prefixes such as
    ``^[a-zA-Z0-9][a-zA-Z0-9\-_]*`` or ``arn:([a-z\d-]+):personalize:.*:.*:.+``, so
    ``re.fullmatch`` would be stricter than the model's author intended and
    ``re.search`` (Smithy's literal "not implicitly anchored" rule) laxer than the
    service for the ARN patterns. The two alternatives are available for experiments.

    Unknown members are reported too. AWS would ignore or reject them depending on the
    service; the double is strict because boto3 never sends them, so one appearing
    means a hand-built request is wrong.
    """
    errors: list[str] = []
    _walk(shape, value, "", errors, pattern_mode)
    return errors


def _walk(shape: Shape, value: Any, path: str, errors: list[str], mode: PatternMode) -> None:
    def fail(rule: str) -> None:
        errors.append(
            f"{_render_value(shape, value)} at '{path}' failed to satisfy constraint: {rule}"
        )

    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            fail(f"Member must be a structure ({shape.name})")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                member_path = f"{path}.{name}" if path else name
                errors.append(
                    f"Value null at '{member_path}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        for name, member_value in value.items():
            member_path = f"{path}.{name}" if path else name
            if name not in shape.members:
                errors.append(f"Unknown member '{member_path}' is not defined in {shape.name}")
                continue
            if member_value is None:
                continue
            _walk(shape.members[name], member_value, member_path, errors, mode)
        return
    if kind == "list":
        if not isinstance(value, list):
            fail("Member must be a list")
            return
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        for index, item in enumerate(value, start=1):
            _walk(shape.member, item, f"{path}.{index}.member", errors, mode)
        return
    if kind == "map":
        if not isinstance(value, dict):
            fail("Member must be a map")
            return
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.{key}.key", errors, mode)
            _walk(shape.value, item, f"{path}.{key}.value", errors, mode)
        return
    if kind == "string":
        if not isinstance(value, str):
            fail("Member must be a string")
            return
        if "min" in meta and len(value) < meta["min"]:
            fail(f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            fail(f"Member must have length less than or equal to {meta['max']}")
        if "pattern" in meta and not _pattern_ok(meta["pattern"], value, mode):
            fail(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        return
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            fail("Member must be an integer")
            return
        if "min" in meta and value < meta["min"]:
            fail(f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            fail(f"Member must have value less than or equal to {meta['max']}")
        return
    if kind in ("float", "double"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            fail("Member must be a number")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            fail("Member must be a boolean")
        return
    if kind == "timestamp":
        if not isinstance(value, int | float | str) or isinstance(value, bool):
            fail("Member must be a timestamp")
        return
    if kind == "blob" and not isinstance(value, str):
        fail("Member must be a base64-encoded string")


def _validation_error(violations: list[str]) -> ServiceError:
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return ServiceError(
        "InvalidInputException", f"{count} validation {noun} detected: " + "; ".join(violations)
    )


@functools.lru_cache(maxsize=1)
def _service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("personalize")


# --------------------------------------------------------------------------- records


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


@dataclass(frozen=True)
class DataDeletionJobView:
    """Snapshot of a job as the service would describe it at the current double time."""

    job_name: str
    data_deletion_job_arn: str
    dataset_group_arn: str
    data_location: str
    role_arn: str
    tags: tuple[Mapping[str, str], ...]
    status: str
    creation_date_time: float
    last_updated_date_time: float
    failure_reason: str | None
    num_deleted: int | None

    def to_description(self) -> dict[str, Any]:
        """The ``DataDeletionJob`` structure of a Describe response.

        ``failureReason`` is only present for FAILED jobs and ``numDeleted`` only for
        COMPLETED ones, mirroring the service, which omits members it has no value for.
        """
        description: dict[str, Any] = {
            "jobName": self.job_name,
            "dataDeletionJobArn": self.data_deletion_job_arn,
            "datasetGroupArn": self.dataset_group_arn,
            "dataSource": {"dataLocation": self.data_location},
            "roleArn": self.role_arn,
            "status": self.status,
            "creationDateTime": self.creation_date_time,
            "lastUpdatedDateTime": self.last_updated_date_time,
        }
        if self.num_deleted is not None:
            description["numDeleted"] = self.num_deleted
        if self.failure_reason is not None:
            description["failureReason"] = self.failure_reason
        return description

    def to_summary(self) -> dict[str, Any]:
        """The ``DataDeletionJobSummary`` structure of a List response."""
        summary: dict[str, Any] = {
            "dataDeletionJobArn": self.data_deletion_job_arn,
            "datasetGroupArn": self.dataset_group_arn,
            "jobName": self.job_name,
            "status": self.status,
            "creationDateTime": self.creation_date_time,
            "lastUpdatedDateTime": self.last_updated_date_time,
        }
        if self.failure_reason is not None:
            summary["failureReason"] = self.failure_reason
        return summary


@dataclass
class _Job:
    """Mutable internal job state; the status is derived from double time, never stored."""

    sequence: int
    job_name: str
    arn: str
    dataset_group_arn: str
    data_location: str
    role_arn: str
    tags: tuple[Mapping[str, str], ...]
    created_at: float
    pending_seconds: float
    run_seconds: float
    failure_reason: str | None = None
    num_deleted: int | None = None


@dataclass
class _Fault:
    operation: str | None
    code: str
    status: int
    message: str
    remaining: int


# ------------------------------------------------------------------------- scenarios


def _every_second_job_long(sequence: int) -> float:
    """Odd jobs end within a minute; even ones run five hours, past any deployment."""
    return 60.0 if sequence % 2 else 5 * 3600.0


#: Named configurations for the rehearsal CLI; see :meth:`PersonalizeDouble.from_scenario`.
SCENARIOS: Mapping[str, Mapping[str, Any]] = {
    # Every second job outlives the deployment (5 hours): the deployment hands it to the
    # tracker, which follows it to its end.
    "handoff": {
        "pending_seconds": 10.0,
        "run_seconds": _every_second_job_long,
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
}
SCENARIO_FAILURE_REASON = "Access Denied: the role cannot read the data location"
SCENARIO_BUSY_SECONDS = 2 * 3600.0
SCENARIO_BUSY_REASON = "a dataset import job is in progress"


# ---------------------------------------------------------------------------- double


class PersonalizeDouble(ResourceModelsMixin):
    """An in-process Personalize endpoint for data deletion jobs and the resources around
    them (one account, one region; see :class:`ResourceModelsMixin` for the latter).

    Thread-safe: all state sits behind one re-entrant lock, and each request is handled
    entirely under it, so tests see a linearizable service.
    """

    MAX_TAGS: ClassVar[int] = 50
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
        self._jobs: dict[str, _Job] = {}
        self._jobs_by_arn: dict[str, _Job] = {}
        self._sequence = 0
        self._dataset_groups: set[str] = set(dataset_group_arns)
        self._busy_dataset_groups: dict[str, tuple[str, float | None]] = {}
        self.busy_everywhere: tuple[str, float | None] | None = None
        """Like :meth:`set_dataset_group_busy` for every dataset group (scenario ``queued``)."""
        self._faults: list[_Fault] = []
        self._planned_failures: list[str] = []
        self._fail_all_reason: str | None = None
        self._calls: list[RecordedCall] = []
        self._init_models()
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

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
        return double

    def start(self) -> PersonalizeDouble:
        """Bind the server and serve on a daemon thread; idempotent."""
        with self._lock:
            if self._server is not None:
                return self
            server = ThreadingHTTPServer((self._host, self._port), _RequestHandler)
            server.daemon_threads = True
            server.double = self  # type: ignore[attr-defined]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name="personalize-double",
                daemon=True,
            )
            self._thread.start()
            return self

    def close(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> PersonalizeDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``boto3.client(..., endpoint_url=...)``."""
        server = self._server
        if server is None:
            raise RuntimeError("PersonalizeDouble is not started; use start() or `with`")
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

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

    def job_arn(self, job_name: str) -> str:
        """The ARN the double assigns to a data deletion job called ``job_name``."""
        return f"arn:aws:personalize:{self.region}:{self.account_id}:data-deletion-job/{job_name}"

    def add_dataset_group(self, arn: str) -> str:
        """Make a dataset group exist (creates against unknown ones are ResourceNotFound)."""
        with self._lock:
            self._dataset_groups.add(arn)
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
            status=status if status is not None else _DEFAULT_ERROR_STATUS.get(error, 400),
            message=message or _default_fault_message(error),
            remaining=times,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Drop every pending injected fault, planned failure and busy dataset group."""
        with self._lock:
            self._clear_planned_model_failures()
            self._faults.clear()
            self._planned_failures.clear()
            self._fail_all_reason = None
            self._busy_dataset_groups.clear()

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
            job.failure_reason = reason

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

    @property
    def jobs(self) -> dict[str, DataDeletionJobView]:
        """Every job by name, in creation order, as of the current double time."""
        with self._lock:
            return {name: self._view(job) for name, job in self._jobs.items()}

    def job(self, job_name: str) -> DataDeletionJobView:
        """One job as of the current double time; ``KeyError`` if it does not exist."""
        with self._lock:
            return self._view(self._jobs[job_name])

    # -------------------------------------------------------------- internals

    def _status(self, job: _Job) -> tuple[str, float]:
        started = job.created_at + job.pending_seconds
        finished = started + job.run_seconds
        if self._now < started:
            return "PENDING", job.created_at
        if self._now < finished:
            return "IN_PROGRESS", started
        return ("FAILED" if job.failure_reason is not None else "COMPLETED"), finished

    def _view(self, job: _Job) -> DataDeletionJobView:
        status, updated = self._status(job)
        view = DataDeletionJobView(
            job_name=job.job_name,
            data_deletion_job_arn=job.arn,
            dataset_group_arn=job.dataset_group_arn,
            data_location=job.data_location,
            role_arn=job.role_arn,
            tags=job.tags,
            status=status,
            creation_date_time=job.created_at,
            last_updated_date_time=updated,
            failure_reason=job.failure_reason if status == "FAILED" else None,
            num_deleted=None,
        )
        if status != "COMPLETED":
            return view
        if job.num_deleted is None:
            source = self.num_deleted
            job.num_deleted = int(source(view) if callable(source) else source)
        return dataclasses.replace(view, num_deleted=job.num_deleted)

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

    def _input_shape(self, operation: str) -> Shape:
        return _service_model().operation_model(operation).input_shape

    def _service_error(self, code: str, message: str) -> ServiceError:
        return ServiceError(code, message)

    def _validate(self, operation: str, body: dict[str, Any]) -> None:
        shape = self._input_shape(operation)
        violations = validate_against_shape(shape, body, pattern_mode=self.pattern_mode)
        if violations:
            raise _validation_error(violations)

    def _op_CreateDataDeletionJob(self, body: dict[str, Any]) -> dict[str, Any]:
        tags = body.get("tags")
        if isinstance(tags, list) and len(tags) > self.MAX_TAGS:
            # The service answers with the dedicated exception above its per-resource limit
            # (50), below the model's list max (200), so check it first.
            raise ServiceError(
                "TooManyTagsException",
                f"The number of tags ({len(tags)}) exceeds the limit of {self.MAX_TAGS}.",
            )
        self._validate("CreateDataDeletionJob", body)
        name = body["jobName"]
        group = body["datasetGroupArn"]
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
        if busy_reason is not None and (busy_until is None or self._now < busy_until):
            raise ServiceError(
                "ResourceInUseException",
                f"Cannot create a data deletion job for dataset group {group} while {busy_reason}.",
            )
        pending = sum(
            1
            for job in self._jobs.values()
            if job.dataset_group_arn == group and self._status(job)[0] == "PENDING"
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
        job = _Job(
            sequence=self._sequence,
            job_name=name,
            arn=self.job_arn(name),
            dataset_group_arn=group,
            data_location=body["dataSource"].get("dataLocation", ""),
            role_arn=body["roleArn"],
            tags=tuple(dict(tag) for tag in tags or ()),
            created_at=self._now,
            pending_seconds=self.pending_seconds,
            run_seconds=run_seconds,
            failure_reason=failure,
        )
        self._jobs[name] = job
        self._jobs_by_arn[job.arn] = job
        return {"dataDeletionJobArn": job.arn}

    def _op_DescribeDataDeletionJob(self, body: dict[str, Any]) -> dict[str, Any]:
        self._validate("DescribeDataDeletionJob", body)
        self._now += self.seconds_per_describe
        arn = body["dataDeletionJobArn"]
        job = self._jobs_by_arn.get(arn)
        if job is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Could not find the data deletion job {arn}."
            )
        return {"dataDeletionJob": self._view(job).to_description()}

    def _op_ListDataDeletionJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first, paged like every list of the double (see :meth:`_paginate`)."""
        self._validate("ListDataDeletionJobs", body)
        group = body.get("datasetGroupArn")
        jobs = [job for job in self._jobs.values() if group in (None, job.dataset_group_arn)]
        return self._paginate(
            "ListDataDeletionJobs",
            body,
            "dataDeletionJobs",
            jobs,
            lambda job: self._view(job).to_summary(),
        )


def _default_fault_message(code: str) -> str:
    return {
        "LimitExceededException": "Rate exceeded",
        "ThrottlingException": "Rate exceeded",
        "InternalServerError": "An internal error occurred. Try again later.",
        "ServiceUnavailable": "Service is temporarily unavailable. Try again later.",
    }.get(code, f"Injected {code}")


class _RequestHandler(BaseHTTPRequestHandler):
    """Adapts HTTP to :meth:`PersonalizeDouble.handle`.

    HTTP/1.1 with Content-Length so urllib3's connection pool can keep connections alive
    between boto3 calls, as it would against the real endpoint.
    """

    protocol_version = "HTTP/1.1"
    server_version = "PersonalizeDouble/1.0"

    def setup(self) -> None:
        """Disable Nagle: headers and body go out in two writes, and with Nagle on the
        second waits ~40 ms for the client's delayed ACK on every single call."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        double: PersonalizeDouble = self.server.double  # type: ignore[attr-defined]
        status, payload = double.handle(self.headers.get("X-Amz-Target"), raw_body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; the double records calls itself."""
