"""Tests for the resources the Personalize double models around a data deletion job.

Datasets, imports, solutions and versions, campaigns, batch jobs and recommenders, as the
pre-flight and the retraining read and create them. Everything goes through a real boto3
client, so the shapes are checked against botocore's own parser and the statuses against
double time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.retries.standard import ExponentialBackoff
from personalize_deletion_local.personalize_double import (
    MODEL_OPERATIONS,
    CampaignUpdateView,
    CampaignView,
    PersonalizeDouble,
    RecordedCall,
)
from personalize_deletion_local.personalize_double.model_setup import JobKind
from personalize_deletion_local.personalize_double.resources import STOPPING_SECONDS

pytestmark = pytest.mark.wire

T0 = 1_700_000_000.0
ACCOUNT = "123456789012"
PREFIX = f"arn:aws:personalize:us-east-1:{ACCOUNT}"
GROUP = f"{PREFIX}:dataset-group/movies"
OTHER_GROUP = f"{PREFIX}:dataset-group/books"
USER_PERSONALIZATION = "arn:aws:personalize:::recipe/aws-user-personalization"
SIMS = "arn:aws:personalize:::recipe/aws-sims"
PENDING, TRAINING, UPDATING = 10.0, 360.0, 30.0


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
        start_time=T0,
        pending_seconds=PENDING,
        run_seconds=50,
        training_seconds=TRAINING,
        campaign_update_seconds=UPDATING,
        dataset_group_arns=[GROUP, OTHER_GROUP],
    ) as running:
        yield running


@pytest.fixture
def client(double: PersonalizeDouble) -> Any:
    return boto3.client(
        "personalize",
        endpoint_url=double.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 3}),
    )


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> dict[str, str]:
    return exc.value.response["Error"]


def model_members(shape_name: str) -> set[str]:
    model = botocore.session.get_session().get_service_model("personalize")
    return set(model.shape_for(shape_name).members)


def describe_version(client: Any, arn: str) -> dict[str, Any]:
    return client.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]


def describe_campaign(client: Any, arn: str) -> dict[str, Any]:
    return client.describe_campaign(campaignArn=arn)["campaign"]


# ----------------------------------------------------------------- datasets / imports


def test_list_datasets_returns_the_groups_datasets_only(double, client):
    # GIVEN two datasets in one group (added 5 s apart) and one in another group
    interactions = double.add_dataset(GROUP, "Interactions")
    double.advance(5)
    items = double.add_dataset(GROUP, "Items", name="catalog")
    double.add_dataset(OTHER_GROUP, "Users")

    # WHEN the first group's datasets are listed
    datasets = client.list_datasets(datasetGroupArn=GROUP)["datasets"]

    # THEN exactly its two DatasetSummary entries come back, newest first, ARNs per type
    assert interactions == f"{PREFIX}:dataset/movies/INTERACTIONS"
    assert datasets == [
        {
            "name": "catalog",
            "datasetArn": items,
            "datasetType": "ITEMS",
            "status": "ACTIVE",
            "creationDateTime": at(5),
            "lastUpdatedDateTime": at(5),
        },
        {
            "name": "movies-interactions",
            "datasetArn": interactions,
            "datasetType": "INTERACTIONS",
            "status": "ACTIVE",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(0),
        },
    ]
    # AND a group without datasets (or unknown to the service) lists nothing
    unknown = f"{PREFIX}:dataset-group/unknown"
    assert client.list_datasets(datasetGroupArn=unknown)["datasets"] == []


def test_import_job_statuses_follow_double_time(double, client):
    # GIVEN an import pending 5 s then running 20 s, and a failing import on another dataset
    interactions = double.add_dataset(GROUP, "Interactions")
    users = double.add_dataset(GROUP, "Users")
    job = double.start_job("dataset-import-job", interactions, "import-1", 20, pending_seconds=5)
    double.start_job(
        "dataset-import-job", users, "users-import", 10, failure_reason="Bad CSV header"
    )

    def summary() -> dict[str, Any]:
        (only,) = client.list_dataset_import_jobs(datasetArn=interactions)["datasetImportJobs"]
        return only

    # WHEN double time moves onto and just short of each boundary
    statuses = [summary()["status"]]
    for step in (4.9, 0.1, 19.9, 0.1):
        double.advance(step)
        statuses.append(summary()["status"])

    # THEN the import is CREATE PENDING until 5 s, CREATE IN_PROGRESS until 25 s, then ACTIVE
    assert statuses == [
        "CREATE PENDING",
        "CREATE PENDING",
        "CREATE IN_PROGRESS",
        "CREATE IN_PROGRESS",
        "ACTIVE",
    ]
    assert summary() == {
        "datasetImportJobArn": f"{PREFIX}:dataset-import-job/import-1",
        "jobName": "import-1",
        "status": "ACTIVE",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(25),
        "importMode": "FULL",
    }
    assert job == f"{PREFIX}:dataset-import-job/import-1"
    # AND the failed import carries its failureReason; unfiltered, the account's imports list
    failed = client.list_dataset_import_jobs(datasetArn=users)["datasetImportJobs"]
    assert [(s["jobName"], s["status"], s.get("failureReason")) for s in failed] == [
        ("users-import", "CREATE FAILED", "Bad CSV header")
    ]
    everything = client.list_dataset_import_jobs()["datasetImportJobs"]
    assert [s["jobName"] for s in everything] == ["users-import", "import-1"]


# ------------------------------------------------------------------ pagination (all lists)


def _datasets(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
    mine = [double.add_dataset(GROUP, kind) for kind in ("Interactions", "Items", "Users")]
    double.add_dataset(OTHER_GROUP, "Interactions")
    return {"datasetGroupArn": GROUP}, {"datasetGroupArn": OTHER_GROUP}, mine


def _imports(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
    dataset = double.add_dataset(GROUP, "Interactions")
    other = double.add_dataset(GROUP, "Items")
    mine = [
        double.start_job("dataset-import-job", dataset, f"import-{index}", 10) for index in range(3)
    ]
    double.start_job("dataset-import-job", other, "items-import", 10)
    return {"datasetArn": dataset}, {"datasetArn": other}, mine


def _solutions(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
    mine = [double.add_solution(GROUP, f"solution-{index}")[0] for index in range(3)]
    double.add_solution(OTHER_GROUP, "books")
    return {"datasetGroupArn": GROUP}, {"datasetGroupArn": OTHER_GROUP}, mine


def _versions(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
    solution, first = double.add_solution(GROUP, "recs")
    other, _ = double.add_solution(GROUP, "other")
    mine = [first, double.start_training(solution, 0), double.start_training(solution, 0)]
    return {"solutionArn": solution}, {"solutionArn": other}, mine


def _campaigns(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
    solution, _ = double.add_solution(GROUP, "recs")
    other, _ = double.add_solution(GROUP, "other")
    mine = [double.add_campaign(solution, f"campaign-{index}") for index in range(3)]
    double.add_campaign(other, "other-campaign")
    return {"solutionArn": solution}, {"solutionArn": other}, mine


def _batch(kind: JobKind) -> Callable[[PersonalizeDouble], tuple[dict, dict, list[str]]]:
    def build(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
        _, version = double.add_solution(GROUP, "recs")
        _, other = double.add_solution(GROUP, "other")
        mine = [double.start_job(kind, version, f"job-{index}", 10) for index in range(3)]
        double.start_job(kind, other, "other-job", 10)
        return {"solutionVersionArn": version}, {"solutionVersionArn": other}, mine

    return build


def _recommenders(double: PersonalizeDouble) -> tuple[dict, dict, list[str]]:
    mine = [double.add_recommender(GROUP, f"recommender-{index}") for index in range(3)]
    double.add_recommender(OTHER_GROUP, "books-recommender")
    return {"datasetGroupArn": GROUP}, {"datasetGroupArn": OTHER_GROUP}, mine


LISTS = [
    ("list_datasets", "datasets", "datasetArn", "DatasetSummary", _datasets),
    (
        "list_dataset_import_jobs",
        "datasetImportJobs",
        "datasetImportJobArn",
        "DatasetImportJobSummary",
        _imports,
    ),
    ("list_solutions", "solutions", "solutionArn", "SolutionSummary", _solutions),
    (
        "list_solution_versions",
        "solutionVersions",
        "solutionVersionArn",
        "SolutionVersionSummary",
        _versions,
    ),
    ("list_campaigns", "campaigns", "campaignArn", "CampaignSummary", _campaigns),
    (
        "list_batch_inference_jobs",
        "batchInferenceJobs",
        "batchInferenceJobArn",
        "BatchInferenceJobSummary",
        _batch("batch-inference-job"),
    ),
    (
        "list_batch_segment_jobs",
        "batchSegmentJobs",
        "batchSegmentJobArn",
        "BatchSegmentJobSummary",
        _batch("batch-segment-job"),
    ),
    ("list_recommenders", "recommenders", "recommenderArn", "RecommenderSummary", _recommenders),
]


@pytest.mark.parametrize(
    ("method", "key", "arn_key", "summary_shape", "build"),
    LISTS,
    ids=[entry[0] for entry in LISTS],
)
def test_every_list_filters_paginates_and_rejects_foreign_tokens(
    double, client, method, key, arn_key, summary_shape, build
):
    # GIVEN three resources under one filter value and one under another, 1 s apart
    double.advance(1)
    mine_filter, other_filter, mine = build(double)
    list_ = getattr(client, method)

    # WHEN the first filter is paged two at a time
    first = list_(**mine_filter, maxResults=2)
    second = list_(**mine_filter, maxResults=2, nextToken=first["nextToken"])

    # THEN pages are 2 + 1, newest first, exactly the filtered resources, then no token
    assert [item[arn_key] for item in first[key]] == [mine[2], mine[1]]
    assert [item[arn_key] for item in second[key]] == [mine[0]]
    assert "nextToken" not in second
    # AND summaries carry only members of the model's summary shape
    for item in first[key] + second[key]:
        assert set(item) <= model_members(summary_shape)
    # AND the other filter value sees only its own resource, unfiltered lists see all four
    assert len(list_(**other_filter)[key]) == 1
    assert len(list_()[key]) == 4
    # AND the token is refused with another filter, another operation or garbled
    for call, kwargs in (
        (list_, {**other_filter, "nextToken": first["nextToken"]}),
        (list_, {"nextToken": first["nextToken"]}),
        (client.list_data_deletion_jobs, {"nextToken": first["nextToken"]}),
        (list_, {**mine_filter, "nextToken": "not-a-token"}),
    ):
        with pytest.raises(ClientError) as exc:
            call(**kwargs)
        assert error_of(exc) == {
            "Code": "InvalidNextTokenException",
            "Message": "The next token is invalid.",
        }


def test_default_page_size_and_maximum_come_from_the_model(double, client):
    # GIVEN 101 batch inference jobs on one solution version
    _, version = double.add_solution(GROUP, "recs")
    for index in range(101):
        double.start_job("batch-inference-job", version, f"job-{index:03d}", 10)

    # WHEN listing without maxResults
    first = client.list_batch_inference_jobs(solutionVersionArn=version)
    rest = client.list_batch_inference_jobs(
        solutionVersionArn=version, nextToken=first["nextToken"]
    )

    # THEN the page size is the model's maximum (100), then the last one
    assert len(first["batchInferenceJobs"]) == 100
    assert [job["jobName"] for job in rest["batchInferenceJobs"]] == ["job-000"]
    # AND above the model's maximum the server answers like for the deletion jobs
    with pytest.raises(ClientError) as exc:
        client.list_batch_inference_jobs(maxResults=101)
    assert error_of(exc) == {
        "Code": "InvalidInputException",
        "Message": "1 validation error detected: Value '101' at 'maxResults' failed to "
        "satisfy constraint: Member must have value less than or equal to 100",
    }


# ------------------------------------------------------------- solutions and versions


def test_describe_solution_and_list_solutions(double, client):
    # GIVEN an auto-training solution in the group and a manual one in another group
    solution, version = double.add_solution(GROUP, "recs", perform_auto_training=True)
    double.add_solution(OTHER_GROUP, "books", recipe_arn=SIMS)
    double.advance(7)

    # WHEN the group's solutions are listed and the solution described
    listed = client.list_solutions(datasetGroupArn=GROUP)["solutions"]
    described = client.describe_solution(solutionArn=solution)["solution"]

    # THEN the SolutionSummary and Solution structures are exact
    assert solution == f"{PREFIX}:solution/recs"
    assert listed == [
        {
            "name": "recs",
            "solutionArn": solution,
            "status": "ACTIVE",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(0),
            "recipeArn": USER_PERSONALIZATION,
        }
    ]
    assert described == {
        "name": "recs",
        "solutionArn": solution,
        "performHPO": False,
        "performAutoML": False,
        "performAutoTraining": True,
        "recipeArn": USER_PERSONALIZATION,
        "datasetGroupArn": GROUP,
        "solutionConfig": {"autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}},
        "status": "ACTIVE",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(0),
        "latestSolutionVersion": {
            "solutionVersionArn": version,
            "status": "ACTIVE",
            "trainingMode": "FULL",
            "trainingType": "MANUAL",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(0),
        },
    }
    # AND the version ARN is the solution ARN plus an 8-hex-digit id
    assert version.startswith(solution + "/")
    assert len(version.rsplit("/", 1)[1]) == 8
    int(version.rsplit("/", 1)[1], 16)


def test_create_solution_version_status_machine(double, client):
    # GIVEN a solution with its initial ACTIVE version
    solution, first = double.add_solution(GROUP, "recs")
    double.reset_calls()

    # WHEN a FULL version is created with a name and a tag
    arn = client.create_solution_version(
        name="after-deletion",
        solutionArn=solution,
        trainingMode="FULL",
        tags=[{"tagKey": "reason", "tagValue": "deletion"}],
    )["solutionVersionArn"]
    states = {}
    for step in (0, 9.9, 0.1, TRAINING - 0.1, 0.1):
        double.advance(step)
        states[round(double.now - T0, 1)] = describe_version(client, arn)["status"]

    # THEN it is CREATE PENDING for pending_seconds, CREATE IN_PROGRESS for training_seconds
    assert states == {
        0.0: "CREATE PENDING",
        9.9: "CREATE PENDING",
        10.0: "CREATE IN_PROGRESS",
        369.9: "CREATE IN_PROGRESS",
        370.0: "ACTIVE",
    }
    # AND the ACTIVE description is exact (trainingHours only once trained)
    assert describe_version(client, arn) == {
        "name": "after-deletion",
        "solutionVersionArn": arn,
        "solutionArn": solution,
        "performHPO": False,
        "performAutoML": False,
        "recipeArn": USER_PERSONALIZATION,
        "datasetGroupArn": GROUP,
        "trainingHours": 0.1,
        "trainingMode": "FULL",
        "status": "ACTIVE",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(370),
        "trainingType": "MANUAL",
    }
    # AND the request arrived unchanged, the listing has both versions, newest first
    assert double.calls_for("CreateSolutionVersion") == [
        RecordedCall(
            operation="CreateSolutionVersion",
            body={
                "name": "after-deletion",
                "solutionArn": solution,
                "trainingMode": "FULL",
                "tags": [{"tagKey": "reason", "tagValue": "deletion"}],
            },
            status=200,
            error_code=None,
            double_time=T0,
        )
    ]
    listed = client.list_solution_versions(solutionArn=solution)["solutionVersions"]
    assert [item["solutionVersionArn"] for item in listed] == [arn, first]
    assert double.solution_versions[arn].tags == ({"tagKey": "reason", "tagValue": "deletion"},)


def test_create_while_a_version_is_in_progress_is_resource_in_use(double, client):
    # GIVEN an automatic training running for 100 s on the solution
    solution, _ = double.add_solution(GROUP, "recs", perform_auto_training=True)
    running = double.start_training(solution, 100, training_mode="AUTOTRAIN", automatic=True)

    # WHEN a new version is requested meanwhile
    with pytest.raises(ClientError) as exc:
        client.create_solution_version(solutionArn=solution, trainingMode="FULL")

    # THEN the documented ResourceInUseException comes back once (boto3 does not retry it)
    assert error_of(exc) == {
        "Code": "ResourceInUseException",
        "Message": f"The solution {solution} already has a solution version in progress "
        f"({running}). Wait until it is ACTIVE, CREATE FAILED or CREATE STOPPED.",
    }
    assert len(double.calls_for("CreateSolutionVersion")) == 1
    # AND once the training is ACTIVE the create succeeds, and itself blocks the next one
    double.advance(100)
    created = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    with pytest.raises(ClientError, match=created) as again:
        client.create_solution_version(solutionArn=solution)
    assert error_of(again)["Code"] == "ResourceInUseException"
    assert double.solution_versions[running].training_type == "AUTOMATIC"
    assert double.solution_versions[created].training_mode == "FULL"


def test_next_created_version_can_be_made_to_fail(double, client):
    # GIVEN the next created version is scripted to fail
    solution, _ = double.add_solution(GROUP, "recs")
    double.fail_next_solution_versions("Insufficient interactions after deletion")

    # WHEN a version is created and trained to its end
    failing = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    double.advance(PENDING + TRAINING - 1)
    still_training = describe_version(client, failing)
    double.advance(1)
    failed = describe_version(client, failing)

    # THEN it ends CREATE FAILED with failureReason (and no trainingHours), in Describe and List
    assert "failureReason" not in still_training
    assert (failed["status"], failed["failureReason"]) == (
        "CREATE FAILED",
        "Insufficient interactions after deletion",
    )
    assert "trainingHours" not in failed
    assert client.list_solution_versions(solutionArn=solution)["solutionVersions"][0] == {
        "solutionVersionArn": failing,
        "status": "CREATE FAILED",
        "trainingMode": "FULL",
        "trainingType": "MANUAL",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(PENDING + TRAINING),
        "failureReason": "Insufficient interactions after deletion",
    }
    # AND the following version succeeds; clear_faults drops unused planned failures
    passing = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    double.fail_next_solution_versions("never used")
    double.clear_faults()
    double.advance(PENDING + TRAINING)
    assert double.solution_versions[passing].status == "ACTIVE"
    later = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    double.advance(PENDING + TRAINING)
    assert double.solution_versions[later].failure_reason is None


def test_the_double_lets_a_training_be_stopped_as_personalize_does(double, client):
    """StopSolutionVersionCreation, as botocore's model documents it: "Stops creating a
    solution version that is in a state of CREATE_PENDING or CREATE IN_PROGRESS ...
    CREATE_PENDING > CREATE_STOPPED or CREATE_IN_PROGRESS > CREATE_STOPPING > CREATE_STOPPED
    ... You cannot resume creating a solution version once it has been stopped"
    (``SolutionVersion.status`` lists ``CREATE STOPPING`` and ``CREATE STOPPED``)."""
    # GIVEN a solution whose new version is training (60 s into its CREATE IN_PROGRESS)
    solution, _ = double.add_solution(GROUP, "recs")
    version = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    double.advance(PENDING + 60)

    # WHEN the team stops it, as the API allows
    answer = client.stop_solution_version_creation(solutionVersionArn=version)

    # THEN it is stopping for STOPPING_SECONDS, then stopped for good: never ACTIVE, even
    # long after its training would have ended, and without trainingHours or failureReason
    assert set(answer) == {"ResponseMetadata"}
    stopping = describe_version(client, version)
    double.advance(STOPPING_SECONDS - 1)
    assert describe_version(client, version)["status"] == "CREATE STOPPING"
    double.advance(1)
    stopped = describe_version(client, version)
    double.advance(2 * TRAINING)
    assert describe_version(client, version) == stopped
    assert (stopping["status"], stopping["lastUpdatedDateTime"]) == ("CREATE STOPPING", at(70))
    assert stopped == {
        "solutionVersionArn": version,
        "solutionArn": solution,
        "performHPO": False,
        "performAutoML": False,
        "recipeArn": USER_PERSONALIZATION,
        "datasetGroupArn": GROUP,
        "trainingMode": "FULL",
        "status": "CREATE STOPPED",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(70 + STOPPING_SECONDS),
        "trainingType": "MANUAL",
    }
    # AND the observation agrees
    assert double.solution_versions[version].status == "CREATE STOPPED"


def test_a_stop_is_refused_unless_the_version_is_pending_or_in_progress(double, client):
    # GIVEN an ACTIVE version, a version in CREATE PENDING and one CREATE STOPPING
    solution, active = double.add_solution(GROUP, "recs")
    pending = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    other, _ = double.add_solution(GROUP, "other")
    stopping = double.start_training(other, TRAINING)
    double.advance(1)
    double.stop_training(stopping)

    # WHEN each is stopped, and an unknown and a malformed ARN
    client.stop_solution_version_creation(solutionVersionArn=pending)
    refused = {}
    for arn in (active, stopping, f"{solution}/0123abcd", "recs"):
        with pytest.raises(ClientError) as exc:
            client.stop_solution_version_creation(solutionVersionArn=arn)
        refused[arn] = error_of(exc)

    # THEN the pending one is CREATE STOPPED at once (CREATE_PENDING > CREATE_STOPPED) and
    # the others are refused with the errors the model lists for the operation
    assert double.solution_versions[pending].status == "CREATE STOPPED"
    assert refused == {
        active: {
            "Code": "InvalidInputException",
            "Message": f"The solution version {active} is ACTIVE: only a solution version in "
            "CREATE PENDING or CREATE IN_PROGRESS can be stopped.",
        },
        stopping: {
            "Code": "InvalidInputException",
            "Message": f"The solution version {stopping} is CREATE STOPPING: only a solution "
            "version in CREATE PENDING or CREATE IN_PROGRESS can be stopped.",
        },
        f"{solution}/0123abcd": {
            "Code": "ResourceNotFoundException",
            "Message": f"Could not find the solution version {solution}/0123abcd.",
        },
        "recs": {
            "Code": "InvalidInputException",
            "Message": "1 validation error detected: Value 'recs' at 'solutionVersionArn' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            r"arn:([a-z\d-]+):personalize:.*:.*:.+",
        },
    }
    # AND a stopping training still runs: the solution cannot train again until it stopped
    with pytest.raises(ClientError) as busy:
        client.create_solution_version(solutionArn=other)
    assert error_of(busy)["Code"] == "ResourceInUseException"
    double.advance(STOPPING_SECONDS)
    assert client.create_solution_version(solutionArn=other)["solutionVersionArn"]
    # AND the set-up call refuses what the API refuses
    with pytest.raises(ValueError, match="is ACTIVE"):
        double.stop_training(active)


def test_bad_training_mode_is_a_model_validation_error(double, client):
    # GIVEN a trainingMode outside the model's enum (boto3 does not check enums)
    solution, _ = double.add_solution(GROUP, "recs")
    # WHEN creating a version with it
    with pytest.raises(ClientError) as exc:
        client.create_solution_version(solutionArn=solution, trainingMode="PARTIAL")
    # THEN the server rejects it like every model violation, creating nothing
    assert error_of(exc) == {
        "Code": "InvalidInputException",
        "Message": "1 validation error detected: Value 'PARTIAL' at 'trainingMode' failed to "
        "satisfy constraint: Member must satisfy enum value set: [FULL, UPDATE, AUTOTRAIN]",
    }
    assert len(double.solution_versions) == 1


def test_update_training_mode_needs_user_personalization_and_a_full_version(double, client):
    # GIVEN a SIMS solution and a User-Personalization one, both with an ACTIVE FULL version
    sims, _ = double.add_solution(GROUP, "similar", recipe_arn=SIMS)
    personalization, _ = double.add_solution(GROUP, "recs")
    # WHEN an UPDATE training is requested on each
    with pytest.raises(ClientError) as exc:
        client.create_solution_version(solutionArn=sims, trainingMode="UPDATE")
    update = client.create_solution_version(solutionArn=personalization, trainingMode="UPDATE")
    # THEN only the User-Personalization solution accepts it
    assert error_of(exc)["Code"] == "InvalidInputException"
    assert "User-Personalization" in error_of(exc)["Message"]
    assert double.solution_versions[update["solutionVersionArn"]].training_mode == "UPDATE"


def test_unknown_solution_duplicate_name_and_unknown_version(double, client):
    # GIVEN a solution whose version "v1" exists
    solution, _ = double.add_solution(GROUP, "recs")
    client.create_solution_version(name="v1", solutionArn=solution)
    double.advance(PENDING + TRAINING)
    ghost = f"{PREFIX}:solution/ghost"

    # WHEN creating a same-named version, or using an unknown solution / version
    with pytest.raises(ClientError) as duplicate:
        client.create_solution_version(name="v1", solutionArn=solution)
    with pytest.raises(ClientError) as unknown:
        client.create_solution_version(solutionArn=ghost)
    with pytest.raises(ClientError) as listing:
        client.list_solution_versions(solutionArn=ghost)
    with pytest.raises(ClientError) as describing:
        describe_version(client, f"{ghost}/0123abcd")

    # THEN the modeled codes come back
    assert error_of(duplicate) == {
        "Code": "ResourceAlreadyExistsException",
        "Message": f"A solution version with the name v1 already exists for {solution}.",
    }
    assert error_of(unknown) == {
        "Code": "ResourceNotFoundException",
        "Message": f"Could not find the solution {ghost}.",
    }
    assert error_of(listing)["Code"] == "ResourceNotFoundException"
    assert error_of(describing) == {
        "Code": "ResourceNotFoundException",
        "Message": f"Could not find the solution version {ghost}/0123abcd.",
    }


# ------------------------------------------------------------------------- campaigns


def test_update_campaign_moves_latest_update_then_the_serving_version(double, client):
    # GIVEN a campaign serving v1 and a retrained, ACTIVE v2 of the same solution
    solution, v1 = double.add_solution(GROUP, "recs")
    campaign = double.add_campaign(solution, "recs-campaign")
    v2 = double.start_training(solution, 100)
    double.advance(100)

    # WHEN the campaign is updated to v2 and followed through the update
    response = client.update_campaign(campaignArn=campaign, solutionVersionArn=v2)
    pending = describe_campaign(client, campaign)
    double.advance(PENDING)
    in_progress = describe_campaign(client, campaign)
    double.advance(UPDATING - 0.1)
    still_old = describe_campaign(client, campaign)["solutionVersionArn"]
    double.advance(0.1)
    done = describe_campaign(client, campaign)

    # THEN the call answers the campaign ARN
    assert response["campaignArn"] == campaign
    # AND the campaign keeps serving v1 while latestCampaignUpdate goes PENDING > IN_PROGRESS
    update = {
        "solutionVersionArn": v2,
        "minProvisionedTPS": 1,
        "campaignConfig": {"syncWithLatestSolutionVersion": False},
        "creationDateTime": at(100),
    }
    assert pending == {
        "name": "recs-campaign",
        "campaignArn": campaign,
        "solutionVersionArn": v1,
        "minProvisionedTPS": 1,
        "campaignConfig": {"syncWithLatestSolutionVersion": False},
        "status": "ACTIVE",
        "creationDateTime": at(0),
        "lastUpdatedDateTime": at(0),
        "latestCampaignUpdate": {
            **update,
            "status": "CREATE PENDING",
            "lastUpdatedDateTime": at(100),
        },
    }
    assert in_progress["solutionVersionArn"] == v1
    assert in_progress["latestCampaignUpdate"] == {
        **update,
        "status": "CREATE IN_PROGRESS",
        "lastUpdatedDateTime": at(100 + PENDING),
    }
    assert still_old == v1
    # AND once the update is ACTIVE the campaign serves v2
    end = 100 + PENDING + UPDATING
    assert done["solutionVersionArn"] == v2
    assert done["lastUpdatedDateTime"] == at(end)
    assert done["latestCampaignUpdate"] == {
        **update,
        "status": "ACTIVE",
        "lastUpdatedDateTime": at(end),
    }
    assert double.campaigns[campaign] == CampaignView(
        campaign_arn=campaign,
        name="recs-campaign",
        solution_arn=solution,
        solution_version_arn=v2,
        min_provisioned_tps=1,
        campaign_config={"syncWithLatestSolutionVersion": False},
        status="ACTIVE",
        creation_date_time=T0,
        last_updated_date_time=T0 + end,
        latest_update=CampaignUpdateView(
            solution_version_arn=v2,
            min_provisioned_tps=1,
            campaign_config={"syncWithLatestSolutionVersion": False},
            status="ACTIVE",
            creation_date_time=T0 + 100,
            last_updated_date_time=T0 + end,
            failure_reason=None,
        ),
    )


def test_second_update_while_one_is_in_progress_is_resource_in_use(double, client):
    # GIVEN a campaign with an update in progress
    solution, _ = double.add_solution(GROUP, "recs")
    campaign = double.add_campaign(solution, "recs-campaign")
    v2 = double.start_training(solution, 0)
    client.update_campaign(campaignArn=campaign, solutionVersionArn=v2)
    # WHEN another update is requested
    with pytest.raises(ClientError) as exc:
        client.update_campaign(campaignArn=campaign, minProvisionedTPS=5)
    # THEN ResourceInUseException, once; after the update ends the next one is accepted
    assert error_of(exc) == {
        "Code": "ResourceInUseException",
        "Message": f"The campaign {campaign} has an update in progress (CREATE PENDING). "
        "Wait until it is ACTIVE or CREATE FAILED.",
    }
    assert [c.status for c in double.calls_for("UpdateCampaign")] == [200, 400]
    double.advance(PENDING + UPDATING)
    client.update_campaign(campaignArn=campaign, minProvisionedTPS=5)
    double.advance(PENDING + UPDATING)
    served = double.campaigns[campaign]
    assert (served.solution_version_arn, served.min_provisioned_tps) == (v2, 5)


def test_sync_with_latest_campaign_deploys_solution_latest(double, client):
    # GIVEN a campaign that follows $LATEST on its own
    solution, _ = double.add_solution(GROUP, "recs")
    campaign = double.add_campaign(solution, "auto", sync_with_latest=True)
    v2 = double.start_training(solution, 0)

    # WHEN it is described, listed by solution, and pointed at a plain version
    described = describe_campaign(client, campaign)
    listed = client.list_campaigns(solutionArn=solution)["campaigns"]
    with pytest.raises(ClientError) as exc:
        client.update_campaign(campaignArn=campaign, solutionVersionArn=v2)

    # THEN it deploys SolutionArn/$LATEST with syncWithLatestSolutionVersion true
    assert described["solutionVersionArn"] == f"{solution}/$LATEST"
    assert described["campaignConfig"] == {"syncWithLatestSolutionVersion": True}
    assert "latestCampaignUpdate" not in described
    assert [item["campaignArn"] for item in listed] == [campaign]
    assert double.campaigns[campaign].sync_with_latest is True
    # AND a plain version ARN is refused while the sync stays on
    assert error_of(exc) == {
        "Code": "InvalidInputException",
        "Message": "When syncWithLatestSolutionVersion is true, solutionVersionArn must be "
        f"the ARN of your solution in SolutionArn/$LATEST format, not {v2}.",
    }
    # AND turning the sync off with the same call is accepted
    client.update_campaign(
        campaignArn=campaign,
        solutionVersionArn=v2,
        campaignConfig={"syncWithLatestSolutionVersion": False},
    )
    double.advance(PENDING + UPDATING)
    assert double.campaigns[campaign].solution_version_arn == v2
    assert double.campaigns[campaign].sync_with_latest is False


def test_update_campaign_target_must_exist_and_be_active(double, client):
    # GIVEN a campaign and a version still training
    solution, _ = double.add_solution(GROUP, "recs")
    campaign = double.add_campaign(solution, "recs-campaign")
    training = double.start_training(solution, 100)
    ghost = f"{solution}/deadbeef"
    # WHEN updating to the training version, an unknown version or an unknown campaign
    with pytest.raises(ClientError) as not_active:
        client.update_campaign(campaignArn=campaign, solutionVersionArn=training)
    with pytest.raises(ClientError) as unknown_version:
        client.update_campaign(campaignArn=campaign, solutionVersionArn=ghost)
    with pytest.raises(ClientError) as unknown_campaign:
        client.update_campaign(campaignArn=f"{PREFIX}:campaign/ghost", solutionVersionArn=training)
    # THEN nothing is updated and each error says why
    assert error_of(not_active) == {
        "Code": "InvalidInputException",
        "Message": f"The solution version {training} is not ACTIVE (CREATE IN_PROGRESS).",
    }
    assert error_of(unknown_version)["Message"] == f"Could not find the solution version {ghost}."
    assert error_of(unknown_campaign)["Code"] == "ResourceNotFoundException"
    assert double.campaigns[campaign].latest_update is None


def test_failed_campaign_update_keeps_serving_the_old_version(double, client):
    # GIVEN the next campaign update is scripted to fail
    solution, v1 = double.add_solution(GROUP, "recs")
    campaign = double.add_campaign(solution, "recs-campaign")
    v2 = double.start_training(solution, 0)
    double.fail_next_campaign_updates("Internal error")
    # WHEN the campaign is updated and the update ends
    client.update_campaign(campaignArn=campaign, solutionVersionArn=v2)
    double.advance(PENDING + UPDATING)
    described = describe_campaign(client, campaign)
    # THEN latestCampaignUpdate is CREATE FAILED with the reason, and v1 is still served
    assert described["solutionVersionArn"] == v1
    assert described["lastUpdatedDateTime"] == at(0)
    assert described["latestCampaignUpdate"]["status"] == "CREATE FAILED"
    assert described["latestCampaignUpdate"]["failureReason"] == "Internal error"
    # AND a retry is accepted after the failure
    client.update_campaign(campaignArn=campaign, solutionVersionArn=v2)
    double.advance(PENDING + UPDATING)
    assert double.campaigns[campaign].solution_version_arn == v2


def test_list_campaigns_follows_the_solution_a_campaign_serves(double, client):
    # GIVEN two campaigns of solution A, one of solution B
    a, _ = double.add_solution(GROUP, "a")
    b, b1 = double.add_solution(GROUP, "b")
    first = double.add_campaign(a, "first")
    double.advance(1)
    second = double.add_campaign(a, "second")
    third = double.add_campaign(b, "third", solution_version_arn=b1)
    # WHEN the second campaign is moved to B's version
    client.update_campaign(campaignArn=second, solutionVersionArn=b1)
    during = client.list_campaigns(solutionArn=a)["campaigns"]
    double.advance(PENDING + UPDATING)
    after_a = client.list_campaigns(solutionArn=a)["campaigns"]
    after_b = client.list_campaigns(solutionArn=b)["campaigns"]
    # THEN it counts for A until the update is ACTIVE, then for B; summaries are exact
    assert [item["campaignArn"] for item in during] == [second, first]
    assert after_a == [
        {
            "name": "first",
            "campaignArn": first,
            "status": "ACTIVE",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(0),
        }
    ]
    assert [item["campaignArn"] for item in after_b] == [third, second]


# ------------------------------------------------------------ batch jobs, recommenders


def test_batch_job_statuses_and_summaries(double, client):
    # GIVEN a batch inference job (5 s pending, 20 s running) and a failing segment job
    _, version = double.add_solution(GROUP, "recs")
    inference = double.start_job("batch-inference-job", version, "nightly", 20, pending_seconds=5)
    segment = double.start_job(
        "batch-segment-job", version, "segments", 10, failure_reason="No access"
    )

    def inference_status() -> str:
        return client.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"][
            0
        ]["status"]

    # WHEN double time crosses each boundary
    statuses = [inference_status()]
    for step in (5, 19.9, 0.1):
        double.advance(step)
        statuses.append(inference_status())

    # THEN the statuses are the ones the model documents for batch jobs
    assert statuses == ["PENDING", "IN PROGRESS", "IN PROGRESS", "ACTIVE"]
    assert client.list_batch_inference_jobs()["batchInferenceJobs"] == [
        {
            "batchInferenceJobArn": f"{PREFIX}:batch-inference-job/nightly",
            "jobName": "nightly",
            "status": "ACTIVE",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(25),
            "solutionVersionArn": version,
            "batchInferenceJobMode": "BATCH_INFERENCE",
        }
    ]
    assert inference == f"{PREFIX}:batch-inference-job/nightly"
    assert client.list_batch_segment_jobs(solutionVersionArn=version)["batchSegmentJobs"] == [
        {
            "batchSegmentJobArn": segment,
            "jobName": "segments",
            "status": "CREATE FAILED",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(10),
            "failureReason": "No access",
            "solutionVersionArn": version,
        }
    ]


def test_list_recommenders_of_a_domain_group(double, client):
    # GIVEN a recommender in each group
    recommender = double.add_recommender(
        GROUP, "top-picks", recommender_config={"minRecommendationRequestsPerSecond": 2}
    )
    double.add_recommender(OTHER_GROUP, "books")
    # WHEN the first group's recommenders are listed
    listed = client.list_recommenders(datasetGroupArn=GROUP)["recommenders"]
    # THEN exactly its RecommenderSummary comes back
    assert listed == [
        {
            "name": "top-picks",
            "recommenderArn": f"{PREFIX}:recommender/top-picks",
            "datasetGroupArn": GROUP,
            "recipeArn": "arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you",
            "recommenderConfig": {"minRecommendationRequestsPerSecond": 2},
            "status": "ACTIVE",
            "creationDateTime": at(0),
            "lastUpdatedDateTime": at(0),
        }
    ]
    assert recommender == listed[0]["recommenderArn"]


# ------------------------------------------------------------- faults, calls, set-up


def _requests(double: PersonalizeDouble) -> dict[str, dict[str, Any]]:
    """A valid request for every new operation, against a small world."""
    dataset = double.add_dataset(GROUP, "Interactions")
    solution, version = double.add_solution(GROUP, "recs")
    campaign = double.add_campaign(solution, "recs-campaign")
    other, _ = double.add_solution(GROUP, "other")
    training = double.start_training(other, 100)
    return {
        "ListDatasets": {"datasetGroupArn": GROUP},
        "ListDatasetImportJobs": {"datasetArn": dataset},
        "ListSolutions": {"datasetGroupArn": GROUP},
        "DescribeSolution": {"solutionArn": solution},
        "ListSolutionVersions": {"solutionArn": solution},
        "DescribeSolutionVersion": {"solutionVersionArn": version},
        "CreateSolutionVersion": {"solutionArn": solution},
        "StopSolutionVersionCreation": {"solutionVersionArn": training},
        "ListCampaigns": {"solutionArn": solution},
        "DescribeCampaign": {"campaignArn": campaign},
        "UpdateCampaign": {"campaignArn": campaign, "minProvisionedTPS": 2},
        "ListBatchInferenceJobs": {"solutionVersionArn": version},
        "ListBatchSegmentJobs": {"solutionVersionArn": version},
        "ListRecommenders": {"datasetGroupArn": GROUP},
    }


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


@pytest.mark.parametrize("operation", MODEL_OPERATIONS)
def test_injected_faults_apply_to_every_new_operation(double, client, operation):
    # GIVEN one server error queued for the operation
    request = _requests(double)[operation]
    double.inject(operation, error="InternalServerError")
    # WHEN it is called through boto3
    response = getattr(client, _snake(operation))(**request)
    # THEN boto3 retried once; both attempts were recorded with the same body
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    calls = double.calls_for(operation)
    assert [(c.status, c.error_code) for c in calls] == [(500, "InternalServerError"), (200, None)]
    assert calls[0].body == calls[1].body == request


def test_injected_fault_has_no_effect_on_state(double, client):
    # GIVEN a non-retried fault queued for CreateSolutionVersion
    solution, _ = double.add_solution(GROUP, "recs")
    double.inject("CreateSolutionVersion", error="ResourceInUseException", message="busy")
    # WHEN a version is requested
    with pytest.raises(ClientError) as exc:
        client.create_solution_version(solutionArn=solution)
    # THEN the fault is returned and no version was created
    assert error_of(exc) == {"Code": "ResourceInUseException", "Message": "busy"}
    assert len(double.solution_versions) == 1


def test_describes_advance_double_time_by_seconds_per_describe(double, client):
    # GIVEN every Describe advances double time by 100 s and a version created now
    double.seconds_per_describe = 100
    solution, _ = double.add_solution(GROUP, "recs")
    arn = client.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    # WHEN polling DescribeSolutionVersion until it is terminal
    statuses = []
    while not statuses or statuses[-1] not in ("ACTIVE", "CREATE FAILED"):
        statuses.append(describe_version(client, arn)["status"])
    # THEN the polls compress 370 s of training into 4 calls
    assert statuses == ["CREATE IN_PROGRESS"] * 3 + ["ACTIVE"]
    assert double.now == T0 + 400


def test_model_validation_applies_to_new_operations(double, client):
    # GIVEN requests violating the model: an ARN pattern and an unknown member (raw HTTP)
    with pytest.raises(ClientError) as exc:
        client.list_solutions(datasetGroupArn="movies")
    status, payload = double.handle(
        "AmazonPersonalize.DescribeCampaign", b'{"campaignArn": "arn:aws:x", "extra": 1}'
    )
    # THEN both are InvalidInputException with Coral-style messages
    assert error_of(exc) == {
        "Code": "InvalidInputException",
        "Message": "1 validation error detected: Value 'movies' at 'datasetGroupArn' failed to "
        r"satisfy constraint: Member must satisfy regular expression pattern: "
        r"arn:([a-z\d-]+):personalize:.*:.*:.+",
    }
    assert (status, payload["__type"]) == (400, "InvalidInputException")
    assert payload["message"].startswith("2 validation errors detected: ")
    assert "Unknown member 'extra' is not defined in DescribeCampaignRequest" in payload["message"]


def test_setup_refuses_what_the_service_would_not_have(double):
    # GIVEN one solution
    solution, version = double.add_solution(GROUP, "recs")
    # WHEN set-up is asked for impossible things THEN it raises instead of faking them
    with pytest.raises(KeyError, match="unknown dataset group"):
        double.add_dataset(f"{PREFIX}:dataset-group/ghost")
    with pytest.raises(ValueError, match="already exists"):
        double.add_solution(GROUP, "recs")
    with pytest.raises(ValueError, match="invalid Personalize name"):
        double.add_recommender(GROUP, "-bad")
    with pytest.raises(ValueError, match="SolutionArn/\\$LATEST"):
        double.add_campaign(solution, "c", solution_version_arn=version, sync_with_latest=True)
    with pytest.raises(KeyError):
        double.start_job("batch-segment-job", f"{solution}/00000000", "job", 1)
    # AND observations are snapshots keyed by ARN
    assert list(double.solution_versions) == [version]
    assert double.campaigns == {}
