"""Faults that used to lose evidence, leave personal data behind or fail the wrong way.

Real boto3 clients; Personalize is the double, S3/Step Functions/EventBridge are moto's server.
"""

from __future__ import annotations

import json

import lifecycle_support as support
import pytest
from botocore.exceptions import ClientError
from lifecycle_support import (
    GROUP,
    OTHER_GROUP,
    ROLE,
    SOURCE_BUCKET,
    STAGING_BUCKET,
    T0,
    USERS_CSV,
    World,
    cfn_event,
    expected_job_name,
    job_arn,
    play,
    properties,
)
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.cancellation import declarer_key

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
CREATE = "CreateDataDeletionJob"
DESCRIBE = "DescribeDataDeletionJob"
LIST = "ListDataDeletionJobs"
# ------------------------------------------------------------- staged lists nobody reads


def test_a_create_refused_for_good_leaves_no_staged_list(world: World) -> None:
    # GIVEN a dataset group that does not exist
    world.double.remove_dataset_group(GROUP)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN it fails naming the service's answer, and the staged copy is gone
    assert outcome.reason == (
        f"request gdpr-2026-11: CreateDataDeletionJob for {JOB} failed with "
        f"ResourceNotFoundException: Could not find the dataset group {GROUP}. (the dataset "
        "group (or role) does not exist in this account and region); no job was started"
    )
    assert world.keys() == []
    # (onEvent reads and stages; the first poll, which submits, looks for a poll's record of
    # the job (none), checks the staged list is there, then removes its declarer key, which it
    # had not written, a record (none: the key is deleted all the same) and the staged list)
    assert world.s3_calls == [
        "GetObject",
        "PutObject",
        "ListObjectsV2",
        "ListObjectsV2",
        "DeleteObject",
        "DeleteObject",
        "DeleteObject",
    ]


def test_a_queued_request_refused_later_leaves_no_staged_list(world: World) -> None:
    # GIVEN a request blocked at first (the group in use), whose group is then deleted
    world.double.set_dataset_group_busy(GROUP)
    event = cfn_event("Create", properties())
    merged = {**event, **lifecycle.on_event(event, world.services)}
    # (its first poll, blocked, records the resource as declaring the request it leaves to be
    # submitted later, so a Delete elsewhere cannot cancel it while this resource polls)
    assert lifecycle.is_complete(merged, world.services) == {"IsComplete": False}
    assert world.keys() == [declarer_key(JOB, event), f"staging/{JOB}/users.csv"]
    world.double.remove_dataset_group(GROUP)

    # WHEN the next poll submits again
    with pytest.raises(lifecycle.DeletionFailed, match="ResourceNotFoundException"):
        lifecycle.is_complete(merged, world.services)

    # THEN the staged list is purged: no job will ever read it (and the failed resource's
    # declarer key is gone with it: it declares nothing)
    assert world.keys() == []


# --------------------------------------------------------------- adoption under faults


def _create_directly(world: World, name: str = JOB, group: str = GROUP) -> None:
    world.personalize.create_data_deletion_job(
        jobName=name,
        datasetGroupArn=group,
        dataSource={"dataLocation": f"s3://{STAGING_BUCKET}/staging/{name}/users.csv"},
        roleArn=ROLE,
    )


def _lagging_list(world: World, times: int) -> None:
    """The next ``times`` ListDataDeletionJobs answers omit every job (listings lag creates)."""
    remaining = [times]

    def hide(parsed, **_):
        if remaining[0] > 0:
            remaining[0] -= 1
            parsed["dataDeletionJobs"] = []

    world.personalize.meta.events.register("after-call.personalize.ListDataDeletionJobs", hide)


def test_a_job_the_listing_does_not_show_yet_is_adopted_by_arn_not_renamed(world: World) -> None:
    # GIVEN the job exists (a lost first attempt) but the dataset group's listing lags
    _create_directly(world)
    _lagging_list(world, times=1)
    world.reset_calls()

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the existing job is found by its ARN and adopted; no rename advice, no second job
    # (the first poll's lookup is the lagging listing; its create is refused as a duplicate)
    assert outcome.reason is None
    assert outcome.data["JobArn"] == job_arn(JOB)
    assert world.job_calls()[:4] == [
        (LIST, None),
        (CREATE, "ResourceAlreadyExistsException"),
        (LIST, None),
        (DESCRIBE, None),
    ]
    assert list(world.double.jobs) == [JOB]


