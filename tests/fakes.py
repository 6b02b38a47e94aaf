"""In-memory fakes of the lifecycle's ports: the four client protocols its adapters take.

``Services`` is built from the runtime's own adapters (``PersonalizeJobs``, ``Storage``,
``Notifier``, ``Tracker``), so every decision (adoption, blocked submissions, receipts written
once, the tracker hand-off) runs for real; only what is behind the adapters is faked:

- :class:`FakePersonalize` for ``personalize_api.PersonalizeClient`` (and the pre-flight's
  listings): jobs PENDING, then IN_PROGRESS, then COMPLETED or FAILED on the injected clock,
  with the service's error codes and the Personalize double's messages;
- :class:`FakeS3` for ``staging.S3Client``: objects in a dict, S3's error codes;
- :class:`FakeEvents` for ``notifications.EventsClient``;
- :class:`FakeStepFunctions` for ``tracking.StepFunctionsClient``: executions by name,
  a repeated start with the same input answered with the running execution.

No server, no Node: ``test_fakes_contract`` runs the same scenarios here and over the wire
(the Personalize double, moto's server) and requires identical observations.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from lifecycle_support import (
    ACCOUNT,
    ASSET_KEY,
    DEADLINE_SECONDS,
    GROUP,
    OTHER_GROUP,
    SCOPES,
    SOURCE_BUCKET,
    STAGING_BUCKET,
    T0,
    TRACKER_ARN,
    TRACKING_TIMEOUT,
    USERS_CSV,
    FakeClock,
    cfn_event,
    emf_metrics,
    expected_job_name,
    properties,
)
from personalize_deletion_runtime import lifecycle, tracker_steps
from personalize_deletion_runtime.failures import DeletionFailed
from personalize_deletion_runtime.notifications import Notifier
from personalize_deletion_runtime.personalize_api import PersonalizeJobs
from personalize_deletion_runtime.request_rules import follow_up_job_name
from personalize_deletion_runtime.services import Services
from personalize_deletion_runtime.staging import Storage
from personalize_deletion_runtime.tracking import Tracker

MAX_PENDING_JOBS = 5
"""Personalize's limit of PENDING data deletion jobs per dataset group."""


def service_error(operation: str, code: str, message: str, status: int = 400) -> ClientError:
    """The ``ClientError`` botocore raises for a service error response."""
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


@dataclass
class Call:
    """One call on a fake: the operation's name, its request, the error code it answered."""

    operation: str
    request: dict[str, Any]
    error_code: str | None = None


@dataclass
class _Job:
    name: str
    arn: str
    group: str
    location: str
    role_arn: str
    created_at: float
    failure_reason: str | None


