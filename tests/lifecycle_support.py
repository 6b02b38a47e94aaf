"""Fixtures and helpers for the lifecycle tests: real boto3 clients against local services.

Personalize is the wire-level double, S3 is moto's server over HTTP, and :func:`play` drives
``on_event``/``is_complete`` through the Provider framework emulation the rehearsal uses.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import sys
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.retries.standard import ExponentialBackoff
from moto.server import ThreadedMotoServer
from personalize_deletion_local.personalize_double import PersonalizeDouble
from personalize_deletion_local.provider_framework import (
    ProviderFramework,
    Response,
    UserFunction,
    Waiter,
)
from personalize_deletion_local.rehearsal.tracker import drain
from personalize_deletion_runtime import lifecycle, tracker_steps
from personalize_deletion_runtime.handlers import CLIENT_CONFIG
from personalize_deletion_runtime.notifications import EVENT_DETAIL_TYPE, EVENT_SOURCE, Notifier
from personalize_deletion_runtime.personalize_api import PersonalizeJobs
from personalize_deletion_runtime.request_rules import compose_job_name
from personalize_deletion_runtime.scopes import Scope, Scopes
from personalize_deletion_runtime.services import Services
from personalize_deletion_runtime.staging import Storage
from personalize_deletion_runtime.tracking import Tracker
from personalize_deletion_runtime.user_list import canonicalize

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_790_000_000.0
ACCOUNT = "123456789012"
GROUP = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-group/example"
OTHER_GROUP = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-group/other"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PersonalizeDeletionRole"
STAGING_BUCKET = "pdd-staging-bucket"
SOURCE_BUCKET = "pdd-asset-bucket"
ASSET_KEY = "assets/3f1c0d.csv"
REQUEST_NAME = "gdpr-2026-11"
PREFIX = "pdd"
STACK_ID = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/privacy/6f1e2a40-0000-0000-0000-0"
SERVICE_TOKEN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:privacy-framework-onEvent"
ON_EVENT_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{'privacy-handlers-' * 3}OnEvent"
IS_COMPLETE_ARN = ON_EVENT_ARN.replace("OnEvent", "IsComplete")
"""The handlers as the framework names them in a failure's ``Logs:`` line; long names (60+
characters, Lambda allows 64) so that the response size tests are not flattered."""
LOGICAL_ID = "GdprDeletionJob1A2B3C4D"
DEADLINE_SECONDS = 600
PENDING_SECONDS = 10
RUN_SECONDS = 50
NUM_DELETED = 3
PREFLIGHT = ["ListDatasets", "ListSolutions"]
"""The pre-flight's calls for a dataset group with no datasets and no solutions."""
TRACKING_INTERVAL = 600
"""The construct's ``DEFAULT_TRACKING_INTERVAL`` (10 minutes), written out so that importing
this module starts no Node (``personalize_data_deletion`` imports aws_cdk); a synth-tier test
holds the two equal."""
TRACKING_TIMEOUT = 36 * 3600
TRACKER_ARN = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:deletion-tracker"
TRACKER_FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:deletion-tracker-step"
TRACKER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/deletion-tracker"
SCOPES = Scopes(
    partition="aws",
    region="us-east-1",
    account=ACCOUNT,
    scopes=(Scope(PREFIX, STAGING_BUCKET, ROLE, 100_000_000),),
)
"""What the handlers serve in these tests (their DELETION_SCOPES environment)."""
KEEPING_SCOPES = Scopes(
    partition="aws",
    region="us-east-1",
    account=ACCOUNT,
    scopes=(Scope(PREFIX, STAGING_BUCKET, ROLE, 100_000_000, purge_staged_input=False),),
)
"""The same, for a construct deployed with ``purge_staged_input=False``."""

USER_IDS = ("user-alpha-7f3", "user-beta-91c", "user-gamma-0d2", "user-delta-5e8", "user-zeta-x1")
USERS_CSV = b"USER_ID\nuser-alpha-7f3\nuser-beta-91c\nuser-gamma-0d2\nuser-alpha-7f3\n"
OTHER_CSV = b"USER_ID\nuser-delta-5e8\n"


