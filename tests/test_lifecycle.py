"""End-to-end lifecycle tests: CloudFormation-shaped events through real boto3 clients.

Personalize is the local wire-level double, S3 is moto's server over HTTP, and the Provider
framework is played by :func:`lifecycle_support.play` (onEvent, merge, isComplete polls).
"""

from __future__ import annotations

import hashlib
import json

import lifecycle_support as support
import pytest
from lifecycle_support import (
    ASSET_KEY,
    DEADLINE_SECONDS,
    GROUP,
    LOGICAL_ID,
    NUM_DELETED,
    OTHER_CSV,
    OTHER_GROUP,
    PREFLIGHT,
    ROLE,
    SOURCE_BUCKET,
    STACK_ID,
    STAGING_BUCKET,
    TRACKER_ARN,
    USERS_CSV,
    World,
    assert_no_user_ids,
    canonical_bytes,
    cfn_event,
    debug_logs,
    expected_job_name,
    job_arn,
    play,
    properties,
)
from personalize_deletion_local.provider_framework import CREATE_FAILED_MARKER
from personalize_deletion_runtime import handlers, lifecycle
from personalize_deletion_runtime.job_source import index_key, source_identity
from personalize_deletion_runtime.properties import parse_request

pytestmark = pytest.mark.wire

# fixtures: ``world`` (S3 on moto, the double, zero botocore backoff) and ``moto_endpoint``
moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

CREATE = "CreateDataDeletionJob"
DESCRIBE = "DescribeDataDeletionJob"
LIST = "ListDataDeletionJobs"
JOB = expected_job_name(USERS_CSV)
CANONICAL = canonical_bytes(USERS_CSV)
SHA = hashlib.sha256(CANONICAL).hexdigest()
INPUT = {
    "parts": 1,
    "bytes_read": len(USERS_CSV),
    "ids_received": 4,
    "blank_lines": 0,
    "duplicate_ids": 1,
    "ids_staged": 3,
    "sha256": SHA,
    "sourceIdentity": source_identity(parse_request(properties())),
}


def ops(world: World) -> list[str]:
    return [call.operation for call in world.double.calls]


def completed(name: str = JOB, tracked_by: str = "none") -> dict[str, str]:
    return {
        "JobArn": job_arn(name),
        "JobName": name,
        "Status": "COMPLETED",
        "NumDeleted": str(NUM_DELETED),
        "TrackedBy": tracked_by,
        "ReceiptUri": f"s3://{STAGING_BUCKET}/receipts/{name}.json",
    }


def create_and_complete(world: World, props: dict | None = None) -> str:
    outcome = play(cfn_event("Create", props or properties()), world)
    assert outcome.reason is None
    return outcome.physical_id


# ------------------------------------------------------------------------ 1. happy path


