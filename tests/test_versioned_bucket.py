"""A versioned deletion bucket would keep every staged list of user ids: refused or cleaned.

The handler purges a staged list with DeleteObject (no version id) and the staging lifecycle
rule expires it with Expiration: on a versioned bucket both only add a delete marker, and the
list stays as a noncurrent version for good.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from personalize_data_deletion import DeletionConfigError, PersonalizeDataDeletion
from synth import new_stack

pytestmark = pytest.mark.synth


def _staging_rules(stack: cdk.Stack, bucket: s3.Bucket) -> list[dict]:
    resources = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    properties = resources[stack.get_logical_id(bucket.node.default_child)]["Properties"]
    return [
        rule
        for rule in properties["LifecycleConfiguration"]["Rules"]
        if rule.get("Prefix") == "staging/"
    ]


def test_a_users_bucket_with_versioning_enabled_is_refused() -> None:
    """GIVEN a bucket of the app with versioning enabled
    WHEN a construct is given it
    THEN it is refused at synth, naming the bucket, why (purges only add delete markers) and
    the fixes."""
    stack = new_stack()
    bucket = s3.Bucket(stack, "Mine", versioned=True, enforce_ssl=True)
    with pytest.raises(DeletionConfigError) as refused:
        PersonalizeDataDeletion(stack, "A", bucket=bucket)
    assert str(refused.value) == (
        "bucket 'S/Mine' has versioning enabled: the purge of a staged list and its lifecycle "
        "expiration only add a delete marker, so every list of user ids would stay as a "
        "noncurrent version; use a bucket that was never versioned, or suspend its versioning "
        "(VersioningConfiguration Suspended: its noncurrent versions under staging/ then "
        "expire after a day), or let the construct create the bucket"
    )


def test_a_users_bucket_with_versioning_suspended_also_expires_noncurrent_staged_lists() -> None:
    """GIVEN a bucket of the app whose versioning is suspended (lists staged now are the
    "null" version, which the purge and the expiration remove; lists staged while it was
    enabled are noncurrent versions)
    WHEN a construct is given it
    THEN it is taken, and its staging rule also expires noncurrent versions after a day."""
    stack = new_stack()
    bucket = s3.Bucket(stack, "Mine", enforce_ssl=True)
    cfn = bucket.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    cfn.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(status="Suspended")
    PersonalizeDataDeletion(stack, "A", bucket=bucket)
    assert _staging_rules(stack, bucket) == [
        {
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "ExpirationInDays": 7,
            "Id": "ExpireStagedInputs",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            "Prefix": "staging/",
            "Status": "Enabled",
        }
    ]


def test_an_unversioned_users_bucket_gets_no_noncurrent_rule() -> None:
    """GIVEN a bucket of the app that is not versioned
    WHEN a construct is given it THEN its staging rule is unchanged."""
    stack = new_stack()
    bucket = s3.Bucket(stack, "Mine", enforce_ssl=True)
    PersonalizeDataDeletion(stack, "A", bucket=bucket)
    [rule] = _staging_rules(stack, bucket)
    assert "NoncurrentVersionExpiration" not in rule


def test_the_note_on_an_imported_bucket_says_it_must_not_be_versioned() -> None:
    """GIVEN an imported bucket (its versioning unknown at synth)
    WHEN a construct is given it
    THEN the synth's note says it must not be versioned, and why."""
    stack = new_stack()
    imported = s3.Bucket.from_bucket_name(stack, "Imported", "deletions-bucket")
    PersonalizeDataDeletion(stack, "A", bucket=imported)
    notes = [entry.data for entry in imported.node.metadata if entry.type == "aws:cdk:info"]
    assert notes == [
        "bucket 'S/Imported' is imported: make sure it uses SSE-S3 default encryption, blocks "
        "all public access, denies requests without TLS (aws:SecureTransport false) and is not "
        "versioned (a versioned bucket keeps every staged list of user ids as a noncurrent "
        "version after its purge); the construct cannot check that"
    ]
