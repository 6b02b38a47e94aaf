"""Rehearse a deployment's whole deletion lifecycle locally, without an AWS account.

``python -m personalize_deletion_local rehearse`` synthesizes the app with the real CDK CLI,
reads the cloud assembly, starts moto (S3) and the Personalize double on loopback, and plays
CloudFormation plus the CDK Provider framework against the handler code packaged in
``cdk.out`` (not the source tree): Create (on_event, then is_complete polled at the waiter's
interval on a compressed clock), an Update with unchanged properties, and a stack Delete.

Time is simulated: one clock drives both the handler (``Services.clock``) and the double, so
an hour of polling takes milliseconds. Exit status 1 when a resource would fail the deployment.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from .rehearsal_tracker import delivered, find_tracker, follow_all, register, register_rules

RESOURCE_TYPE = "Custom::PersonalizeDataDeletionJob"
RUNTIME_PACKAGE = "personalize_deletion_runtime"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_POLL_SECONDS = 60
DEFAULT_MAX_ATTEMPTS = 60
SCENARIO_NAMES = ("handoff", "success", "slow", "queued", "failed", "throttled")
DEFAULT_SCENARIO = "handoff"


class RehearsalError(RuntimeError):
    """The rehearsal itself could not run (synth failed, assembly unreadable, ...)."""


# ------------------------------------------------------------------------------ assembly


@dataclass
class StackArtifact:
    """One CloudFormation stack of the cloud assembly."""

    name: str
    template: dict[str, Any]
    assets: dict[str, Any]
    account: str
    region: str


def synthesize(app_dir: Path, cdk_out: Path) -> None:
    """Run ``cdk synth --quiet -o <cdk_out>`` in ``app_dir`` with the real CDK CLI."""
    path_entries = [os.path.dirname(sys.executable), str(app_dir / "node_modules" / ".bin")]
    env = {**os.environ, "PATH": os.pathsep.join([*path_entries, os.environ.get("PATH", "")])}
    cdk = shutil.which("cdk", path=env["PATH"])
    if cdk is None:
        raise RehearsalError("the CDK CLI (cdk) was not found: run `npm install` in the app dir")
    command = [cdk, "synth", "--quiet", "-o", str(cdk_out)]
    print(f"$ {' '.join(command)}  (in {app_dir})", flush=True)
    result = subprocess.run(
        command, cwd=app_dir, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RehearsalError(
            f"cdk synth failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )


def read_assembly(cdk_out: Path) -> list[StackArtifact]:
    """The stacks of a cloud assembly, with their templates and asset manifests."""
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.is_file():
        raise RehearsalError(f"{manifest_path} not found: synthesize first (or drop --no-synth)")
    manifest = json.loads(manifest_path.read_text())
    artifacts = manifest.get("artifacts", {})
    stacks = []
    for name, artifact in artifacts.items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template = json.loads((cdk_out / properties["templateFile"]).read_text())
        assets: dict[str, Any] = {"files": {}}
        for dependency in artifact.get("dependencies", []):
            dep = artifacts.get(dependency, {})
            if dep.get("type") == "cdk:asset-manifest":
                file_assets = json.loads((cdk_out / dep["properties"]["file"]).read_text())
                assets["files"].update(file_assets.get("files", {}))
        account, region = _environment(artifact.get("environment", ""))
        stacks.append(StackArtifact(name, template, assets, account, region))
    return stacks


def _environment(environment: str) -> tuple[str, str]:
    match = re.fullmatch(r"aws://([^/]*)/([^/]*)", environment)
    account, region = match.groups() if match else ("", "")
    if not re.fullmatch(r"\d{12}", account):
        account = DEFAULT_ACCOUNT
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        region = DEFAULT_REGION
    return account, region


# ---------------------------------------------------------------- intrinsic functions


class Resolver:
    """Resolve template values the way CloudFormation would, in a simulated account."""

    def __init__(self, stack: StackArtifact, s3: Any) -> None:
        self.stack = stack
        self.resources: dict[str, Any] = stack.template.get("Resources", {})
        self.s3 = s3
        self.buckets: dict[str, str] = {}
        self.pseudo = {
            "AWS::AccountId": stack.account,
            "AWS::Region": stack.region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack.name,
            "AWS::StackId": self.stack_id,
            "AWS::NoValue": None,
        }

    @property
    def stack_id(self) -> str:
        return (
            f"arn:aws:cloudformation:{self.stack.region}:{self.stack.account}:stack/"
            f"{self.stack.name}/{uuid.uuid5(uuid.NAMESPACE_URL, self.stack.name)}"
        )

    def resolve(self, value: Any) -> Any:
        """Every leaf comes out a string, as CloudFormation delivers custom resource props."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    return self.ref(arg)
                if key == "Fn::GetAtt":
                    return self.get_att(*(arg if isinstance(arg, list) else arg.split(".", 1)))
                if key == "Fn::Sub":
                    return self.sub(arg)
                if key == "Fn::Join":
                    separator, items = arg
                    return separator.join(str(self.resolve(item)) for item in items)
                if key == "Fn::Select":
                    index, items = arg
                    return self.resolve(self.resolve(items)[int(self.resolve(index))])
                if key.startswith("Fn::"):
                    raise RehearsalError(f"intrinsic {key} is not supported by the rehearsal")
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return value

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return str(self.pseudo[name])
        resource = self.resources.get(name)
        if resource is None:
            parameter = self.stack.template.get("Parameters", {}).get(name, {})
            return str(parameter.get("Default", name))
        if resource.get("Type") == "AWS::S3::Bucket":
            return self.bucket(name)
        if resource.get("Type") == "AWS::StepFunctions::StateMachine":
            return f"arn:aws:states:{self.stack.region}:{self.stack.account}:stateMachine:{name}"
        return name

    def get_att(self, name: str, attribute: str) -> str:
        resource_type = self.resources.get(name, {}).get("Type", "")
        account, region = self.stack.account, self.stack.region
        if resource_type == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:aws:iam::{account}:role/{name}"
        if resource_type == "AWS::Lambda::Function" and attribute == "Arn":
            return f"arn:aws:lambda:{region}:{account}:function:{name}"
        if resource_type == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{self.bucket(name)}"
        if resource_type == "AWS::StepFunctions::StateMachine" and attribute == "Name":
            return name
        service = resource_type.split("::")[1].lower() if "::" in resource_type else "unknown"
        return f"arn:aws:{service}:{region}:{account}:{name}/{attribute}"

    def sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else arg
        variables = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in variables:
                return str(variables[expression])
            if "." in expression and expression.split(".", 1)[0] in self.resources:
                return self.get_att(*expression.split(".", 1))
            return self.ref(expression)

        return re.sub(r"\$\{([^}]+)\}", replace, template)

    def substitute(self, text: str) -> str:
        """``${AWS::AccountId}``-style placeholders in asset manifests."""
        return self.sub(text)

    def bucket(self, logical_id: str) -> str:
        """The simulated physical name of a bucket resource, created in moto on first use."""
        if logical_id not in self.buckets:
            name = logical_id.lower()[:63]
            self.ensure_bucket(name)
            self.buckets[logical_id] = name
        return self.buckets[logical_id]

    def ensure_bucket(self, name: str) -> None:
        with contextlib.suppress(self.s3.exceptions.BucketAlreadyOwnedByYou):
            if self.stack.region == "us-east-1":
                self.s3.create_bucket(Bucket=name)
            else:
                self.s3.create_bucket(
                    Bucket=name,
                    CreateBucketConfiguration={"LocationConstraint": self.stack.region},
                )


