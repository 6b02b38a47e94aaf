"""Retraining that cannot finish as planned: a follow-up job that does not complete, a
read Personalize refuses after the models changed, and rounds that fail for good or meet the
retraining's limit.

What must hold: the models receipt a deletion receipt promises is always written, says what
was done and what was not, and why (``caveat``), and is never ``effectiveInModels`` then. Same
set-up as ``test_retraining.py``.
"""

from __future__ import annotations

import lifecycle_support as support
import pytest
from botocore.exceptions import ClientError
from lifecycle_support import (
    GROUP,
    STAGING_BUCKET,
    TRACKER_ARN,
    USERS_CSV,
    World,
    cfn_event,
    expected_job_name,
    play,
    properties,
)
from personalize_deletion_runtime import tracker_steps
from personalize_deletion_runtime.notifications import MODELS_DETAIL_TYPE
from personalize_deletion_runtime.request_rules import follow_up_job_name
from test_retraining_faults import LambdaTimedOut, models_events, new_version, retrained
from tracker_runs import run_execution

pytestmark = pytest.mark.wire

moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

JOB = expected_job_name(USERS_CSV)
MODELS_RECEIPT = f"receipts/{JOB}.models.json"
EXECUTION = f"{TRACKER_ARN.replace(':stateMachine:', ':execution:')}:{JOB}"


# ------------------------------------------------- a follow-up job that does not complete


def follow_up_requested(world: World) -> tuple[str, str]:
    """A request with FollowUp and Retrain, a long job handed off, and a training that starts
    while it runs (so a follow-up job is queued)."""
    solution, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(solution, "home-pinned")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true", Retrain="ALL")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 10_000)
    return solution, pinned


def test_a_failed_follow_up_job_still_retrains_after_the_completed_first_job(
    world: World,
) -> None:
    """GIVEN a request with FollowUp and Retrain whose first job COMPLETED with interference
    WHEN the follow-up job ends FAILED
    THEN the models are retrained anyway (the first job removed the users from the datasets),
    and the models receipt the first receipt promises says so, with the failed follow-up as
    its caveat and effectiveInModels false; the event and metric say not effective."""
    world.double.run_seconds = 5000
    solution, pinned = follow_up_requested(world)
    world.double.fail_next_jobs("Internal error")
    follow_up = follow_up_job_name(JOB)
    drain = models_events(world)

    result = world.run_tracker(JOB)

    assert result.status == "SUCCEEDED"
    first = world.receipt(JOB)
    assert first["status"] == "COMPLETED"
    assert world.receipt(follow_up)["status"] == "FAILED"
    promised = f"s3://{STAGING_BUCKET}/receipts/{follow_up}.models.json"
    assert first["retraining"] == {"policy": "ALL", "receiptUri": promised}
    models = world.receipt(f"{follow_up}.models")
    assert (models["outcome"], models["effectiveInModels"]) == ("RETRAINED", False)
    assert models["caveat"] == (
        f"the follow-up job {follow_up} FAILED (see its receipt): retrained after job {JOB} "
        "COMPLETED, which removed the users from the datasets, but data imported or trained "
        f"while {JOB} ran may still hold them; run another deletion job to be sure"
    )
    assert world.double.campaigns[pinned].solution_version_arn == new_version(
        world, solution, follow_up
    )
    [event] = [message["detail"] for message in drain()]
    assert (event["status"], event["effectiveInModels"], event["receiptUri"]) == (
        "RETRAINED",
        False,
        promised,
    )
    assert ("ModelsNotRetrained", "privacy") in world.metrics()


