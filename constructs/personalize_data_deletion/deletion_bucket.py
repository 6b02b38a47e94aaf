"""The deletion bucket: created, checked and prepared for Personalize.

The bucket holds lists of user ids (``staging/``) and receipts (``receipts/``), so it must be
SSE-S3 encrypted, never public and TLS only, and Personalize (and only Personalize acting for
this account) must be able to read the staged lists. A bucket of the app is checked and
completed here; an imported one cannot be inspected or changed, so the synth says what it needs.
"""

from __future__ import annotations

import weakref
from typing import cast

from aws_cdk import Annotations, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from personalize_deletion_runtime.layout import STAGING_PREFIX

from constructs import Construct

from .acknowledgements import acknowledge
from .bucket_policies import adopt_separate_policy
from .durations import exact_seconds, readable
from .errors import DeletionConfigError

SSE_S3 = "AES256"
BLOCK_PUBLIC_ACCESS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)

RETAINED_ON_DELETE = (RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)
"""The removal policies that keep the created bucket when the stack is deleted: its policy
must then be kept too (see :func:`prepare_bucket`)."""


def create_bucket(
    scope: Construct, removal_policy: RemovalPolicy, access_logs: s3.IBucket | None
) -> s3.Bucket:
    """The construct's own bucket (id ``Bucket``): SSE-S3, private, TLS only, unversioned."""
    bucket = s3.Bucket(
        scope,
        "Bucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=False,
        removal_policy=removal_policy,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix="deletion-inputs/" if access_logs else None,
    )
    if access_logs is None:
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "Server access logging needs a second bucket; pass "
            "server_access_logs_bucket to enable it. Handler reads and writes are logged "
            "by CloudTrail data events if the account enables them.",
        )
    return bucket


def personalize_source_conditions(scope: Construct) -> dict[str, object]:
    """Personalize acting for this account and region only (the confused-deputy guard)."""
    return {
        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
        "ArnLike": {
            "aws:SourceArn": Stack.of(scope).format_arn(service="personalize", resource="*")
        },
    }


def prepare_bucket(
    scope: Construct,
    bucket: s3.IBucket,
    expiration: Duration,
    *,
    retain_policy: bool,
    source_conditions: dict[str, object],
    versioning_suspended: bool = False,
) -> None:
    """Lifecycle backstop and Personalize's read access, on our bucket or the user's own.

    ``retain_policy``: keep the bucket policy when the stack is deleted (for a created bucket
    that is retained itself, by any of :data:`RETAINED_ON_DELETE`). The policy is then always
    ``Retain``, whichever of them the bucket has: a tracked job outlives the stack, and
    Personalize reads its staged list through this policy (which also holds the TLS-only deny
    of a bucket that keeps lists and receipts). ``Retain`` keeps it wherever the bucket is
    kept; where ``RetainExceptOnCreate`` deletes the bucket (a failed create), S3 removes its
    policy with it, so there is nothing left to keep.

    ``source_conditions``: :func:`personalize_source_conditions`, built once by the caller.
    ``versioning_suspended``: what :func:`check_bucket` found; the staging rule then also
    expires noncurrent versions. An imported bucket cannot be changed from here: the synth
    says what it needs.
    """
    if isinstance(bucket, s3.Bucket):
        _expire_staged_inputs(bucket, expiration, versioning_suspended=versioning_suspended)
    added = [
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PersonalizeReadsStagedInputs",
                principals=[iam.ServicePrincipal("personalize.amazonaws.com")],
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects(f"{STAGING_PREFIX}*")],
                conditions=source_conditions,
            )
        ),
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PersonalizeListsStagedInputs",
                principals=[iam.ServicePrincipal("personalize.amazonaws.com")],
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={
                    **source_conditions,
                    "StringLike": {"s3:prefix": [f"{STAGING_PREFIX}*"]},
                },
            )
        ),
    ]
    if isinstance(bucket, s3.Bucket) and bucket.policy is not None and retain_policy:
        # Personalize reads staged lists through this policy while a tracked job runs.
        bucket.policy.apply_removal_policy(RemovalPolicy.RETAIN)
    if not all(result.statement_added for result in added):
        Annotations.of(scope).add_info(
            f"bucket {bucket.bucket_name} is imported: add to its bucket policy an Allow for "
            f"principal personalize.amazonaws.com of s3:GetObject on {STAGING_PREFIX}* and "
            f"s3:ListBucket with s3:prefix {STAGING_PREFIX}*, both conditioned on "
            "aws:SourceAccount, and expire objects under that prefix with a lifecycle rule"
        )


