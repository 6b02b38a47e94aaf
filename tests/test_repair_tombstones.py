"""Lists the CDK CLI uploaded again over empty tombstones are removed by ``repair-tombstones``.

Handlers before this version left an empty tombstone once a list's job ended; the CLI counts an
object of at most 22 bytes as a missing asset and uploaded the list again on the next deploy.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import lifecycle_support as support
import pytest
from botocore.exceptions import ClientError
from personalize_deletion_local import cli, tombstones
from personalize_deletion_local.rehearsal.stack_run import published_in
from personalize_deletion_runtime.staging import TOMBSTONE_METADATA, tombstone_body

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint

BUCKET = "cdk-hnb659fds-assets-123456789012-us-east-1"
LIST = b"USER_ID\nr-user-a\nr-user-b\n"
ENDED, EMPTIED, RUNNING, REPAIRED = (f"pdd-r{n}-0123456789ab" for n in range(4))


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # The command builds its own client, as for a user: from the environment.
    for name, value in {
        "AWS_ENDPOINT_URL_S3": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()
    client = support.s3_client(moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    yield client


def _put(s3: Any, job: str, body: bytes, tombstone: bool = False) -> str:
    metadata = {TOMBSTONE_METADATA: job} if tombstone else {}
    put = s3.put_object(Bucket=BUCKET, Key=f"{job}.csv", Body=body, Metadata=metadata)
    return str(put.get("VersionId", "null"))  # "null": versioning suspended


def _history(s3: Any, job: str) -> list[tuple[bytes, dict[str, str]]]:
    """(body, metadata) of every version at the job's key, newest first."""
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=f"{job}.csv").get("Versions", [])
    found = []
    for version in sorted(listed, key=lambda v: (v["IsLatest"], v["LastModified"]), reverse=True):
        got = s3.get_object(Bucket=BUCKET, Key=f"{job}.csv", VersionId=version["VersionId"])
        found.append((got["Body"].read(), got["Metadata"]))
    return found


def _published(s3: Any, job: str) -> bool:
    key = f"{job}.csv"
    return published_in(s3.list_objects_v2(Bucket=BUCKET, Prefix=key, MaxKeys=1), key)


def _earlier_versions_left_behind(s3: Any) -> dict[str, str]:
    """The bucket as handlers of earlier versions and the CLI left it; version ids by job."""
    # a job that ended: its list deleted, an empty tombstone, then the list uploaded again
    _put(s3, ENDED, LIST)
    s3.delete_object(
        Bucket=BUCKET,
        Key=f"{ENDED}.csv",
        VersionId=s3.list_object_versions(Bucket=BUCKET, Prefix=f"{ENDED}.csv")["Versions"][0][
            "VersionId"
        ],
    )
    _put(s3, ENDED, b"", tombstone=True)
    uploaded_again = _put(s3, ENDED, LIST)
    # a job that ended with no deploy since: only the empty tombstone
    _put(s3, EMPTIED, b"", tombstone=True)
    # a job still running: its list, no tombstone
    _put(s3, RUNNING, LIST)
    # a job whose key the new handlers already tombstoned
    _put(s3, REPAIRED, tombstone_body(REPAIRED), tombstone=True)
    # and an asset that is not a list
    s3.put_object(Bucket=BUCKET, Key="0123abcd.zip", Body=LIST)
    return {ENDED: uploaded_again}


