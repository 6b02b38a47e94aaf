"""Retraining that meets the world as it is: a second tracker run, deleted resources, refusals,
limits, a follow-up job that never completes, and solutions left out of a list.

What must hold: a recorded retraining is never redone and no campaign is moved to an older
model; one solution's or campaign's failure is recorded on it (by ARN, never a user id) while
the others go on; the models receipt a deletion receipt promises is always written; and
``effectiveInModels`` is true only when no model of the group that serves recommendations was
trained before the deletion. Same set-up as ``test_retraining.py``.
"""

from __future__ import annotations

import lifecycle_support as support
import pytest
from lifecycle_support import (
    GROUP,
    STAGING_BUCKET,
    TRACKER_ARN,
    TRACKER_ROLE,
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
from personalize_deletion_runtime.tracking import Tracker
from tracker_runs import run_execution, started_input

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
MODELS_RECEIPT = f"receipts/{JOB}.models.json"
EXECUTION = f"{TRACKER_ARN.replace(':stateMachine:', ':execution:')}:{JOB}"
DAY = 86_400


class LambdaTimedOut(Exception):
    """The tracker step's invocation ended without an answer (a timeout, a crash)."""


def models_events(world: World):
    return job_event_rule(
        world, "models", {"source": [EVENT_SOURCE], "detail-type": [MODELS_DETAIL_TYPE]}
    )


def retrained(world: World, **props: object) -> None:
    """A request that completes inside the deployment, 10 s after the GIVEN's models were
    trained (one created in the job's first second would be its receipt's interference)."""
    world.advance(10)
    assert play(cfn_event("Create", properties(**props)), world).reason is None


def another_stack_tracker(world: World, moto_endpoint: str, name: str) -> str:
    """A second stack's tracker, now the one the handlers hand jobs to."""
    arn = f"{TRACKER_ARN.rsplit(':', 1)[0]}:{name}"
    world.aws["stepfunctions"].create_state_machine(
        name=name, definition="{}", roleArn=TRACKER_ROLE
    )
    world.services.tracker = Tracker(support.aws_client("stepfunctions", moto_endpoint), arn)
    return arn


def newer_model_served(world: World, solution: str, campaign: str) -> str:
    """Weeks later the team trains a newer version and points the campaign at it."""
    world.advance(30 * DAY)
    newer = world.double.start_training(solution, 3600)
    world.advance(7200)
    world.personalize.update_campaign(campaignArn=campaign, solutionVersionArn=newer)
    world.advance(7200)
    assert world.double.campaigns[campaign].solution_version_arn == newer
    return newer


# ------------------------------------------------------------- a second run of the tracker


def test_readopting_a_retrained_job_in_a_new_stack_redoes_no_retraining(
    world: World, moto_endpoint: str
) -> None:
    """GIVEN a request that retrained a solution served by a pinned campaign, recorded
    AND weeks later the team serves a newer version of that solution
    WHEN the same request is created in a new stack, which adopts the COMPLETED job and hands it
    to that stack's tracker, and that tracker runs
    THEN nothing is trained or updated: the campaign keeps the newer model, and the models
    receipt and its one event stay as they were."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    drain = models_events(world)
    retrained(world, Retrain="ALL")
    assert world.run_tracker(JOB).status == "SUCCEEDED"
    recorded = world.read(MODELS_RECEIPT)
    assert [e["detail"]["status"] for e in drain()] == ["RETRAINED"]
    newer = newer_model_served(world, home, pinned)

    fresh = another_stack_tracker(world, moto_endpoint, "new-stack-tracker")
    retrained(world, Retrain="ALL")
    world.double.reset_calls()
    result = run_execution(world, JOB, started_input(world, fresh, JOB), fresh)

    assert result.status == "SUCCEEDED"
    assert result.output["retraining"] == {
        "requested": False,
        "recorded": f"s3://{STAGING_BUCKET}/{MODELS_RECEIPT}",
    }
    assert world.double.calls_for("CreateSolutionVersion") == []
    assert world.double.calls_for("UpdateCampaign") == []
    assert world.double.campaigns[pinned].solution_version_arn == newer
    assert world.read(MODELS_RECEIPT) == recorded
    assert drain() == []


def test_an_update_after_the_execution_name_is_free_again_redoes_no_retraining(
    world: World, moto_endpoint: str
) -> None:
    """GIVEN a request that retrained a solution served by a pinned campaign, recorded
    AND weeks later the team serves a newer version of that solution
    WHEN, 100 days after the tracker's execution closed (Step Functions frees its name then: a
    fresh state machine that knows no execution of that name), the request's tags change and
    the tracker the Update hands the job to runs
    THEN it moves no campaign back to the job's version and trains nothing."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    old = properties(Retrain="ALL")
    retrained(world, Retrain="ALL")
    assert world.run_tracker(JOB).status == "SUCCEEDED"
    newer = newer_model_served(world, home, pinned)
    world.advance(100 * DAY)
    fresh = another_stack_tracker(world, moto_endpoint, "deletion-tracker-later")

    new = properties(Retrain="ALL", Tags={"ticket": "PRIV-2"})
    assert play(cfn_event("Update", new, physical_id=JOB, old=old), world).reason is None
    world.double.reset_calls()
    result = run_execution(world, JOB, started_input(world, fresh, JOB), fresh)

    assert result.status == "SUCCEEDED"
    assert world.double.calls_for("CreateSolutionVersion") == []
    assert world.double.calls_for("UpdateCampaign") == []
    assert world.double.campaigns[pinned].solution_version_arn == newer