def test_create_polls_until_completed_and_leaves_a_receipt(world: World, caplog) -> None:
    debug_logs(caplog)
    # GIVEN the asset CSV (4 ids, one duplicate) and a dataset group that exists
    # WHEN CloudFormation creates the resource and the framework polls every 20 s
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the job completes after 4 polls (PENDING 10 s, then IN_PROGRESS 50 s)
    assert outcome.reason is None
    assert outcome.physical_id == JOB
    assert outcome.polls == 4
    assert outcome.data == completed()
    # AND exactly one job was created with the exact payload
    assert list(world.double.jobs) == [JOB]
    [create] = world.double.calls_for(CREATE)
    assert create.body == {
        "jobName": JOB,
        "datasetGroupArn": GROUP,
        "dataSource": {"dataLocation": f"s3://{STAGING_BUCKET}/staging/{JOB}/users.csv"},
        "roleArn": ROLE,
        "tags": [{"tagKey": "ticket", "tagValue": "PRIV-1"}],
    }
    # AND onEvent's pre-flight (its two listings: the first check, recorded); the first poll
    # looks for the job by name, checks again and creates it; each later poll (its event has
    # no ARN) describes the job by the ARN the first poll recorded, without a listing; the
    # same two listings once more at the end (did a training or import start during the job?)
    assert ops(world) == [
        *PREFLIGHT,
        LIST,
        *PREFLIGHT,
        CREATE,
        DESCRIBE,
        *[DESCRIBE] * 3,
        *PREFLIGHT,
    ]
    # AND S3: read the list, stage it; the first poll looks for a poll's record of the job
    # (none), checks the staged list is there and, right before it creates the job, looks for
    # a Delete's marker (none here; changed deliberately: these listings are new), clears what
    # a cancellation needed (declarer keys, a marker) and records the job; each later poll
    # reads that record; look for a receipt, purge the list and the record, write the receipt
    assert world.s3_calls == [
        "GetObject",
        "PutObject",
        "ListObjectsV2",
        "ListObjectsV2",
        "ListObjectsV2",
        "ListObjectsV2",
        "DeleteObject",
        "PutObject",
        *["ListObjectsV2", "GetObject"] * 3,
        "ListObjectsV2",
        "DeleteObject",
        "DeleteObject",
        "PutObject",
    ]
    # AND the staged list is purged and the receipt records counts, the canonical hash and the
    # job's own times (created at T0, ended 10 s PENDING + 50 s IN_PROGRESS later)
    assert world.keys() == [f"receipts/{JOB}.json"]
    assert world.receipt(JOB) == {
        "version": 2,
        "requestName": "gdpr-2026-11",
        "datasetGroupArn": GROUP,
        "jobArn": job_arn(JOB),
        "jobName": JOB,
        "status": "COMPLETED",
        "numDeleted": NUM_DELETED,
        "failureReason": None,
        "startedAt": "2026-09-21T14:13:20Z",
        "finishedAt": "2026-09-21T14:14:20Z",
        "durationSeconds": 60,
        "input": INPUT,
        "stagedInputPurged": True,
        "completion": "HAND_OFF",
        "recordedBy": "deployment",
        "trackedBy": None,
        "recordedAt": "2026-09-21T14:14:20Z",
        "stackId": STACK_ID,
        "logicalResourceId": LOGICAL_ID,
        "preflight": {
            "checked": True,
            "blockersAtFirstCheck": [],
            "blockersAfterFirstCheck": None,
            "heldBackSeconds": 0,
        },
        "interference": {"checked": True, "started": []},
        "followUp": None,
        "followUpOf": None,
        "retraining": None,
    }
    # AND one event on the default bus says so, and one metric counts it
    assert world.events() == [
        {
            "requestName": "gdpr-2026-11",
            "jobName": JOB,
            "jobArn": job_arn(JOB),
            "datasetGroupArn": GROUP,
            "status": "COMPLETED",
            "lastStatus": "COMPLETED",
            "numDeleted": NUM_DELETED,
            "failureReason": None,
            "receiptUri": f"s3://{STAGING_BUCKET}/receipts/{JOB}.json",
            "startedAt": "2026-09-21T14:13:20Z",
            "finishedAt": "2026-09-21T14:14:20Z",
            "durationSeconds": 60,
            "recordedAt": "2026-09-21T14:14:20Z",
            "warning": None,
            "followUp": None,
            "recordedBy": "deployment",
            "trackedBy": None,
            "completion": "HAND_OFF",
            "stackId": STACK_ID,
        }
    ]
    assert world.metrics() == [("JobsCompleted", "privacy")]
    # AND nothing was handed to the tracker
    assert world.executions() == []
    # AND the framework's response stays well under CloudFormation's 4 KiB
    assert outcome.response is not None and outcome.response.size < 4096
    assert_no_user_ids(caplog, outcome.data, outcome.event, world.receipt(JOB), world.emf)


def test_staged_list_is_the_canonical_bytes_when_purge_is_off(world: World) -> None:
    # GIVEN a construct that keeps staged lists, and PurgeStagedInput "false"
    world.services.scopes = support.KEEPING_SCOPES
    # WHEN the request completes
    outcome = play(cfn_event("Create", properties(PurgeStagedInput="false")), world)

    # THEN the staged object is exactly the canonical list the hash names
    assert outcome.data == completed()
    assert world.keys() == [f"receipts/{JOB}.json", f"staging/{JOB}/users.csv"]
    assert world.read(f"staging/{JOB}/users.csv") == CANONICAL
    assert sorted(CANONICAL.split(b"\n")) == [
        b"",
        b"USER_ID",
        b"user-alpha-7f3",
        b"user-beta-91c",
        b"user-gamma-0d2",
    ]
    assert world.receipt(JOB)["stagedInputPurged"] is False


# --------------------------------------------------------------------- 2. retried create


def test_retried_create_adopts_the_job_it_already_started(world: World) -> None:
    # GIVEN a Create whose first poll started the job, and whose answer was lost (onEvent
    # starts none: the waiter's first poll submits)
    event = cfn_event("Create", properties())
    first = {**event, **lifecycle.on_event(event, world.services)}
    assert first["Ticket"]["jobArn"] is None
    assert lifecycle.is_complete(first, world.services) == {"IsComplete": False}
    assert list(world.double.jobs) == [JOB]

    # WHEN CloudFormation re-sends the same Create
    world.advance(30)
    outcome = play(event, world)

    # THEN the second attempt adopts the job (found by the record the first attempt's poll
    # left beside the staged list: no listing) and no second job exists
    assert outcome.physical_id == JOB
    assert outcome.data == completed()
    assert list(world.double.jobs) == [JOB]
    assert world.job_calls()[:4] == [
        (LIST, None),
        (CREATE, None),
        (DESCRIBE, None),
        (DESCRIBE, None),
    ]


# --------------------------------------------------------------------------- 3. failed


