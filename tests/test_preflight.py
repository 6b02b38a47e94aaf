"""Pre-flight: no deletion job while an import, a training or a batch job uses the dataset group.

The Personalize guide's data deletion page: "make sure no jobs that use your datasets are in
progress ... If any training or import occurs, we can't guarantee that the users' data will be
deleted from models". Same set-up as the lifecycle tests: real boto3 clients, Personalize is
the double (which also models datasets, imports, solutions, versions and batch jobs), S3, Step
Functions and EventBridge are moto's server.
"""

from __future__ import annotations

import lifecycle_support as support
import pytest
from lifecycle_support import (
    DEADLINE_SECONDS,
    GROUP,
    OTHER_GROUP,
    PREFLIGHT,
    T0,
    USERS_CSV,
    World,
    assert_no_user_ids,
    cfn_event,
    debug_logs,
    expected_job_name,
    job_arn,
    play,
    properties,
)
from personalize_deletion_local.personalize_double.resources import STOPPING_SECONDS
from personalize_deletion_runtime import lifecycle
from personalize_deletion_runtime.state import iso

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
CREATE = "CreateDataDeletionJob"
PREFIX = "arn:aws:personalize:us-east-1:123456789012"
INTERVAL = 600


def at(offset: float) -> str:
    return iso(T0 + offset)


def running_import(world: World, seconds: float, group: str = GROUP) -> str:
    dataset = world.double.add_dataset(group, "Interactions")
    return world.double.start_job("dataset-import-job", dataset, "nightly-interactions", seconds)


# ------------------------------------------------------------------------------ the check


def test_a_request_waits_for_an_import_and_the_tracker_submits_it_when_the_import_ends(
    world: World, caplog
) -> None:
    debug_logs(caplog)
    # GIVEN an import into the dataset group that runs for another 2000 s
    import_arn = running_import(world, 2000)

    # WHEN a request is created under the default policy (hand off after 600 s)
    outcome = play(cfn_event("Create", properties()), world, step=100)

    # THEN no job was started; the request is queued with the tracker, blocked by the import
    assert outcome.reason is None
    assert outcome.data["Status"] == "QUEUED"
    assert world.double.calls_for(CREATE) == []
    blocker = {
        "kind": "dataset import job",
        "arn": import_arn,
        "status": "CREATE IN_PROGRESS",
        "createdAt": at(0),
    }
    tracked = world.tracker_input(JOB)["tracking"]
    assert tracked["blockers"] == [blocker]
    assert tracked["blockedBy"] == (
        f"1 job(s) use the dataset group's data: dataset import job {import_arn} "
        "(CREATE IN_PROGRESS). Personalize cannot guarantee a deletion from models while "
        "they run"
    )

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN it submits at the first check after the import ended (+2000 s), and records it
    assert result.status == "SUCCEEDED"
    assert world.double.jobs[JOB].creation_date_time == T0 + DEADLINE_SECONDS + 3 * INTERVAL
    receipt = world.receipt(JOB)
    assert receipt["status"] == "COMPLETED"
    # AND the receipt says what held it back, and for how long
    assert receipt["preflight"] == {
        "checked": True,
        "blockersAtFirstCheck": [blocker],
        "blockersAfterFirstCheck": None,
        "heldBackSeconds": DEADLINE_SECONDS + 3 * INTERVAL,
    }
    assert_no_user_ids(caplog, outcome.data, tracked, receipt)


def test_a_wait_deployment_fails_naming_what_runs_and_starts_nothing(world: World) -> None:
    # GIVEN a training of a solution of the dataset group that outlasts the deployment
    solution, _ = world.double.add_solution(GROUP, "home-page")
    version = world.double.start_training(solution, 5000)

    # WHEN a request with completion WAIT is created
    outcome = play(cfn_event("Create", properties(Completion="WAIT")), world, step=100)

    # THEN the deployment fails at the bound with the training named, and no job exists
    assert outcome.reason == (
        f"data deletion job {JOB} could not be started before the deployment's time limit: 1 "
        f"job(s) use the dataset group's data: solution version {version} (CREATE IN_PROGRESS). "
        "Personalize cannot guarantee a deletion from models while they run; no job was "
        "started, deploy again once the blocker clears"
    )
    assert world.double.jobs == {}
    # AND the staged list is purged (nothing will read it)
    assert world.keys() == []


def test_a_training_being_stopped_blocks_until_it_has_stopped(world: World) -> None:
    """StopSolutionVersionCreation: "CREATE_IN_PROGRESS > CREATE_STOPPING > CREATE_STOPPED";
    a training CREATE STOPPING still runs on the dataset group's data until it has stopped."""
    # GIVEN a training of the group's solution that the team stopped 10 s ago: it is
    # CREATE STOPPING for STOPPING_SECONDS more
    solution, _ = world.double.add_solution(GROUP, "home-page")
    version = world.double.start_training(solution, 5000)
    world.advance(10)
    world.double.stop_training(version)
    stopped_at = world.double.now + STOPPING_SECONDS

    # WHEN a request is created
    outcome = play(cfn_event("Create", properties()), world, step=100)

    # THEN no deletion job was created while the training was stopping; one is once it stopped
    creates = [call.double_time for call in world.double.calls_for(CREATE)]
    assert creates and min(creates) >= stopped_at, (creates, stopped_at)
    assert outcome.reason is None
    assert world.double.solution_versions[version].status == "CREATE STOPPED"


