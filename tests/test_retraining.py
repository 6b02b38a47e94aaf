"""Models forget too: the watch during a job, and retraining after a COMPLETED one.

The Personalize guide's data deletion page: models still reflect deleted users until they are
retrained (a new solution version per custom solution, campaigns updated unless they follow the
latest version), recommenders retrain on their own every 7 days, and an import or training that
runs during the job means the deletion from models is not guaranteed. Same set-up as the tracker
tests: the tracker definition runs in the local interpreter on the simulated clock, Personalize
is the double, S3, Step Functions and EventBridge are moto's server.
"""

from __future__ import annotations

import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
    OTHER_GROUP,
    STACK_ID,
    STAGING_BUCKET,
    T0,
    TRACKER_ARN,
    TRACKING_TIMEOUT,
    USERS_CSV,
    World,
    assert_no_user_ids,
    cfn_event,
    expected_job_name,
    job_event_rule,
    play,
    properties,
)
from personalize_deletion_runtime import tracker_steps
from personalize_deletion_runtime.notifications import EVENT_SOURCE, MODELS_DETAIL_TYPE
from personalize_deletion_runtime.request_rules import follow_up_job_name
from personalize_deletion_runtime.state import iso, parse_iso
from tracker_runs import run_execution

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
EXECUTION = f"{TRACKER_ARN.replace(':stateMachine:', ':execution:')}:{JOB}"
MODELS_RECEIPT = f"receipts/{JOB}.models.json"
INTERVAL = 600
TRAINING = 3600
UPDATING = 600


def at(offset: float) -> str:
    return iso(T0 + offset)


def models_events(world: World):
    return job_event_rule(
        world, "models", {"source": [EVENT_SOURCE], "detail-type": [MODELS_DETAIL_TYPE]}
    )


def retrained(world: World, **props: str):
    """Create a request that completes within the deployment (60 s) and asks for retraining.

    10 s pass first: the GIVEN's models were trained before the job, and a version created in
    the job's first second would be its receipt's interference (which limits the retraining)."""
    world.advance(10)
    outcome = play(cfn_event("Create", properties(**props)), world)
    assert outcome.reason is None
    return outcome


# --------------------------------------------------------------------------- during the job


def test_a_training_started_during_the_job_is_reported_as_the_guides_not_guaranteed_case(
    world: World, caplog
) -> None:
    # GIVEN a solution trained before the job, a long job created 10 s later and handed off
    # 600 s after that, and a training that starts at +1010 s
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    outcome = play(cfn_event("Create", properties()), world, step=100)
    assert outcome.data["TrackedBy"] == EXECUTION
    world.advance(400)
    version = world.double.start_training(solution, 1200)

    # WHEN the tracker follows the job to its end
    result = world.run_tracker(JOB)

    # THEN the deletion is recorded as COMPLETED, with the training named in the receipt
    assert result.status == "SUCCEEDED"
    receipt = world.receipt(JOB)
    assert receipt["status"] == "COMPLETED"
    assert receipt["interference"] == {
        "checked": True,
        "started": [
            {
                "kind": "solution version",
                "arn": version,
                "status": "ACTIVE",
                "createdAt": at(1010),
            }
        ],
    }
    # AND the event carries the warning the guide's wording calls for
    [event] = world.events()
    assert event["warning"] == (
        "1 import(s) or training(s) started while the job ran: Personalize does not guarantee "
        "the users are deleted from models trained meanwhile; run another deletion job once "
        "they have ended (see the receipt)"
    )
    assert_no_user_ids(caplog, receipt, event)