def test_a_tracker_still_running_moves_no_campaign_after_another_execution_recorded_the_job(
    world: World, moto_endpoint: str
) -> None:
    """GIVEN a solution served by a pinned campaign, and a request that retrains ALL, whose
    tracker has made its plan and started the training (round 1)
    AND meanwhile the request is created in a new stack, which adopts the COMPLETED job and
    hands it to that stack's tracker, whose retrain step fails for good: its RetrainStopped
    writes the models receipt (RETRAINING_FAILED, the campaign "not updated: the retraining
    stopped before it moved it", "nothing was started or moved since")
    WHEN the first tracker goes on with its rounds
    THEN it must not redo the recorded retraining (README: "A retraining is recorded once and
    never redone"): no campaign is moved after the receipt was written, so the production
    campaign still serves what the receipt says (its old version), and no change goes
    unrecorded (the first tracker's record finds the other execution's receipt and says
    nothing)."""
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    first_input = world.tracker_input(JOB)
    rounds = []

    def other_stack(event):
        if event["step"] == "retrain":
            raise LambdaTimedOut("Task timed out after 900.00 seconds")
        return tracker_steps.run(event, world.services)

    def first(event):
        if event["step"] == "retrain":
            rounds.append(event)
            if len(rounds) == 2:  # the plan is made and the training started
                fresh = another_stack_tracker(world, moto_endpoint, "new-stack-tracker")
                retrained(world, Retrain="ALL")
                other = run_execution(
                    world, JOB, started_input(world, fresh, JOB), fresh, functions_step=other_stack
                )
                assert (other.status, other.error) == ("FAILED", "TrackerFailed")
                assert world.keys(prefix=MODELS_RECEIPT) == [MODELS_RECEIPT]
                world.double.reset_calls()
        return tracker_steps.run(event, world.services)

    result = run_execution(world, JOB, first_input, functions_step=first)

    assert result.status == "SUCCEEDED"
    models = world.receipt(f"{JOB}.models")
    [solution] = models["solutions"]
    [campaign] = solution["campaigns"]
    assert (models["outcome"], campaign["status"]) == ("RETRAINING_FAILED", "NOT UPDATED")
    assert world.double.calls_for("UpdateCampaign") == []
    world.advance(3600)
    assert world.double.campaigns[pinned].solution_version_arn == home_v1