def test_failed_job_fails_the_resource_with_the_service_reason(world: World, caplog) -> None:
    debug_logs(caplog)
    # GIVEN Personalize will fail the next job
    world.double.fail_next_jobs("Access Denied: the role cannot read the data location")

    # WHEN the request is created and polled
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the resource fails with the service's failureReason
    assert outcome.data is None
    assert outcome.reason == (
        f"data deletion job {JOB} FAILED: Access Denied: the role cannot read the data location"
        ". A failed job keeps its name, so deploying the same request adopts it again: "
        "fix the cause, then rename the request to start a new job"
    )
    assert outcome.polls == 4
    # AND the receipt records the failure; the staged list is purged
    receipt = world.receipt(JOB)
    assert (receipt["status"], receipt["numDeleted"], receipt["failureReason"]) == (
        "FAILED",
        None,
        "Access Denied: the role cannot read the data location",
    )
    assert world.keys() == [f"receipts/{JOB}.json"]
    assert list(world.double.jobs) == [JOB]
    # AND the event says FAILED with the reason, and the failed-jobs metric counts it
    [event] = world.events()
    assert (event["status"], event["failureReason"], event["numDeleted"]) == (
        "FAILED",
        "Access Denied: the role cannot read the data location",
        None,
    )
    assert world.metrics() == [("JobsFailed", "privacy")]
    assert_no_user_ids(caplog, outcome.reason, receipt, event)


# ------------------------------------------------------------------------ 4. throttling


def test_throttling_within_botocore_retries_still_starts_one_job(world: World) -> None:
    # GIVEN the next 3 creates are throttled (LimitExceededException is retried as throttling)
    world.double.inject(CREATE, "LimitExceededException", times=3)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the first poll's own retries got through: one job, started by that poll
    assert outcome.data == completed()
    assert outcome.polls == 4
    assert [c.error_code for c in world.double.calls_for(CREATE)] == [
        "LimitExceededException",
        "LimitExceededException",
        "LimitExceededException",
        None,
    ]
    assert list(world.double.jobs) == [JOB]


def test_throttling_storm_outlasting_retries_is_retried_on_the_next_poll(world: World) -> None:
    # GIVEN 7 throttled creates: more than the 6 attempts one call makes (retries
    # max_attempts=5 in botocore's legacy key counts retries, not attempts)
    world.double.inject(CREATE, "LimitExceededException", times=7)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the first poll's create is still throttled, the second submits again, and one job
    # results (a poll later than when onEvent made the first attempt)
    assert outcome.event["Ticket"]["jobArn"] is None
    assert outcome.data == completed()
    assert list(world.double.jobs) == [JOB]
    assert outcome.polls == 5
    # AND later polls (same event, still no ARN) describe the job by the ARN the creating
    # poll recorded, never re-create it
    throttled = (CREATE, "LimitExceededException")
    assert world.job_calls() == [
        (LIST, None),
        *[throttled] * 6,
        (LIST, None),
        throttled,
        (CREATE, None),
        (DESCRIBE, None),
        *[(DESCRIBE, None)] * 3,
    ]


# ---------------------------------------------------------------- 5. blocked to deadline


def test_wait_policy_blocked_until_the_deadline_fails_naming_the_blocker(
    world: World, caplog
) -> None:
    debug_logs(caplog)
    # GIVEN a training runs on the dataset group for longer than the deadline
    world.double.set_dataset_group_busy(GROUP, reason="a solution version is training")

    # WHEN a request with completion policy WAIT is created and polled every 100 s
    outcome = play(cfn_event("Create", properties(Completion="WAIT")), world, step=100)

    # THEN it fails at the deadline (7th poll at +600 s) naming what blocked it; no job
    assert outcome.polls == DEADLINE_SECONDS // 100 + 1
    assert outcome.reason == (
        f"data deletion job {JOB} could not be started before the deployment's time limit: "
        "Personalize reports the dataset group in use (ResourceInUseException): Cannot create a "
        f"data deletion job for dataset group {GROUP} while a solution version is training.; "
        "no job was started, deploy again once the blocker clears"
    )
    assert world.double.jobs == {}
    creates = world.double.calls_for(CREATE)
    # (one attempt per poll: onEvent attempts none)
    assert [c.error_code for c in creates] == ["ResourceInUseException"] * 7
    # AND nothing was queued with the tracker, no event was published
    assert world.executions() == []
    assert world.events() == []
    # AND no copy of the list stays behind: nothing will read it (a redeploy stages it again)
    assert world.keys() == []
    assert_no_user_ids(caplog, outcome.reason, outcome.event)


# ------------------------------------------------------------ 6. still running at deadline