# ----------------------------------------------------------------------------- helpers


def canonical_bytes(*parts: bytes) -> bytes:
    """The canonical list the runtime must stage for these CSV parts (computed locally)."""
    out = bytearray()
    canonicalize([(f"part-{i}", [data]) for i, data in enumerate(parts)], out.extend)
    return bytes(out)


def expected_job_name(content: bytes, group: str = GROUP, request_name: str = REQUEST_NAME) -> str:
    """``<prefix>-<request>-<12 hex of sha256(group \\n sha256(canonical))>``, recomputed."""
    content_sha = hashlib.sha256(canonical_bytes(content)).hexdigest()
    digest = hashlib.sha256(f"{group}\n{content_sha}".encode()).hexdigest()[:12]
    name = f"{PREFIX}-{request_name}-{digest}"
    assert name == compose_job_name(PREFIX, request_name, group, content_sha)
    return name


def job_arn(name: str) -> str:
    return f"arn:aws:personalize:us-east-1:{ACCOUNT}:data-deletion-job/{name}"


def properties(**overrides: Any) -> dict[str, Any]:
    """ResourceProperties as CloudFormation delivers them: every leaf a string."""
    props: dict[str, Any] = {
        "ServiceToken": SERVICE_TOKEN,
        "RequestName": REQUEST_NAME,
        "DatasetGroupArn": GROUP,
        "RoleArn": ROLE,
        "Bucket": STAGING_BUCKET,
        "Source": {"Bucket": SOURCE_BUCKET, "Key": ASSET_KEY},
        "JobNamePrefix": PREFIX,
        "MaxInputBytes": "100000000",
        "PurgeStagedInput": "true",
        "Tags": {"ticket": "PRIV-1"},
    }
    props.update(overrides)
    return props


_REQUESTS = iter(range(1, 1_000_000))