def test_a_campaign_serving_a_newer_version_is_never_moved_back(
    world: World, moto_endpoint: str
) -> None:
    """GIVEN a request that retrained a solution served by a pinned campaign, whose models
    receipt was then lost (deleted by hand), and a newer version the team serves since
    WHEN the tracker of a new stack that adopted the job runs (it finds no record, so it
    retrains: the version named after the job exists and is adopted)
    THEN the campaign is left on the newer version, and the new receipt says why."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    assert world.run_tracker(JOB).status == "SUCCEEDED"
    job_version = world.double.campaigns[pinned].solution_version_arn
    world.s3.delete_object(Bucket=STAGING_BUCKET, Key=MODELS_RECEIPT)
    newer = newer_model_served(world, home, pinned)

    fresh = another_stack_tracker(world, moto_endpoint, "new-stack-tracker")
    retrained(world, Retrain="ALL")
    world.double.reset_calls()
    result = run_execution(world, JOB, started_input(world, fresh, JOB), fresh)

    assert result.status == "SUCCEEDED"
    assert world.double.calls_for("UpdateCampaign") == []
    assert world.double.campaigns[pinned].solution_version_arn == newer
    receipt = world.receipt(f"{JOB}.models")
    [solution] = receipt["solutions"]
    assert (solution["versionArn"], solution["status"]) == (job_version, "ACTIVE")
    assert solution["campaigns"] == [
        {
            "campaignArn": pinned,
            "action": f"left as it is: it serves {newer}, created after the new version",
            "status": "SERVES A NEWER VERSION",
        }
    ]
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINED", True)


def test_a_campaign_serving_a_later_update_mode_version_is_left_but_not_counted_effective(
    world: World, moto_endpoint: str
) -> None:
    """GIVEN a request that retrained a solution served by a pinned campaign, whose models
    receipt was then lost (deleted by hand), and a later UPDATE-mode version the team serves
    since: "not a full retraining" (CreateSolutionVersion), so nothing says it does not carry
    a model trained before the deletion
    WHEN the tracker of a new stack that adopted the job runs (it finds no record, so it
    retrains: the version named after the job exists and is adopted)
    THEN the campaign is never moved back to the older FULL version of the job, but the UPDATE
    version does not count as serving a model trained after the deletion either: the receipt
    names it and is not effective."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    assert world.run_tracker(JOB).status == "SUCCEEDED"
    job_version = world.double.campaigns[pinned].solution_version_arn
    world.s3.delete_object(Bucket=STAGING_BUCKET, Key=MODELS_RECEIPT)
    world.advance(30 * DAY)
    update = world.double.start_training(home, 60, training_mode="UPDATE")
    world.advance(120)
    world.personalize.update_campaign(campaignArn=pinned, solutionVersionArn=update)
    world.advance(7200)
    assert world.double.campaigns[pinned].solution_version_arn == update

    fresh = another_stack_tracker(world, moto_endpoint, "new-stack-tracker")
    retrained(world, Retrain="ALL")
    world.double.reset_calls()
    result = run_execution(world, JOB, started_input(world, fresh, JOB), fresh)

    assert result.status == "SUCCEEDED"
    assert world.double.calls_for("UpdateCampaign") == []
    assert world.double.campaigns[pinned].solution_version_arn == update != job_version
    receipt = world.receipt(f"{JOB}.models")
    [solution] = receipt["solutions"]
    assert solution["campaigns"] == [
        {
            "campaignArn": pinned,
            "action": f"left as it is (never moved back): it serves {update}, created after the "
            "new version but trained in trainingMode UPDATE, incremental from the model before "
            "it, so it may still reflect the users",
            "status": "SERVES A NEWER UPDATE-MODE VERSION",
        }
    ]
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINED", False)


# ---------------------------------------------- one resource's failure stays that resource's