def test_wait_policy_fails_at_the_deadline_and_the_tracker_records_the_job(
    world: World, caplog
) -> None:
    debug_logs(caplog)
    # GIVEN a job that runs far longer than the deployment's time limit
    world.double.run_seconds = 5000

    # WHEN a request with completion policy WAIT is created and polled until the deadline
    outcome = play(cfn_event("Create", properties(Completion="WAIT")), world, step=100)

    # THEN it fails saying the job keeps running and the tracker follows it
    execution = f"{TRACKER_ARN.replace(':stateMachine:', ':execution:')}:{JOB}"
    assert outcome.polls == 7
    assert outcome.reason == (
        f"data deletion job {JOB} is still IN_PROGRESS at the deployment's time limit "
        "(completion policy WAIT): the job keeps running in Personalize (jobs can take up to "
        "a day); the tracker follows it to its end and records its receipt "
        f"({execution}). Completion.hand_off() lets the deployment succeed while the job runs"
    )
    assert world.executions() == [(JOB, "RUNNING")]
    # (beside the list the job reads, the first poll's record of the job: no ids)
    assert world.keys() == [f"staging/{JOB}/submitted.json", f"staging/{JOB}/users.csv"]

    # WHEN the stack is deployed again later (a new Create for the same request)
    world.advance(5000)
    world.reset_calls()
    redeploy = play(cfn_event("Create", properties(Completion="WAIT")), world)

    # THEN the same job is adopted (by the ARN its first poll recorded, no listing) and
    # completes on the first poll
    assert redeploy.physical_id == JOB
    assert redeploy.data == completed()
    assert redeploy.polls == 1
    assert list(world.double.jobs) == [JOB]
    assert world.job_calls() == [(DESCRIBE, None)]
    assert world.keys() == [f"receipts/{JOB}.json"]
    assert_no_user_ids(caplog, outcome.reason, redeploy.data, world.receipt(JOB))


# --------------------------------------------------------------------------- 7. updates


def test_update_changing_only_tags_keeps_the_job(world: World) -> None:
    # GIVEN a completed request
    old = properties()
    create_and_complete(world, old)
    receipt_before = world.receipt(JOB)
    world.reset_calls()

    # WHEN an Update changes only the tags
    new = properties(Tags={"ticket": "PRIV-2", "team": "privacy"})
    outcome = play(cfn_event("Update", new, physical_id=JOB, old=old), world)

    # THEN the physical id is unchanged, no job is created, and the existing one is reported
    assert outcome.physical_id == JOB
    assert outcome.event["Ticket"]["jobArn"] == job_arn(JOB)
    assert outcome.data == completed()
    assert list(world.double.jobs) == [JOB]
    assert world.job_calls() == [
        (LIST, None),
        (DESCRIBE, None),
    ]
    # AND the list is not read again (its properties are those that named the job); the
    # receipt is read, and left as it was written when the job ended (changed deliberately:
    # onEvent then lists the request's staging keys, for jobs a cancelled event of the
    # resource declared: none; a poll's record of the job's submission is deleted with the
    # staged list: none here; changed deliberately: the Update, its FollowUp off, then
    # deletes its resource's declarer key of the job's follow-up, none here, so that its
    # Delete cancels a follow-up the tracker would still submit)
    assert world.s3_calls == [
        "ListObjectsV2",
        "GetObject",
        "ListObjectsV2",
        "ListObjectsV2",
        "GetObject",
        "DeleteObject",
        "DeleteObject",
        "DeleteObject",
    ]
    assert world.keys() == [f"receipts/{JOB}.json"]
    assert world.receipt(JOB) == receipt_before
    # AND no second event announces the old deletion
    assert [event["status"] for event in world.events()] == ["COMPLETED"]


def test_update_with_new_content_or_dataset_group_starts_a_new_job(world: World) -> None:
    # GIVEN a completed request
    old = properties()
    create_and_complete(world, old)

    # WHEN an Update points at a different deletion list
    world.put_source("assets/9a8b7c.csv", OTHER_CSV)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": "assets/9a8b7c.csv"})
    second = play(cfn_event("Update", new, physical_id=JOB, old=old), world)

    # THEN a second job with a new physical id runs to completion
    second_job = expected_job_name(OTHER_CSV)
    assert second.physical_id == second_job != JOB
    assert second.data == completed(second_job)

    # WHEN a further Update moves the same list to another dataset group
    moved = properties(**{**new, "DatasetGroupArn": OTHER_GROUP})
    third = play(cfn_event("Update", moved, physical_id=second_job, old=new), world)

    # THEN the job name changes again and a third job runs in that group
    third_job = expected_job_name(OTHER_CSV, group=OTHER_GROUP)
    assert third.physical_id == third_job
    assert len({JOB, second_job, third_job}) == 3
    assert third.data == completed(third_job)
    assert list(world.double.jobs) == [JOB, second_job, third_job]
    assert world.double.jobs[third_job].dataset_group_arn == OTHER_GROUP


# ---------------------------------------------------------------------------- 8. delete


