"""What a handler may act on, from its own environment, not from the event.

Anyone allowed to invoke the handlers could otherwise start an irreversible deletion on any
dataset group the role reaches, with any role or bucket, by sending a hand-made event. The
construct writes into each handler's environment (``DELETION_SCOPES``) the account and region
it serves, the stack's CDK assets location and, per ``PersonalizeDataDeletion`` construct (a
scope, named by its path in the stack), the job name prefix, bucket, service role, input limit
and purge setting; a request that names anything else is refused before anything is read,
staged or started.

Two shapes of request properties are served. A request with ``Scope`` carries only what
identifies it (name, dataset group, list hash or location, overrides): the construct-wide
values come from the scope, and a local list's asset key from its hash, so each request costs
the template as few bytes as possible. A request without ``Scope`` (written before scopes had
names, and still sent by rollbacks and trackers started then) names every value itself; each
must match a scope. Both expand to the same :class:`DeletionRequest`, hence the same job name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .properties import SCOPE, DeletionRequest, PropertyError, parse_request
from .request_rules import RequestRuleError, compose_job_name, dataset_group_environment
from .staging import delete_every_version

ENVIRONMENT_VARIABLE = "DELETION_SCOPES"
SCOPED_PROPERTIES = ("JobNamePrefix", "Bucket", "RoleArn", "MaxInputBytes", "PurgeStagedInput")
"""What a request with ``Scope`` takes from its scope instead of naming it."""


class ScopeError(PropertyError):
    """A request outside what this handler was deployed to serve."""


@dataclass(frozen=True)
class Scope:
    """One ``PersonalizeDataDeletion`` construct: its prefix, bucket, role, limit and purge."""

    job_name_prefix: str
    bucket: str
    role_arn: str
    max_input_bytes: int
    scope_id: str | None = None
    """The construct's path in its stack; requests with ``Scope`` name it (absent in
    environments written before scopes had names)."""
    purge_staged_input: bool = True


@dataclass(frozen=True)
class Assets:
    """Where the stack's CDK file assets are: a local list lives at ``<prefix><job name>.csv``
    (one object per job, so one job's end never removes a list another job still reads)."""

    bucket: str
    key_prefix: str = ""

    def key(self, job_name: str) -> str:
        return f"{self.key_prefix}{job_name}.csv"


@dataclass(frozen=True)
class Scopes:
    """The account, region and constructs a handler serves."""

    partition: str
    region: str
    account: str
    scopes: tuple[Scope, ...]
    refusal: str | None = None
    """Why nothing is served (a missing or malformed environment); Delete still succeeds."""
    assets: Assets | None = None
    """The stack's CDK assets location, when a request's list is one of its file assets."""

    @classmethod
    def from_json(cls, text: str | None) -> Scopes:
        """Parse the environment value; a missing or malformed one serves nothing."""
        if not text:
            return cls.refusing(
                f"the handler's environment has no {ENVIRONMENT_VARIABLE}: it serves no request "
                "(deploy it with the PersonalizeDataDeletion construct)"
            )
        try:
            value = json.loads(text)
            return cls(
                partition=str(value["partition"]),
                region=str(value["region"]),
                account=str(value["account"]),
                scopes=tuple(
                    Scope(
                        job_name_prefix=str(entry["prefix"]),
                        bucket=str(entry["bucket"]),
                        role_arn=str(entry["roleArn"]),
                        max_input_bytes=int(entry["maxInputBytes"]),
                        scope_id=str(entry["id"]) if "id" in entry else None,
                        purge_staged_input=_flag(entry.get("purgeStagedInput", True)),
                    )
                    for entry in value["scopes"]
                ),
                assets=(
                    Assets(str(value["assets"]["bucket"]), str(value["assets"]["keyPrefix"]))
                    if "assets" in value
                    else None
                ),
            )
        except (ValueError, KeyError, TypeError) as exc:
            return cls.refusing(f"the handler's {ENVIRONMENT_VARIABLE} is malformed: {exc!r}")

    @classmethod
    def refusing(cls, reason: str) -> Scopes:
        return cls(partition="", region="", account="", scopes=(), refusal=reason)

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "partition": self.partition,
            "region": self.region,
            "account": self.account,
            "scopes": [
                {
                    **({"id": scope.scope_id} if scope.scope_id is not None else {}),
                    "prefix": scope.job_name_prefix,
                    "bucket": scope.bucket,
                    "roleArn": scope.role_arn,
                    "maxInputBytes": scope.max_input_bytes,
                    "purgeStagedInput": scope.purge_staged_input,
                }
                for scope in self.scopes
            ],
        }
        if self.assets is not None:
            value["assets"] = {"bucket": self.assets.bucket, "keyPrefix": self.assets.key_prefix}
        return value

    def request(self, properties: Mapping[str, Any]) -> DeletionRequest:
        """The request the properties describe, if well formed and within what is served."""
        request = parse_request(self.expand(properties))
        self.check(request)
        return request

    def tracked_request(
        self,
        properties: Mapping[str, Any],
        job_name: str,
        job_arn: str | None,
        follow_up_of: str | None = None,
    ) -> DeletionRequest:
        """:meth:`request`, for the tracker: a request its environment no longer serves comes
        from a construct removed from the stack (or renamed, or given another prefix, bucket or
        role) while its job was tracked. The tracker's grants for that construct's bucket went
        with it, so nothing can be recorded: the error says so and where the outcome is (and
        where the list's copies are; a follow-up's asset copy went when ``follow_up_of``
        ended)."""
        try:
            return self.request(properties)
        except ScopeError as exc:
            if self.refusal is not None:
                raise
            raise ScopeError(
                _construct_gone(properties, job_name, job_arn, exc, self.assets, follow_up_of)
            ) from exc

    def expand(self, properties: Mapping[str, Any]) -> Mapping[str, Any]:
        """A request with ``Scope``, completed from its scope; any other request as it is.

        Nothing is read, staged or started for a request whose scope is unknown, or that also
        names a value its scope supplies (the event would contradict the environment).
        """
        if SCOPE not in properties:
            return properties
        if self.refusal is not None:
            raise ScopeError(self.refusal)
        scope_id = properties[SCOPE]
        named = [name for name in SCOPED_PROPERTIES if name in properties]
        if named:
            raise ScopeError(
                f"property {', '.join(named)} comes from the handler's environment for a request "
                f"with property Scope: remove it"
            )
        matches = [s for s in self.scopes if s.scope_id is not None and s.scope_id == scope_id]
        if not matches:
            raise ScopeError(
                f"property Scope {scope_id!r} is not served by this handler (it serves "
                f"{_listed(s.scope_id for s in self.scopes if s.scope_id is not None)})"
            )
        scope = matches[0]
        expanded = dict(properties)
        expanded.update(
            JobNamePrefix=scope.job_name_prefix,
            Bucket=scope.bucket,
            RoleArn=scope.role_arn,
            MaxInputBytes=str(scope.max_input_bytes),
            PurgeStagedInput="true" if scope.purge_staged_input else "false",
        )
        job_name = _job_name(scope.job_name_prefix, properties)
        if "Source" not in properties and job_name is not None and self.assets is not None:
            # A local list: its file asset is named after its job (what names the job is
            # checked, like the hash, before anything is read).
            expanded["Source"] = {
                "Bucket": self.assets.bucket,
                "Key": self.assets.key(job_name),
                "Asset": "true",
            }
        return expanded

    def check(self, request: DeletionRequest) -> None:
        """Refuse, naming the property, a request this handler was not deployed for."""
        if self.refusal is not None:
            raise ScopeError(self.refusal)
        home = (self.partition, self.region, self.account)
        if dataset_group_environment(request.dataset_group_arn) != home:
            raise ScopeError(
                f"property DatasetGroupArn {request.dataset_group_arn!r} is outside this "
                f"handler's account {self.account} and region {self.region} "
                f"(partition {self.partition})"
            )
        candidates = [s for s in self.scopes if s.job_name_prefix == request.job_name_prefix]
        if not candidates:
            raise ScopeError(
                f"property JobNamePrefix {request.job_name_prefix!r} is not served by this "
                f"handler (it serves {_listed(s.job_name_prefix for s in self.scopes)})"
            )
        for name, value, attribute in (
            ("Bucket", request.bucket, "bucket"),
            ("RoleArn", request.role_arn, "role_arn"),
        ):
            candidates = [s for s in candidates if getattr(s, attribute) == value]
            if not candidates:
                raise ScopeError(
                    f"property {name} {value!r} is not the one this handler serves for job name "
                    f"prefix {request.job_name_prefix!r}"
                )
        source = request.source
        if source.asset and self.assets is not None and source.bucket != self.assets.bucket:
            raise ScopeError(
                f"property Source.Bucket {source.bucket!r} is not this stack's CDK assets bucket: "
                "only a file asset of the app is removed after its job"
            )
        limit = max(scope.max_input_bytes for scope in candidates)
        if request.max_input_bytes > limit:
            raise ScopeError(
                f"property MaxInputBytes {request.max_input_bytes} exceeds the {limit} bytes "
                "this handler allows"
            )
        if not request.purge_staged_input and all(s.purge_staged_input for s in candidates):
            raise ScopeError(
                "property PurgeStagedInput 'false' would keep the staged list, which this "
                f"handler purges for job name prefix {request.job_name_prefix!r}"
            )