def test_a_stuck_follow_up_job_writes_the_promised_models_receipt_saying_not_retrained(
    world: World,
) -> None:
    """GIVEN a request with FollowUp and Retrain whose first job COMPLETED with interference
    WHEN the follow-up job is still running at the tracking limit (STUCK)
    THEN nothing is trained (a deletion job may still run), and the models receipt the first
    receipt promises says NOT_RETRAINED and why; its event and ModelsNotRetrained go out."""
    world.double.run_seconds = lambda sequence: 5000 if sequence == 1 else float("inf")
    follow_up_requested(world)
    follow_up = follow_up_job_name(JOB)
    drain = models_events(world)

    result = world.run_tracker(JOB)

    assert (result.status, result.error) == ("FAILED", "DeletionJobStuck")
    assert world.double.calls_for("CreateSolutionVersion") == []
    promised = f"s3://{STAGING_BUCKET}/receipts/{follow_up}.models.json"
    assert world.receipt(JOB)["retraining"]["receiptUri"] == promised
    models = world.receipt(f"{follow_up}.models")
    assert {k: models[k] for k in ("jobName", "outcome", "effectiveInModels", "solutions")} == {
        "jobName": follow_up,
        "outcome": "NOT_RETRAINED",
        "effectiveInModels": False,
        "solutions": [],
    }
    assert models["caveat"] == (
        f"the follow-up job {follow_up} did not end (STUCK; see its event), and the retraining "
        "waits for it: training while a deletion job may still run or start is what the "
        f"Personalize guide advises against. Job {JOB} COMPLETED (the users are gone from the "
        "datasets) but the models still reflect them: once the follow-up job has ended, train "
        "new solution versions and update their campaigns yourself"
    )
    [event] = [message["detail"] for message in drain()]
    assert (event["status"], event["jobName"], event["receiptUri"]) == (
        "NOT_RETRAINED",
        follow_up,
        promised,
    )
    # AND the event says why, as the receipt does (a subscriber needs no second read)
    assert event["caveat"] == models["caveat"]
    assert ("ModelsNotRetrained", "privacy") in world.metrics()


def test_a_follow_up_job_never_started_says_it_will_not_be_and_how_to_delete_those_users(
    world: World,
) -> None:
    """GIVEN a request with FollowUp and Retrain whose first job COMPLETED with interference
    WHEN a training outlasts the tracking limit, so the follow-up job is never accepted
    (NOT_STARTED; its staged list is deleted)
    THEN neither the execution's cause nor the promised models receipt tells the user to wait
    for it or to deploy again (neither can start it): both say it will not start and that the
    request must be renamed to run a new job with the same list."""
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(solution, "home-pinned")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true", Retrain="ALL")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 50 * 3600)
    follow_up = follow_up_job_name(JOB)

    result = world.run_tracker(JOB)

    assert (result.status, result.error) == ("FAILED", "DeletionJobNotStarted")
    assert result.cause.endswith(
        "; the follow-up job was not started, and will not be (its staged list is deleted): "
        f"users that imports or trainings brought back while job {JOB} ran may still be in the "
        "datasets; to delete them, rename the request and deploy (a new job reads the list "
        "again)"
    )
    models = world.receipt(f"{follow_up}.models")
    assert models["outcome"] == "NOT_RETRAINED"
    assert models["caveat"] == (
        f"the follow-up job {follow_up} did not end (NOT_STARTED; see its event), and the "
        "retraining waits for it: training while a deletion job may still run or start is what "
        f"the Personalize guide advises against. Job {JOB} COMPLETED (the users are gone from "
        "the datasets) but the models still reflect them: the follow-up job will not start (its "
        "staged list is deleted); rename the request and deploy to run a new deletion job with "
        "the same list, then train new solution versions and update their campaigns once it has "
        "ended"
    )


def test_retrain_stopped_after_a_failed_follow_up_does_not_say_the_deletion_completed(
    world: World,
) -> None:
    """GIVEN a request with FollowUp and Retrain whose first job COMPLETED with interference,
    and whose follow-up job ends FAILED (the models are retrained anyway, named after it)
    WHEN the retrain step fails for good (ListSolutions refused on every attempt)
    THEN the follow-up's models receipt must not tell the auditor "The deletion COMPLETED (see
    its receipt)": its receipt (the follow-up's) says FAILED."""
    world.double.run_seconds = 5000
    solution, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(solution, "home-pinned")
    world.advance(10)
    play(cfn_event("Create", properties(FollowUp="true", Retrain="ALL")), world, step=100)
    world.advance(400)
    world.double.start_training(solution, 10_000)
    world.double.fail_next_jobs("Internal error")
    follow_up = follow_up_job_name(JOB)
    injected = []

    def step(event):
        if event["step"] == "retrain" and not injected:
            world.double.inject(
                "ListSolutions", "InvalidInputException", message="group unreadable", times=50
            )
            injected.append(True)
        return tracker_steps.run(event, world.services)

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    assert (result.status, result.error) == ("FAILED", "TrackerFailed")
    assert world.receipt(follow_up)["status"] == "FAILED"
    models = world.receipt(f"{follow_up}.models")
    assert models["outcome"] == "RETRAINING_FAILED"
    assert "The deletion COMPLETED (see its receipt)" not in models["caveat"], models["caveat"]