@pytest.mark.parametrize(
    ("physical_id", "data", "polls"),
    [
        pytest.param(JOB, {}, 1, id="its job"),
        pytest.param("some-unknown-id", {}, 1, id="an unknown id"),
        # the rollback of a failed create: the framework answers without invoking a handler
        pytest.param(CREATE_FAILED_MARKER, None, 0, id="a failed create"),
    ],
)
def test_delete_never_calls_personalize(
    world: World, physical_id: str, data: dict | None, polls: int
) -> None:
    # GIVEN a completed request
    create_and_complete(world)
    world.reset_calls()

    # WHEN CloudFormation deletes a resource with this physical id
    outcome = play(cfn_event("Delete", properties(), physical_id=physical_id), world)

    # THEN it succeeds at once with the same id, with no Personalize call; in S3 the
    # resource's own declarer keys of the job and of its follow-up are deleted (none exists),
    # and S3 is asked only whether the job's list, then its follow-up's, is still staged
    # (neither is: nothing to cancel; changed deliberately: the follow-up is looked for
    # whatever FollowUp says now, since the tracker follows its hand-off's properties, and
    # resources declare it); under an id that is no job's
    # (one CloudFormation generated for a Create it cancelled), the request's staging keys are
    # listed for jobs the resource declared (none; changed deliberately: that listing is new)
    assert (outcome.physical_id, outcome.data, outcome.reason, outcome.polls) == (
        physical_id,
        data,
        None,
        polls,
    )
    assert world.double.calls == []
    assert (
        world.s3_calls
        == {
            JOB: ["DeleteObject", "ListObjectsV2", "DeleteObject", "ListObjectsV2"],
            "some-unknown-id": ["ListObjectsV2"],
            CREATE_FAILED_MARKER: [],
        }[physical_id]
    )
    assert world.keys() == [f"receipts/{JOB}.json"]


def test_the_handler_acknowledges_a_delete_of_a_failed_create_without_calls(
    world: World,
) -> None:
    # GIVEN the framework's marker id (it answers such a Delete itself; the handler must not
    # depend on that)
    event = cfn_event("Delete", properties(), physical_id=CREATE_FAILED_MARKER)

    # WHEN the handler is called directly
    answer = lifecycle.on_event(event, world.services)
    done = lifecycle.is_complete({**event, **answer}, world.services)

    # THEN it keeps the id and touches nothing
    assert (answer, done) == ({"PhysicalResourceId": CREATE_FAILED_MARKER}, {"IsComplete": True})
    assert world.double.calls == []
    assert world.s3_calls == []


# -------------------------------------------------------------------------- 9. rollback


def test_rollback_of_a_content_update_adopts_the_old_job(world: World) -> None:
    # GIVEN a completed request and a successful Update to a new list (asset keys differ)
    old = properties()
    create_and_complete(world, old)
    world.put_source("assets/9a8b7c.csv", OTHER_CSV)
    new = properties(Source={"Bucket": SOURCE_BUCKET, "Key": "assets/9a8b7c.csv"})
    new_job = play(cfn_event("Update", new, physical_id=JOB, old=old), world).physical_id
    world.reset_calls()

    # WHEN the stack rolls back: Update back to the old properties, then Delete of the new id
    rollback = play(cfn_event("Update", old, physical_id=new_job, old=new), world)
    cleanup = play(cfn_event("Delete", new, physical_id=new_job), world)

    # THEN the old job is adopted (no new job) and the physical id is the old one again
    assert rollback.physical_id == JOB
    assert rollback.data == completed()
    assert cleanup.physical_id == new_job
    assert list(world.double.jobs) == [JOB, new_job]
    # (the new job's summary records the job it replaced, whose properties the rollback's are:
    # the rollback returns to it without reading the list again, so no create is even tried
    # (it was refused as ResourceAlreadyExists, then adopted); a lookup finds it)
    assert world.job_calls() == [(LIST, None), (DESCRIBE, None)]
    # (changed deliberately with the index of source identities: the Update and the rollback
    # each moved the resource between jobs, so each identity names the job it produced last;
    # before, only the receipts were there; changed again deliberately: an entry's key is the
    # digest of the resource (stack and logical id) and the identity)
    sources = [source_identity(parse_request(props)) for props in (old, new)]
    resource = cfn_event("Update", old, physical_id=new_job, old=new)
    assert world.keys() == sorted(
        [
            f"receipts/{new_job}.json",
            f"receipts/{JOB}.json",
            *(index_key(resource, identity) for identity in sources),
        ]
    )


# ------------------------------------------------------------------ 10. bad properties