def _construct_gone(
    properties: Mapping[str, Any],
    job_name: str,
    job_arn: str | None,
    refusal: ScopeError,
    assets: Assets | None,
    follow_up_of: str | None,
) -> str:
    scope_id = properties.get(SCOPE)
    if scope_id is not None:
        gone = f"construct {scope_id!r} is no longer in the stack"
    else:  # a request written before requests named their construct
        gone = (
            f"the construct with job name prefix {properties.get('JobNamePrefix')!r} and bucket "
            f"{properties.get('Bucket')!r} is no longer in the stack as it was ({refusal})"
        )
    outcome = (
        "read the job's outcome with aws personalize describe-data-deletion-job "
        f"--data-deletion-job-arn {job_arn}"
        if job_arn is not None
        else "no job was started for it"
    )
    copies = "the staged list expires with the bucket's lifecycle rule"
    asset = _local_list_asset(properties, job_name, assets)
    if asset is not None and follow_up_of is not None:
        # The follow-up is queued only once its first job's end was recorded, which removed
        # the list from the assets bucket (a tombstone; the version that held the ids deleted).
        copies += (
            f"; the list's copy in the CDK assets bucket was removed when job {follow_up_of} ended"
        )
    elif asset is not None:
        bucket, key = asset
        copies += (
            ", but the list's copy in the CDK assets bucket does not expire and no handler "
            f"removes it now: {delete_every_version(bucket, key)}"
        )
    return (
        f"{gone}: the tracker no longer serves it nor may use its bucket, so it cannot record "
        f"job {job_name} (no receipt, no event); {outcome}; {copies}"
    )