def test_a_listing_refused_after_campaigns_were_moved_still_leaves_the_promised_models_receipt(
    world: World,
) -> None:
    """GIVEN a request that retrains a list of one solution (served by a pinned campaign) in a
    group that has another solution served by a campaign, completed inside the deployment
    AND, once the first retraining round has started the training, Personalize refuses
    ListCampaigns for good (AccessDeniedException: an SCP, a permission boundary)
    WHEN the tracker trains the listed solution, moves its campaign to the new version, and
    then reads the unlisted solution's campaigns (``unlistedServing``)
    THEN what was done is still recorded: the deletion receipt's ``retraining.receiptUri``
    promises ``receipts/<job>.models.json``, and "a call Personalize refuses for good" is
    recorded (``REFUSED``), never lost with the models already changed."""
    listed, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(listed, "home-pinned")
    unlisted, _ = world.double.add_solution(GROUP, "similar-items")
    world.double.add_campaign(unlisted, "similar-pinned")
    drain = models_events(world)
    world.advance(10)
    outcome = play(
        cfn_event("Create", properties(Retrain="LIST", RetrainSolutions=[listed])), world
    )
    assert outcome.data["TrackedBy"] == EXECUTION
    promised = world.receipt(JOB)["retraining"]["receiptUri"]
    assert promised == f"s3://{STAGING_BUCKET}/{MODELS_RECEIPT}"
    rounds = []

    def step(event):
        after = tracker_steps.run(event, world.services)
        if event["step"] == "retrain" and "retrain" not in rounds:
            world.double.inject("ListCampaigns", "AccessDeniedException", times=1000)
        rounds.append(event["step"])
        return after

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)

    [update] = world.double.calls_for("UpdateCampaign")  # the model served did change
    assert update.body["campaignArn"] == pinned
    assert (result.status, world.keys(prefix=MODELS_RECEIPT)) == ("SUCCEEDED", [MODELS_RECEIPT]), (
        result.error,
        result.cause,
    )
    assert [e["detail"]["status"] for e in drain()] == ["RETRAINING_FAILED"]
    # AND the receipt says what was done, that which unlisted campaigns serve an old model is
    # unknown (null, not an empty list), and which call was refused
    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"], models["unlistedServing"]) == (
        "RETRAINING_FAILED",
        False,
        None,
    )
    [solution] = models["solutions"]
    assert (solution["status"], solution["campaigns"]) == (
        "ACTIVE",
        [{"campaignArn": pinned, "action": "updated to the new version", "status": "ACTIVE"}],
    )
    assert models["caveat"] == (
        "which campaigns of the group's solutions left out of RetrainSolutions serve a model "
        "trained before the deletion is unknown (unlistedServing is null): one may still serve "
        "a model that reflects the users; check them yourself (refused for good: "
        "ListCampaigns failed with AccessDeniedException: Injected AccessDeniedException)"
    )


# ------------------------------------------------- a retraining that cannot go on at all