BAD_PROPERTIES = [
    ("missing RequestName", {"RequestName": None}, "property RequestName is required"),
    (
        "bad JobNamePrefix",
        {"JobNamePrefix": "-pdd"},
        "invalid property JobNamePrefix: job_name_prefix '-pdd' is invalid: use 1-16 letters, "
        "digits or '-', starting with a letter or digit",
    ),
    (
        "bad DatasetGroupArn",
        {"DatasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:solution/x"},
        "invalid property: DatasetGroupArn: 'arn:aws:personalize:us-east-1:123456789012:"
        "solution/x' is not a dataset group ARN (expected arn:<partition>:personalize:"
        "<region>:<12-digit account>:dataset-group/<name>, at most 256 characters)",
    ),
    (
        "bad RoleArn",
        {"RoleArn": "arn:aws:iam::123456789012:user/someone"},
        "property RoleArn 'arn:aws:iam::123456789012:user/someone' is not an IAM role ARN",
    ),
    (
        "MaxInputBytes abc",
        {"MaxInputBytes": "abc"},
        "property MaxInputBytes 'abc' must be a positive whole number (a string of digits)",
    ),
    (
        "MaxInputBytes superscript digit",
        {"MaxInputBytes": "\u00b2"},
        "property MaxInputBytes '\u00b2' must be a positive whole number (a string of digits)",
    ),
    (
        "PurgeStagedInput yes",
        {"PurgeStagedInput": "yes"},
        "property PurgeStagedInput 'yes' must be 'true' or 'false'",
    ),
    (
        "Source without Key or Prefix",
        {"Source": {"Bucket": SOURCE_BUCKET}},
        "property Source must have exactly one of Key or Prefix",
    ),
    (
        "Source with Key and Prefix",
        {"Source": {"Bucket": SOURCE_BUCKET, "Key": ASSET_KEY, "Prefix": "assets/"}},
        "property Source must have exactly one of Key or Prefix",
    ),
    (
        "Tags not a map",
        {"Tags": "ticket=PRIV-1"},
        "property Tags must map tag keys to string values",
    ),
    (
        "51 tags",
        {"Tags": {f"k{i}": "v" for i in range(51)}},
        "invalid property: Tags: 51 tags given, at most 50 are allowed per Personalize resource",
    ),
    (
        "RequestName with a trailing newline",
        {"RequestName": "gdpr-2026-11\n"},
        "invalid property RequestName: request name 'gdpr-2026-11\\n' must start with a letter "
        "or digit and contain only letters, digits, '-' and '_' (job name pattern "
        "^[a-zA-Z0-9][a-zA-Z0-9\\-_]*)",
    ),
    (
        "JobNamePrefix with a trailing newline",
        {"JobNamePrefix": "pdd\n"},
        "invalid property JobNamePrefix: job_name_prefix 'pdd\\n' is invalid: use 1-16 "
        "letters, digits or '-', starting with a letter or digit",
    ),
    (
        "Bucket with a trailing newline",
        {"Bucket": "pdd-staging-bucket\n"},
        "property Bucket 'pdd-staging-bucket\\n' is not an S3 bucket name",
    ),
    (
        "DatasetGroupArn without an account",
        {"DatasetGroupArn": "arn:aws:personalize:us-east-1::dataset-group/example"},
        "invalid property: DatasetGroupArn: 'arn:aws:personalize:us-east-1::dataset-group/"
        "example' is not a dataset group ARN (expected arn:<partition>:personalize:<region>:"
        "<12-digit account>:dataset-group/<name>, at most 256 characters)",
    ),
    (
        "MaxInputBytes above Personalize's limit",
        {"MaxInputBytes": "100000001"},
        "property MaxInputBytes 100000001 exceeds Personalize's input limit of 100000000 bytes",
    ),
    (
        "tag value with a reserved prefix",
        {"Tags": {"owner": "aws:team"}},
        "invalid property: Tags: tag value 'aws:team' uses the reserved prefix 'aws:'",
    ),
    (
        "Preflight not a boolean",
        {"Preflight": "off"},
        "property Preflight 'off' must be 'true' or 'false'",
    ),
    (
        "FollowUp without the pre-flight",
        {"FollowUp": "true", "Preflight": "false"},
        "property FollowUp 'true' needs the pre-flight: only its check finds imports or "
        "trainings that started during the job; remove Preflight 'false'",
    ),
    (
        "Retrain of an unknown kind",
        {"Retrain": "SOME"},
        "property Retrain 'SOME' must be one of NONE, ALL, LIST",
    ),
    (
        "Retrain LIST without solutions",
        {"Retrain": "LIST"},
        "property RetrainSolutions lists the solutions to retrain with Retrain LIST, and only then",
    ),
    (
        "RetrainSolutions naming a campaign",
        {"Retrain": "LIST", "RetrainSolutions": [f"{GROUP.split(':dataset-group')[0]}:campaign/x"]},
        "property RetrainSolutions: 'arn:aws:personalize:us-east-1:123456789012:campaign/x' is "
        "not a solution ARN",
    ),
    (
        "RetrainSolutions in another region",
        {
            "Retrain": "LIST",
            "RetrainSolutions": ["arn:aws:personalize:eu-west-1:123456789012:solution/x"],
        },
        "property RetrainSolutions: 'arn:aws:personalize:eu-west-1:123456789012:solution/x' is "
        "not in the dataset group's account and region",
    ),
]