def test_models_receipt_is_not_effective_when_nothing_checked_what_ran_during_the_deletion(
    world: World,
) -> None:
    """GIVEN a request that retrains every solution with its pre-flight off, a long job handed
    to the tracker
    WHEN the tracker records the job and retrains
    THEN the deletion receipt has no interference check (``null``), so whether an import or a
    training brought users back while the job ran is unknown: the models receipt must not
    claim ``effectiveInModels``, and its caveat says why and what to check."""
    world.double.run_seconds = 5000
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    world.advance(10)
    outcome = play(
        cfn_event("Create", properties(Retrain="ALL", Preflight="false")), world, step=100
    )
    assert outcome.data["TrackedBy"] == EXECUTION

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    assert world.receipt(JOB)["interference"] is None
    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"]) == ("RETRAINED", False)
    assert models["caveat"] == (
        f"the pre-flight was off for job {JOB}, so whether an import or training ran while it "
        "ran was not checked: if one did, Personalize does not guarantee the deletion, and a "
        "retrained model may reflect users it brought back; check the dataset group's imports "
        "and trainings of that time, and if any ran, run another deletion job and retrain once "
        "they have ended"
    )


def test_pre_flight_off_and_an_import_during_the_job_never_yields_effective_in_models(
    world: World,
) -> None:
    """GIVEN a request with Preflight false that retrains every solution (served by a pinned
    campaign), a long job handed to the tracker, and a bulk import into the dataset group that
    starts while the job runs (the guide's "we can't guarantee that the users' data will be
    deleted" case; nobody checked for it, the receipt's interference is null)
    WHEN the tracker records the job and retrains
    THEN the models receipt must not claim effectiveInModels: whether an import ran during the
    job is unknown (as with ``interference.checked: false``, which does make it false), and
    here one did. The same scenario with the pre-flight on says false."""
    world.double.run_seconds = 5000
    dataset = world.double.add_dataset(GROUP)
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    drain = models_events(world)
    world.advance(10)
    outcome = play(
        cfn_event("Create", properties(Retrain="ALL", Preflight="false")), world, step=100
    )
    assert outcome.data["TrackedBy"] == EXECUTION
    world.advance(400)
    world.double.start_job("dataset-import-job", dataset, "late-import", 600)

    result = world.run_tracker(JOB)

    assert result.status == "SUCCEEDED"
    deletion = world.receipt(JOB)
    assert (deletion["status"], deletion["interference"]) == ("COMPLETED", None)
    models = world.receipt(f"{JOB}.models")
    [event] = [message["detail"] for message in drain()]
    assert models["outcome"] == "RETRAINED"
    assert (models["effectiveInModels"], event["effectiveInModels"]) == (False, False), models[
        "caveat"
    ]


def test_models_receipt_is_not_effective_when_an_import_ran_during_the_deletion(
    world: World,
) -> None:
    """GIVEN a request that retrains every solution (no follow-up job), a long job handed to the
    tracker, and a bulk import into the dataset group that starts while the job runs (the
    guide's "we can't guarantee that the users' data will be deleted" case)
    WHEN the tracker records the job and retrains
    THEN the deletion receipt warns that the deletion is not guaranteed, so the models receipt
    must not claim ``effectiveInModels`` (the README's own rule for the same situation after a
    FAILED follow-up: "data imported or trained while it ran may still hold them ...
    effectiveInModels false"), and it names the limit in its ``caveat``."""
    world.double.run_seconds = 5000
    dataset = world.double.add_dataset(GROUP)
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    drain = models_events(world)
    world.advance(10)
    outcome = play(cfn_event("Create", properties(Retrain="ALL")), world, step=100)
    assert outcome.data["TrackedBy"] == EXECUTION
    world.advance(400)
    world.double.start_job("dataset-import-job", dataset, "late-import", 600)

    result = world.run_tracker(JOB)

    assert result.status == "SUCCEEDED"
    deletion = world.receipt(JOB)
    assert deletion["status"] == "COMPLETED"
    assert [s["kind"] for s in deletion["interference"]["started"]] == ["dataset import job"]
    models = world.receipt(f"{JOB}.models")
    [event] = [message["detail"] for message in drain()]
    assert (models["effectiveInModels"], event["effectiveInModels"]) == (False, False)
    assert models["caveat"] is not None
    # AND the caveat (also the event's) says what the deletion receipt found and what it means
    assert event["caveat"] == models["caveat"]
    assert models["caveat"] == (
        f"the receipt of job {JOB} records 1 import(s) or training(s) that started while the "
        "job ran (its interference): Personalize does not guarantee the users are deleted, and "
        "a retrained model may reflect users they brought back; run another deletion job once "
        "they have ended, then retrain"
    )
    assert models["outcome"] == "RETRAINED"  # the training itself went well


