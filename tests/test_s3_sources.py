"""What "the list changed" means for S3 sources, in the handler: a pinned version is read
exactly, a changed version or revision is a new deployment of the request (a new list starts a
new job, the same list adopts its job), and the reviewer's count beside ContentSha256 is
checked like every property.
"""

from __future__ import annotations

import lifecycle_support as support
import pytest
from lifecycle_support import (
    OTHER_CSV,
    SOURCE_BUCKET,
    USERS_CSV,
    World,
    cfn_event,
    expected_job_name,
    play,
    properties,
)

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

KEY = "lists/2026-11.csv"


def _versions(world: World) -> tuple[str, str]:
    """The list's first version (USERS_CSV) and its replacement (OTHER_CSV) in one key."""
    world.s3.put_bucket_versioning(
        Bucket=SOURCE_BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    first = world.s3.put_object(Bucket=SOURCE_BUCKET, Key=KEY, Body=USERS_CSV)["VersionId"]
    second = world.s3.put_object(Bucket=SOURCE_BUCKET, Key=KEY, Body=OTHER_CSV)["VersionId"]
    return first, second


def test_a_pinned_version_is_read_even_after_the_object_was_replaced(world: World) -> None:
    # GIVEN a versioned object whose current version replaced the one the request pins
    first, _ = _versions(world)
    props = properties(Source={"Bucket": SOURCE_BUCKET, "Key": KEY, "VersionId": first})
    # WHEN the request is created
    outcome = play(cfn_event("Create", props), world)
    # THEN the job deletes the pinned version's users, read with that VersionId
    assert outcome.reason is None
    assert outcome.physical_id == expected_job_name(USERS_CSV)


def test_a_new_version_id_starts_a_job_for_the_new_list(world: World) -> None:
    # GIVEN a request created from the first version
    first, second = _versions(world)
    old = properties(Source={"Bucket": SOURCE_BUCKET, "Key": KEY, "VersionId": first})
    created = play(cfn_event("Create", old), world)
    # WHEN the request's versionId moves to the replacement (an Update, as the property changed)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": KEY, "VersionId": second})
    updated = play(cfn_event("Update", new, physical_id=created.physical_id, old=old), world)
    # THEN a second job starts, named after the new list
    assert updated.reason is None
    assert updated.physical_id == expected_job_name(OTHER_CSV) != created.physical_id
    assert list(world.double.jobs) == [created.physical_id, updated.physical_id]


def test_a_new_revision_with_the_same_list_adopts_the_job_it_started(world: World) -> None:
    # GIVEN a request created from an unversioned object
    world.put_source(KEY, USERS_CSV)
    old = properties(Source={"Bucket": SOURCE_BUCKET, "Key": KEY, "Revision": "1"})
    created = play(cfn_event("Create", old), world)
    # WHEN only the revision changes (the object was rewritten with the same ids)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": KEY, "Revision": "2"})
    updated = play(cfn_event("Update", new, physical_id=created.physical_id, old=old), world)
    # THEN the list is read again, and the same list means the same job: none is started
    assert updated.reason is None
    assert updated.physical_id == created.physical_id
    assert list(world.double.jobs) == [created.physical_id]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            {"Bucket": SOURCE_BUCKET, "Prefix": "lists/", "VersionId": "v1"},
            "property Source.VersionId needs Source.Key: a version is of one object",
        ),
        (
            {"Bucket": SOURCE_BUCKET, "Key": KEY, "VersionId": ""},
            "property VersionId must be a non-empty string",
        ),
        (
            {"Bucket": SOURCE_BUCKET, "Key": KEY, "Revision": 2},
            "property Revision must be a non-empty string",
        ),
    ],
)
def test_malformed_version_or_revision_fails_before_any_call(
    world: World, source: dict, reason: str
) -> None:
    outcome = play(cfn_event("Create", properties(Source=source)), world)
    assert outcome.reason == reason
    assert world.double.calls == []
    assert world.s3_calls == []
