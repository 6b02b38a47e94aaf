"""The handler role's grants to read users' S3 lists, in managed policies sized exactly.

Each ``from_s3``/``from_s3_prefix`` source grants the handler role reads on its own object or
folder, so these grants grow with the requests of a stack (requests accumulate: a request
file keeps the ones already served). IAM caps a role's inline policies at 10,240 characters
in all and a managed policy at 6,144. CDK splits a role's default policy before those limits
by an estimate that counts every ARN holding a token (the partition, a bucket's name) as 150
characters: a source's ARN is ``arn:<partition>:s3:::<bucket>/<key>``, and with keys longer
than about 120 characters the estimate falls short, the split comes too late and IAM refuses
the policy at deploy (30 sources with 246-character keys: 11,415 characters in the inline
policy, every token at its longest; ``tests/test_source_policies.py``).

So the sources' statements are kept out of the default policy. Each is sized here the way IAM
counts (JSON without whitespace), with the partition at its longest (``aws-us-gov``), a
bucket name that is a token at S3's longest (63 characters) and every character outside
ASCII escaped, and placed in a managed policy of the role that the sizes prove stays under
6,144 characters; a new one is started when the next source would not fit. The policies are
children of the role, so the handlers (which depend on their role) are only created or
updated once their grants are attached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import aws_iam as iam

from constructs import IValidation

from .errors import DeletionConfigError
from .lambda_environment import LONGEST_BUCKET_NAME_LENGTH, LONGEST_PARTITION
from .list_assets import is_token

MANAGED_POLICY_CHARACTERS = 6_144
"""IAM's limit on one managed policy document, counted without whitespace."""
ROLE_MANAGED_POLICIES = 10
"""IAM's default quota of managed policies attached to one role."""
MAX_SOURCE_POLICIES = ROLE_MANAGED_POLICIES - 1
"""The sources may take all but one: that one is left for the overflow policy CDK splits off
the role's own (inline) policy when that one grows past its estimate of 10,000 characters."""
_DOCUMENT = {"Version": "2012-10-17", "Statement": []}


@dataclass(frozen=True)
class SourceRead:
    """What one source lets the handlers do: one statement per action, as IAM will see it."""

    actions: Sequence[str]
    """One action per statement: ``s3:GetObject``, ``s3:GetObjectVersion``, ``s3:ListBucket``."""
    resources: Mapping[str, str]
    """The resource of each action, as CDK strings (tokens included)."""
    bucket_name: str
    """The bucket's name, a literal or a token."""
    object_pattern: str
    """The key or ``<prefix>*`` of the objects read."""
    list_prefix: str | None = None
    """For ``s3:ListBucket``: the ``s3:prefix`` the listing is limited to."""

    def statements(self) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                actions=[action],
                resources=[self.resources[action]],
                conditions=self._condition(action),
            )
            for action in self.actions
        ]

    def characters(self) -> int:
        """The most characters these statements take in a policy document, commas included."""
        bucket = self.bucket_name
        if is_token(bucket):
            bucket = "b" * LONGEST_BUCKET_NAME_LENGTH
        bucket_arn = f"arn:{LONGEST_PARTITION}:s3:::{bucket}"
        longest = {
            "s3:ListBucket": bucket_arn,
            "s3:GetObject": f"{bucket_arn}/{self.object_pattern}",
            "s3:GetObjectVersion": f"{bucket_arn}/{self.object_pattern}",
        }
        total = 0
        for action in self.actions:
            statement: dict[str, object] = {
                "Action": action,
                "Effect": "Allow",
                "Resource": longest[action],
            }
            condition = self._condition(action)
            if condition is not None:
                statement["Condition"] = condition
            total += len(_compact(statement)) + 1
        return total

    def _condition(self, action: str) -> dict[str, dict[str, list[str]]] | None:
        if action != "s3:ListBucket" or self.list_prefix is None:
            return None
        return {"StringLike": {"s3:prefix": [f"{self.list_prefix}*"]}}


class SourceReadPolicies:
    """The managed policies of one role that hold its sources' reads (none until the first).

    :param role: the handlers' role.
    """

    def __init__(self, role: iam.Role) -> None:
        self._role = role
        self._policies: list[iam.ManagedPolicy] = []
        self._room = 0
        self._granted: set[tuple[object, ...]] = set()
        role.node.add_validation(_ManagedPolicyQuota(role, self._policies))

    def grant(self, read: SourceRead, request_name: str) -> None:
        """Add ``read`` to the current policy, or to a new one when it would not fit.

        A source read again (a request fanned out to several dataset groups) is granted once.

        :param read: what the source needs.
        :param request_name: the request, named if the role has no room left.
        """
        key = (read.bucket_name, read.object_pattern, tuple(read.actions), read.list_prefix)
        if key in self._granted:
            return
        size = read.characters()
        if not self._policies or size > self._room:
            self._start_policy(request_name)
        self._granted.add(key)
        self._room -= size
        self._policies[-1].add_statements(*read.statements())

    def _start_policy(self, request_name: str) -> None:
        if len(self._policies) == MAX_SOURCE_POLICIES:
            raise DeletionConfigError(
                f"request {request_name!r}: the handler role's grants to read the S3 sources of "
                f"this stack fill {MAX_SOURCE_POLICIES} managed policies of "
                f"{MANAGED_POLICY_CHARACTERS:,} characters; IAM attaches at most "
                f"{ROLE_MANAGED_POLICIES} to a role (one is kept for the role's own policy): "
                "declare this request in another stack, or read lists kept in one folder with "
                "one from_s3_prefix"
            )
        self._policies.append(
            iam.ManagedPolicy(
                self._role,
                f"SourceReads{len(self._policies) + 1}",
                description="Reads the users' lists of S3-sourced deletion requests",
                roles=[self._role],
            )
        )
        self._room = MANAGED_POLICY_CHARACTERS - len(_compact(_DOCUMENT))


def _compact(value: object) -> str:
    """``value`` as IAM counts it: JSON without whitespace, characters outside ASCII escaped."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


@jsii.implements(IValidation)
class _ManagedPolicyQuota:
    """At synth, after CDK has split the role's own policy (an aspect, which runs before
    validation): every managed policy of the role counts against IAM's quota, the overflow
    policies CDK added as much as the sources' (many KMS-encrypted source buckets, each granted
    ``kms:Decrypt`` in the role's own policy, can need several)."""

    def __init__(self, role: iam.Role, sources: list[iam.ManagedPolicy]) -> None:
        self._role = role
        self._sources = sources

    def validate(self) -> list[str]:
        attached = [c for c in self._role.node.children if isinstance(c, iam.ManagedPolicy)]
        if len(attached) <= ROLE_MANAGED_POLICIES:
            return []
        return [
            f"the handler role would have {len(attached)} managed policies "
            f"({len(self._sources)} holding S3 sources' reads, {len(attached) - len(self._sources)}"
            " that CDK split off the role's own policy); IAM attaches at most "
            f"{ROLE_MANAGED_POLICIES} to a role unless its quota is raised: declare some of this "
            "stack's requests in another stack"
        ]