def test_models_receipt_is_not_effective_when_whether_anything_ran_during_the_deletion_is_unknown(
    world: World,
) -> None:
    """GIVEN a request that retrains every solution, a long job handed to the tracker, and a
    refused listing when the tracker checks what ran during the job (its receipt then says
    ``interference.checked: false`` and its event warns "whether an import or training ran
    during the job is unknown")
    WHEN the tracker records the job and retrains
    THEN the models receipt does not claim ``effectiveInModels``: the deletion's own record
    says it cannot tell whether the guide's "not guaranteed" case happened."""
    world.double.run_seconds = 5000
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    drain = models_events(world)
    world.advance(10)
    outcome = play(cfn_event("Create", properties(Retrain="ALL")), world, step=100)
    assert outcome.data["TrackedBy"] == EXECUTION

    def step(event):
        if event["step"] == "finish":
            world.double.inject("ListDatasets", "AccessDeniedException")
        return tracker_steps.run(event, world.services)

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert result.status == "SUCCEEDED"
    deletion = world.receipt(JOB)
    assert (deletion["status"], deletion["interference"]["checked"]) == ("COMPLETED", False)
    models = world.receipt(f"{JOB}.models")
    [event] = [message["detail"] for message in drain()]
    assert (models["effectiveInModels"], event["effectiveInModels"]) == (False, False)
    # AND the caveat says the deletion receipt could not tell, and why
    assert models["caveat"] == (
        f"whether an import or training ran while job {JOB} ran is unknown (its receipt's "
        "interference was not checked: ListDatasets failed with AccessDeniedException: "
        "Injected AccessDeniedException): if one did, Personalize does not guarantee the "
        "deletion, and a retrained model may reflect users it brought back; check the dataset "
        "group's imports and trainings of that time, and if any ran, run another deletion job "
        "and retrain once they have ended"
    )


# ------------------------------------------------------------------------------ retraining


def test_retrain_all_trains_every_solution_and_updates_the_campaigns_that_need_it(
    world: World, caplog
) -> None:
    # GIVEN two custom solutions: one served by a pinned campaign and by one following
    # $LATEST, one without a campaign
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    similar, _ = world.double.add_solution(GROUP, "similar-items")
    pinned = world.double.add_campaign(home, "home-pinned")
    following = world.double.add_campaign(home, "home-latest", sync_with_latest=True)
    drain = models_events(world)

    # WHEN a request that asks for retraining completes inside the deployment
    outcome = retrained(world, Retrain="ALL")

    # THEN the deployment reports the deletion and hands the retraining to the tracker
    assert outcome.data["Status"] == "COMPLETED"
    assert outcome.data["TrackedBy"] == EXECUTION
    deletion = world.receipt(JOB)
    assert deletion["retraining"] == {
        "policy": "ALL",
        "receiptUri": f"s3://{STAGING_BUCKET}/{MODELS_RECEIPT}",
    }

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN one FULL version per solution, named after the job, was trained
    assert result.status == "SUCCEEDED"
    creates = world.double.calls_for("CreateSolutionVersion")
    assert sorted(call.body["solutionArn"] for call in creates) == sorted([home, similar])
    assert {call.body["trainingMode"] for call in creates} == {"FULL"}
    assert {call.body["name"] for call in creates} == {JOB}
    # AND only the pinned campaign was updated, to the new version of its solution
    [update] = world.double.calls_for("UpdateCampaign")
    new_home = next(
        arn
        for arn, version in world.double.solution_versions.items()
        if version.solution_arn == home and arn != home_v1
    )
    assert update.body == {"campaignArn": pinned, "solutionVersionArn": new_home}
    assert world.double.campaigns[pinned].solution_version_arn == new_home
    # AND the models receipt says what happened to each, once everything ended
    receipt = world.receipt(f"{JOB}.models")
    assert receipt["outcome"] == "RETRAINED"
    assert receipt["effectiveInModels"] is True
    by_solution = {s["solutionArn"]: s for s in receipt["solutions"]}
    assert by_solution[home]["status"] == "ACTIVE"
    assert sorted(by_solution[home]["campaigns"], key=lambda c: c["campaignArn"]) == [
        {
            "campaignArn": following,
            "action": "follows the latest version on its own",
            "status": "FOLLOWS LATEST",
        },
        {"campaignArn": pinned, "action": "updated to the new version", "status": "ACTIVE"},
    ]
    assert by_solution[similar] == {
        "solutionArn": similar,
        "versionArn": by_solution[similar]["versionArn"],
        "status": "ACTIVE",
        "failureReason": None,
        "campaigns": [],
    }
    assert receipt["recommenders"] == []
    assert receipt["recommendersNote"] is None
    # AND one "models retrained" event points at it; the deletion receipt is unchanged
    [event] = [message["detail"] for message in drain()]
    assert event["status"] == "RETRAINED"
    assert event["effectiveInModels"] is True
    assert event["receiptUri"] == f"s3://{STAGING_BUCKET}/{MODELS_RECEIPT}"
    assert event["stackId"] == STACK_ID
    assert world.receipt(JOB) == deletion
    assert_no_user_ids(caplog, receipt, event)


