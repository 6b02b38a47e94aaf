"""What a handler may act on, from its own environment, not from the event.

Anyone allowed to invoke the handlers could otherwise start an irreversible deletion on any
dataset group the role reaches, with any role or bucket, by sending a hand-made event. The
construct writes into each handler's environment (``DELETION_SCOPES``) the account and region
it serves and, per ``PersonalizeDataDeletion`` construct, the job name prefix, bucket, service
role and input limit; a request that names anything else is refused before anything is read,
staged or started.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .properties import DeletionRequest, PropertyError
from .request_rules import dataset_group_environment

ENVIRONMENT_VARIABLE = "DELETION_SCOPES"


class ScopeError(PropertyError):
    """A request outside what this handler was deployed to serve."""


@dataclass(frozen=True)
class Scope:
    """One ``PersonalizeDataDeletion`` construct: its prefix, bucket, role and limit."""

    job_name_prefix: str
    bucket: str
    role_arn: str
    max_input_bytes: int


@dataclass(frozen=True)
class Scopes:
    """The account, region and constructs a handler serves."""

    partition: str
    region: str
    account: str
    scopes: tuple[Scope, ...]
    refusal: str | None = None
    """Why nothing is served (a missing or malformed environment); Delete still succeeds."""

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
                    )
                    for entry in value["scopes"]
                ),
            )
        except (ValueError, KeyError, TypeError) as exc:
            return cls.refusing(f"the handler's {ENVIRONMENT_VARIABLE} is malformed: {exc!r}")

    @classmethod
    def refusing(cls, reason: str) -> Scopes:
        return cls(partition="", region="", account="", scopes=(), refusal=reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "region": self.region,
            "account": self.account,
            "scopes": [
                {
                    "prefix": scope.job_name_prefix,
                    "bucket": scope.bucket,
                    "roleArn": scope.role_arn,
                    "maxInputBytes": scope.max_input_bytes,
                }
                for scope in self.scopes
            ],
        }

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
        limit = max(scope.max_input_bytes for scope in candidates)
        if request.max_input_bytes > limit:
            raise ScopeError(
                f"property MaxInputBytes {request.max_input_bytes} exceeds the {limit} bytes "
                "this handler allows"
            )


def _listed(values: Any) -> str:
    found = sorted(set(values))
    return ", ".join(repr(value) for value in found) or "none"


def scopes_from(environment: Mapping[str, str]) -> Scopes:
    """The scopes in a process environment (``os.environ`` in Lambda)."""
    return Scopes.from_json(environment.get(ENVIRONMENT_VARIABLE))