def publish_file_assets(stack: StackArtifact, resolver: Resolver, cdk_out: Path) -> list[str]:
    """Upload every file asset to its (substituted) bucket and key, as ``cdk deploy`` does."""
    published = []
    for asset in stack.assets.get("files", {}).values():
        source = cdk_out / asset.get("source", {}).get("path", "")
        if not source.is_file():
            continue
        for destination in asset.get("destinations", {}).values():
            bucket = resolver.substitute(destination["bucketName"])
            key = resolver.substitute(destination["objectKey"])
            resolver.ensure_bucket(bucket)
            resolver.s3.upload_file(str(source), bucket, key)
            published.append(f"s3://{bucket}/{key}")
    return published


# ------------------------------------------------------------------ packaged handler


@dataclass
class Runtime:
    """The handler package as synthesized into cdk.out."""

    directory: Path
    handlers: ModuleType
    lifecycle: ModuleType
    notifications: ModuleType
    personalize_api: ModuleType
    scopes: ModuleType
    staging: ModuleType
    tracker_steps: ModuleType
    tracking: ModuleType


def find_runtime_dir(stack: StackArtifact, cdk_out: Path) -> Path:
    """The Lambda asset directory holding the packaged ``personalize_deletion_runtime``."""
    for resource in stack.template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        if not str(resource.get("Properties", {}).get("Handler", "")).startswith(RUNTIME_PACKAGE):
            continue
        asset_path = resource.get("Metadata", {}).get("aws:asset:path")
        if asset_path and (cdk_out / asset_path / RUNTIME_PACKAGE).is_dir():
            return cdk_out / asset_path
    for candidate in sorted(cdk_out.glob("asset.*")):
        if (candidate / RUNTIME_PACKAGE).is_dir():
            return candidate
    raise RehearsalError(f"no Lambda asset with {RUNTIME_PACKAGE}/ found in {cdk_out}")