class FakePersonalize:
    """Data deletion jobs in memory, their status a function of the shared clock."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        dataset_groups: tuple[str, ...] = (GROUP, OTHER_GROUP),
        pending_seconds: float = 10,
        run_seconds: float = 50,
        num_deleted: int = 3,
    ) -> None:
        self.clock = clock
        self.dataset_groups = set(dataset_groups)
        self.pending_seconds = pending_seconds
        self.run_seconds = run_seconds
        self.num_deleted = num_deleted
        self.jobs: dict[str, _Job] = {}
        self.calls: list[Call] = []
        self.busy: dict[str, tuple[str, float]] = {}
        self.failures: list[str] = []
        self.faults: dict[str, list[tuple[str, str]]] = {}

    # ---------------------------------------------------------------- set-up, as the double's

    def set_dataset_group_busy(
        self, group: str, *, until: float, reason: str = "a dataset import job is in progress"
    ) -> None:
        self.busy[group] = (reason, until)

    def fail_next_jobs(self, reason: str) -> None:
        self.failures.append(reason)

    def inject(self, operation: str, error: str, message: str, times: int = 1) -> None:
        """The next ``times`` calls of ``operation`` answer ``error`` (before anything else)."""
        self.faults.setdefault(operation, []).extend([(error, message)] * times)

    def job_arn(self, name: str) -> str:
        return f"arn:aws:personalize:us-east-1:{ACCOUNT}:data-deletion-job/{name}"

    # ---------------------------------------------------------------- the client protocol

    def create_data_deletion_job(self, **request: Any) -> dict[str, Any]:
        with self._call("CreateDataDeletionJob", request):
            name, group = request["jobName"], request["datasetGroupArn"]
            if group not in self.dataset_groups:
                raise self._error(
                    "ResourceNotFoundException", f"Could not find the dataset group {group}."
                )
            if name in self.jobs:
                raise self._error(
                    "ResourceAlreadyExistsException",
                    f"A data deletion job with the name {name} already exists.",
                )
            reason, until = self.busy.get(group, (None, 0.0))
            if reason is not None and self.clock() < until:
                raise self._error(
                    "ResourceInUseException",
                    f"Cannot create a data deletion job for dataset group {group} while {reason}.",
                )
            pending = sum(
                1
                for job in self.jobs.values()
                if job.group == group and self._status(job)[0] == "PENDING"
            )
            if pending >= MAX_PENDING_JOBS:
                raise self._error(
                    "LimitExceededException",
                    f"Dataset group {group} already has {pending} data deletion jobs in PENDING "
                    f"status; the limit is {MAX_PENDING_JOBS}. Wait for a job to start before "
                    "creating another one.",
                )
            job = _Job(
                name=name,
                arn=self.job_arn(name),
                group=group,
                location=request["dataSource"]["dataLocation"],
                role_arn=request["roleArn"],
                created_at=self.clock(),
                failure_reason=self.failures.pop(0) if self.failures else None,
            )
            self.jobs[name] = job
            return {"dataDeletionJobArn": job.arn}

    def describe_data_deletion_job(self, **request: Any) -> dict[str, Any]:
        with self._call("DescribeDataDeletionJob", request):
            arn = request["dataDeletionJobArn"]
            job = next((job for job in self.jobs.values() if job.arn == arn), None)
            if job is None:
                raise self._error(
                    "ResourceNotFoundException", f"Could not find the data deletion job {arn}."
                )
            described = self._summary(job)
            described.update(dataSource={"dataLocation": job.location}, roleArn=job.role_arn)
            if described["status"] == "COMPLETED":
                described["numDeleted"] = self.num_deleted
            return {"dataDeletionJob": described}

    def list_data_deletion_jobs(self, **request: Any) -> dict[str, Any]:
        with self._call("ListDataDeletionJobs", request):
            group = request.get("datasetGroupArn")
            jobs = [job for job in self.jobs.values() if group in (None, job.group)]
            # Newest first, as the service and the double list them.
            return {"dataDeletionJobs": [self._summary(job) for job in reversed(jobs)]}

    # The pre-flight's listings: these dataset groups hold no datasets and no solutions.

    def list_datasets(self, **request: Any) -> dict[str, Any]:
        with self._call("ListDatasets", request):
            return {"datasets": []}

    def list_solutions(self, **request: Any) -> dict[str, Any]:
        with self._call("ListSolutions", request):
            return {"solutions": []}

    # ---------------------------------------------------------------- internals

    def _summary(self, job: _Job) -> dict[str, Any]:
        """What Describe and List both say of ``job`` now (``failureReason`` once FAILED)."""
        status, updated = self._status(job)
        summary: dict[str, Any] = {
            "jobName": job.name,
            "dataDeletionJobArn": job.arn,
            "datasetGroupArn": job.group,
            "status": status,
            "creationDateTime": _datetime(job.created_at),
            "lastUpdatedDateTime": _datetime(updated),
        }
        if status == "FAILED":
            summary["failureReason"] = job.failure_reason
        return summary

    def _status(self, job: _Job) -> tuple[str, float]:
        started = job.created_at + self.pending_seconds
        finished = started + self.run_seconds
        now = self.clock()
        if now < started:
            return "PENDING", job.created_at
        if now < finished:
            return "IN_PROGRESS", started
        return ("FAILED" if job.failure_reason is not None else "COMPLETED"), finished

    def _error(self, code: str, message: str) -> ClientError:
        return service_error(self._operation, code, message)

    def _call(self, operation: str, request: dict[str, Any]) -> _Recording:
        self._operation = operation
        call = Call(operation, json.loads(json.dumps(request)))
        self.calls.append(call)
        queued = self.faults.get(operation)
        if queued:
            code, message = queued.pop(0)
            call.error_code = code
            raise service_error(operation, code, message)
        return _Recording(call)


class _Recording:
    """Notes the error code a call answered (the call itself is recorded on entry)."""

    def __init__(self, call: Call) -> None:
        self.call = call

    def __enter__(self) -> Call:
        return self.call

    def __exit__(self, kind: type | None, error: BaseException | None, _tb: object) -> None:
        if isinstance(error, ClientError):
            self.call.error_code = error.response["Error"]["Code"]


def _datetime(epoch: float) -> datetime:
    """Timestamps as botocore parses them: aware datetimes."""
    return datetime.fromtimestamp(epoch, UTC)


# ------------------------------------------------------------------------------------- S3


class _Body:
    """A streaming body as botocore returns it (``read``, ``iter_chunks``, ``close``)."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    def read(self) -> bytes:
        return self._stream.read()

    def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
        while chunk := self._stream.read(chunk_size):
            yield chunk

    def close(self) -> None:
        self._stream.close()


