"""One template made ready to play: its resources the requests need exist in the simulated
account, its requests are resolved, and each is wired to the handlers behind its provider.

Kept apart from the phases (:mod:`.phases`) so that what the rehearsal *assumes* about a stack
(dataset groups that exist outside the app, buckets created by CloudFormation) is decided in
one place and reported, and anything it cannot follow raises :class:`Unsupported` here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personalize_deletion_runtime.staging import CLI_EMPTY_ASSET_BYTES

from ..provider_framework import Played
from .assembly import Template
from .errors import Unsupported
from .packaged import Provider, provider_for
from .resolver import Resolver
from .tracker import Tracker, find_tracker, register, register_rules
from .world import SimClock, World, ensure_bucket

RESOURCE_TYPE = "Custom::PersonalizeDataDeletionJob"
DATASET_GROUP_TYPE = "AWS::Personalize::DatasetGroup"

PASSED = "passed"
FAILED = "FAILED"
UNSUPPORTED = "unsupported"
NO_REQUESTS = "no requests"
ROLLED_BACK = "rolled back"
NOT_DEPLOYED = "not deployed"


@dataclass
class Request:
    """One deletion request of a template, and what each operation on it answered."""

    logical_id: str
    path: str
    name: str
    properties: dict[str, Any]
    """What CloudFormation sends as ``ResourceProperties``."""
    provider: Provider
    handled: dict[str, Any] = field(default_factory=dict)
    """The properties as the handler reads them (scope values filled in)."""
    created: Played | None = None
    elapsed: float = 0.0


@dataclass
class StackRun:
    """A template through the phases of a rehearsal, and its verdict."""

    template: Template
    status: str = PASSED
    notes: list[str] = field(default_factory=list)
    resolver: Resolver | None = None
    double: Any = None
    clock: SimClock | None = None
    requests: list[Request] = field(default_factory=list)
    tracker: Tracker | None = None
    queues: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, int] = field(default_factory=dict)
    unconfirmed: int = 0
    published: list[str] = field(default_factory=list)
    """The file assets ``cdk deploy`` uploaded for this stack (its top-level template)."""

    @property
    def playable(self) -> bool:
        return self.status == PASSED and bool(self.requests)

    def fail(self, note: str) -> None:
        self.status = FAILED
        self.notes.append(note)

    def count_metric(self, line: str) -> None:
        """Count an embedded-metric-format line the notifier wrote."""
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                name = metric["Name"]
                self.metrics[name] = self.metrics.get(name, 0) + record[name]


def prepare(
    template: Template,
    world: World,
    *,
    parent: StackRun | None,
    exports: dict[str, Any],
    request_scenarios: dict[str, str],
    out: Any,
) -> StackRun:
    """Resolve a template and create what its requests need; an unsupported part makes the
    whole template ``unsupported`` (with the reason) rather than guessed."""
    import boto3

    run = StackRun(template)
    try:
        parameters: dict[str, Any] = {}
        if parent is not None and parent.resolver is not None:
            nested = parent.template.resources[template.logical_id_in_parent or ""]
            what = f"parameters of nested stack {template.display}"
            parameters = parent.resolver.strict(
                nested.get("Properties", {}).get("Parameters", {}), what
            )
        resolver = Resolver(template, parameters=parameters, exports=exports)
        if parent is not None and parent.resolver is not None:
            parent.resolver.nested[template.logical_id_in_parent or ""] = resolver
        run.resolver = resolver
        custom = _created(resolver, RESOURCE_TYPE)
        if not custom:
            run.status = NO_REQUESTS
            return run
        run.double = world.double(template.account, template.region)
        run.clock = SimClock(run.double)
        s3 = boto3.client("s3")
        for bucket in _created(resolver, "AWS::S3::Bucket"):
            ensure_bucket(s3, str(resolver.ref(bucket)), template.region)
        for group in _created(resolver, DATASET_GROUP_TYPE):
            run.double.add_dataset_group(resolver.arn_of(group))
        run.double.num_deleted = _row_counter(s3)
        run.tracker = find_tracker(template.body, resolver.resolve)
        if run.tracker is not None:
            register(run.tracker, boto3.client("stepfunctions"))
        prefix = re.sub(r"[^A-Za-z0-9-]", "-", template.name)
        run.queues = register_rules(
            template.body, resolver.resolve, boto3.client("events"), boto3.client("sqs"), prefix
        )
        providers: dict[str, Provider] = {}
        for logical_id in custom:
            run.requests.append(_request(run, logical_id, providers, request_scenarios, out))
    except Unsupported as exc:
        run.status = UNSUPPORTED
        run.notes.append(str(exc))
    return run


def _request(
    run: StackRun,
    logical_id: str,
    providers: dict[str, Provider],
    request_scenarios: dict[str, str],
    out: Any,
) -> Request:
    assert run.resolver is not None and run.clock is not None
    resolver, template = run.resolver, run.template
    properties = resolver.properties(logical_id)
    token = template.resources[logical_id]["Properties"]["ServiceToken"]
    key = json.dumps(token, sort_keys=True)
    if key not in providers:
        providers[key] = provider_for(resolver, token, run.clock, run.tracker, run.count_metric)
    group = str(properties.get("DatasetGroupArn", ""))
    created_here = {resolver.arn_of(g) for g in _created(resolver, DATASET_GROUP_TYPE)}
    if group and group not in created_here and group not in run.double.dataset_groups:
        run.double.add_dataset_group(group)
        out(f"  assumed to exist (not created by the app): dataset group {group}")
    handled = _as_handled(providers[key], properties)
    name = str(handled.get("RequestName", logical_id))
    if name in request_scenarios:
        prefix = f"{handled.get('JobNamePrefix', '')}-{name}-"
        run.double.set_request_scenario(prefix, request_scenarios[name])
    path = template.path_of(logical_id)
    return Request(logical_id, path, name, properties, providers[key], handled=handled)


def _as_handled(provider: Provider, properties: dict[str, Any]) -> dict[str, Any]:
    """A request as its handler reads it: the values its ``Scope`` supplies (bucket, prefix,
    role, limits) filled in from the provider's environment, so the rehearsal finds receipts,
    lists and job names where the handler puts them; as it is if the scope is unknown (the
    handler then fails it, and says why)."""
    try:
        return dict(provider.services.scopes.expand(properties))
    except ValueError:
        return properties


def _created(resolver: Resolver, resource_type: str) -> list[str]:
    """Logical ids of the resources of a type CloudFormation would create (conditions met)."""
    return [
        logical_id
        for logical_id, resource in resolver.resources.items()
        if resource.get("Type") == resource_type
        and ("Condition" not in resource or resolver.condition(resource["Condition"]))
    ]


def _row_counter(s3: Any) -> Any:
    """``numDeleted`` of a completed job: the rows of its staged list (the header excluded)."""

    def count_rows(view: Any) -> int:
        bucket, _, key = view.data_location.removeprefix("s3://").partition("/")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        return max(len([line for line in body.splitlines() if line.strip()]) - 1, 0)

    return count_rows


def published_in(listing: dict[str, Any], key: str) -> bool:
    """Whether the CDK CLI counts ``key`` as published, from its ``ListObjectsV2`` answer
    (prefix ``key``, one object): listed, and larger than an empty zip or of unknown size
    (the pinned CLI's ``objectExists``, which a test runs beside this)."""
    return any(
        entry.get("Key") == key
        and (entry.get("Size") is None or entry["Size"] > CLI_EMPTY_ASSET_BYTES)
        for entry in listing.get("Contents") or []
    )


def publish_file_assets(template: Template, resolver: Resolver, s3: Any) -> list[str]:
    """Upload every file asset that is not published yet to its (substituted) bucket and key,
    as ``cdk deploy`` does (an asset the CLI counts as published is not uploaded again)."""
    published = []
    for asset in template.assets.values():
        source = template.directory / asset.get("source", {}).get("path", "")
        if not Path(source).is_file():
            continue
        for destination in asset.get("destinations", {}).values():
            bucket = resolver.sub(destination["bucketName"])
            key = resolver.sub(destination["objectKey"])
            ensure_bucket(s3, bucket, template.region)
            listing = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
            if not published_in(listing, key):
                s3.upload_file(str(source), bucket, key)
            published.append(f"s3://{bucket}/{key}")
    return published


def tombstoned(s3: Any, uri: str) -> bool:
    """Whether the handlers replaced a list asset with a tombstone once its job ended."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    metadata = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {})
    return "pdd-removed-after-job" in metadata