def test_a_retraining_stopped_for_good_still_writes_the_promised_models_receipt(
    world: World,
) -> None:
    """GIVEN a served solution, and a request that retrains
    WHEN Personalize refuses to list the group's solutions for good (every attempt of every
    retry of the step)
    THEN the execution still fails TrackerFailed (its alarm), but first the models receipt the
    deletion receipt promises is written: RETRAINING_FAILED, not effective, saying what stopped
    it and what to do; its event and ModelsNotRetrained go out."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    world.double.inject(
        "ListSolutions", "InvalidInputException", message="group unreadable", times=50
    )
    drain = models_events(world)

    result = world.run_tracker(JOB)

    assert (result.status, result.error) == ("FAILED", "TrackerFailed")
    assert world.double.calls_for("CreateSolutionVersion") == []
    promised = f"s3://{STAGING_BUCKET}/receipts/{JOB}.models.json"
    assert world.receipt(JOB)["retraining"]["receiptUri"] == promised
    models = world.receipt(f"{JOB}.models")
    # AND the receipt is version 2: effectiveInModels also weighs unlistedServing and caveat,
    # fields version 1 did not have
    assert (models["version"], sorted(models)) == (
        2,
        sorted(
            [
                "version",
                "requestName",
                "jobName",
                "datasetGroupArn",
                "outcome",
                "effectiveInModels",
                "caveat",
                "solutions",
                "unlistedServing",
                "recommenders",
                "recommendersNote",
                "startedAt",
                "finishedAt",
                "trackedBy",
                "stackId",
            ]
        ),
    )
    assert {
        k: models[k]
        for k in ("jobName", "outcome", "effectiveInModels", "solutions", "unlistedServing")
    } == {
        "jobName": JOB,
        "outcome": "RETRAINING_FAILED",
        "effectiveInModels": False,
        "solutions": [],
        "unlistedServing": None,
    }
    # AND, the group being unreadable after the step stopped too, what the retraining did is
    # said to be unknown, not "nothing"
    assert models["caveat"] == (
        "the retraining stopped before it ended (ModelCallRefused: ListSolutions failed with "
        "InvalidInputException: group unreadable); the solutions and campaigns listed are as "
        "read after it stopped (nothing was started or moved since). The deletion COMPLETED "
        "(see its receipt) but the models may still reflect the users: train new solution "
        "versions of the group's solutions and update their campaigns yourself; the group's "
        "solutions could not be listed after the retraining stopped (ListSolutions failed with "
        f"InvalidInputException: group unreadable): whether it started trainings (solution "
        f"versions named {JOB}) or moved campaigns to them is unknown; check the group's "
        "solutions and their campaigns"
    )
    [event] = [message["detail"] for message in drain()]
    assert (event["status"], event["receiptUri"], event["caveat"]) == (
        "RETRAINING_FAILED",
        promised,
        models["caveat"],
    )
    assert ("ModelsNotRetrained", "privacy") in world.metrics()
    # AND the execution's cause is still the step's error, as before
    assert "ListSolutions failed with InvalidInputException" in result.cause


def crashing_after(world: World, operation: str):
    """A tracker step whose retrain invocations all fail once ``operation`` has been called:
    the invocation that calls it does its work and then gets no answer back (the Lambda timed
    out after the call); every later retrain invocation fails before doing anything."""

    def step(event):
        if event["step"] == "retrain" and world.double.calls_for(operation):
            raise LambdaTimedOut("Task timed out after 900.00 seconds")
        after = tracker_steps.run(event, world.services)
        if event["step"] == "retrain" and world.double.calls_for(operation):
            raise LambdaTimedOut("Task timed out after 900.00 seconds")
        return after

    return step


def test_retrain_stopped_after_a_round_moved_a_campaign_records_the_move(world: World) -> None:
    """GIVEN a solution served by a pinned campaign, and a request that retrains
    WHEN the round that finds the new version ACTIVE moves the campaign to it (UpdateCampaign)
    and its invocation then gets no answer (a timeout), and every retry of the step fails too
    THEN RetrainStopped writes the models receipt from the last *successful* round, which had
    not moved the campaign: the receipt must still say the campaign was moved (an auditor is
    handed a receipt saying nothing was done to a production campaign the library changed)."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")

    result = run_execution(
        world, JOB, world.tracker_input(JOB), functions_step=crashing_after(world, "UpdateCampaign")
    )

    assert (result.status, result.error) == ("FAILED", "TrackerFailed")
    new = new_version(world, home)
    [update] = world.double.calls_for("UpdateCampaign")
    assert update.body == {"campaignArn": pinned, "solutionVersionArn": new}
    world.advance(3600)
    assert world.double.campaigns[pinned].solution_version_arn == new  # production moved
    models = world.receipt(f"{JOB}.models")
    assert models["outcome"] == "RETRAINING_FAILED"
    [solution] = models["solutions"]
    [campaign] = solution["campaigns"]
    assert campaign["status"] is not None and campaign["action"] is not None, (solution, campaign)