@dataclass
class _Object:
    body: bytes
    metadata: dict[str, str] = field(default_factory=dict)


class FakeS3:
    """Buckets of objects in memory; ``calls`` names the operations in order."""

    def __init__(self, buckets: tuple[str, ...] = (STAGING_BUCKET, SOURCE_BUCKET)) -> None:
        self.buckets: dict[str, dict[str, _Object]] = {bucket: {} for bucket in buckets}
        self.calls: list[str] = []

    def put_source(self, key: str, body: bytes, bucket: str = SOURCE_BUCKET) -> None:
        """Set-up: an object, not recorded as a handler call."""
        self.buckets[bucket][key] = _Object(body)

    def keys(self, bucket: str = STAGING_BUCKET, prefix: str = "") -> list[str]:
        return sorted(key for key in self.buckets[bucket] if key.startswith(prefix))

    def read(self, key: str, bucket: str = STAGING_BUCKET) -> bytes:
        return self.buckets[bucket][key].body

    def get_object(self, **request: Any) -> dict[str, Any]:
        found = self._object("GetObject", request["Bucket"], request["Key"])
        return {"Body": _Body(found.body), "Metadata": dict(found.metadata)}

    def list_objects_v2(self, **request: Any) -> dict[str, Any]:
        self.calls.append("ListObjectsV2")
        objects = self._bucket("ListObjectsV2", request["Bucket"])
        prefix = request.get("Prefix", "")
        keys = sorted(key for key in objects if key.startswith(prefix))[
            : request.get("MaxKeys", 1000)
        ]
        page: dict[str, Any] = {"IsTruncated": False, "KeyCount": len(keys)}
        if keys:
            page["Contents"] = [{"Key": key, "Size": len(objects[key].body)} for key in keys]
        return page

    def put_object(self, **request: Any) -> dict[str, Any]:
        self.calls.append("PutObject")
        objects = self._bucket("PutObject", request["Bucket"])
        if request.get("IfNoneMatch") == "*" and request["Key"] in objects:
            raise service_error(
                "PutObject",
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
            )
        body = request.get("Body", b"")
        if hasattr(body, "read"):  # an open file, as boto3 streams one
            body = body.read()
        objects[request["Key"]] = _Object(
            body if isinstance(body, bytes) else body.encode(), dict(request.get("Metadata", {}))
        )
        return {}

    def delete_object(self, **request: Any) -> dict[str, Any]:
        self.calls.append("DeleteObject")
        self._bucket("DeleteObject", request["Bucket"]).pop(request["Key"], None)
        return {}

    def copy_object(self, **request: Any) -> dict[str, Any]:
        source = request["CopySource"]
        found = self._object("CopyObject", source["Bucket"], source["Key"])
        self.buckets[request["Bucket"]][request["Key"]] = _Object(found.body, dict(found.metadata))
        return {}

    def head_object(self, **request: Any) -> dict[str, Any]:
        self.calls.append("HeadObject")
        if request["Key"] not in self._bucket("HeadObject", request["Bucket"]):
            raise service_error("HeadObject", "404", "Not Found", 404)
        return {}

    def _bucket(self, operation: str, bucket: str) -> dict[str, _Object]:
        if bucket not in self.buckets:
            raise service_error(
                operation, "NoSuchBucket", "The specified bucket does not exist", 404
            )
        return self.buckets[bucket]

    def _object(self, operation: str, bucket: str, key: str) -> _Object:
        self.calls.append(operation)
        found = self._bucket(operation, bucket).get(key)
        if found is None:
            raise service_error(operation, "NoSuchKey", "The specified key does not exist.", 404)
        return found