_STAGED_INPUT_EXPIRATIONS: weakref.WeakKeyDictionary[s3.Bucket, float] = weakref.WeakKeyDictionary()
"""The staging backstop already on a bucket, by bucket: constructs that share one add it once."""


def _expire_staged_inputs(
    bucket: s3.Bucket, expiration: Duration, *, versioning_suspended: bool
) -> None:
    """Backstop: the handler purges each staged list once its job ends; anything a failed
    deployment leaves behind expires here. Receipts are kept. One rule per bucket: S3 refuses
    a lifecycle configuration with two rules of the same id."""
    seconds = exact_seconds(expiration)
    earlier = _STAGED_INPUT_EXPIRATIONS.get(bucket)
    if earlier is None:
        bucket.add_lifecycle_rule(
            id="ExpireStagedInputs",
            prefix=STAGING_PREFIX,
            expiration=expiration,
            abort_incomplete_multipart_upload_after=Duration.days(1),
            # Versioning suspended: lists staged while it was enabled are noncurrent versions,
            # which neither the purge nor the expiration removes.
            noncurrent_version_expiration=Duration.days(1) if versioning_suspended else None,
        )
        _STAGED_INPUT_EXPIRATIONS[bucket] = seconds
    elif earlier != seconds:
        raise DeletionConfigError(
            f"bucket {bucket.node.path}: another PersonalizeDataDeletion construct expires its "
            f"staged lists after {readable(earlier)}, this one after {readable(seconds)}; one "
            "bucket has one staging prefix, so pass the same staged_input_expiration or use "
            "another bucket"
        )


def _check_versioning(where: str, versioning: dict[str, object]) -> None:
    """A versioned bucket would keep every staged list of user ids: the handler's purge
    (``DeleteObject`` without a version id) and the lifecycle ``Expiration`` only add a delete
    marker, and the list stays as a noncurrent version. Suspended versioning is taken: a list
    written then is the ``null`` version, which both remove for good (what versioning kept
    before it was suspended, the staging rule's ``NoncurrentVersionExpiration`` removes)."""
    if versioning.get("status") == "Enabled":
        raise DeletionConfigError(
            f"{where} has versioning enabled: the purge of a staged list and its lifecycle "
            "expiration only add a delete marker, so every list of user ids would stay as a "
            "noncurrent version; use a bucket that was never versioned, or suspend its "
            "versioning (VersioningConfiguration Suspended: its noncurrent versions under "
            f"{STAGING_PREFIX} then expire after a day), or let the construct create the bucket"
        )


def check_bucket(bucket: s3.IBucket) -> bool:
    """The deletion bucket holds lists of user ids: SSE-S3, never public, TLS only, not
    versioned; whether its versioning is suspended (``False`` for an imported bucket).

    A bucket of this app is checked (encryption, public access) or fixed (a TLS-only statement
    is added if missing, to its one bucket policy: see :mod:`.bucket_policies`); an imported
    one cannot be inspected, so the synth says what it needs.
    """
    where = f"bucket {bucket.node.path!r}"
    if bucket.encryption_key is not None:
        raise DeletionConfigError(
            f"{where} is encrypted with a customer managed KMS key: this construct stages "
            "inputs only with SSE-S3, because Personalize would need grants on that key (in its "
            "key policy) that the construct does not manage; use BucketEncryption.S3_MANAGED or "
            "let the construct create the bucket"
        )
    if not isinstance(bucket, s3.Bucket):
        Annotations.of(bucket).add_info(
            f"{where} is imported: make sure it uses SSE-S3 default encryption, blocks all "
            "public access, denies requests without TLS (aws:SecureTransport false) and is not "
            "versioned (a versioned bucket keeps every staged list of user ids as a noncurrent "
            "version after its purge); the construct cannot check that"
        )
        return False
    stack = Stack.of(bucket)
    # The L1 properties as one plain value: reading cfn.public_access_block_configuration
    # through its getter would re-map jsii's shared BlockPublicAccess.BLOCK_ALL object to an
    # interface proxy, breaking every later BLOCK_ALL in the process.
    properties = stack.resolve(cast(s3.CfnBucket, bucket.node.default_child)._cfn_properties)
    encryption = properties.get("bucketEncryption") or {}
    algorithms = sorted(
        {
            rule.get("serverSideEncryptionByDefault", {}).get("sseAlgorithm", SSE_S3)
            for rule in encryption.get("serverSideEncryptionConfiguration", [])
        }
        - {SSE_S3}
    )
    if algorithms:
        raise DeletionConfigError(
            f"{where} uses {', '.join(algorithms)} encryption: the construct supports SSE-S3 "
            "(BucketEncryption.S3_MANAGED) only, because Personalize's service role would need "
            "KMS grants the construct does not manage"
        )
    versioning = properties.get("versioningConfiguration") or {}
    _check_versioning(where, versioning)
    public = properties.get("publicAccessBlockConfiguration")
    if public is not None and not all(public.get(name) is True for name in BLOCK_PUBLIC_ACCESS):
        raise DeletionConfigError(
            f"{where} does not block all public access: lists of user ids must never be public; "
            "use block_public_access=BlockPublicAccess.BLOCK_ALL"
        )
    adopt_separate_policy(bucket)  # its own separate BucketPolicy, not a second one
    policy = stack.resolve(bucket.policy.document.to_json()) if bucket.policy else {}
    whole = [stack.resolve(bucket.bucket_arn), stack.resolve(bucket.arn_for_objects("*"))]
    if not _denies_plain_http(policy, whole):
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:*"],
                resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
    return versioning.get("status") == "Suspended"