def load_runtime(directory: Path) -> Runtime:
    """Import the packaged handler from ``directory``, isolated from any source-tree copy."""
    prefix = RUNTIME_PACKAGE
    saved = {n: m for n, m in sys.modules.items() if n == prefix or n.startswith(prefix + ".")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(directory))
    try:
        modules = {
            name: importlib.import_module(f"{prefix}.{name}")
            for name in (
                "handlers",
                "lifecycle",
                "notifications",
                "personalize_api",
                "scopes",
                "staging",
                "tracker_steps",
                "tracking",
            )
        }
        origin = Path(modules["handlers"].__file__ or "").resolve()
        if directory.resolve() not in origin.parents:
            raise RehearsalError(f"imported {origin}, not the packaged code in {directory}")
    finally:
        sys.path.remove(str(directory))
        for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
            del sys.modules[name]
        sys.modules.update(saved)
    return Runtime(directory=directory, **modules)


# ------------------------------------------------------------------- provider framework


@dataclass
class ProviderConfig:
    """What the synthesized Provider framework does: poll interval, attempts, deadlines."""

    poll_seconds: int = DEFAULT_POLL_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    on_event_env: dict[str, str] = field(default_factory=dict)
    is_complete_env: dict[str, str] = field(default_factory=dict)
    on_event_function: str = "OnEvent"
    is_complete_function: str = "IsComplete"

    @property
    def handler_deadline_seconds(self) -> int:
        return int(self.on_event_env.get("HANDLER_DEADLINE_SECONDS", "3300"))

    @property
    def tracking_timeout_seconds(self) -> int:
        return int(self.on_event_env.get("TRACKING_TIMEOUT_SECONDS", str(36 * 3600)))


def provider_config(stack: StackArtifact, resolver: Resolver) -> ProviderConfig:
    config = ProviderConfig()
    for logical_id, resource in stack.template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Lambda::Function":
            handler = str(properties.get("Handler", ""))
            env = resolver.resolve(properties.get("Environment", {}).get("Variables", {}))
            name = str(resolver.resolve(properties.get("FunctionName", logical_id)))
            if handler == f"{RUNTIME_PACKAGE}.handlers.on_event":
                config.on_event_env, config.on_event_function = env, name
            elif handler == f"{RUNTIME_PACKAGE}.handlers.is_complete":
                config.is_complete_env, config.is_complete_function = env, name
        elif resource.get("Type") == "AWS::StepFunctions::StateMachine":
            definition = resolver.resolve(properties.get("DefinitionString", ""))
            with contextlib.suppress(ValueError, KeyError, TypeError):
                state = json.loads(definition)["States"]["framework-isComplete-task"]
                retry = state["Retry"][0]
                config.poll_seconds = int(retry["IntervalSeconds"])
                config.max_attempts = int(retry["MaxAttempts"])
    return config