# ------------------------------------------------------------------ EventBridge, Step Functions


class FakeEvents:
    """The default bus: every entry put, in order."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.entries.extend(request["Entries"])
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in request["Entries"]]}

    def details(self) -> list[dict[str, Any]]:
        return [json.loads(entry["Detail"]) for entry in self.entries]


class FakeStepFunctions:
    """Executions of one state machine by name; they stay RUNNING unless a test ends them."""

    def __init__(self) -> None:
        self.executions: dict[str, dict[str, str]] = {}

    def arn(self, name: str) -> str:
        return TRACKER_ARN.replace(":stateMachine:", ":execution:", 1) + f":{name}"

    def start_execution(self, **request: Any) -> dict[str, Any]:
        name = request["name"]
        existing = self.executions.get(name)
        if existing is not None and not (
            existing["status"] == "RUNNING" and existing["input"] == request["input"]
        ):
            raise service_error(
                "StartExecution",
                "ExecutionAlreadyExists",
                f"Execution Already Exists: '{self.arn(name)}'",
            )
        if existing is None:
            self.executions[name] = {"input": request["input"], "status": "RUNNING"}
        return {"executionArn": self.arn(name)}

    def describe_execution(self, **request: Any) -> dict[str, Any]:
        name = request["executionArn"].rsplit(":", 1)[1]
        if name not in self.executions:
            raise service_error(
                "DescribeExecution",
                "ExecutionDoesNotExist",
                f"Execution Does Not Exist: '{request['executionArn']}'",
            )
        return {"executionArn": request["executionArn"], **self.executions[name]}

    def listed(self) -> list[tuple[str, str]]:
        """(name, status) of every execution, as ``World.executions`` lists moto's."""
        return sorted((name, execution["status"]) for name, execution in self.executions.items())


# ------------------------------------------------------------------------------- the world


@dataclass
class FakeWorld:
    """One test's services over the fakes, with the shared clock (``lifecycle_support.play``
    drives it as it drives the wire-level ``World``)."""

    clock: FakeClock
    personalize: FakePersonalize
    s3: FakeS3
    events: FakeEvents
    stepfunctions: FakeStepFunctions
    emf: list[str]
    services: Services

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds

    def receipt(self, job_name: str) -> dict[str, Any]:
        return json.loads(self.s3.read(f"receipts/{job_name}.json"))

    def job_calls(self) -> list[tuple[str, str | None]]:
        """(operation, error code) of the calls on data deletion jobs (no pre-flight)."""
        return [
            (call.operation, call.error_code)
            for call in self.personalize.calls
            if call.operation.endswith(("DataDeletionJob", "DataDeletionJobs"))
        ]

    def metrics(self) -> list[tuple[str, str]]:
        """(metric name, stack name) of every embedded-metric record written."""
        return emf_metrics(self.emf)


def fake_world(**personalize: Any) -> FakeWorld:
    """Fakes set up like ``lifecycle_support.world``: the two buckets, the asset list, T0."""
    clock = FakeClock(T0)
    jobs = FakePersonalize(clock, **personalize)
    s3 = FakeS3()
    s3.put_source(ASSET_KEY, USERS_CSV)
    events, stepfunctions, emf = FakeEvents(), FakeStepFunctions(), []
    services = Services(
        jobs=PersonalizeJobs(jobs),
        storage=Storage(s3),
        notifier=Notifier(events, write=emf.append),
        scopes=SCOPES,
        tracker=Tracker(stepfunctions, TRACKER_ARN),
        clock=clock,
        deadline_seconds=DEADLINE_SECONDS,
        tracking_timeout_seconds=TRACKING_TIMEOUT,
    )
    return FakeWorld(clock, jobs, s3, events, stepfunctions, emf, services)


