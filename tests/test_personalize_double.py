"""Tests for the local Personalize data deletion double.

Everything goes through a real boto3 client (or raw HTTP where boto3's client-side
validation would stop a bad request), so the double is checked against botocore's actual
serializer, error parser and retry policy rather than against itself.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError
from botocore.retries.standard import ExponentialBackoff
from personalize_deletion_local.personalize_double import (
    SCENARIO_FAILURE_REASON,
    PersonalizeDouble,
    RecordedCall,
)

pytestmark = pytest.mark.wire

T0 = 1_700_000_000.0
ACCOUNT = "123456789012"
GROUP = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-group/movies"
OTHER_GROUP = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-group/books"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/PersonalizeDeletion"
LOCATION = "s3://bucket/deletions/users.csv"
CREATE = "CreateDataDeletionJob"
DESCRIBE = "DescribeDataDeletionJob"
LIST = "ListDataDeletionJobs"


def job_arn(name: str) -> str:
    return f"arn:aws:personalize:us-east-1:{ACCOUNT}:data-deletion-job/{name}"


def at(seconds_after_t0: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(T0 + seconds_after_t0, dt.UTC)


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL_PERSONALIZE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries still happen, but without wall-clock sleeps (throttling backoff is ~1 s)."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture
def double() -> Any:
    with PersonalizeDouble(
        start_time=T0, pending_seconds=10, run_seconds=50, dataset_group_arns=[GROUP]
    ) as running:
        yield running


def make_client(double: PersonalizeDouble, mode: str = "standard", attempts: int = 3) -> Any:
    return boto3.client(
        "personalize",
        endpoint_url=double.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"mode": mode, "max_attempts": attempts}),
    )


@pytest.fixture
def client(double: PersonalizeDouble) -> Any:
    return make_client(double)


def create(client: Any, name: str, group: str = GROUP, **extra: Any) -> str:
    return client.create_data_deletion_job(
        jobName=name,
        datasetGroupArn=group,
        dataSource={"dataLocation": LOCATION},
        roleArn=ROLE,
        **extra,
    )["dataDeletionJobArn"]


def describe(client: Any, arn: str) -> dict[str, Any]:
    return client.describe_data_deletion_job(dataDeletionJobArn=arn)["dataDeletionJob"]


def raw_post(double: PersonalizeDouble, target: str, body: bytes) -> tuple[int, dict, str]:
    request = urllib.request.Request(
        double.endpoint_url + "/",
        data=body,
        method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["Content-Type"]


def valid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jobName": "raw-job",
        "datasetGroupArn": GROUP,
        "dataSource": {"dataLocation": LOCATION},
        "roleArn": ROLE,
    }
    body.update(overrides)
    return body


# ------------------------------------------------------------------- create/describe


def test_create_records_exact_payload_and_describe_returns_model_members(double, client):
    # GIVEN a dataset group that exists
    # WHEN a job is created with one tag and described immediately
    arn = create(client, "delete-2024-01", tags=[{"tagKey": "team", "tagValue": "ml"}])
    job = describe(client, arn)

    # THEN the ARN follows the service format and the payload arrived unchanged
    assert arn == job_arn("delete-2024-01")
    assert double.calls_for(CREATE) == [
        RecordedCall(
            operation=CREATE,
            body={
                "jobName": "delete-2024-01",
                "datasetGroupArn": GROUP,
                "dataSource": {"dataLocation": LOCATION},
                "roleArn": ROLE,
                "tags": [{"tagKey": "team", "tagValue": "ml"}],
            },
            status=200,
            error_code=None,
            double_time=T0,
        )
    ]
    # AND the description has exactly the DataDeletionJob members relevant to PENDING
    assert job == {
        "jobName": "delete-2024-01",
        "dataDeletionJobArn": arn,
        "datasetGroupArn": GROUP,
        "dataSource": {"dataLocation": LOCATION},
        "roleArn": ROLE,
        "status": "PENDING",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(0),
    }
    assert double.jobs["delete-2024-01"].tags == ({"tagKey": "team", "tagValue": "ml"},)


def test_describe_unknown_arn_is_resource_not_found(client):
    # GIVEN no jobs WHEN an unknown job ARN is described
    with pytest.raises(ClientError, match="Could not find the data deletion job") as exc:
        describe(client, job_arn("ghost"))
    # THEN the modeled error code is returned
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_duplicate_job_name_is_resource_already_exists(double, client):
    # GIVEN an existing job
    create(client, "dup")
    # WHEN a second job with the same name is created (even on another dataset group)
    double.add_dataset_group(OTHER_GROUP)
    with pytest.raises(ClientError, match="name dup already exists") as exc:
        create(client, "dup", group=OTHER_GROUP)
    # THEN it is rejected once, not retried, and no job is added
    assert exc.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert [call.status for call in double.calls_for(CREATE)] == [200, 400]
    assert list(double.jobs) == ["dup"]


def test_unknown_dataset_group_is_resource_not_found(double, client):
    # GIVEN a dataset group ARN the double does not know
    missing = f"arn:aws:personalize:us-east-1:{ACCOUNT}:dataset-group/missing"
    # WHEN a job is created against it
    with pytest.raises(ClientError) as exc:
        create(client, "j", group=missing)
    # THEN ResourceNotFoundException names the group
    assert exc.value.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": f"Could not find the dataset group {missing}.",
    }
    assert double.jobs == {}


# ------------------------------------------------------------------------- lifecycle


def test_status_follows_double_time_not_wall_time(double, client):
    # GIVEN a job created at T0 with 10 s pending and 50 s running, numDeleted computed
    double.num_deleted = lambda job: len(job.data_location)
    arn = create(client, "life")

    # WHEN double time moves just short of / onto each boundary
    double.advance(9.5)
    assert describe(client, arn)["status"] == "PENDING"
    double.advance(0.5)
    in_progress = describe(client, arn)
    double.advance(49.9)
    still_running = describe(client, arn)["status"]
    double.advance(0.1)
    done = describe(client, arn)

    # THEN the transitions happen exactly at 10 s and 60 s
    assert in_progress["status"] == "IN_PROGRESS"
    assert in_progress["lastUpdatedDateTime"] == at(10)
    assert "numDeleted" not in in_progress
    assert still_running == "IN_PROGRESS"
    assert done["status"] == "COMPLETED"
    assert done["lastUpdatedDateTime"] == at(60)
    assert done["numDeleted"] == len(LOCATION)
    assert "failureReason" not in done


def test_seconds_per_describe_compresses_time_for_polling(client, double):
    # GIVEN every Describe advances double time by 15 s
    double.seconds_per_describe = 15
    arn = create(client, "poll")
    # WHEN a caller polls until a terminal status
    statuses = []
    while not statuses or statuses[-1] not in ("COMPLETED", "FAILED"):
        statuses.append(describe(client, arn)["status"])
    # THEN the sequence is deterministic: 15 s PENDING, 30-45 s IN_PROGRESS, 60 s done
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert double.now == T0 + 60
    assert len(double.calls_for(DESCRIBE)) == 4


def test_fail_next_jobs_ends_failed_with_reason(double, client):
    # GIVEN the next job is scripted to fail
    double.fail_next_jobs("Access Denied for s3://bucket", count=1)
    failing = create(client, "will-fail")
    succeeding = create(client, "will-pass")
    # WHEN both reach their terminal status
    double.advance(60)
    # THEN only the first failed, with failureReason in Describe and List
    failed = describe(client, failing)
    assert failed["status"] == "FAILED"
    assert failed["failureReason"] == "Access Denied for s3://bucket"
    assert "numDeleted" not in failed
    assert describe(client, succeeding)["numDeleted"] == 0
    summaries = client.list_data_deletion_jobs()["dataDeletionJobs"]
    assert [(s["jobName"], s["status"], s.get("failureReason")) for s in summaries] == [
        ("will-pass", "COMPLETED", None),
        ("will-fail", "FAILED", "Access Denied for s3://bucket"),
    ]


def test_fail_job_targets_one_running_job(double, client):
    # GIVEN a running job
    arn = create(client, "target")
    double.advance(20)
    # WHEN it is scripted to fail mid-run
    double.fail_job("target", "Internal error")
    double.advance(40)
    # THEN it ends FAILED, and scripting a terminal job is refused
    assert describe(client, arn)["failureReason"] == "Internal error"
    with pytest.raises(ValueError, match="terminal"):
        double.fail_job("target", "again")


def test_at_most_five_pending_jobs_per_dataset_group(double, client):
    # GIVEN five PENDING jobs on one dataset group and another empty group
    double.add_dataset_group(OTHER_GROUP)
    for index in range(5):
        create(client, f"p{index}")
    double.reset_calls()

    # WHEN a sixth is created on the same group
    with pytest.raises(ClientError, match="already has 5 data deletion jobs in PENDING") as exc:
        create(client, "p5")

    # THEN LimitExceededException is returned - and boto3's standard mode, which treats
    # that code as throttling, retried it: max_attempts=3 counts *retries*, so 4 requests
    assert exc.value.response["Error"]["Code"] == "LimitExceededException"
    assert exc.value.response["ResponseMetadata"]["RetryAttempts"] == 3
    assert [call.error_code for call in double.calls_for(CREATE)] == ["LimitExceededException"] * 4
    # AND the other group is unaffected, and the limit lifts once the jobs start
    create(client, "other", group=OTHER_GROUP)
    double.advance(10)
    create(client, "p5")
    assert double.jobs["p5"].status == "PENDING"


# ---------------------------------------------------------------- faults / retries


def test_injected_throttling_is_retried_by_standard_mode(double, client):
    # GIVEN two throttling responses queued for Create
    double.inject(CREATE, error="LimitExceededException", times=2)
    # WHEN one create is issued with standard retries (3 attempts)
    response = client.create_data_deletion_job(
        jobName="t", datasetGroupArn=GROUP, dataSource={"dataLocation": LOCATION}, roleArn=ROLE
    )
    # THEN the third attempt succeeds and the double saw exactly three identical requests
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    calls = double.calls_for(CREATE)
    assert [(c.status, c.error_code) for c in calls] == [
        (400, "LimitExceededException"),
        (400, "LimitExceededException"),
        (200, None),
    ]
    assert calls[0].body == calls[2].body
    assert list(double.jobs) == ["t"]


def test_throttling_storm_exhausts_attempts(double, client):
    # GIVEN more throttles than attempts
    double.inject(CREATE, error="LimitExceededException", times=5, message="Rate exceeded")
    # WHEN creating
    with pytest.raises(ClientError, match="Rate exceeded") as exc:
        create(client, "storm")
    # THEN the client gives up after 4 requests (max_attempts=3 in the retries config counts
    # retries; total_max_attempts counts all requests) and 1 fault remains queued
    assert exc.value.response["Error"]["Code"] == "LimitExceededException"
    assert len(double.calls_for(CREATE)) == 4
    assert double.jobs == {}
    # AND the next create absorbs the last fault and succeeds on its second attempt
    assert create(client, "storm") == job_arn("storm")
    assert [c.status for c in double.calls_for(CREATE)] == [400, 400, 400, 400, 400, 200]


@pytest.mark.parametrize(
    ("error", "status"), [("InternalServerError", 500), ("ServiceUnavailable", 503)]
)
def test_server_errors_are_retried_then_succeed(double, client, error, status):
    # GIVEN one server-side failure queued for Describe
    arn = create(client, "srv")
    double.inject(DESCRIBE, error=error, times=1)
    # WHEN describing
    job = describe(client, arn)
    # THEN boto3 retried once and the double recorded the 5xx then the 200
    assert job["status"] == "PENDING"
    assert [(c.status, c.error_code) for c in double.calls_for(DESCRIBE)] == [
        (status, error),
        (200, None),
    ]


def test_busy_dataset_group_is_resource_in_use_and_not_retried(double, client):
    # GIVEN an import running on the dataset group
    double.set_dataset_group_busy(GROUP, busy=True)
    # WHEN creating a job
    with pytest.raises(ClientError, match="a dataset import job is in progress") as exc:
        create(client, "busy")
    # THEN ResourceInUseException is not retried by boto3
    assert exc.value.response["Error"]["Code"] == "ResourceInUseException"
    assert len(double.calls_for(CREATE)) == 1
    # AND once cleared the same create succeeds
    double.set_dataset_group_busy(GROUP, busy=False)
    assert create(client, "busy") == job_arn("busy")


def test_inject_any_operation_and_custom_status(double, client):
    # GIVEN a fault for any operation with an explicit 429 status
    double.inject(None, error="TooManyRequestsException", times=1)
    # WHEN listing
    result = client.list_data_deletion_jobs()
    # THEN the 429 was retried as throttling and the list succeeded
    assert result["dataDeletionJobs"] == []
    assert [c.status for c in double.calls] == [429, 200]


# --------------------------------------------------------------------- validation


def test_too_many_tags(double, client):
    # GIVEN 51 tags: the API's list type allows 200, a Personalize resource carries at most 50
    tags = [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(51)]
    # WHEN creating
    with pytest.raises(ClientError, match=r"number of tags \(51\) exceeds the limit of 50") as e:
        create(client, "tagged", tags=tags)
    # THEN TooManyTagsException, while exactly 50 tags are accepted
    assert e.value.response["Error"]["Code"] == "TooManyTagsException"
    assert create(client, "tagged", tags=tags[:50]) == job_arn("tagged")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "-leading-dash",
            "1 validation error detected: Value '-leading-dash' at 'jobName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*",
        ),
        (
            "a" * 64,
            f"1 validation error detected: Value '{'a' * 64}' at 'jobName' failed to "
            "satisfy constraint: Member must have length less than or equal to 63",
        ),
    ],
)
def test_job_name_model_constraints(double, client, name, message):
    # GIVEN a job name boto3 lets through but the model forbids
    # WHEN creating
    with pytest.raises(ClientError) as exc:
        create(client, name)
    # THEN the server answers InvalidInputException naming the member and rule, no retry
    assert exc.value.response["Error"] == {"Code": "InvalidInputException", "Message": message}
    assert len(double.calls) == 1
    # AND a 63-character name is fine
    assert create(client, "a" * 63) == job_arn("a" * 63)


def test_role_arn_and_max_results_constraints(client):
    # GIVEN a role ARN without a 12-digit account WHEN creating THEN pattern violation
    with pytest.raises(ClientError, match=r"at 'roleArn' failed .*iam::\\d\{12\}") as exc:
        client.create_data_deletion_job(
            jobName="j",
            datasetGroupArn=GROUP,
            dataSource={"dataLocation": LOCATION},
            roleArn="arn:aws:iam::123:role/x",
        )
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    # GIVEN maxResults above the model max WHEN listing THEN range violation
    with pytest.raises(ClientError, match="Member must have value less than or equal to 100"):
        client.list_data_deletion_jobs(maxResults=101)


def test_raw_missing_required_member(double):
    # GIVEN a raw request without roleArn WHEN posted
    body = valid_body()
    del body["roleArn"]
    status, payload, content_type = raw_post(
        double, "AmazonPersonalize.CreateDataDeletionJob", json.dumps(body).encode()
    )
    # THEN the awsJson error shape names the missing member
    assert (status, content_type) == (400, "application/x-amz-json-1.1")
    assert payload == {
        "__type": "InvalidInputException",
        "message": "1 validation error detected: Value null at 'roleArn' failed to satisfy "
        "constraint: Member must not be null",
    }
    assert double.calls[0].error_code == "InvalidInputException"


def test_raw_nested_violations_are_all_reported(double):
    # GIVEN bad nested members: data location scheme, tag without value, unknown member
    body = valid_body(
        dataSource={"dataLocation": "ftp://x"},
        tags=[{"tagKey": "ok", "tagValue": "fine"}, {"tagKey": "bad!"}],
        extra=1,
    )
    # WHEN posted
    status, payload, _ = raw_post(
        double, "AmazonPersonalize.CreateDataDeletionJob", json.dumps(body).encode()
    )
    # THEN every violation appears with its member path (sensitive tag values redacted)
    assert status == 400
    assert payload["message"] == (
        "4 validation errors detected: "
        "Value 'ftp://x' at 'dataSource.dataLocation' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (s3|http|https)://.+; "
        "Value null at 'tags.2.member.tagValue' failed to satisfy constraint: "
        "Member must not be null; "
        "Value '*** Sensitive Data Redacted ***' at 'tags.2.member.tagKey' failed to "
        r"satisfy constraint: Member must satisfy regular expression pattern: "
        r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$; "
        "Unknown member 'extra' is not defined in CreateDataDeletionJobRequest"
    )
    assert double.jobs == {}


def test_raw_unknown_operation_and_malformed_json(double):
    # GIVEN an unsupported target and a non-JSON body
    unknown = raw_post(double, "AmazonPersonalize.CreateDatasetGroup", b"{}")
    malformed = raw_post(double, "AmazonPersonalize.ListDataDeletionJobs", b"{nope")
    # THEN both are 400s with botocore-parsable __type values
    assert unknown[0] == 400
    assert unknown[1]["__type"] == "UnknownOperationException"
    assert malformed[:2] == (
        400,
        {"__type": "SerializationException", "message": "Request body must be a JSON object"},
    )


# --------------------------------------------------------------------------- list


def test_pagination_over_more_than_one_hundred_jobs(double, client):
    # GIVEN 205 jobs on one group and 3 on another (jobs start immediately)
    double.pending_seconds = 0
    double.add_dataset_group(OTHER_GROUP)
    for index in range(205):
        create(client, f"job-{index:03d}")
        double.advance(1)
    for index in range(3):
        create(client, f"other-{index}", group=OTHER_GROUP)

    # WHEN paging through the first group with the default page size
    pages, token = [], None
    while True:
        kwargs = {"datasetGroupArn": GROUP, **({"nextToken": token} if token else {})}
        response = client.list_data_deletion_jobs(**kwargs)
        pages.append([s["jobName"] for s in response["dataDeletionJobs"]])
        token = response.get("nextToken")
        if token is None:
            break

    # THEN pages are 100/100/5, newest first, with no duplicates or gaps
    assert [len(page) for page in pages] == [100, 100, 5]
    names = [name for page in pages for name in page]
    assert names == [f"job-{index:03d}" for index in reversed(range(205))]
    # AND maxResults and the unfiltered listing work
    small = client.list_data_deletion_jobs(maxResults=2)
    assert [s["jobName"] for s in small["dataDeletionJobs"]] == ["other-2", "other-1"]
    assert set(small["dataDeletionJobs"][0]) == {
        "dataDeletionJobArn",
        "datasetGroupArn",
        "jobName",
        "status",
        "creationDateTime",
        "lastUpdatedDateTime",
    }
    assert double.calls_for(LIST)[0].body == {"datasetGroupArn": GROUP}


def test_invalid_next_token(double, client):
    # GIVEN a valid token for one filter
    double.pending_seconds = 0
    for index in range(3):
        create(client, f"j{index}")
    token = client.list_data_deletion_jobs(maxResults=1)["nextToken"]
    # WHEN it is garbled or reused with another filter
    for kwargs in ({"nextToken": "not-a-token"}, {"nextToken": token, "datasetGroupArn": GROUP}):
        with pytest.raises(ClientError, match="The next token is invalid") as exc:
            client.list_data_deletion_jobs(**kwargs)
        # THEN InvalidNextTokenException
        assert exc.value.response["Error"]["Code"] == "InvalidNextTokenException"


# ------------------------------------------------------------- scenarios / lifecycle


def test_scenarios():
    # GIVEN each rehearsal scenario WHEN a job is created and polled to the end
    outcomes = {}
    for name in ("success", "failed", "throttled"):
        with PersonalizeDouble.from_scenario(name, start_time=T0) as scenario:
            scenario.add_dataset_group(GROUP)
            scenario_client = make_client(scenario)
            arn = create(scenario_client, "rehearsal")
            polls = 0
            while (job := describe(scenario_client, arn))["status"] not in ("COMPLETED", "FAILED"):
                polls += 1
            outcomes[name] = (job["status"], job.get("failureReason"), polls)
            create_attempts = len(scenario.calls_for(CREATE))
    # THEN success/throttled complete after 4 polls, failed fails, throttled took 3 tries
    assert outcomes == {
        "success": ("COMPLETED", None, 4),
        "failed": ("FAILED", SCENARIO_FAILURE_REASON, 4),
        "throttled": ("COMPLETED", None, 4),
    }
    assert create_attempts == 3
    slow = PersonalizeDouble.from_scenario("slow")
    assert slow.run_seconds > 3600
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        PersonalizeDouble.from_scenario("nope")


def test_a_request_scenario_applies_to_that_requests_jobs_only(double, client):
    # GIVEN request "a" fails, request "b" is throttled twice, request "c" is queued 2 hours
    double.set_request_scenario("pdd-a-", "failed")
    double.set_request_scenario("pdd-b-", "throttled")
    double.set_request_scenario("pdd-c-", "queued")

    # WHEN each request's job is created (and an unrelated one, "d")
    jobs = {name: create(client, f"pdd-{name}-0123") for name in ("a", "b", "d")}
    with pytest.raises(ClientError) as queued:
        create(client, "pdd-c-0123")
    double.advance(2 * 3600)
    jobs["c"] = create(client, "pdd-c-0123")
    double.advance(60)

    # THEN "a" failed with the scenario's reason; "b" needed three attempts; "c" was refused
    # while its group was in use; "d" followed the double's own timing (10 s + 50 s)
    statuses = {name: describe(client, arn)["status"] for name, arn in jobs.items()}
    assert statuses == {"a": "FAILED", "b": "COMPLETED", "d": "COMPLETED", "c": "IN_PROGRESS"}
    assert describe(client, jobs["a"])["failureReason"] == SCENARIO_FAILURE_REASON
    creates = [(call.body["jobName"], call.error_code) for call in double.calls_for(CREATE)]
    assert creates == [
        ("pdd-a-0123", None),
        ("pdd-b-0123", "LimitExceededException"),
        ("pdd-b-0123", "LimitExceededException"),
        ("pdd-b-0123", None),
        ("pdd-d-0123", None),
        ("pdd-c-0123", "ResourceInUseException"),
        ("pdd-c-0123", None),
    ]
    assert queued.value.response["Error"]["Message"] == (
        f"Cannot create a data deletion job for dataset group {GROUP} while a dataset import "
        "job is in progress."
    )
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        double.set_request_scenario("pdd-e-", "nope")


def test_endpoint_env_var_and_close(monkeypatch):
    # GIVEN AWS_ENDPOINT_URL_PERSONALIZE pointing at a running double
    with PersonalizeDouble(dataset_group_arns=[GROUP]) as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", running.endpoint_url)
        # WHEN a client is built without endpoint_url
        env_client = boto3.client("personalize", region_name="us-east-1")
        # THEN it talks to the double
        assert env_client.list_data_deletion_jobs()["dataDeletionJobs"] == []
        assert [c.operation for c in running.calls] == [LIST]
    # AND after close the endpoint is gone
    with pytest.raises(RuntimeError, match="not started"):
        _ = running.endpoint_url