def cfn_event(
    request_type: str,
    props: Mapping[str, Any],
    *,
    physical_id: str | None = None,
    old: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A CloudFormation custom resource request as the framework forwards it to onEvent."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
        "StackId": STACK_ID,
        "RequestId": f"00000000-0000-0000-0000-{next(_REQUESTS):012d}",
        "LogicalResourceId": LOGICAL_ID,
        "ResourceType": "Custom::PersonalizeDataDeletionJob",
        "ResourceProperties": dict(props),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old is not None:
        event["OldResourceProperties"] = dict(old)
    return event


class FakeClock:
    """The injected ``clock``: moves only when the test says so."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    """What the framework reported to CloudFormation for one request (``response``), and
    the parts the tests read most."""

    physical_id: str | None
    data: dict[str, Any] | None
    """``Data`` of a SUCCESS answer (``None`` on failure)."""
    reason: str | None
    """The handler's message on failure (``response.reason`` adds what the framework adds)."""
    polls: int
    event: dict[str, Any] = field(default_factory=dict)
    """What the handlers saw last: the waiter's input (the request merged with onEvent's
    answer), or the request when onEvent failed."""
    response: Response | None = None


def play(
    event: dict[str, Any],
    world: World,
    *,
    step: float = 20,
    max_polls: int = 200,
    on_event: Callable[..., dict[str, Any]] | None = None,
    is_complete: Callable[..., dict[str, Any]] | None = None,
) -> Outcome:
    """Play the Provider framework (the one emulation the rehearsal uses too): onEvent, then
    isComplete every ``step`` seconds (both clocks move) for at most ``max_polls`` polls."""
    framework = ProviderFramework(
        UserFunction(ON_EVENT_ARN, on_event or (lambda e: lifecycle.on_event(e, world.services))),
        UserFunction(
            IS_COMPLETE_ARN, is_complete or (lambda e: lifecycle.is_complete(e, world.services))
        ),
        waiter=Waiter(interval_seconds=step, max_attempts=max_polls - 1),
        wait=world.advance,
    )
    played = framework.handle(event)
    return Outcome(
        physical_id=played.response.physical_id,
        data=played.response.data if played.succeeded else None,
        reason=played.message,
        polls=played.polls,
        event=played.waiter_input or played.request,
        response=played.response,
    )


# ----------------------------------------------------------------------------- world


def emf_metrics(lines: list[str]) -> list[tuple[str, str]]:
    """(metric name, stack name) of each embedded-metric record in ``lines``, in order."""
    found = []
    for line in lines:
        record = json.loads(line)
        [directive] = record["_aws"]["CloudWatchMetrics"]
        [metric] = directive["Metrics"]
        found.append((metric["Name"], record["StackName"]))
    return found


@dataclass
class World:
    """One test's services: the double, S3 on moto, the clock and the lifecycle adapters."""

    double: PersonalizeDouble
    s3: Any
    clock: FakeClock
    services: Services
    s3_calls: list[str]
    aws: dict[str, Any]
    """Set-up clients on moto (not recorded): stepfunctions, events, sqs."""
    queue_url: str
    """An SQS queue behind an EventBridge rule for this library's job events."""
    emf: list[str]
    """Embedded-metric-format lines the notifier wrote."""
    personalize: Any
    """The Personalize client the tracker's SDK integration step uses (real serializer)."""

    def advance(self, seconds: float) -> None:
        self.double.advance(seconds)
        self.clock.now += seconds

    def now(self) -> float:
        return self.clock.now

    def events(self) -> list[dict[str, Any]]:
        """Details of the job events EventBridge delivered since the last call (oldest first)."""
        details = []
        for event in drain(self.aws["sqs"], self.queue_url):
            assert (event["source"], event["detail-type"]) == (EVENT_SOURCE, EVENT_DETAIL_TYPE)
            details.append(event["detail"])
        return details

    def metrics(self) -> list[tuple[str, str]]:
        """(metric name, stack name) of every embedded-metric record written."""
        return emf_metrics(self.emf)

    def executions(self) -> list[tuple[str, str]]:
        """(name, status) of the tracker's executions in moto's Step Functions."""
        page = self.aws["stepfunctions"].list_executions(stateMachineArn=TRACKER_ARN)
        return sorted((e["name"], e["status"]) for e in page["executions"])

    def tracker_input(self, name: str) -> dict[str, Any]:
        arn = TRACKER_ARN.replace(":stateMachine:", ":execution:") + f":{name}"
        description = self.aws["stepfunctions"].describe_execution(executionArn=arn)
        return json.loads(description["input"])

    def run_tracker(self, name: str) -> Any:
        """Execute the tracker definition for execution ``name`` on the simulated clock, built
        for the tracking limit the handlers have (``services.tracking_timeout_seconds``)."""
        from personalize_deletion_local.asl.tracker_run import TrackerRun, substitute

        tracker_definition = tracker_definition_module().tracker_definition

        run = TrackerRun(
            definition=substitute(
                json.dumps(
                    tracker_definition(
                        interval_seconds=TRACKING_INTERVAL,
                        timeout_seconds=self.services.tracking_timeout_seconds,
                    )
                ),
                {"TrackerFunctionArn": TRACKER_FUNCTION_ARN, "Partition": "aws"},
            ),
            state_machine_arn=TRACKER_ARN,
            functions={TRACKER_FUNCTION_ARN: lambda event: tracker_steps.run(event, self.services)},
            clients={"personalize": self.personalize},
            clock=self,
        )
        return run.execute(name, self.tracker_input(name))

    def put_source(self, key: str, body: bytes, bucket: str = SOURCE_BUCKET) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)

    def keys(self, bucket: str = STAGING_BUCKET, prefix: str = "") -> list[str]:
        page = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in page.get("Contents", []))

    def read(self, key: str, bucket: str = STAGING_BUCKET) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def receipt(self, job_name: str) -> dict[str, Any]:
        return json.loads(self.read(f"receipts/{job_name}.json"))

    def job_calls(self) -> list[tuple[str, str | None]]:
        """(operation, error code) of the calls on data deletion jobs, without the pre-flight's
        listings (tests about the pre-flight assert those on ``double.calls``)."""
        return [
            (call.operation, call.error_code)
            for call in self.double.calls
            if call.operation.endswith(("DataDeletionJob", "DataDeletionJobs"))
        ]

    def reset_calls(self) -> None:
        self.double.reset_calls()
        self.s3_calls.clear()