_PLAIN_HTTP = {"Bool": {"aws:SecureTransport": "false"}}
"""The only condition a TLS-only deny may have: any other one narrows it."""


def _denies_plain_http(policy: dict[str, object], whole: list[object]) -> bool:
    """Whether the policy's statements deny every S3 action without TLS to every principal, on
    the bucket and on all its objects (``whole``, resolved). Anything narrower (one action, a
    prefix, a principal, another condition) or that cannot be read (a token, a ``Not*``
    element) leaves staged lists readable over plain HTTP, so the caller adds the deny."""
    covered: list[object] = []
    for statement in _listed(policy.get("Statement")):
        if (
            isinstance(statement, dict)
            and statement.get("Effect") == "Deny"
            and not {"NotPrincipal", "NotAction", "NotResource"} & statement.keys()
            and statement.get("Principal") in ("*", {"AWS": "*"}, {"AWS": ["*"]})
            and any(action in ("s3:*", "*") for action in _listed(statement.get("Action")))
            and _condition(statement.get("Condition")) == _PLAIN_HTTP
        ):
            covered.extend(_listed(statement.get("Resource")))
    return "*" in covered or all(resource in covered for resource in whole)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _condition(value: object) -> object:
    """A condition with its values as IAM compares them: ``false``, ``"false"`` and
    ``["false"]`` are the same test; anything else is returned as it is."""
    if not isinstance(value, dict):
        return value
    return {
        operator: (
            {
                key: str(_listed(test)[0]).lower() if len(_listed(test)) == 1 else test
                for key, test in tests.items()
            }
            if isinstance(tests, dict)
            else tests
        )
        for operator, tests in value.items()
    }


def refuse_created_bucket_settings(
    bucket: s3.IBucket | None,
    removal_policy: object,
    server_access_logs_bucket: s3.IBucket | None,
) -> None:
    """``removal_policy`` and ``server_access_logs_bucket`` configure the bucket the construct
    creates: with ``bucket`` given they would do nothing, so they are refused rather than
    dropped (a user asking for access logs of the lists' bucket would get none)."""
    if not isinstance(removal_policy, RemovalPolicy):
        raise TypeError(
            f"removal_policy must be a RemovalPolicy, not {type(removal_policy).__name__}"
        )
    if bucket is None:
        return
    named = [
        name
        for name, ignored in (
            ("removal_policy", removal_policy != RemovalPolicy.RETAIN),
            ("server_access_logs_bucket", server_access_logs_bucket is not None),
        )
        if ignored
    ]
    if named:
        verb, pronoun = ("configure", "them") if len(named) > 1 else ("configures", "it")
        raise DeletionConfigError(
            f"{' and '.join(named)} {verb} the bucket the construct creates, and bucket is "
            f"given: set {pronoun} on bucket {bucket.node.path!r} itself, or leave bucket out"
        )