class SimClock:
    """Simulated wall time shared by the handler and the Personalize double."""

    def __init__(self, start: float, on_advance: Callable[[float], Any]) -> None:
        self.start = start
        self.now = start
        self._on_advance = on_advance

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._on_advance(seconds)

    @property
    def elapsed(self) -> float:
        return self.now - self.start


@dataclass
class Outcome:
    """What CloudFormation would record for one resource operation."""

    logical_id: str
    request_type: str
    status: str  # SUCCESS | FAILED
    physical_id: str | None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    polls: int = 0
    elapsed: float = 0.0


class Provider:
    """Plays the CDK Provider framework (onEvent Lambda + waiter state machine)."""

    def __init__(
        self, runtime: Runtime, services: Any, clock: SimClock, config: ProviderConfig
    ) -> None:
        self.runtime = runtime
        self.services = services
        self.clock = clock
        self.config = config
        self.peek: Callable[[str], str | None] | None = None

    def handle(self, event: dict[str, Any], say: Callable[[str], None]) -> Outcome:
        logical_id, request_type = event["LogicalResourceId"], event["RequestType"]
        started = self.clock.elapsed
        lifecycle = self.runtime.lifecycle

        def failed(exc: Exception, function: str, physical_id: str | None, polls: int) -> Outcome:
            message = str(exc) or type(exc).__name__
            reason = f"{message}\n\nLogs: /aws/lambda/{function}"
            return Outcome(
                logical_id,
                request_type,
                "FAILED",
                physical_id,
                reason=reason,
                polls=polls,
                elapsed=self.clock.elapsed - started,
            )

        try:
            result = lifecycle.on_event(dict(event), self.services) or {}
        except Exception as exc:
            return failed(exc, self.config.on_event_function, event.get("PhysicalResourceId"), 0)
        physical_id = result.get("PhysicalResourceId") or (
            event["RequestId"] if request_type == "Create" else event["PhysicalResourceId"]
        )
        waiter_event = {**event, **result, "PhysicalResourceId": physical_id}
        last_status = None
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = lifecycle.is_complete(dict(waiter_event), self.services) or {}
            except Exception as exc:
                return failed(exc, self.config.is_complete_function, physical_id, attempts)
            status = self._job_status(waiter_event, answer)
            if status and status != last_status and request_type != "Delete":
                say(
                    f"  [{logical_id}] t+{self.clock.elapsed - started:>6.0f}s "
                    f"poll {attempts:>2}: {status}"
                )
                last_status = status
            if answer.get("IsComplete"):
                response = {
                    **waiter_event,
                    **answer,
                    "Data": {**(waiter_event.get("Data") or {}), **(answer.get("Data") or {})},
                }
                return Outcome(
                    logical_id,
                    request_type,
                    "SUCCESS",
                    physical_id,
                    data=response["Data"],
                    polls=attempts,
                    elapsed=self.clock.elapsed - started,
                )
            if answer.get("Data"):
                return failed(
                    RuntimeError('"Data" is not allowed if "IsComplete" is "False"'),
                    "framework-isComplete",
                    physical_id,
                    attempts,
                )
            if attempts > self.config.max_attempts:
                return failed(
                    RuntimeError("Operation timed out"),
                    "framework-onTimeout",
                    physical_id,
                    attempts,
                )
            self.clock.advance(self.config.poll_seconds)

    def _job_status(self, event: dict[str, Any], answer: dict[str, Any]) -> str | None:
        """The job status the poll saw, read without side effects from the double."""
        if answer.get("Data", {}).get("Status"):
            return answer["Data"]["Status"]
        return self.peek(event.get("PhysicalResourceId", "")) if self.peek else None


# ---------------------------------------------------------------------------- rehearsal