def two_served_solutions(world: World) -> tuple[str, str, str, str]:
    """Two solutions of the group, each served by a pinned campaign."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    similar, _ = world.double.add_solution(GROUP, "similar-items")
    home_campaign = world.double.add_campaign(home, "home-pinned")
    similar_campaign = world.double.add_campaign(similar, "similar-pinned")
    return home, similar, home_campaign, similar_campaign


def new_version(world: World, solution: str, name: str = JOB) -> str:
    """The version the tracker trained (named after the job)."""
    [version] = [
        arn
        for arn, version in world.double.solution_versions.items()
        if version.solution_arn == solution and version.name == name
    ]
    return version


def refused(world: World, operation: str, member: str) -> tuple[str, str]:
    """(``member`` of the one call Personalize refused, of the one it accepted)."""
    calls = world.double.calls_for(operation)
    [bad] = [call.body[member] for call in calls if call.error_code is not None]
    [good] = [call.body[member] for call in calls if call.error_code is None]
    return bad, good


def test_a_campaign_deleted_during_retraining_is_recorded_and_the_others_are_updated(
    world: World, caplog
) -> None:
    """GIVEN two solutions, each served by a pinned campaign, and a request that retrains
    WHEN someone deletes the home-page campaign while the new versions train
    THEN the other campaign is updated, the deleted one is named DELETED, the retraining is
    recorded as RETRAINING_FAILED (receipt and one event) and the execution succeeds."""
    home, similar, home_campaign, similar_campaign = two_served_solutions(world)
    drain = models_events(world)
    retrained(world, Retrain="ALL")

    def step(event):
        if event["step"] == "retrain" and event["state"]["retraining"]["solutions"]:
            with world.double._lock:  # the double has no DeleteCampaign: remove it directly
                world.double._campaigns.pop(home_campaign, None)
        return tracker_steps.run(event, world.services)

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert (result.status, result.error) == ("SUCCEEDED", None)
    [update] = world.double.calls_for("UpdateCampaign")
    assert update.body == {
        "campaignArn": similar_campaign,
        "solutionVersionArn": new_version(world, similar),
    }
    receipt = world.receipt(f"{JOB}.models")
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINING_FAILED", False)
    by_solution = {s["solutionArn"]: s for s in receipt["solutions"]}
    assert by_solution[home]["status"] == "ACTIVE"
    assert by_solution[home]["campaigns"] == [
        {
            "campaignArn": home_campaign,
            "action": f"not updated: campaign {home_campaign} no longer exists "
            "(DescribeCampaign: ResourceNotFoundException); it serves nothing",
            "status": "DELETED",
        }
    ]
    assert by_solution[similar]["campaigns"] == [
        {
            "campaignArn": similar_campaign,
            "action": "updated to the new version",
            "status": "ACTIVE",
        }
    ]
    [event] = [message["detail"] for message in drain()]
    assert (event["status"], event["receiptUri"]) == (
        "RETRAINING_FAILED",
        f"s3://{STAGING_BUCKET}/{MODELS_RECEIPT}",
    )
    assert_no_user_ids(caplog, receipt, event)


def test_a_solution_deleted_before_its_training_is_recorded_and_the_others_are_retrained(
    world: World,
) -> None:
    """GIVEN two served solutions, and a request that retrains
    WHEN CreateSolutionVersion finds one solution gone (ResourceNotFoundException)
    THEN that solution is recorded DELETED, named, its campaign NOT UPDATED; the other is
    retrained and its campaign updated; the outcome is RETRAINING_FAILED."""
    home, similar, home_campaign, similar_campaign = two_served_solutions(world)
    campaign_of = {home: home_campaign, similar: similar_campaign}
    retrained(world, Retrain="ALL")
    world.double.inject("CreateSolutionVersion", "ResourceNotFoundException")

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    gone, kept = refused(world, "CreateSolutionVersion", "solutionArn")
    receipt = world.receipt(f"{JOB}.models")
    assert receipt["outcome"] == "RETRAINING_FAILED"
    by_solution = {s["solutionArn"]: s for s in receipt["solutions"]}
    assert by_solution[gone] == {
        "solutionArn": gone,
        "versionArn": None,
        "status": "DELETED",
        "failureReason": f"solution {gone} no longer exists (CreateSolutionVersion: "
        "ResourceNotFoundException): it was deleted during retraining, so it was not retrained",
        "campaigns": [
            {
                "campaignArn": campaign_of[gone],
                "action": "not updated: the solution is DELETED",
                "status": "NOT UPDATED",
            }
        ],
    }
    assert by_solution[kept]["status"] == "ACTIVE"
    assert world.double.campaigns[campaign_of[kept]].solution_version_arn == new_version(
        world, kept
    )


def test_a_refused_campaign_update_is_recorded_and_the_others_are_updated(world: World) -> None:
    """GIVEN two served solutions, and a request that retrains
    WHEN Personalize refuses one UpdateCampaign for good (InvalidInputException)
    THEN that campaign is recorded REFUSED with the service's message, the other is updated,
    and the outcome is RETRAINING_FAILED."""
    home, similar, home_campaign, similar_campaign = two_served_solutions(world)
    solution_of = {home_campaign: home, similar_campaign: similar}
    retrained(world, Retrain="ALL")
    world.double.inject("UpdateCampaign", "InvalidInputException", message="minProvisionedTPS")

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    bad, good = refused(world, "UpdateCampaign", "campaignArn")
    receipt = world.receipt(f"{JOB}.models")
    assert receipt["outcome"] == "RETRAINING_FAILED"
    campaigns = {c["campaignArn"]: c for s in receipt["solutions"] for c in s["campaigns"]}
    assert campaigns[bad] == {
        "campaignArn": bad,
        "action": "not updated: UpdateCampaign failed with InvalidInputException: "
        "minProvisionedTPS",
        "status": "REFUSED",
    }
    assert campaigns[good]["status"] == "ACTIVE"
    assert world.double.campaigns[bad].solution_version_arn != new_version(world, solution_of[bad])
    assert world.double.campaigns[good].solution_version_arn == new_version(
        world, solution_of[good]
    )


def test_a_failed_campaign_update_is_not_recorded_as_updated(world: World) -> None:
    """GIVEN a solution served by a pinned campaign whose next update fails (the campaign keeps
    serving the model trained before the deletion)
    WHEN a request that retrains is deployed and tracked
    THEN the models receipt does not say it was updated: the README promises "each campaign
    and what was done"; an auditor must not read "updated to the new version" for a campaign
    that still serves the old model."""
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    world.double.fail_next_campaign_updates("Insufficient capacity for the campaign")
    world.advance(10)
    assert play(cfn_event("Create", properties(Retrain="ALL")), world).reason is None

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    assert world.double.campaigns[pinned].solution_version_arn == home_v1  # still the old model
    receipt = world.receipt(f"{JOB}.models")
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINING_FAILED", False)
    [solution] = receipt["solutions"]
    [campaign] = solution["campaigns"]
    assert campaign["status"] == "CREATE FAILED"
    assert "updated to the new version" not in campaign["action"], campaign
    # AND the action says why, and what the campaign still serves
    assert campaign["action"] == (
        "not updated: its update to the new version failed (Insufficient capacity for the "
        f"campaign); it still serves {home_v1}"
    )


def test_the_limit_of_concurrent_trainings_makes_retraining_wait_not_fail(world: World) -> None:
    """GIVEN a served solution, and a request that retrains
    WHEN CreateSolutionVersion answers LimitExceededException 30 times: more than botocore's
    five attempts times the state machine's five attempts of a step
    THEN the tracker tries again each round (five attempts each), trains on the seventh, and
    records RETRAINED: the execution does not fail."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    world.double.inject("CreateSolutionVersion", "LimitExceededException", times=30)

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    calls = [call.error_code for call in world.double.calls_for("CreateSolutionVersion")]
    assert calls == ["LimitExceededException"] * 30 + [None]
    receipt = world.receipt(f"{JOB}.models")
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINED", True)
    assert world.double.campaigns[pinned].solution_version_arn == new_version(world, home)