@pytest.mark.parametrize(
    ("change", "reason"),
    [pytest.param(change, reason, id=label) for label, change, reason in BAD_PROPERTIES],
)
@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_malformed_property_fails_before_any_call(
    world: World, request_type: str, change: dict, reason: str
) -> None:
    # GIVEN properties with one malformed value
    props = {k: v for k, v in {**properties(), **change}.items() if v is not None}
    event = cfn_event(
        request_type,
        props,
        physical_id=JOB if request_type == "Update" else None,
        old=properties() if request_type == "Update" else None,
    )

    # WHEN onEvent runs
    outcome = play(event, world)

    # THEN the resource fails with a reason naming the property; nothing was called
    assert outcome.reason == reason
    assert world.double.calls == []
    assert world.s3_calls == []


# ------------------------------------------------------------------ 11. rejected lists


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            b"user_id\nuser-alpha-7f3\n",
            f"request gdpr-2026-11: deletion list rejected, no job started: {ASSET_KEY}: line "
            "1: [header] the header must be exactly USER_ID (one column, upper case). Fix: "
            "make line 1 of every CSV part exactly USER_ID.",
            id="lower-case header",
        ),
        pytest.param(
            b"USER_ID\nuser-alpha-7f3\nuser-zeta-x1,user-delta-5e8\n",
            f"request gdpr-2026-11: deletion list rejected, no job started: {ASSET_KEY}: line "
            "3: [forbidden-character] character 13 of the id is a comma; ids must be a single "
            "unquoted CSV field without control characters. Fix: remove the character, or "
            "fix the export that produced the file (one id per line, no quoting, no extra "
            "columns).",
            id="comma in a line",
        ),
    ],
)
def test_rejected_list_starts_nothing_and_leaks_no_id(
    world: World, caplog, body: bytes, reason: str
) -> None:
    debug_logs(caplog)
    # GIVEN an asset that breaks a format rule
    world.put_source(ASSET_KEY, body)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN it fails with the line number, before any Personalize call or staged object
    assert outcome.reason == reason
    assert world.double.calls == []
    assert world.s3_calls == ["GetObject"]
    assert world.keys() == []
    # AND no id (nor the offending line) appears in the reason or any log record
    assert "user_id" not in outcome.reason
    assert_no_user_ids(caplog, outcome.reason)


# ------------------------------------------------------------------- 12. prefix source


def test_prefix_source_stages_one_deduplicated_list(world: World, caplog) -> None:
    debug_logs(caplog)
    # GIVEN a folder with two CSV parts sharing an id, and a folder marker (other files are
    # refused: see test_faults.py)
    part_1 = b"USER_ID\nuser-alpha-7f3\nuser-beta-91c\n"
    part_2 = b"USER_ID\nuser-beta-91c\nuser-gamma-0d2\n"
    world.put_source("folder/part-1.csv", part_1)
    world.put_source("folder/part-2.csv", part_2)
    world.put_source("folder/", b"")
    world.services.scopes = support.KEEPING_SCOPES
    props = properties(
        Source={"Bucket": SOURCE_BUCKET, "Prefix": "folder/"}, PurgeStagedInput="false"
    )

    # WHEN the request is created
    outcome = play(cfn_event("Create", props), world)

    # THEN one canonical list holds each id once, and the job is named after it
    canonical = canonical_bytes(part_1, part_2)
    content_sha = hashlib.sha256(canonical).hexdigest()
    job = world.double.calls_for(CREATE)[0].body["jobName"]
    assert job == expected_job_name(USERS_CSV)  # same 3 distinct ids as the asset
    assert outcome.data == completed(job)
    assert world.read(f"staging/{job}/users.csv") == canonical
    assert sorted(canonical.split(b"\n")) == [
        b"",
        b"USER_ID",
        b"user-alpha-7f3",
        b"user-beta-91c",
        b"user-gamma-0d2",
    ]
    assert world.receipt(job)["input"] == {
        "parts": 2,
        "bytes_read": len(part_1) + len(part_2),
        "ids_received": 4,
        "blank_lines": 0,
        "duplicate_ids": 1,
        "ids_staged": 3,
        "sha256": content_sha,
        "sourceIdentity": source_identity(parse_request(props)),
    }
    assert world.s3_calls[:3] == ["ListObjectsV2", "GetObject", "GetObject"]
    assert_no_user_ids(caplog, outcome.data, world.receipt(job))


# --------------------------------------------------------------------- handlers wiring