def tracker_definition_module() -> Any:
    """``personalize_data_deletion/tracker_definition.py`` (plain data, no imports of its own),
    loaded from its file: importing it by name would run the package's ``__init__``, which
    imports aws_cdk and starts Node, which the wire tier does not need."""
    name = "_pdd_tracker_definition"
    if name not in sys.modules:
        path = ROOT / "constructs" / "personalize_data_deletion" / "tracker_definition.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def s3_client(endpoint: str) -> Any:
    return aws_client("s3", endpoint)


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still retries (throttling included) but never sleeps between attempts."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def world(moto_endpoint: str, no_backoff: None) -> Iterator[World]:
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
    with PersonalizeDouble(
        start_time=T0,
        pending_seconds=PENDING_SECONDS,
        run_seconds=RUN_SECONDS,
        num_deleted=NUM_DELETED,
        dataset_group_arns=[GROUP, OTHER_GROUP],
    ) as double:
        personalize = boto3.client(
            "personalize",
            endpoint_url=double.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=CLIENT_CONFIG,
        )
        # setup client (not recorded) and the handler's client (recorded)
        setup = s3_client(moto_endpoint)
        for bucket in (STAGING_BUCKET, SOURCE_BUCKET):
            setup.create_bucket(Bucket=bucket)
        setup.put_object(Bucket=SOURCE_BUCKET, Key=ASSET_KEY, Body=USERS_CSV)
        handler_s3 = s3_client(moto_endpoint)
        s3_calls: list[str] = []
        handler_s3.meta.events.register(
            "before-call.s3", lambda model, **_: s3_calls.append(model.name)
        )
        aws = {name: aws_client(name, moto_endpoint) for name in ("stepfunctions", "events", "sqs")}
        aws["stepfunctions"].create_state_machine(
            name=TRACKER_ARN.rsplit(":", 1)[1], definition="{}", roleArn=TRACKER_ROLE
        )
        queue_url = job_event_queue(aws)
        clock = FakeClock()
        emf: list[str] = []
        services = Services(
            jobs=PersonalizeJobs(personalize),
            storage=Storage(handler_s3),
            notifier=Notifier(aws_client("events", moto_endpoint), write=emf.append),
            scopes=SCOPES,
            tracker=Tracker(aws_client("stepfunctions", moto_endpoint), TRACKER_ARN),
            clock=clock,
            deadline_seconds=DEADLINE_SECONDS,
            tracking_timeout_seconds=TRACKING_TIMEOUT,
        )
        yield World(double, setup, clock, services, s3_calls, aws, queue_url, emf, personalize)


def aws_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG,
    )


def job_event_queue(aws: dict[str, Any], name: str = "job-events", pattern: Any = None) -> str:
    """An SQS queue that receives, through a rule on the default bus, the matching events
    (default: every job event of this library)."""
    sqs, events = aws["sqs"], aws["events"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    pattern = pattern or {"source": [EVENT_SOURCE], "detail-type": [EVENT_DETAIL_TYPE]}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return url


def job_event_rule(world: World, name: str, pattern: Any) -> Callable[[], list[dict[str, Any]]]:
    """Register a rule with ``pattern``; return a function draining what it delivered."""
    url = job_event_queue(world.aws, name, pattern)
    return lambda: drain(world.aws["sqs"], url)


def swept_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured log line with its ``extra`` fields, for the personal-data sweep."""
    return "\n".join(
        f"{record.getMessage()} {json.dumps(record.__dict__, default=str)}"
        for record in caplog.records
    )


def assert_no_user_ids(caplog: pytest.LogCaptureFixture, *documents: Any) -> None:
    """No test user id appears in any reason, Data, receipt or captured log record."""
    text = swept_text(caplog) + "\n" + json.dumps(documents, default=str)
    leaked = [user for user in USER_IDS if user in text]
    assert not leaked, f"{len(leaked)} test user id(s) leaked (not shown: personal data)"


def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