def _local_list_asset(
    properties: Mapping[str, Any], job_name: str, assets: Assets | None
) -> tuple[str, str] | None:
    """Bucket and key of a local list's CDK file asset, which only the handlers of its
    construct remove once its job ends: ``None`` for a list of the user's own.

    A request that names its ``Source`` says so itself (``Asset``); a request with ``Scope``
    names its asset after its first job (``<assets prefix><job name>.csv``), whose prefix went
    with the construct: it is the tracked job's stem (a follow-up keeps it) if the request's
    values compose that job's name, checked like any job name."""
    source = properties.get("Source")
    if isinstance(source, Mapping):
        bucket, key = source.get("Bucket"), source.get("Key")
        asset = str(source.get("Asset")).lower() == "true"
        return (bucket, key) if asset and isinstance(bucket, str) and isinstance(key, str) else None
    name = properties.get("RequestName")
    stem = job_name.rpartition("-")[0]
    if assets is None or not isinstance(name, str) or not stem.endswith(f"-{name}"):
        return None
    first = _job_name(stem.removesuffix(f"-{name}"), properties)
    if first is None or first.rpartition("-")[0] != stem:
        return None
    return assets.bucket, assets.key(first)


def _job_name(prefix: str, properties: Mapping[str, Any]) -> str | None:
    """The job a local list's request names, or ``None`` if its values cannot name one (the
    request is then refused by ``parse_request``, naming the property)."""
    name, group, sha = (
        properties.get(k) for k in ("RequestName", "DatasetGroupArn", "ContentSha256")
    )
    if not (isinstance(name, str) and isinstance(group, str) and isinstance(sha, str)):
        return None
    try:
        return compose_job_name(prefix, name, group, sha)
    except RequestRuleError:
        return None


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"purgeStagedInput must be true or false, not {value!r}")
    return value


def _listed(values: Any) -> str:
    found = sorted(set(values))
    return ", ".join(repr(value) for value in found) or "none"


def scopes_from(environment: Mapping[str, str]) -> Scopes:
    """The scopes in a process environment (``os.environ`` in Lambda)."""
    return Scopes.from_json(environment.get(ENVIRONMENT_VARIABLE))
