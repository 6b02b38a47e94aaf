"""One bucket policy per bucket: the user's own, when it is a separate construct.

S3 keeps one policy per bucket. A user's bucket whose policy is a separate ``s3.BucketPolicy``
(the documented way to manage it explicitly) has no ``bucket.policy``, so
``bucket.add_to_resource_policy`` would create a second ``AWS::S3::BucketPolicy`` for it:
whichever CloudFormation writes last replaces the other, and either Personalize loses its read
grant on the staged lists (every job fails) or the user's own statements vanish from a bucket
holding lists of user ids. So the construct adds its statements to that one policy, and refuses
what it cannot add to (an L1 ``CfnBucketPolicy``, several policies). A policy declared after the
construct is caught when the app synthesizes.

Finding them walks the app's constructs once per construct (one jsii call, plus one per bucket
policy found), never per request.
"""

from __future__ import annotations

import weakref
from typing import ClassVar

import jsii
from aws_cdk import Stack
from aws_cdk import aws_s3 as s3

from constructs import IValidation

from .errors import DeletionConfigError

_FIX = (
    "keep one policy per bucket: add its statements with bucket.add_to_resource_policy (or "
    "pass enforce_ssl=True) instead, or declare one s3.BucketPolicy for the bucket before "
    "the construct, which then adds its statements to it"
)


def adopt_separate_policy(bucket: s3.Bucket) -> None:
    """Make the bucket's separate ``s3.BucketPolicy`` its ``policy``, so the construct's
    statements (the TLS-only deny if missing, Personalize's reads) go into it and the TLS check
    reads it; refuse a bucket whose policies cannot be one. Checked again at synth."""
    separate, low_level = _other_policies(bucket)
    if low_level or len(separate) > 1 or (separate and bucket.policy is not None):
        raise DeletionConfigError(_refusal(bucket, separate, low_level))
    if separate:
        # Bucket.policy is what add_to_resource_policy adds to; CDK leaves it unset for a
        # policy declared on its own.
        bucket.policy = separate[0]
    _OnePolicy.watch(bucket)


def _other_policies(bucket: s3.Bucket) -> tuple[list[s3.BucketPolicy], list[s3.CfnBucketPolicy]]:
    """The ``s3.BucketPolicy`` constructs on ``bucket`` other than ``bucket.policy``, and the
    ``CfnBucketPolicy`` resources in its stack naming it that no ``s3.BucketPolicy`` holds."""
    # jsii hands out a new proxy for an object made in JavaScript: compare paths, not objects.
    own = bucket.policy.node.path if bucket.policy is not None else None
    path = bucket.node.path
    stack = Stack.of(bucket)
    name: object = None
    separate: list[s3.BucketPolicy] = []
    low_level: list[s3.CfnBucketPolicy] = []
    for found in bucket.node.root.node.find_all():
        if isinstance(found, s3.BucketPolicy):
            if found.bucket.node.path == path and found.node.path != own:
                separate.append(found)
        elif isinstance(found, s3.CfnBucketPolicy) and not isinstance(
            found.node.scope, s3.BucketPolicy
        ):
            if name is None:
                name = stack.resolve(bucket.bucket_name)
            if Stack.of(found) is stack and stack.resolve(found.bucket) == name:
                low_level.append(found)
    return separate, low_level


def _refusal(
    bucket: s3.Bucket, separate: list[s3.BucketPolicy], low_level: list[s3.CfnBucketPolicy]
) -> str:
    named = [policy.node.path for policy in separate] + [cfn.node.path for cfn in low_level]
    if bucket.policy is not None:
        named.insert(0, bucket.policy.node.path)
    what = "a separate bucket policy" if len(named) == 1 else "several bucket policies"
    paths = ", ".join(repr(path) for path in named)
    return (
        f"bucket {bucket.node.path!r} has {what} ({paths}): S3 keeps one policy per bucket, so "
        "whichever CloudFormation writes last would replace the other (Personalize's read of "
        "the staged lists, or the bucket's own statements); "
        f"{_FIX}"
    )


@jsii.implements(IValidation)
class _OnePolicy:
    """At synth: the bucket still has one policy (none was declared after the construct)."""

    _watched: ClassVar[weakref.WeakSet[s3.Bucket]] = weakref.WeakSet()

    def __init__(self, bucket: s3.Bucket) -> None:
        self._bucket = bucket

    @classmethod
    def watch(cls, bucket: s3.Bucket) -> None:
        """Once per bucket, however many constructs share it."""
        if bucket not in cls._watched:
            cls._watched.add(bucket)
            bucket.node.add_validation(cls(bucket))

    def validate(self) -> list[str]:
        separate, low_level = _other_policies(self._bucket)
        if not separate and not low_level:
            return []
        return [_refusal(self._bucket, separate, low_level)]