@contextlib.contextmanager
def patched_environ(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for ``None``, unset) environment variables for the duration."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def rehearse(
    app_dir: Path,
    scenario: str = DEFAULT_SCENARIO,
    cdk_out: Path | None = None,
    synth: bool = True,
    out: Callable[[str], None] = print,
) -> int:
    """Run the rehearsal; returns the process exit status (0: the deployment would succeed)."""
    app_dir = app_dir.resolve()
    cdk_out = (cdk_out or app_dir / "cdk.out").resolve()
    if synth:
        synthesize(app_dir, cdk_out)
    stacks = [s for s in read_assembly(cdk_out) if _custom_resources(s)]
    if not stacks:
        out(f"no {RESOURCE_TYPE} resources in {cdk_out}: nothing to rehearse")
        return 0
    exit_code = 0
    for stack in stacks:
        exit_code |= _rehearse_stack(stack, scenario, cdk_out, out)
    return exit_code


def _custom_resources(stack: StackArtifact) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in stack.template.get("Resources", {}).items()
        if resource.get("Type") == RESOURCE_TYPE
    }


def _rehearse_stack(stack: StackArtifact, scenario: str, cdk_out: Path, out: Any) -> int:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The handlers' own log records (JSON lines in Lambda) would interleave with the
    # rehearsal's account of the same events; it reports what matters itself.
    runtime_logger = logging.getLogger(RUNTIME_PACKAGE)
    runtime_logger.addHandler(logging.NullHandler())
    runtime_logger.propagate = False

    from .personalize_double import PersonalizeDouble

    out(f"\n=== stack {stack.name} (account {stack.account}, region {stack.region}) ===")
    out(f"scenario: {scenario}")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    double = PersonalizeDouble.from_scenario(
        scenario, account_id=stack.account, region=stack.region, seconds_per_describe=0.0
    )
    double.start()
    try:
        host, port = moto.get_host_and_port()
        env: dict[str, str | None] = {
            "AWS_PROFILE": None,
            "AWS_ENDPOINT_URL": None,
            "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
            "AWS_ENDPOINT_URL_PERSONALIZE": double.endpoint_url,
            "AWS_ENDPOINT_URL_SFN": f"http://{host}:{port}",
            "AWS_ENDPOINT_URL_EVENTBRIDGE": f"http://{host}:{port}",
            "AWS_ENDPOINT_URL_SQS": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": stack.region,
            "AWS_REGION": stack.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        out(f"local S3 (moto): {env['AWS_ENDPOINT_URL_S3']}")
        out(f"local Personalize (double): {double.endpoint_url}")
        with patched_environ(env):
            return _play(stack, double, cdk_out, out, boto3)
    finally:
        double.close()
        moto.stop()


def _play(stack: StackArtifact, double: Any, cdk_out: Path, out: Any, boto3: Any) -> int:
    s3 = boto3.client("s3")
    resolver = Resolver(stack, s3)
    published = publish_file_assets(stack, resolver, cdk_out)
    for key in published:
        out(f"published asset {key}")
    config = provider_config(stack, resolver)
    runtime_dir = find_runtime_dir(stack, cdk_out)
    runtime = load_runtime(runtime_dir)
    out(f"handler code: {runtime_dir.relative_to(cdk_out.parent)}/{RUNTIME_PACKAGE} (packaged)")
    out(
        f"provider: isComplete every {config.poll_seconds}s, up to {config.max_attempts} "
        f"retries; HANDLER_DEADLINE_SECONDS={config.handler_deadline_seconds}"
    )

    def count_rows(view: Any) -> int:
        bucket, _, key = view.data_location.removeprefix("s3://").partition("/")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        return max(len([line for line in body.splitlines() if line.strip()]) - 1, 0)

    double.num_deleted = count_rows
    clock = SimClock(double.now, double.advance)
    config_client = runtime.handlers.CLIENT_CONFIG
    stepfunctions, sqs = boto3.client("stepfunctions"), boto3.client("sqs")
    tracker = find_tracker(stack.template, resolver.resolve)
    if tracker is not None:
        register(tracker, stepfunctions)
        out(f"tracker: {tracker.arn} (registered in moto, run by the local interpreter)")
    queues = register_rules(stack.template, resolver.resolve, boto3.client("events"), sqs)
    metrics: dict[str, int] = {}

    def count_metric(line: str) -> None:
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                metrics[metric["Name"]] = metrics.get(metric["Name"], 0) + record[metric["Name"]]

    services = runtime.lifecycle.Services(
        jobs=runtime.personalize_api.PersonalizeJobs(
            boto3.client("personalize", config=config_client)
        ),
        storage=runtime.staging.Storage(boto3.client("s3", config=config_client)),
        notifier=runtime.notifications.Notifier(
            boto3.client("events", config=config_client), write=count_metric
        ),
        scopes=runtime.scopes.scopes_from(config.on_event_env),
        tracker=(
            runtime.tracking.Tracker(
                boto3.client("stepfunctions", config=config_client), tracker.arn
            )
            if tracker is not None
            else None
        ),
        clock=clock,
        deadline_seconds=config.handler_deadline_seconds,
        tracking_timeout_seconds=config.tracking_timeout_seconds,
    )
    provider = Provider(runtime, services, clock, config)

    def peek(job_name: str) -> str | None:
        return double.jobs[job_name].status if job_name in double.jobs else None

    provider.peek = peek

    resources = {}
    views = {}
    """What each request resolves to through the handlers' scopes (its bucket, for one)."""
    for logical_id, resource in _custom_resources(stack).items():
        properties = resolver.resolve(resource.get("Properties", {}))
        resources[logical_id] = properties
        views[logical_id] = _expanded(services.scopes, properties)
        arn = properties.get("DatasetGroupArn")
        if isinstance(arn, str):
            double.add_dataset_group(arn)

    # ---- Create
    out("\n--- CREATE (stack deployment) ---")
    creates: dict[str, Outcome] = {}
    for logical_id, properties in resources.items():
        event = _event(resolver, "Create", logical_id, properties)
        out(f"  [{logical_id}] Create {properties.get('RequestName')}")
        calls_before = len(double.calls)
        creates[logical_id] = provider.handle(event, out)
        out(f"  [{logical_id}] Personalize calls: {_call_counts(double.calls[calls_before:])}")
    for logical_id, outcome in creates.items():
        out(
            f"  [{logical_id}] Create -> {outcome.status} after {outcome.polls} isComplete "
            f"poll(s), {outcome.elapsed:.0f}s simulated"
        )
    shown: set[str] = set()
    _summary(creates, views, s3, out, title="when cdk deploy returns", shown=shown)
    _print_events(queues, sqs, out)
    failures = [o for o in creates.values() if o.status == "FAILED"]
    if failures:
        out("\nDEPLOYMENT WOULD FAIL (CREATE_FAILED, stack rolls back):")
        for outcome in failures:
            out(f"  {outcome.logical_id}: Resource handler returned message:")
            out("    " + outcome.reason.replace("\n", "\n    "))

    # ---- After the deployment: the tracker follows what was handed off
    unconfirmed = 0
    if tracker is not None:
        out("\n--- AFTER THE DEPLOYMENT (the tracker follows handed-off jobs) ---")
        results = follow_all(
            tracker,
            step=lambda event: runtime.tracker_steps.run(event, services),
            stepfunctions=stepfunctions,
            personalize=boto3.client("personalize", config=config_client),
            clock=clock,
            out=out,
        )
        if not results:
            out("  nothing was handed off: every job ended while the deployment waited")
        _print_events(queues, sqs, out)
        ended = {r.output.get("outcome", {}).get("status") for r in results if r.output}
        unconfirmed = sum(1 for r in results if r.status != "SUCCEEDED") + ("FAILED" in ended)
        if results:
            _summary(creates, views, s3, out, title="recorded", from_receipts=True, shown=shown)
    if metrics:
        out("\nmetrics: " + ", ".join(f"{name} {count}" for name, count in sorted(metrics.items())))
    if failures:
        return 1

    # ---- Update with unchanged properties
    out("\n--- UPDATE (same properties) ---")
    jobs_before = len(double.jobs)
    calls_before = len(double.calls)
    exit_code = 0
    for logical_id, properties in resources.items():
        old = creates[logical_id]
        event = _event(
            resolver,
            "Update",
            logical_id,
            properties,
            physical_id=old.physical_id,
            old_properties=properties,
        )
        outcome = provider.handle(event, out)
        same = outcome.physical_id == old.physical_id
        out(
            f"  [{logical_id}] Update -> {outcome.status}; physical id "
            f"{'unchanged' if same else 'CHANGED (replacement)'}: {outcome.physical_id}"
        )
        if outcome.status == "FAILED":
            out("    " + outcome.reason.replace("\n", "\n    "))
            exit_code = 1
    update_calls = double.calls[calls_before:]
    create_calls = [c for c in update_calls if c.operation == "CreateDataDeletionJob"]
    accepted = [c for c in create_calls if c.error_code is None]
    out(
        f"  Personalize jobs: {jobs_before} before, {len(double.jobs)} after "
        f"({len(double.jobs) - jobs_before} new); CreateDataDeletionJob calls: "
        f"{len(create_calls)} ({len(accepted)} accepted); all calls during Update: "
        + _call_counts(update_calls)
    )

    # ---- Delete
    out("\n--- DELETE (stack deletion) ---")
    calls_before = len(double.calls)
    for logical_id, properties in resources.items():
        event = _event(
            resolver,
            "Delete",
            logical_id,
            properties,
            physical_id=creates[logical_id].physical_id,
        )
        outcome = provider.handle(event, out)
        out(f"  [{logical_id}] Delete -> {outcome.status} ({outcome.physical_id})")
        if outcome.status == "FAILED":
            out("    " + outcome.reason.replace("\n", "\n    "))
            exit_code = 1
    out(f"  Personalize calls during Delete: {len(double.calls) - calls_before}")
    receipts = s3.list_objects_v2(
        Bucket=next(iter(views.values()))["Bucket"], Prefix="receipts/"
    ).get("KeyCount", 0)
    out(f"  receipts kept in the deletion bucket: {receipts}")
    staged = s3.list_objects_v2(Bucket=next(iter(views.values()))["Bucket"], Prefix="staging/").get(
        "KeyCount", 0
    )
    out(f"  staged lists left in the deletion bucket: {staged}")
    lists_left = [uri for uri in published if uri.endswith(".csv") and not _tombstone(s3, uri)]
    out(f"  lists left in the CDK assets bucket: {len(lists_left)}")
    if unconfirmed:
        out(
            f"\n{unconfirmed} deletion job(s) did not end COMPLETED after the deployment "
            "(see the tracker's output and events above)"
        )
    verdict = "passed: the deployment would succeed"
    if exit_code:
        verdict = "FAILED"
    elif unconfirmed:
        verdict = "FAILED: the deployment would succeed, but not every deletion completed"
    out("\nrehearsal " + verdict)
    return exit_code or int(bool(unconfirmed))


def _tombstone(s3: Any, uri: str) -> bool:
    """Whether the handlers replaced a list asset once its job ended."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    metadata = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
    return "pdd-removed-after-job" in metadata


def _call_counts(calls: list[Any]) -> str:
    counts: dict[str, int] = {}
    for call in calls:
        label = call.operation + (f" ({call.error_code})" if call.error_code else "")
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} x{n}" for label, n in counts.items()) or "none"


def _event(
    resolver: Resolver,
    request_type: str,
    logical_id: str,
    properties: dict[str, Any],
    *,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": properties.get("ServiceToken", ""),
        "ResponseURL": (
            f"https://cloudformation-custom-resource-response-{resolver.stack.region}"
            f".s3.amazonaws.com/rehearsal/{request_id}"
        ),
        "StackId": resolver.stack_id,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": RESOURCE_TYPE,
        "ResourceProperties": json.loads(json.dumps(properties)),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = json.loads(json.dumps(old_properties))
    return event


def _expanded(scopes: Any, properties: dict[str, Any]) -> dict[str, Any]:
    """A request as the handlers read it (values its scope supplies filled in); as it is if
    its scope is unknown (the handler then fails it, and says why)."""
    try:
        return dict(scopes.expand(properties))
    except ValueError:
        return properties


def _summary(
    outcomes: dict[str, Outcome],
    resources: dict[str, Any],
    s3: Any,
    out: Any,
    *,
    title: str,
    from_receipts: bool = False,
    shown: set[str] | None = None,
) -> None:
    """A table of the requests; ``from_receipts``: status and count as the receipts record them
    (after the tracker), else as the deployment reported them. Receipts are printed once:
    ``shown`` holds the locations already printed."""
    header = ("request", "job name", "status", "numDeleted", "tracked by", "receipt key")
    rows = [header]
    receipts = []
    for logical_id, outcome in outcomes.items():
        properties = resources[logical_id]
        job_name = outcome.physical_id if outcome.physical_id else "-"
        receipt_key = f"receipts/{job_name}.json"
        receipt = None
        with contextlib.suppress(Exception):
            body = s3.get_object(Bucket=properties["Bucket"], Key=receipt_key)["Body"].read()
            receipt = json.loads(body)
        recorded = receipt or {}
        if from_receipts:
            status = recorded.get("status") or outcome.data.get("Status") or outcome.status
            num_deleted = recorded.get("numDeleted", outcome.data.get("NumDeleted"))
        else:
            status = outcome.data.get("Status") or recorded.get("status") or outcome.status
            num_deleted = outcome.data.get("NumDeleted") or recorded.get("numDeleted")
        tracked_by = str(outcome.data.get("TrackedBy") or "none").rsplit(":", 1)[-1]
        rows.append(
            (
                str(properties.get("RequestName", logical_id)),
                job_name,
                status,
                "-" if num_deleted is None else str(num_deleted),
                tracked_by,
                receipt_key if receipt is not None else "-",
            )
        )
        if receipt is not None:
            receipts.append((f"s3://{properties['Bucket']}/{receipt_key}", receipt))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out(f"\n{title}:")
    for index, row in enumerate(rows):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out(("  " + "  ".join(cells)).rstrip())
        if index == 0:
            out("  " + "  ".join("-" * width for width in widths))
    shown = set() if shown is None else shown
    for location, receipt in receipts:
        if location in shown:
            continue
        shown.add(location)
        out(f"\nreceipt {location}:")
        out(json.dumps(receipt, indent=2, sort_keys=True))


def _print_events(queues: dict[str, str], sqs: Any, out: Any) -> None:
    for event, rules in delivered(queues, sqs):
        detail = event["detail"]
        out(f"\nevent on the default bus: {event['detail-type']} ({detail['status']})")
        out(
            "  matched the app's rules: " + ", ".join(rules)
            if rules
            else "  no rule of the app matches it (add one with on_job_state_change)"
        )
        out(json.dumps(detail, indent=2, sort_keys=True))


# ---------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m personalize_deletion_local",
        description="Local tools for the Personalize data deletion constructs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    rehearse_cmd = commands.add_parser(
        "rehearse",
        help="run a whole deployment's deletion lifecycle without an AWS account",
    )
    rehearse_cmd.add_argument("--app-dir", type=Path, default=Path.cwd())
    rehearse_cmd.add_argument("--scenario", choices=SCENARIO_NAMES, default=DEFAULT_SCENARIO)
    rehearse_cmd.add_argument("--cdk-out", type=Path, default=None)
    rehearse_cmd.add_argument("--no-synth", action="store_true", help="reuse an existing cdk.out")
    args = parser.parse_args(argv)
    try:
        return rehearse(
            args.app_dir,
            scenario=args.scenario,
            cdk_out=args.cdk_out,
            synth=not args.no_synth,
            out=lambda line: print(line, flush=True),
        )
    except RehearsalError as exc:
        print(f"rehearsal error: {exc}", file=sys.stderr)
        return 2


__all__ = ["RehearsalError", "main", "rehearse"]