def test_retrain_stopped_after_the_first_round_started_a_training_records_the_training(
    world: World,
) -> None:
    """GIVEN a solution served by a campaign following $LATEST, and a request that retrains
    WHEN the first round starts the training (CreateSolutionVersion) and its invocation then
    gets no answer, and every retry of the step fails too
    THEN the models receipt written by RetrainStopped says ``solutions: []`` ("nothing, if the
    group could not even be listed"), yet a billed training named after the job was started
    and, once ACTIVE, the syncing campaign serves it: the receipt must name that version."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-latest", sync_with_latest=True)
    retrained(world, Retrain="ALL")

    result = run_execution(
        world,
        JOB,
        world.tracker_input(JOB),
        functions_step=crashing_after(world, "CreateSolutionVersion"),
    )

    assert (result.status, result.error) == ("FAILED", "TrackerFailed")
    new = new_version(world, home)  # the training the failed round started
    models = world.receipt(f"{JOB}.models")
    assert models["outcome"] == "RETRAINING_FAILED"
    assert [s["versionArn"] for s in models["solutions"]] == [new], models["solutions"]


def test_retrain_stopped_of_a_retrack_records_the_campaign_an_earlier_execution_moved(
    world: World,
) -> None:
    """GIVEN a solution served by a pinned campaign, and a request that retrains
    AND its tracker execution trains a version named after the job and moves the campaign to it
    (UpdateCampaign), then dies without writing the models receipt (every later invocation,
    RetrainStopped's too, times out: an S3 outage, say)
    WHEN the hand-started re-track ``<job>-2`` (input + "retrack": true) finishes the job, plans
    the retraining again (its own, later ``startedAt``), and its retrain step fails for good
    THEN RetrainStopped's models receipt must record what was done to production: the version
    named after the job and the campaign serving it. It must not say "not trained" and
    "not updated" for a campaign that serves the job's retrained version (the active path
    adopts that same version: ``_version_named`` with no ``since``)."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    pinned = world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")

    def first(event):
        if event["step"] in ("retrain", "retrain_stopped") and world.double.calls_for(
            "UpdateCampaign"
        ):
            raise LambdaTimedOut("Task timed out after 900.00 seconds")
        after = tracker_steps.run(event, world.services)
        if event["step"] == "retrain" and world.double.calls_for("UpdateCampaign"):
            raise LambdaTimedOut("Task timed out after 900.00 seconds")
        return after

    a = run_execution(world, JOB, world.tracker_input(JOB), functions_step=first)
    assert (a.status, world.keys(prefix=MODELS_RECEIPT)) == ("FAILED", [])
    version = new_version(world, home)
    world.advance(3600)
    assert world.double.campaigns[pinned].solution_version_arn == version  # production moved

    def second(event):
        if event["step"] == "retrain":
            raise LambdaTimedOut("Task timed out after 900.00 seconds")
        return tracker_steps.run(event, world.services)

    b = run_execution(
        world, f"{JOB}-2", {**world.tracker_input(JOB), "retrack": True}, functions_step=second
    )

    assert (b.status, b.error) == ("FAILED", "TrackerFailed")
    models = world.receipt(f"{JOB}.models")
    [solution] = models["solutions"]
    [campaign] = solution["campaigns"]
    assert (solution["versionArn"], solution["status"]) == (version, "ACTIVE"), solution
    assert (campaign["status"], campaign["action"]) == ("ACTIVE", "updated to the new version")


def test_a_models_receipt_write_failing_on_every_attempt_leaves_events_that_agree_with_it(
    world: World,
) -> None:
    """GIVEN a served solution, and a request that retrains successfully
    WHEN writing the models receipt fails on every attempt of the last retrain round (S3
    503 SlowDown for the ~8 minutes of the step's retries) and succeeds in RetrainStopped
    THEN subscribers are not told something the receipt contradicts: the receipt says
    RETRAINING_FAILED (not effective), so no event may say RETRAINED / effectiveInModels true
    (each attempt published one before its write failed, and counted ModelsRetrained)."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    drain = models_events(world)
    storage = world.services.storage
    real_put = storage.put_json_once
    failures = []

    def put_json_once(bucket, key, document):
        if key == MODELS_RECEIPT and len(failures) < 5:
            failures.append(key)
            raise ClientError(
                {"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}},
                "PutObject",
            )
        return real_put(bucket, key, document)

    storage.put_json_once = put_json_once

    result = world.run_tracker(JOB)

    assert (result.status, result.error) == ("FAILED", "TrackerFailed")
    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"]) == ("RETRAINING_FAILED", False)
    statuses = [(e["detail"]["status"], e["detail"]["effectiveInModels"]) for e in drain()]
    assert statuses == [("RETRAINING_FAILED", False)], statuses


def test_a_models_event_failing_after_its_receipt_was_written_goes_out_as_the_receipt_says(
    world: World,
) -> None:
    """GIVEN a served solution, and a request that retrains successfully
    WHEN the models receipt is written but publishing its event fails on every attempt of the
    last retrain round (PutEvents throttled for the ~8 minutes of the step's retries), and
    succeeds in RetrainStopped
    THEN the event still goes out (at least once), and it says what the stored receipt says:
    RETRAINED and effective, not the RETRAINING_FAILED RetrainStopped would have written; the
    receipt, written once, is not rewritten."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    drain = models_events(world)
    notifier = world.services.notifier
    real_publish = notifier.publish
    failures = []

    def publish(detail, detail_type=None, **kwargs):
        if detail_type == MODELS_DETAIL_TYPE and len(failures) < 5:
            failures.append(detail["status"])
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                "PutEvents",
            )
        return real_publish(detail, detail_type=detail_type, **kwargs)

    notifier.publish = publish

    result = world.run_tracker(JOB)

    assert (result.status, result.error) == ("FAILED", "TrackerFailed")
    assert failures == ["RETRAINED"] * 5
    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"], models["caveat"]) == (
        "RETRAINED",
        True,
        None,
    )
    statuses = [(e["detail"]["status"], e["detail"]["effectiveInModels"]) for e in drain()]
    assert statuses == [("RETRAINED", True)], statuses