# ------------------------------------------------------------- what effectiveInModels means


def test_a_solution_left_out_of_the_list_that_serves_an_old_model_keeps_it_not_effective(
    world: World,
) -> None:
    """GIVEN two solutions of the group, each served by a pinned campaign
    WHEN a request retraining only the first is deployed and tracked
    THEN the other campaign still serves its model trained before the deletion, so the models
    receipt says effectiveInModels false and names it under unlistedServing."""
    home, similar, _, similar_campaign = two_served_solutions(world)
    similar_v1 = world.double.campaigns[similar_campaign].solution_version_arn
    drain = models_events(world)
    retrained(world, Retrain="LIST", RetrainSolutions=[home])

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    receipt = world.receipt(f"{JOB}.models")
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINED", False)
    assert receipt["unlistedServing"] == [
        {
            "solutionArn": similar,
            "campaignArn": similar_campaign,
            "solutionVersionArn": similar_v1,
        }
    ]
    [event] = [message["detail"] for message in drain()]
    assert event["effectiveInModels"] is False


def test_a_solution_left_out_of_the_list_without_a_campaign_does_not_count(world: World) -> None:
    """GIVEN two solutions of the group, only the first served by a campaign
    WHEN a request retraining only the first is deployed and tracked
    THEN every serving model reflects the deletion: effectiveInModels true, none unlisted."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_solution(GROUP, "similar-items")
    world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="LIST", RetrainSolutions=[home])

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    receipt = world.receipt(f"{JOB}.models")
    assert (receipt["outcome"], receipt["effectiveInModels"]) == ("RETRAINED", True)
    assert receipt["unlistedServing"] == []


def test_an_unlisted_campaign_on_an_update_mode_version_of_a_pre_deletion_model_is_not_effective(
    world: World,
) -> None:
    """GIVEN a request that retrains a list of one served solution, in a group with another
    User-Personalization solution served by a pinned campaign on its FULL version trained
    before the deletion
    WHEN, while the retraining runs (after the deletion), the team creates an UPDATE-mode
    version of that other solution and points its campaign at it: "It is not a full
    retraining" (CreateSolutionVersion) — it "processes only the data that has changed since
    the latest training", so it is the pre-deletion model updated, still reflecting the users
    THEN ``unlistedServing`` must name that campaign (created after the deletion is not trained
    after it), and the receipt must not say effectiveInModels true."""
    listed, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(listed, "home-pinned")
    unlisted, _ = world.double.add_solution(GROUP, "similar-items")
    unlisted_pinned = world.double.add_campaign(unlisted, "similar-pinned")
    retrained(world, Retrain="LIST", RetrainSolutions=[listed])
    updated = []

    def step(event):
        if event["step"] == "retrain" and not updated:
            version = world.double.start_training(unlisted, 60, training_mode="UPDATE")
            world.advance(120)
            world.personalize.update_campaign(
                campaignArn=unlisted_pinned, solutionVersionArn=version
            )
            updated.append(version)
        return tracker_steps.run(event, world.services)

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert result.status == "SUCCEEDED"
    [version] = updated
    assert world.double.solution_versions[version].training_mode == "UPDATE"
    assert world.double.campaigns[unlisted_pinned].solution_version_arn == version
    models = world.receipt(f"{JOB}.models")
    assert models["outcome"] == "RETRAINED"
    assert [c["campaignArn"] for c in models["unlistedServing"] or []] == [unlisted_pinned]
    assert models["effectiveInModels"] is False


def test_a_campaign_put_on_a_pre_deletion_version_during_retraining_keeps_it_not_effective(
    world: World,
) -> None:
    """GIVEN a solution served by a pinned campaign, and a request that retrains ALL
    WHEN, while the new version trains, the team creates a second campaign on the solution's
    version trained before the deletion (it is not in the plan made at the first round)
    THEN when the retraining ends that campaign still serves the pre-deletion model, so the
    models receipt must not say effectiveInModels true (README: "true only when every campaign
    of the retrained solutions serves a version created after the deletion")."""
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    added = []

    def step(event):
        after = tracker_steps.run(event, world.services)
        if event["step"] == "retrain" and not added:
            added.append(world.double.add_campaign(home, "home-new", solution_version_arn=home_v1))
        return after

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert result.status == "SUCCEEDED"
    [late] = added
    assert world.double.campaigns[late].solution_version_arn == home_v1
    models = world.receipt(f"{JOB}.models")
    assert models["outcome"] == "RETRAINED"
    assert models["effectiveInModels"] is False, models["solutions"]


def test_a_planned_campaign_rolled_back_to_a_pre_deletion_model_before_the_end_is_not_effective(
    world: World,
) -> None:
    """GIVEN two solutions of the group, each served by a pinned campaign, and a request that
    retrains ALL; one training waits a round (another version in progress:
    ResourceInUseException), so the other solution's campaign is moved and ACTIVE a round
    before the last one is
    WHEN, in between, the team rolls that campaign back to the version it served before
    (trained before the deletion: the new model "looks worse")
    THEN when the retraining ends that campaign serves a model that reflects the deleted users,
    so the models receipt must not say effectiveInModels true (the campaigns are "listed again
    when the retraining ends", but the planned ones are skipped and never read again)."""
    home, home_v1 = world.double.add_solution(GROUP, "home-page")
    home_pinned = world.double.add_campaign(home, "home-pinned")
    similar, similar_v1 = world.double.add_solution(GROUP, "similar-items")
    similar_pinned = world.double.add_campaign(similar, "similar-pinned")
    before = {home_pinned: home_v1, similar_pinned: similar_v1}
    retrained(world, Retrain="ALL")
    world.double.inject("CreateSolutionVersion", "ResourceInUseException", times=1)
    rolled_back = []

    def step(event):
        after = tracker_steps.run(event, world.services)
        retraining = after.get("retraining") or {}
        if event["step"] == "retrain" and not rolled_back and not retraining.get("done"):
            for solution in retraining.get("solutions") or []:
                for campaign in solution["campaigns"]:
                    if campaign["status"] == "ACTIVE" and not rolled_back:
                        arn = campaign["campaignArn"]
                        world.double.campaign_update_seconds = 60  # ACTIVE by the next round
                        world.personalize.update_campaign(
                            campaignArn=arn, solutionVersionArn=before[arn]
                        )
                        rolled_back.append(arn)
        return after

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert result.status == "SUCCEEDED"
    [campaign] = rolled_back
    assert world.double.campaigns[campaign].solution_version_arn == before[campaign]
    models = world.receipt(f"{JOB}.models")
    assert models["outcome"] == "RETRAINED"
    assert models["effectiveInModels"] is False, (models["solutions"], models["unlistedServing"])
    # AND the receipt says what that campaign serves now, not what it served when updated
    [recorded] = [
        c for s in models["solutions"] for c in s["campaigns"] if c["campaignArn"] == campaign
    ]
    assert recorded["status"] == "MOVED BACK TO A MODEL TRAINED BEFORE THE DELETION"
    assert recorded["action"].startswith(f"moved back to {before[campaign]}, a model trained")