def test_a_job_name_taken_in_another_dataset_group_is_refused_for_good(world: World) -> None:
    # GIVEN a job with the request's name in another dataset group
    _create_directly(world, group=OTHER_GROUP)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN it fails saying where the name is taken
    assert outcome.reason == (
        f"request gdpr-2026-11: data deletion job {JOB} already exists in dataset group "
        f"{OTHER_GROUP}, not in {GROUP}: job names are unique per account and region; either "
        "rename the request or set another job_name_prefix; no job was started"
    )


def test_throttled_adoption_in_on_event_is_retried_by_the_next_poll(world: World) -> None:
    # GIVEN the job exists and the listing is throttled beyond boto3's retries
    _create_directly(world)
    world.double.inject(LIST, "LimitExceededException", times=6)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN on_event answers without an ARN (no failure) and the first poll adopts the job
    assert outcome.reason is None
    assert outcome.event["Ticket"]["jobArn"] is None
    assert outcome.data["JobArn"] == job_arn(JOB)
    assert list(world.double.jobs) == [JOB]


def test_a_job_not_yet_visible_to_describe_is_polled_again(world: World) -> None:
    # GIVEN Describe does not know the new job on the first poll
    world.double.inject(DESCRIBE, "ResourceNotFoundException", times=1)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the next poll sees it and the job completes as usual
    assert outcome.reason is None
    assert outcome.data["Status"] == "COMPLETED"
    assert [c.error_code for c in world.double.calls_for(DESCRIBE)][:2] == [
        "ResourceNotFoundException",
        None,
    ]


def test_a_job_still_unknown_after_the_grace_period_fails_naming_it(world: World) -> None:
    # GIVEN Describe never knows the job
    world.double.inject(DESCRIBE, "ResourceNotFoundException", times=100)

    # WHEN the request is created and polled every 100 s
    outcome = play(cfn_event("Create", properties()), world, step=100)

    # THEN it fails after 300 s (the grace period) with the service's answer
    assert outcome.polls == 4
    assert outcome.reason == (
        f"request gdpr-2026-11: DescribeDataDeletionJob for {job_arn(JOB)} failed with "
        "ResourceNotFoundException: Injected ResourceNotFoundException"
    )


# ------------------------------------------------------------------------ source reads


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            {"Bucket": SOURCE_BUCKET, "Key": "lists/missing.csv"},
            f"request gdpr-2026-11: deletion list rejected, no job started: s3://{SOURCE_BUCKET}"
            "/lists/missing.csv could not be read: NoSuchKey (The specified key does not "
            "exist.); the object does not exist: upload the list or fix the key",
        ),
        (
            {"Bucket": "pdd-no-such-bucket", "Prefix": "lists/"},
            "request gdpr-2026-11: deletion list rejected, no job started: "
            "s3://pdd-no-such-bucket/lists/ could not be listed: NoSuchBucket (The specified "
            "bucket does not exist); the bucket does not exist in this account and region",
        ),
    ],
)
def test_an_unreadable_source_names_the_request_bucket_and_key(
    world: World, source: dict, reason: str
) -> None:
    outcome = play(cfn_event("Create", properties(Source=source)), world)
    assert outcome.reason == reason
    assert world.double.calls == []


def test_a_folder_with_files_that_are_not_csv_is_refused_by_name(world: World) -> None:
    # GIVEN a Spark-style export folder: one CSV part, other parts without the extension
    world.put_source("export/part-00000.csv", USERS_CSV)
    world.put_source("export/part-00001", b"USER_ID\nuser-zeta-x1\n")
    world.put_source("export/part-00002.csv.gz", b"\x1f\x8b")
    world.put_source("export/", b"")

    # WHEN the request is created from the folder
    props = properties(Source={"Bucket": SOURCE_BUCKET, "Prefix": "export/"})
    outcome = play(cfn_event("Create", props), world)

    # THEN nothing is read partially: it fails naming what is not a CSV part (not the marker)
    assert outcome.reason == (
        "request gdpr-2026-11: deletion list rejected, no job started: "
        f"s3://{SOURCE_BUCKET}/export/ holds 2 object(s) that are not .csv files "
        "(export/part-00001, export/part-00002.csv.gz): a folder source must contain only the "
        "deletion list's CSV parts; move the other objects or point the request at a folder of "
        "its own"
    )
    assert world.double.calls == []


# ------------------------------------------------------------------------------ reasons