def test_a_group_that_cannot_be_listed_until_the_limit_says_why_nothing_was_retrained(
    world: World,
) -> None:
    """GIVEN a served solution, and a request that retrains
    WHEN every ListSolutions is throttled until the retraining's limit (a transient fault:
    each round waits for the next)
    THEN the models receipt says RETRAINING_STUCK with nothing retrained, and its caveat says
    why (the group's solutions were never listed) and what to do: not a bare STUCK."""
    home, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(home, "home-pinned")
    retrained(world, Retrain="ALL")
    world.double.inject(
        "ListSolutions", "ThrottlingException", message="Rate exceeded", times=10_000
    )

    assert world.run_tracker(JOB).status == "SUCCEEDED"

    models = world.receipt(f"{JOB}.models")
    assert (models["outcome"], models["effectiveInModels"], models["solutions"]) == (
        "RETRAINING_STUCK",
        False,
        [],
    )
    assert models["caveat"] == (
        "the dataset group's solutions could not be listed before the retraining's limit "
        "(ListSolutions ThrottlingException: Rate exceeded): nothing was retrained; train new "
        "solution versions of the group's solutions and update their campaigns yourself"
    )


def test_unlisted_campaigns_unread_until_the_limit_say_why_they_are_unknown(world: World) -> None:
    """GIVEN a request that retrains a list of one served solution, in a group with another
    served solution, completed inside the deployment
    AND, once the first round has run, every ListCampaigns is throttled (a transient fault:
    each round waits for the next) until the retraining's limit
    WHEN the tracker retrains the listed solution and then cannot read the unlisted solution's
    campaigns before its limit
    THEN the models receipt says ``unlistedServing`` is unknown (null), not effective, and its
    caveat says why and what to check."""
    listed, _ = world.double.add_solution(GROUP, "home-page")
    world.double.add_campaign(listed, "home-pinned")
    unlisted, _ = world.double.add_solution(GROUP, "similar-items")
    world.double.add_campaign(unlisted, "similar-pinned")
    world.advance(10)
    play(cfn_event("Create", properties(Retrain="LIST", RetrainSolutions=[listed])), world)
    rounds = []

    def step(event):
        after = tracker_steps.run(event, world.services)
        if event["step"] == "retrain" and "retrain" not in rounds:
            world.double.inject(
                "ListCampaigns", "ThrottlingException", message="Rate exceeded", times=100_000
            )
        rounds.append(event["step"])
        return after

    result = run_execution(world, JOB, world.tracker_input(JOB), functions_step=step)
    assert result.status == "SUCCEEDED", (result.error, result.cause)

    models = world.receipt(f"{JOB}.models")
    assert (models["effectiveInModels"], models["unlistedServing"]) == (False, None)
    assert models["caveat"] == (
        "which campaigns of the group's solutions left out of RetrainSolutions serve a model "
        "trained before the deletion is unknown (unlistedServing is null): their reads failed "
        "until the retraining's limit (ListCampaigns ThrottlingException: Rate exceeded); "
        "check them yourself"
    )