def test_batch_jobs_on_the_groups_solution_versions_block_those_of_other_groups_do_not(
    world: World,
) -> None:
    # GIVEN a batch segment job on a version of this group's solution, and a batch inference
    # job on a version of another group's solution
    _, version = world.double.add_solution(GROUP, "segments")
    _, other_version = world.double.add_solution(OTHER_GROUP, "elsewhere")
    ours = world.double.start_job("batch-segment-job", version, "weekly-segments", 5000)
    world.double.start_job("batch-inference-job", other_version, "elsewhere-batch", 5000)

    # WHEN a request is created
    outcome = play(cfn_event("Create", properties()), world, step=100)

    # THEN only the batch job on this group's version blocks it
    assert outcome.data["Status"] == "QUEUED"
    assert [b["arn"] for b in world.tracker_input(JOB)["tracking"]["blockers"]] == [ours]


def test_finished_work_does_not_block_and_a_check_costs_a_bounded_number_of_calls(
    world: World,
) -> None:
    # GIVEN two datasets with finished imports and three solutions with ACTIVE versions
    for dataset_type in ("Interactions", "Items"):
        dataset = world.double.add_dataset(GROUP, dataset_type)
        world.double.start_job("dataset-import-job", dataset, f"load-{dataset_type.lower()}", 60)
    for name in ("a", "b", "c"):
        world.double.add_solution(GROUP, name)
    world.advance(120)

    # WHEN a request is created
    outcome = play(cfn_event("Create", properties(Completion="SUBMIT_ONLY")), world)

    # THEN it is submitted at once
    assert outcome.data["Status"] == "PENDING"
    # AND a check cost 4 + datasets + solutions calls: one listing of each kind per parent;
    # onEvent's check records what runs at the first check, the first poll (which submits:
    # onEvent creates no job) looks for the job by name and checks again right before its create
    check = [
        "ListDatasets",
        "ListDatasetImportJobs",
        "ListDatasetImportJobs",
        "ListSolutions",
        "ListSolutionVersions",
        "ListSolutionVersions",
        "ListSolutionVersions",
        "ListBatchInferenceJobs",
        "ListBatchSegmentJobs",
    ]
    ops = [call.operation for call in world.double.calls]
    assert ops[: ops.index(CREATE)] == [*check, "ListDataDeletionJobs", *check]


def test_time_held_back_by_what_only_a_later_check_found_is_not_put_on_the_first(
    world: World,
) -> None:
    """GIVEN a request whose first check (onEvent's) finds the dataset group idle
    WHEN an import starts right after it, so the check each poll makes before its create holds
    the job back until the import ends
    THEN the receipt counts the time the job was held back, records what the first check found
    (nothing), and says that what the later checks found is not recorded (null): not an empty
    first check beside a delay that would read as "held back by nothing"."""

    def on_event_then_an_import(event: dict) -> dict:
        answer = lifecycle.on_event(event, world.services)
        running_import(world, 250)
        return answer

    outcome = play(
        cfn_event("Create", properties()), world, step=100, on_event=on_event_then_an_import
    )

    assert outcome.data["Status"] == "COMPLETED"
    held = world.double.jobs[JOB].creation_date_time - T0
    assert held >= 250
    assert world.receipt(JOB)["preflight"] == {
        "checked": True,
        "blockersAtFirstCheck": [],
        "blockersAfterFirstCheck": None,
        "heldBackSeconds": held,
    }


def test_preflight_off_submits_without_looking(world: World) -> None:
    # GIVEN an import runs, and a request that turns the pre-flight off
    running_import(world, 5000)

    # WHEN it is created
    outcome = play(cfn_event("Create", properties(Preflight="false")), world)

    # THEN the job is submitted and followed with no listing of datasets or solutions
    assert outcome.data["Status"] == "COMPLETED"
    assert [call.operation for call in world.double.calls if call.operation in PREFLIGHT] == []
    # AND the receipt says the pre-flight was off, and that nothing was checked after
    receipt = world.receipt(JOB)
    assert receipt["preflight"] == {
        "checked": False,
        "blockersAtFirstCheck": [],
        "blockersAfterFirstCheck": None,
        "heldBackSeconds": 0,
    }
    assert receipt["interference"] is None


def test_a_retried_create_adopts_its_running_job_even_when_an_import_started_since(
    world: World,
) -> None:
    # GIVEN a Create that started its job, then an import that started afterwards
    world.double.run_seconds = 5000
    event = cfn_event("Create", properties(Completion="SUBMIT_ONLY"))
    first = play(event, world)
    assert first.data["Status"] == "PENDING"
    world.advance(30)
    running_import(world, 5000)

    # WHEN CloudFormation re-sends the same Create
    second = play(event, world)

    # THEN the running job is adopted: not reported as blocked by the later import
    assert second.reason is None
    assert second.event["Ticket"]["jobArn"] == job_arn(JOB)
    assert second.event["Ticket"]["blockers"] == []
    assert second.data["Status"] == "IN_PROGRESS"
    assert list(world.double.jobs) == [JOB]


def test_a_check_that_is_throttled_blocks_for_now_and_never_submits_blind(world: World) -> None:
    # GIVEN Personalize throttles the next 10 ListDatasets calls (more than one poll's retries)
    world.double.inject("ListDatasets", "LimitExceededException", times=10)

    # WHEN a request is created
    outcome = play(cfn_event("Create", properties()), world)

    # THEN the only create comes after the first check that got an answer, and completes
    calls = [(call.operation, call.error_code) for call in world.double.calls]
    first_answer = calls.index(("ListDatasets", None))
    assert calls.index((CREATE, None)) > first_answer
    assert calls[:first_answer].count(("ListDatasets", "LimitExceededException")) == 10
    assert len(world.double.calls_for(CREATE)) == 1
    assert outcome.data["Status"] == "COMPLETED"
    assert world.keys() == [f"receipts/{JOB}.json"]