def test_lists_uploaded_again_over_empty_tombstones_are_removed(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a CDK assets bucket as earlier versions left it
    uploaded_again = _earlier_versions_left_behind(s3)
    assert not _published(s3, EMPTIED)  # the next deploy would upload that list again

    # WHEN the repair runs over the whole bucket
    assert cli.main(["repair-tombstones", "--bucket", BUCKET]) == 0

    # THEN the list uploaded again is gone, and each ended job's key holds a tombstone the CLI
    # counts as published; the running job's list and other assets are untouched
    empty = (b"", {TOMBSTONE_METADATA: ENDED})
    assert _history(s3, ENDED) == [
        (tombstone_body(ENDED), {TOMBSTONE_METADATA: ENDED}),
        empty,
    ]
    assert _history(s3, EMPTIED) == [
        (tombstone_body(EMPTIED), {TOMBSTONE_METADATA: EMPTIED}),
        (b"", {TOMBSTONE_METADATA: EMPTIED}),
    ]
    assert _history(s3, RUNNING) == [(LIST, {})]
    assert _history(s3, REPAIRED) == [(tombstone_body(REPAIRED), {TOMBSTONE_METADATA: REPAIRED})]
    assert all(_published(s3, job) for job in (ENDED, EMPTIED, REPAIRED))
    # AND it said what it did, naming keys, versions and jobs, never an id
    assert capsys.readouterr().out.splitlines() == [
        f"{ENDED}.csv (job {ENDED} ended): delete 1 version(s) holding the list "
        f"({uploaded_again[ENDED]}); put a tombstone the CDK CLI counts as published",
        f"{EMPTIED}.csv (job {EMPTIED} ended): put a tombstone the CDK CLI counts as published",
        f"s3://{BUCKET}/: repaired 2 list key(s); 1 already hold only a tombstone the CLI counts "
        "as published; 1 have no tombstone in their history and are left alone",
    ]


def test_a_dry_run_changes_nothing_and_a_second_run_finds_nothing(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the same bucket
    _earlier_versions_left_behind(s3)
    before = {job: _history(s3, job) for job in (ENDED, EMPTIED, RUNNING, REPAIRED)}

    # WHEN a dry run goes first
    assert cli.main(["repair-tombstones", "--bucket", BUCKET, "--dry-run"]) == 0
    # THEN nothing changed, and it said what it would do
    assert {job: _history(s3, job) for job in before} == before
    dry = capsys.readouterr().out.splitlines()
    assert dry[0].startswith(f"would {ENDED}.csv (job {ENDED} ended): delete 1 version(s)")
    assert dry[-1].startswith(f"s3://{BUCKET}/: would repair 2 list key(s);")

    # WHEN it runs twice
    cli.main(["repair-tombstones", "--bucket", BUCKET])
    capsys.readouterr()
    cli.main(["repair-tombstones", "--bucket", BUCKET])
    # THEN the second run has nothing left to do
    assert capsys.readouterr().out.splitlines() == [
        f"s3://{BUCKET}/: repaired 0 list key(s); 3 already hold only a tombstone the CLI counts "
        "as published; 1 have no tombstone in their history and are left alone"
    ]


def test_a_key_that_cannot_be_repaired_is_reported_and_the_others_are_repaired(
    s3: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the same bucket, where S3 refuses to delete one version (a bucket policy, say)
    uploaded_again = _earlier_versions_left_behind(s3)
    real = tombstones.apply

    def refuse_one(client: Any, bucket: str, item: tombstones.KeyRepair) -> None:
        if item.key == f"{ENDED}.csv":
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "Delete")
        real(client, bucket, item)

    monkeypatch.setattr(tombstones, "apply", refuse_one)
    # WHEN the repair runs
    status = cli.main(["repair-tombstones", "--bucket", BUCKET])
    # THEN it says which key it could not repair, repairs the other, and exits 1
    assert status == 1
    assert capsys.readouterr().out.splitlines() == [
        f"could not repair {ENDED}.csv: An error occurred (AccessDenied) when calling the Delete "
        "operation: denied",
        f"{EMPTIED}.csv (job {EMPTIED} ended): put a tombstone the CDK CLI counts as published",
        f"s3://{BUCKET}/: repaired 1 list key(s), 1 could not be repaired; 1 already hold only a "
        "tombstone the CLI counts as published; 1 have no tombstone in their history and are left "
        "alone",
    ]
    assert _history(s3, ENDED)[0] == (LIST, {})
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=f"{ENDED}.csv")["Versions"]
    assert uploaded_again[ENDED] in [version["VersionId"] for version in listed]


def test_a_bucket_without_versioning_is_said_to_be_beyond_repair(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a bucket without versioning, where the list uploaded again replaced the tombstone
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    _put(s3, ENDED, b"", tombstone=True)
    _put(s3, ENDED, LIST)
    # WHEN the repair runs
    assert cli.main(["repair-tombstones", "--bucket", BUCKET]) == 0
    # THEN it warns that it cannot tell such lists apart, and leaves the key alone
    assert capsys.readouterr().out.splitlines() == [
        f"warning: s3://{BUCKET} is not versioned: an upload replaced each tombstone there, so a "
        "list uploaded again cannot be told from the list of a job still running; such keys are "
        "left alone",
        f"s3://{BUCKET}/: repaired 0 list key(s); 0 already hold only a tombstone the CLI counts "
        "as published; 1 have no tombstone in their history and are left alone",
    ]
    assert _history(s3, ENDED) == [(LIST, {})]