def test_a_failed_training_is_recorded_and_the_deletion_stays_completed(world: World) -> None:
    # GIVEN a solution with a pinned campaign whose next training fails
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    world.double.fail_next_solution_versions("Insufficient data after the deletion")

    # WHEN a request that retrains is deployed and tracked
    retrained(world, Retrain="ALL")
    result = world.run_tracker(JOB)

    # THEN retraining is recorded as failed, the campaign untouched, the deletion COMPLETED
    assert result.status == "SUCCEEDED"
    receipt = world.receipt(f"{JOB}.models")
    assert receipt["outcome"] == "RETRAINING_FAILED"
    assert receipt["effectiveInModels"] is False
    [solution] = receipt["solutions"]
    assert (solution["status"], solution["failureReason"]) == (
        "CREATE FAILED",
        "Insufficient data after the deletion",
    )
    assert solution["campaigns"] == [
        {
            "campaignArn": pinned,
            "action": "not updated: the new version failed",
            "status": "NOT UPDATED",
        }
    ]
    assert world.double.calls_for("UpdateCampaign") == []
    assert world.double.campaigns[pinned].solution_version_arn == home_v1
    assert world.receipt(JOB)["status"] == "COMPLETED"


def test_a_stopped_retraining_version_is_not_reported_as_still_training(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version stopped by StopSolutionVersionCreation goes CREATE STOPPING, then CREATE
    STOPPED, and "You cannot resume creating a solution version once it has been stopped": the
    solution has ended, not retrained (as a CREATE FAILED one), and its campaign still serves
    the model that reflects the deleted users. Never waited for until the retraining's limit
    (about 36 hours of rounds), never "still training" in the receipt."""
    # GIVEN a solution served by a pinned campaign, and a team that stops the retraining's
    # training (StopSolutionVersionCreation) once a tracker round has seen it training
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    real_run = tracker_steps.run
    stopped: list[str] = []

    def step_then_stop(event, services):
        output = real_run(event, services)
        for arn, version in world.double.solution_versions.items():
            if version.name == JOB and version.status == "CREATE IN_PROGRESS" and not stopped:
                world.personalize.stop_solution_version_creation(solutionVersionArn=arn)
                stopped.append(arn)
        return output

    monkeypatch.setattr(tracker_steps, "run", step_then_stop)

    # WHEN a request that retrains completes and the tracker runs
    retrained(world, Retrain="ALL")
    result = world.run_tracker(JOB)

    # THEN the retraining ends at the first round after the stop, saying the version was
    # stopped and the solution not retrained: RETRAINING_FAILED, not effective, never stuck
    assert result.status == "SUCCEEDED"
    [version] = stopped
    assert world.double.solution_versions[version].status == "CREATE STOPPED"
    receipt = world.receipt(f"{JOB}.models")
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINING_FAILED", False)
    assert "still training" not in (receipt["caveat"] or "")
    hours = (parse_iso(receipt["finishedAt"]) - parse_iso(receipt["startedAt"])) / 3600
    assert hours < 1, f"the retraining polled a stopped version for {hours:.1f} hours"
    [solution] = receipt["solutions"]
    assert solution == {
        "solutionArn": home,
        "versionArn": version,
        "status": "CREATE STOPPED",
        "failureReason": f"its new version {version} was stopped "
        "(StopSolutionVersionCreation) before its training ended, and a stopped version is "
        "never resumed: the solution was not retrained; train a new version of it and update "
        "its campaigns",
        "campaigns": [
            {
                "campaignArn": pinned,
                "action": "not updated: the new version was stopped before it was trained",
                "status": "NOT UPDATED",
            }
        ],
    }
    # AND the campaign was never moved: it still serves the model trained before the deletion
    assert world.double.calls_for("UpdateCampaign") == []
    assert world.double.campaigns[pinned].solution_version_arn == home_v1
    assert world.receipt(JOB)["status"] == "COMPLETED"


def test_recommenders_are_noted_and_the_deletion_is_not_yet_effective_in_them(
    world: World,
) -> None:
    # GIVEN a domain dataset group: a recommender, no custom solution
    recommender = world.double.add_recommender(GROUP, "top-picks")

    # WHEN a request that retrains is deployed and tracked
    retrained(world, Retrain="ALL")
    world.run_tracker(JOB)

    # THEN nothing is trained; the receipt says when recommenders catch up
    assert world.double.calls_for("CreateSolutionVersion") == []
    receipt = world.receipt(f"{JOB}.models")
    assert receipt["outcome"] == "RETRAINED"
    assert receipt["effectiveInModels"] is False
    assert receipt["recommenders"] == [recommender]
    assert receipt["recommendersNote"] == (
        "recommenders retrain fully on their own every 7 days; the deletion reaches their "
        "recommendations after their next automatic retraining"
    )


def test_a_solution_listed_twice_in_the_properties_is_planned_and_trained_once(
    world: World,
) -> None:
    """GIVEN properties that list one solution twice (a template edited by hand, or one
    synthesized before the construct refused a repeat), deployed and tracked
    WHEN the tracker retrains
    THEN the solution is trained once and recorded once: not refused, since a refusal would
    fail the tracker of a job such a template already started, and every Update and Delete
    of its resource, where a plan without the repeat is all that was ever meant."""
    ours, _ = world.double.add_solution(GROUP, "home-page")

    retrained(world, Retrain="LIST", RetrainSolutions=[ours, ours])
    world.run_tracker(JOB)

    assert [c.body["solutionArn"] for c in world.double.calls_for("CreateSolutionVersion")] == [
        ours
    ]
    receipt = world.receipt(f"{JOB}.models")
    assert [s["solutionArn"] for s in receipt["solutions"]] == [ours]
    assert receipt["outcome"] == "RETRAINED"


def test_a_listed_solution_of_another_dataset_group_is_not_trained(world: World) -> None:
    # GIVEN a LIST naming one solution of the group and one of another group
    ours, _ = world.double.add_solution(GROUP, "home-page")
    theirs, _ = world.double.add_solution(OTHER_GROUP, "elsewhere")

    # WHEN a request that retrains that list is deployed and tracked
    retrained(world, Retrain="LIST", RetrainSolutions=[ours, theirs])
    world.run_tracker(JOB)

    # THEN only the group's own solution is trained; the other is named as refused
    assert [c.body["solutionArn"] for c in world.double.calls_for("CreateSolutionVersion")] == [
        ours
    ]
    receipt = world.receipt(f"{JOB}.models")
    assert receipt["outcome"] == "RETRAINING_FAILED"
    refused = next(s for s in receipt["solutions"] if s["solutionArn"] == theirs)
    assert refused["status"] == "NOT IN THE DATASET GROUP"
    assert refused["failureReason"] == (
        f"solution {theirs} is not in dataset group {GROUP}: a deletion there does not change "
        "its data, so it was not retrained; list only the group's solutions in RetrainSolutions"
    )


def test_retraining_that_outlasts_the_tracking_limit_of_a_late_job_is_still_followed(
    world: World,
) -> None:
    # GIVEN a job that ends just before the tracking limit (36 h) and 10 h of training after it
    world.double.run_seconds = TRACKING_TIMEOUT - 2 * INTERVAL
    world.double.training_seconds = 10 * 3600
    world.double.add_solution(GROUP, "home-page")
    outcome = play(cfn_event("Create", properties(Retrain="ALL")), world, step=100)
    assert outcome.data["TrackedBy"] == EXECUTION

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN the execution does not time out: it records the retraining
    assert result.status == "SUCCEEDED"
    assert world.receipt(f"{JOB}.models")["outcome"] == "RETRAINED"


def test_retraining_after_one_job_does_not_train_while_another_deletion_job_of_the_group_runs(
    world: World,
) -> None:
    """GIVEN two requests of the stack on the same dataset group: B's job is long (5000 s,
    handed to the tracker), A's ends inside its deployment and A asks for retraining
    WHEN A's tracker retrains and B's tracker records B's end
    THEN A's retraining has not started a training while B's deletion job ran: the guide (and
    the product's own NOT_RETRAINED cause: "training while a deletion job may still run or
    start is what the Personalize guide advises against") says a training during a deletion
    job voids its guarantee, so B's receipt must not list A's retraining as interference."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    world.put_source("assets/other.csv", support.OTHER_CSV)
    other_job = expected_job_name(support.OTHER_CSV, request_name="other-ticket")
    world.double.run_seconds = 5000
    world.advance(10)
    other = cfn_event(
        "Create",
        properties(
            RequestName="other-ticket",
            Source={"Bucket": support.SOURCE_BUCKET, "Key": "assets/other.csv"},
        ),
    )
    other["LogicalResourceId"] = "OtherDeletionJob0A1B2C3D"
    assert play(other, world, step=100).data["Status"] == "IN_PROGRESS"
    world.double.run_seconds = 50
    outcome = play(cfn_event("Create", properties(Retrain="ALL")), world)
    assert (outcome.data["Status"], outcome.data["TrackedBy"]) == ("COMPLETED", EXECUTION)

    assert world.run_tracker(JOB).status == "SUCCEEDED"
    assert world.run_tracker(other_job).status == "SUCCEEDED"

    assert world.receipt(f"{JOB}.models")["outcome"] == "RETRAINED"
    [retrained_for_a] = [
        arn for arn, version in world.double.solution_versions.items() if version.name == JOB
    ]
    b = world.receipt(other_job)
    assert [s["arn"] for s in b["interference"]["started"]] in ([], [retrained_for_a])
    assert (b["status"], b["interference"]) == ("COMPLETED", {"checked": True, "started": []})
    # AND A's training started only once B's job had ended, after rounds that asked for the
    # group's deletion jobs, and nothing limits A's models receipt
    assert world.double.solution_versions[retrained_for_a].creation_date_time > (
        world.double.jobs[other_job].last_updated_date_time
    )
    asked = world.double.calls_for("ListDataDeletionJobs")
    assert len(asked) > 1 and {call.body["datasetGroupArn"] for call in asked} == {GROUP}
    models = world.receipt(f"{JOB}.models")
    assert (models["caveat"], models["effectiveInModels"]) == (None, True)


def another_deletion_job_runs(world: World, seconds: int) -> str:
    """Another request of the stack on the same dataset group, whose job runs ``seconds`` and
    is handed to the tracker; then this request's job, which completes inside its deployment
    (60 s) and asks for retraining. Returns the other job's ARN."""
    world.put_source("assets/other.csv", support.OTHER_CSV)
    world.double.run_seconds = seconds
    world.advance(10)
    other = cfn_event(
        "Create",
        properties(
            RequestName="other-ticket",
            Source={"Bucket": support.SOURCE_BUCKET, "Key": "assets/other.csv"},
        ),
    )
    other["LogicalResourceId"] = "OtherDeletionJob0A1B2C3D"
    assert play(other, world, step=100).data["Status"] == "IN_PROGRESS"
    world.double.run_seconds = 60
    outcome = play(cfn_event("Create", properties(Retrain="ALL")), world)
    assert (outcome.data["Status"], outcome.data["TrackedBy"]) == ("COMPLETED", EXECUTION)
    other_job = expected_job_name(support.OTHER_CSV, request_name="other-ticket")
    return world.double.jobs[other_job].data_deletion_job_arn


def test_retraining_that_waits_for_another_deletion_job_until_its_limit_says_so(
    world: World, caplog
) -> None:
    """GIVEN a served solution, another request's deletion job on the same group that runs
    40 h, and a request that completes inside its deployment and retrains
    WHEN the tracker retrains, and the other job still runs at the retraining's limit (36 h)
    THEN nothing was trained (the guide advises against training during a deletion job), and
    the models receipt says RETRAINING_STUCK, the solution WAITING, and in its caveat which
    job it waited for until when and what to do; never effective."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    drain = models_events(world)
    other_arn = another_deletion_job_runs(world, 40 * 3600)

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    assert world.double.calls_for("CreateSolutionVersion") == []
    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"]) == ("RETRAINING_STUCK", False)
    [solution] = models["solutions"]
    assert (solution["solutionArn"], solution["versionArn"], solution["status"]) == (
        home,
        None,
        "WAITING (until no other data deletion job of the dataset group runs)",
    )
    limit = iso(parse_iso(models["startedAt"]) + TRACKING_TIMEOUT)
    assert models["caveat"] == (
        f"the retraining waited until its limit ({limit}) for 1 other data deletion job(s) of "
        f"the dataset group to end ({other_arn}): the Personalize guide advises against "
        "training while a deletion job runs, so the solutions marked WAITING (until no other "
        "data deletion job of the dataset group runs) were not trained; train new versions of "
        "them and update their campaigns once no deletion job of the group runs"
    )
    [event] = [message["detail"] for message in drain()]
    assert (event["status"], event["caveat"]) == ("RETRAINING_STUCK", models["caveat"])
    assert_no_user_ids(caplog, models, event)


def test_the_round_past_the_retraining_limit_starts_no_training(world: World) -> None:
    """GIVEN a solution served by a pinned campaign, another request's deletion job on the same
    group that runs past the retraining's limit, and a request that completes inside its
    deployment and retrains (its rounds wait for the other job)
    WHEN the other job ends between the last round before the limit and the first round after
    it (the round that ends the retraining as RETRAINING_STUCK)
    THEN that round starts no billed training: it is recorded STUCK at once and no later round
    follows the version or moves the campaign to it (the receipt would list a training that
    nobody follows, and its campaign is never updated)."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    world.put_source("assets/other.csv", support.OTHER_CSV)
    world.double.run_seconds = 60 * 3600
    world.advance(10)
    other = cfn_event(
        "Create",
        properties(
            RequestName="other-ticket",
            Source={"Bucket": support.SOURCE_BUCKET, "Key": "assets/other.csv"},
        ),
    )
    other["LogicalResourceId"] = "OtherDeletionJob0A1B2C3D"
    assert play(other, world, step=100).data["Status"] == "IN_PROGRESS"
    other_job = expected_job_name(support.OTHER_CSV, request_name="other-ticket")
    world.double.run_seconds = 60
    retrained(world, Retrain="ALL")

    def step(event):
        retraining = event["state"].get("retraining") or {}
        limit = retraining.get("giveUpAt")
        if event["step"] == "retrain" and limit and world.now() >= parse_iso(limit):
            run = world.double._jobs[other_job].run  # it ended a moment ago
            run.run_seconds = world.now() - run.created_at - run.pending_seconds - 1
        return tracker_steps.run(event, world.services)

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert result.status == "SUCCEEDED"
    models = world.receipt(f"{JOB}.models")
    assert models["outcome"] == "RETRAINING_STUCK"
    assert world.double.calls_for("CreateSolutionVersion") == [], models["solutions"]


def test_a_refused_listing_of_deletion_jobs_is_recorded_and_the_retraining_goes_on(
    world: World,
) -> None:
    """GIVEN a served solution, and a request that retrains
    WHEN Personalize refuses ListDataDeletionJobs for good when the retraining asks whether
    another deletion job of the group runs (AccessDeniedException: an SCP, say)
    THEN the retraining does not crash and does not wait forever: it trains and updates the
    campaign, and the models receipt names the refused call in its caveat, says
    RETRAINING_FAILED (a call refused for good) and is not effective."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    world.double.inject("ListDataDeletionJobs", "AccessDeniedException", message="denied by SCP")

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    [version] = [a for a, v in world.double.solution_versions.items() if v.name == JOB]
    assert world.double.campaigns[pinned].solution_version_arn == version
    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"]) == ("RETRAINING_FAILED", False)
    assert [(s["status"], s["versionArn"]) for s in models["solutions"]] == [("ACTIVE", version)]
    assert models["caveat"] == (
        "whether another data deletion job of the dataset group ran when the trainings started "
        "is unknown: the Personalize guide advises against training while one runs (the models "
        "trained meanwhile may keep the users that job deletes) (refused for good: "
        "ListDataDeletionJobs failed with AccessDeniedException: denied by SCP)"
    )


# ------------------------------------------------------------------------------- follow-up


def test_a_follow_up_job_runs_once_the_training_that_interfered_has_ended(world: World) -> None:
    # GIVEN a request that asks for a follow-up job, a long job handed off at +610 s (it ends at
    # +5020 s), and a training that starts at +1010 s and runs until +11010 s
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true", Retrain="ALL")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 10_000)
    follow_up = follow_up_job_name(JOB)

    # WHEN the tracker runs
    result = world.run_tracker(JOB)

    # THEN the first job is recorded with the interference and the follow-up it queued
    assert result.status == "SUCCEEDED"
    first = world.receipt(JOB)
    assert (first["status"], first["followUp"], first["followUpOf"]) == (
        "COMPLETED",
        follow_up,
        None,
    )
    [event, follow_up_event] = world.events()
    assert event["followUp"] == follow_up
    assert event["warning"] == (
        "1 import(s) or training(s) started while the job ran: Personalize does not guarantee "
        f"the users are deleted from models trained meanwhile; follow-up job {follow_up} starts "
        "once they have ended (see the receipt)"
    )
    # AND the follow-up job was submitted at the first check after the training ended (the
    # tracker started at +1010 s and checks every 600 s: +11210 s), with the same list, staged
    # under its own name
    assert world.double.jobs[follow_up].creation_date_time == T0 + 1010 + 17 * INTERVAL
    [_, second_create] = world.double.calls_for("CreateDataDeletionJob")
    assert second_create.body["dataSource"] == {
        "dataLocation": f"s3://{STAGING_BUCKET}/staging/{follow_up}/users.csv"
    }
    # AND it is recorded as any job, pointing back at the first; no third job follows it
    second = world.receipt(follow_up)
    assert (second["status"], second["followUp"], second["followUpOf"]) == (
        "COMPLETED",
        None,
        JOB,
    )
    assert second["input"] == first["input"]
    assert second["interference"] == {"checked": True, "started": []}
    assert follow_up_event["jobName"] == follow_up
    assert sorted(world.double.jobs) == sorted([JOB, follow_up])
    # AND retraining ran once, after the follow-up, and both receipts point at its record
    assert len(world.double.calls_for("CreateSolutionVersion")) == 1
    models = f"s3://{STAGING_BUCKET}/receipts/{follow_up}.models.json"
    assert first["retraining"] == second["retraining"] == {"policy": "ALL", "receiptUri": models}
    assert world.receipt(f"{follow_up}.models")["outcome"] == "RETRAINED"
    # AND no copy of the list is left
    assert world.keys(prefix="staging/") == []


def test_no_follow_up_without_interference(world: World) -> None:
    # GIVEN a request that asks for a follow-up job, and nothing runs during its job
    # WHEN it completes inside the deployment
    outcome = retrained(world, FollowUp="true")

    # THEN it is reported as usual, nothing is handed to the tracker, no second job exists
    assert outcome.data["TrackedBy"] == "none"
    assert world.receipt(JOB)["followUp"] is None
    assert list(world.double.jobs) == [JOB]