def test_a_long_failure_reason_still_reaches_cloudformation(world: World) -> None:
    # GIVEN Personalize fails the job with a 5 KB reason (non-ASCII included)
    long_reason = "Access Denied: " + "é" * 2500
    world.double.fail_next_jobs(long_reason)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the reason keeps its start, says where the whole text is, and the framework's
    # response with its own additions stays under CloudFormation's 4096 bytes
    assert outcome.reason.startswith(f"data deletion job {JOB} FAILED: Access Denied: éé")
    assert (
        f"... (cut: s3://{STAGING_BUCKET}/receipts/{JOB}.json has it whole). A failed job "
        "keeps its name" in outcome.reason
    )
    assert outcome.response is not None
    assert outcome.response.reason.startswith(f"Error: {outcome.reason}\n\nLogs: /aws/lambda/")
    assert outcome.response.size < 4096
    # AND the receipt has the whole reason
    assert world.receipt(JOB)["failureReason"] == long_reason


def test_a_failure_reason_of_control_characters_still_reaches_cloudformation(
    world: World,
) -> None:
    # GIVEN Personalize fails the job with a reason of control characters, which JSON escapes
    # to six bytes each (\\u0001) in the framework's response
    world.double.fail_next_jobs("Access Denied: " + "\x01" * 1500)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the reason is cut by its escaped size, and the response stays under 4096 bytes
    assert outcome.reason.startswith(f"data deletion job {JOB} FAILED: Access Denied: \x01")
    assert f"... (cut: s3://{STAGING_BUCKET}/receipts/{JOB}.json has it whole)" in outcome.reason
    assert outcome.response is not None
    assert outcome.response.size < 4096


def test_the_deadline_runs_from_the_start_of_on_event(world: World) -> None:
    # GIVEN reading the list takes five simulated minutes
    def slow_read(**_):
        world.advance(300)

    world.services.storage.client.meta.events.register("before-call.s3.GetObject", slow_read)

    # WHEN on_event runs
    answer = lifecycle.on_event(cfn_event("Create", properties()), world.services)

    # THEN the deadline counts from when CloudFormation's request arrived, not from our answer
    assert answer["Ticket"]["startedAt"] == T0
    assert answer["Ticket"]["deadline"] == T0 + support.DEADLINE_SECONDS


# --------------------------------------------------------------------- malformed events


def _polled_with_ticket(**ticket: object) -> dict:
    """An isComplete event of an Update whose ticket has ``ticket``'s fields changed."""
    return {
        "RequestType": "Update",
        "ResourceProperties": properties(),
        "PhysicalResourceId": JOB,
        "Ticket": {
            "jobName": JOB,
            "jobArn": None,
            "input": {},
            "startedAt": T0,
            "deadline": T0,
            **ticket,
        },
    }


@pytest.mark.parametrize(
    ("event", "handler", "reason"),
    [
        (
            {"ResourceProperties": {}},
            lifecycle.on_event,
            "event field RequestType is None: expected Create, Update or Delete",
        ),
        (
            {"RequestType": "Create", "ResourceProperties": "RequestName=x"},
            lifecycle.on_event,
            "event field ResourceProperties must be an object, not str",
        ),
        (
            {"RequestType": "Delete", "ResourceProperties": {}},
            lifecycle.on_event,
            "event field PhysicalResourceId is missing: CloudFormation sends it with every request",
        ),
        (
            {
                "RequestType": "Update",
                "ResourceProperties": properties(),
                "PhysicalResourceId": JOB,
            },
            lifecycle.is_complete,
            "event field Ticket is missing: it is written by on_event; was this event sent by "
            "the Provider framework?",
        ),
        (
            _polled_with_ticket(deadline="soon"),
            lifecycle.is_complete,
            "Ticket.deadline must be a number",
        ),
        (
            _polled_with_ticket(kept="yes"),
            lifecycle.is_complete,
            "Ticket.kept must be true or false",
        ),
    ],
)
def test_a_malformed_event_fails_naming_the_field(
    world: World, event: dict, handler, reason: str
) -> None:
    with pytest.raises(lifecycle.DeletionFailed) as caught:
        handler(event, world.services)
    assert str(caught.value) == reason
    assert world.double.calls == []


def test_receipt_writes_never_overwrite_even_when_racing(world: World) -> None:
    # GIVEN a receipt another writer put there first
    world.services.storage.put_json_once(STAGING_BUCKET, "receipts/x.json", {"first": True})
    # WHEN a second writer tries
    written = world.services.storage.put_json_once(STAGING_BUCKET, "receipts/x.json", {"b": 1})
    # THEN it is refused by S3's conditional write and the first facts stand
    assert written is False
    assert json.loads(world.read("receipts/x.json")) == {"first": True}
    with pytest.raises(ClientError):
        world.services.storage.client.put_object(
            Bucket=STAGING_BUCKET, Key="receipts/x.json", Body=b"{}", IfNoneMatch="*"
        )