@pytest.mark.parametrize("value", [None, "", "36h", "-5"])
def test_an_entry_point_without_the_tracking_limit_refuses_to_guess(
    value: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a function environment with no usable TRACKING_TIMEOUT_SECONDS (the tracker's step
    # once lacked it and silently used 36 hours, whatever the tracker was built for)
    monkeypatch.setenv("DELETION_SCOPES", json.dumps(support.SCOPES.to_json()))
    if value is None:
        monkeypatch.delenv("TRACKING_TIMEOUT_SECONDS", raising=False)
    else:
        monkeypatch.setenv("TRACKING_TIMEOUT_SECONDS", value)
    handlers.services.cache_clear()
    try:
        # WHEN an entry point builds its services
        with pytest.raises(RuntimeError) as caught:
            handlers.services()
    finally:
        handlers.services.cache_clear()
    # THEN it fails, naming the variable and who sets it
    assert str(caught.value) == (
        "the function's environment has no whole number of seconds in TRACKING_TIMEOUT_SECONDS "
        f"({value or ''!r}): deploy it with the PersonalizeDataDeletion construct, which sets "
        "the tracker's tracking_timeout there"
    )


def test_handlers_run_end_to_end_with_endpoint_env_vars(
    world: World, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the Lambda entry points configured only through environment variables
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", world.double.endpoint_url)
    for service in ("S3", "EVENTBRIDGE", "SFN"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto_endpoint)
    monkeypatch.setenv("TRACKER_STATE_MACHINE_ARN", TRACKER_ARN)
    monkeypatch.setenv("DELETION_SCOPES", json.dumps(support.SCOPES.to_json()))
    monkeypatch.setenv("TRACKING_TIMEOUT_SECONDS", str(support.TRACKING_TIMEOUT))
    handlers.services.cache_clear()
    try:
        # WHEN the framework drives a Create and then a Delete through the handlers
        created = play(
            cfn_event("Create", properties()),
            world,
            on_event=handlers.on_event,
            is_complete=handlers.is_complete,
        )
        deleted = play(
            cfn_event("Delete", properties(), physical_id=JOB),
            world,
            on_event=handlers.on_event,
            is_complete=handlers.is_complete,
        )
    finally:
        handlers.services.cache_clear()

    # THEN the job completed through the double, the receipt landed in moto's S3 and the
    # event on moto's EventBridge
    assert created.data == completed()
    assert deleted.physical_id == JOB
    assert list(world.double.jobs) == [JOB]
    assert world.keys() == [f"receipts/{JOB}.json"]
    assert json.loads(world.read(f"receipts/{JOB}.json"))["status"] == "COMPLETED"
    assert [event["status"] for event in world.events()] == ["COMPLETED"]
    # AND the handlers' tracker client reaches moto's Step Functions
    assert (
        handlers.services().tracker.client.list_executions(stateMachineArn=TRACKER_ARN)[
            "executions"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("body", "max_bytes", "where"),
    [
        pytest.param(b"", "100000000", "[empty]", id="empty file"),
        pytest.param(b"USER_ID\n", "100000000", "[no-ids]", id="header only"),
        pytest.param(b"USER_ID\n\n\n", "100000000", "[no-ids]", id="only blank lines"),
        pytest.param(b"USER_ID,EMAIL\nu-1,x\n", "100000000", "line 1: [header]", id="2 columns"),
        pytest.param(
            b'USER_ID\n"u-1"\n', "100000000", "line 2: [forbidden-character]", id="quoted id"
        ),
        pytest.param(
            b"USER_ID\nu-1\nu\t2\n", "100000000", "line 3: [forbidden-character]", id="tab"
        ),
        pytest.param(
            b"USER_ID\nu-1\n" + b"x" * 257 + b"\n",
            "100000000",
            "line 3: [id-too-long]",
            id="257-char id",
        ),
        pytest.param(
            b"USER_ID\nu-1\nu-\xff\n", "100000000", "line 3: [encoding]", id="invalid UTF-8"
        ),
        pytest.param(b"USER_ID\nu-1\nu-2\n", "15", "[size-limit]", id="one byte over limit"),
    ],
)
def test_every_kind_of_rejected_list_starts_no_job(
    world: World, body: bytes, max_bytes: str, where: str
) -> None:
    # GIVEN an asset that breaks a rule (or the request's MaxInputBytes)
    world.put_source(ASSET_KEY, body)

    # WHEN the request is created
    outcome = play(cfn_event("Create", properties(MaxInputBytes=max_bytes)), world)

    # THEN it fails naming the rule (and line), and neither a job nor a staged copy exists
    assert outcome.reason.startswith(
        f"request gdpr-2026-11: deletion list rejected, no job started: {ASSET_KEY}: "
    )
    assert where in outcome.reason
    assert world.double.calls == []
    assert world.keys() == []


def test_list_exactly_at_the_size_limit_is_accepted(world: World) -> None:
    # GIVEN a 16-byte list and MaxInputBytes "16"
    body = b"USER_ID\nu-1\nu-2\n"
    assert len(body) == 16
    world.put_source(ASSET_KEY, body)

    # WHEN the request is created THEN one job runs to completion
    outcome = play(cfn_event("Create", properties(MaxInputBytes="16")), world)
    assert outcome.data is not None and outcome.data["Status"] == "COMPLETED"
    assert len(world.double.jobs) == 1
