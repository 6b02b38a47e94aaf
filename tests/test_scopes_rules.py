"""How the handlers read a request against their scopes (in process: no server, no Node)."""

from __future__ import annotations

import json

import lifecycle_support as support
import pytest
from lifecycle_support import ACCOUNT, ROLE, STAGING_BUCKET, properties
from personalize_deletion_runtime.properties import Source
from personalize_deletion_runtime.request_rules import compose_job_name
from personalize_deletion_runtime.scopes import Assets, Scope, Scopes

pytestmark = pytest.mark.fast


NAMED = Scopes(
    partition="aws",
    region="us-east-1",
    account=ACCOUNT,
    scopes=(
        Scope(
            "pdd", STAGING_BUCKET, ROLE, 100_000_000, scope_id="Deletion", purge_staged_input=False
        ),
    ),
    assets=Assets("cdk-assets-bucket", "lists/"),
)


SHA = "0123456789abcdef" * 4


def slim(**overrides: object) -> dict:
    """A request as the construct writes it now: its scope named, its values elsewhere."""
    return {
        "ServiceToken": support.SERVICE_TOKEN,
        "RequestName": "r1",
        "Scope": "Deletion",
        "DatasetGroupArn": support.GROUP,
        "ContentSha256": SHA,
        **overrides,
    }


def test_a_request_naming_its_scope_takes_the_scopes_values() -> None:
    # GIVEN a request that names its scope and carries its list's hash, nothing else
    # WHEN the handler reads it
    request = NAMED.request(slim())
    # THEN prefix, bucket, role, limit and purge come from the scope, the list from its asset,
    # named after the job
    assert (
        request.request_name,
        request.job_name_prefix,
        request.bucket,
        request.role_arn,
        request.max_input_bytes,
        request.purge_staged_input,
        request.content_sha256,
    ) == ("r1", "pdd", STAGING_BUCKET, ROLE, 100_000_000, False, SHA)
    job = compose_job_name("pdd", "r1", support.GROUP, SHA)
    assert request.source == Source(bucket="cdk-assets-bucket", key=f"lists/{job}.csv", asset=True)


def test_a_request_in_the_older_shape_is_the_same_request() -> None:
    # GIVEN the same request as templates wrote it before scopes had names
    old = properties(
        RequestName="r1",
        Source={
            "Bucket": "cdk-assets-bucket",
            "Key": f"lists/{compose_job_name('pdd', 'r1', support.GROUP, SHA)}.csv",
            "Asset": "true",
        },
        ContentSha256=SHA,
        PurgeStagedInput="false",
        Tags={},
    )
    # THEN it reads the same (hence composes the same job name)
    assert NAMED.request(old) == NAMED.request(slim())


def test_scopes_round_trip_through_the_environment() -> None:
    # GIVEN scopes with names, purge settings and an assets location
    # WHEN written as the environment value and read back
    # THEN nothing is lost; a value without them (an older environment) still reads
    assert Scopes.from_json(json.dumps(NAMED.to_json())) == NAMED
    older = {
        "partition": "aws",
        "region": "us-east-1",
        "account": ACCOUNT,
        "scopes": [{"prefix": "pdd", "bucket": "b", "roleArn": ROLE, "maxInputBytes": 5}],
    }
    assert Scopes.from_json(json.dumps(older)) == Scopes(
        "aws", "us-east-1", ACCOUNT, (Scope("pdd", "b", ROLE, 5),)
    )