def begun(world: FakeWorld, event: dict[str, Any]) -> dict[str, Any]:
    """onEvent; the event every isComplete poll then gets (request + answer)."""
    return {**event, **lifecycle.on_event(event, world.services)}


def start(world: FakeWorld, **props: str) -> dict[str, Any]:
    """onEvent for a Create; the event every isComplete poll then gets (request + answer)."""
    return begun(world, cfn_event("Create", properties(**props)))


def poll_at(world: FakeWorld, event: dict[str, Any], seconds_after_t0: float) -> dict[str, Any]:
    """isComplete at T0 + ``seconds_after_t0``."""
    world.clock.now = T0 + seconds_after_t0
    return lifecycle.is_complete(event, world.services)


def outcome_at(world: FakeWorld, event: dict[str, Any], seconds_after_t0: float) -> Any:
    """:func:`poll_at`, or ``"failed: <message>"`` when the poll fails the event."""
    try:
        return poll_at(world, event, seconds_after_t0)
    except DeletionFailed as exc:
        return f"failed: {exc}"


def complete(world: FakeWorld, event: dict[str, Any], at: float) -> dict[str, Any]:
    """One CloudFormation event to its end at ``at``: onEvent, then isComplete every 20 s until
    complete (the framework's waiter); the merged event and answer."""
    world.clock.now = at
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while True:
        result = lifecycle.is_complete(merged, world.services)
        if result["IsComplete"]:
            return {**merged, **result}
        world.clock.now += 20


def tracker_step(world: FakeWorld, name: str, job: str, state: dict[str, Any] | None = None) -> Any:
    """One tracker step (``submit``, ``finish``, ``give_up``...) of the execution following
    ``job``, given its recorded input unless ``state`` is given."""
    execution = world.stepfunctions.executions[job]
    return tracker_steps.run(
        {
            "step": name,
            "execution": world.stepfunctions.arn(job),
            "state": state if state is not None else json.loads(execution["input"]),
        },
        world.services,
    )


def follow_up_queued(world: FakeWorld, **props: str) -> dict[str, Any]:
    """A request with ``FollowUp`` (and ``props``) whose first job COMPLETED inside the
    deployment and was handed to the tracker; its receipt names a follow-up job (imports ran
    during it: written here, the fakes run none) whose list is staged, and promises the
    follow-up's models receipt when it asks for a retraining. The tracker's finish step then
    queues the follow-up: the execution's state after that step."""
    job = expected_job_name(USERS_CSV)
    follow_up = follow_up_job_name(job)
    event = cfn_event("Create", properties(FollowUp="true", **props))
    merged = {**event, **lifecycle.on_event(event, world.services)}
    while not lifecycle.is_complete(merged, world.services)["IsComplete"]:
        world.clock.now += 60
    receipt = {**world.receipt(job), "followUp": follow_up}
    if receipt.get("retraining"):
        receipt["retraining"] = {
            **receipt["retraining"],
            "receiptUri": f"s3://{STAGING_BUCKET}/receipts/{follow_up}.models.json",
        }
    world.s3.put_object(
        Bucket=STAGING_BUCKET, Key=f"receipts/{job}.json", Body=json.dumps(receipt).encode()
    )
    world.s3.put_object(Bucket=STAGING_BUCKET, Key=f"staging/{follow_up}/users.csv", Body=USERS_CSV)
    queued = tracker_step(
        world, "finish", job, json.loads(world.stepfunctions.executions[job]["input"])
    )
    assert (queued["job"]["name"], queued["job"].get("followUpOf")) == (follow_up, job)
    return dict(queued)


def refuse_s3(world: FakeWorld, method: str, field: str, prefix: str, code: str) -> Any:
    """From now on, ``world.s3.<method>`` fails with S3 error ``code`` for every request whose
    ``field`` (``Key``, ``Prefix``) starts with ``prefix``; other requests go through. Returns
    the method as it was, to put back."""
    original = getattr(world.s3, method)
    operation = "".join(part.title() for part in method.split("_"))

    def refusing(**request: Any) -> Any:
        if str(request.get(field, "")).startswith(prefix):
            raise ClientError({"Error": {"Code": code, "Message": "slow"}}, operation)
        return original(**request)

    setattr(world.s3, method, refusing)
    return original
