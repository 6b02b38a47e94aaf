"""`python -m personalize_deletion_local rehearse` on the example app, end to end.

Synthesizes once with the real CDK CLI (default scenario), then reuses that cloud assembly
(``--no-synth``) for the other scenarios. Runs as subprocesses, the way users run it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rehearsal_support import ROOT, rehearse, section, summary_row, summary_rows, verdict

pytestmark = pytest.mark.synth

STACK = "PersonalizeDataDeletion/123456789012-us-east-1"
"""The example's one stack: its Stage, then the account and region it deploys to."""
FAILURE_REASON = "Access Denied: the role cannot read the data location"
USER_IDS = [
    line
    for csv in (ROOT / "requests").glob("*.csv")
    for line in csv.read_text().splitlines()[1:]
    if line
]


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Synthesize with the CDK CLI and rehearse the default scenario (hand-off) in one go."""
    cdk_out = tmp_path_factory.mktemp("rehearsal") / "cdk.out"
    result = rehearse("--app-dir", str(ROOT), "--cdk-out", str(cdk_out))
    assert result.returncode == 0, result.stdout + result.stderr
    return cdk_out, result.stdout


def test_handoff_shows_the_deployment_returning_and_the_tracker_finishing(
    synthesized: tuple[Path, str],
) -> None:
    cdk_out, output = synthesized
    assert (cdk_out / "manifest.json").is_file()
    # GIVEN the default scenario (every second job runs five hours, the others a minute) and
    # the example's two requests, each fanned out to two dataset groups of one stack in a Stage
    # THEN cdk deploy returns with one job of each request COMPLETED and the other handed off
    for request, deleted in (("sample-2026-11", "3"), ("sample-2026-12", "2")):
        done, tracked = summary_rows(output, request)
        assert done == [request, done[1], "COMPLETED", deleted, "none", f"receipts/{done[1]}.json"]
        assert tracked == [request, tracked[1], "IN_PROGRESS", "pending", tracked[1], "-"]
        # AND the tracker, run from the synthesized definition, follows that one to its end
        assert f"  [{tracked[1]}] execution SUCCEEDED after t+" in output
        assert summary_rows(output, request, "recorded:") == [
            done,
            [request, tracked[1], "COMPLETED", deleted, tracked[1], f"receipts/{tracked[1]}.json"],
        ]
    # AND the two jobs of one request have distinct names (the digest covers the group)
    assert (
        len(
            {
                row[1]
                for r in ("sample-2026-11", "sample-2026-12")
                for row in summary_rows(output, r)
            }
        )
        == 4
    )
    # AND progress lines name each job by its construct path
    path = f"{STACK}/UserDeletion/sample-2026-12/example-catalog"
    assert f"  [{path}] Create sample-2026-12\n" in output
    assert f"  [{path}] t+  3240s poll 55: IN_PROGRESS\n" not in output
    assert re.search(rf"  \[{path}\] Create -> SUCCESS after 55 isComplete poll\(s\)", output)
    tracked = summary_rows(output, "sample-2026-11")[1][1]
    assert f"[{tracked}] execution SUCCEEDED after t+3h20m simulated: 20 status reads" in output
    # AND each job's end is one event on the default bus
    events = output.split("event on the default bus: Personalize Data Deletion Job State Change")
    assert [event.split(")", 1)[0] for event in events[1:]] == [" (COMPLETED"] * 4
    assert "metrics: JobsCompleted 4" in output
    # AND the packaged handler ran; Update keeps the jobs; Delete never calls Personalize
    assert "personalize_deletion_runtime (packaged)" in output
    assert output.count("physical id unchanged") == 4
    assert "(0 new)" in output
    assert "Personalize calls during Delete: 0" in output
    assert "staged lists left in the deletion bucket: 0" in output
    assert "other objects under staging/ (markers, no ids): 0" in output
    assert "lists left in the CDK assets bucket: 0" in output
    # AND receipts are not printed unless asked for; no user id is ever printed
    assert "\nreceipt s3://" not in output
    assert [user for user in USER_IDS if user in output] == []
    assert verdict(output) == (
        "=== VERDICT ===\n"
        f"  {STACK}  passed (4 request(s))\n"
        "\n"
        "rehearsal passed: the deployment would succeed"
    )


def test_a_failed_job_fails_the_deployment_in_cloudformations_words(
    synthesized: tuple[Path, str],
) -> None:
    # GIVEN every job ends FAILED
    cdk_out, _ = synthesized

    # WHEN the rehearsal plays the deployment
    result = rehearse("--cdk-out", str(cdk_out), "--no-synth", "--scenario", "failed")

    # THEN it exits 1 with the status reason CloudFormation would show for each request
    assert result.returncode == 1, result.stdout
    output = result.stdout
    job = summary_row(output, "sample-2026-11")[1]
    assert summary_row(output, "sample-2026-11")[2] == "FAILED"
    handler = re.search(r"Logs: /aws/lambda/(\S+-IsComplete)\n", output)
    assert handler is not None
    assert (
        "    Received response status [FAILED] from custom resource. Message returned: Error: "
        f"data deletion job {job} FAILED: {FAILURE_REASON}. A failed job keeps its name, so "
        "deploying the same request adopts it again: fix the cause, then rename the request "
        "to start a new job\n"
        "\n"
        f"    Logs: /aws/lambda/{handler.group(1)}\n"
        "\n"
        "        at invokeUserFunction (/var/task/framework.js:2:6)\n"
        "        at async isComplete (/var/task/framework.js:1:2631)\n"
        "        at async Object.isComplete (/var/task/cfn-response.js:1:2865) (RequestId: "
    ) in output
    # AND the stack rolls back: each job gets CloudFormation's Delete (in reverse order of
    # creation), nothing is undone
    rollback = output.split(f"--- ROLLBACK of stack {STACK} ---\n", 1)[1]
    jobs = [row[1] for r in ("sample-2026-11", "sample-2026-12") for row in summary_rows(output, r)]
    paths = [
        f"{STACK}/UserDeletion/{request}/{group}"
        for request in ("sample-2026-11", "sample-2026-12")
        for group in ("example-dataset-group", "example-catalog")
    ]
    assert rollback.splitlines()[:4] == [
        f"  [{path}] Delete (rollback) -> SUCCESS after 1 isComplete poll(s), 0s simulated; "
        f"physical id {job}"
        for path, job in reversed(list(zip(paths, jobs, strict=True)))
    ]
    assert "--- UPDATE" not in output
    assert verdict(output) == (
        "=== VERDICT ===\n"
        f"  {STACK}  FAILED (4 request(s))\n"
        "                                                    4 of 4 request(s) failed: "
        "CREATE_FAILED\n"
        "\n"
        "rehearsal FAILED: 1 of 1 stack(s) would fail"
    )


def test_queued_scenario_submits_the_requests_after_the_deployment(
    synthesized: tuple[Path, str],
) -> None:
    # GIVEN every dataset group is in use for the first two hours
    cdk_out, _ = synthesized
    result = rehearse("--cdk-out", str(cdk_out), "--no-synth", "--scenario", "queued")
    # THEN the deployment succeeds with the first request's jobs QUEUED (the rehearsal plays
    # resources one after another, so the later ones start once the groups are free), and the
    # tracker starts the queued ones
    assert result.returncode == 0, result.stdout
    queued = summary_rows(result.stdout, "sample-2026-11")
    assert [row[2:5] for row in queued] == [["QUEUED", "pending", row[1]] for row in queued]
    for request in ("sample-2026-11", "sample-2026-12"):
        recorded = summary_rows(result.stdout, request, "recorded:")
        assert [row[2] for row in recorded] == ["COMPLETED"] * 2
    assert "Submit: Personalize accepted the job" in result.stdout


def test_one_request_can_fail_alone_and_receipts_are_shown_on_request(
    synthesized: tuple[Path, str],
) -> None:
    # GIVEN only the second request's job fails; receipts asked for
    cdk_out, _ = synthesized

    # WHEN the rehearsal runs
    result = rehearse(
        "--cdk-out",
        str(cdk_out),
        "--no-synth",
        "--request-scenario",
        "sample-2026-12=failed",
        "--request-scenario",
        "sample-2099=failed",
        "--show-receipts",
    )

    # THEN the first request's jobs complete or are handed off, the second's fail the deployment
    output = result.stdout
    assert result.returncode == 1, output
    assert [row[2] for row in summary_rows(output, "sample-2026-11")] == [
        "COMPLETED",
        "IN_PROGRESS",
    ]
    assert [row[2] for row in summary_rows(output, "sample-2026-12")] == ["FAILED"] * 2
    assert "scenario: handoff; sample-2026-12: failed; sample-2099: failed\n" in output
    # AND the rollback says that the completed deletion stays
    first = summary_row(output, "sample-2026-11")[1]
    assert (
        f"    its job {first} (COMPLETED) is not undone: Personalize cannot restore deleted "
        "users, and a running job goes on\n"
    ) in output
    # AND each receipt is printed once, with counts and no user id
    receipt_text = output.split(f"/receipts/{first}.json:\n", 1)[1].split("\n}\n", 1)[0] + "\n}"
    assert json.loads(receipt_text)["numDeleted"] == 3
    assert output.count(f"/receipts/{first}.json:\n") == 1
    assert [user for user in USER_IDS if user in output] == []
    # AND a scenario for a request that does not exist is named, never silently ignored
    assert verdict(output) == (
        "=== VERDICT ===\n"
        f"  {STACK}  FAILED (4 request(s))\n"
        "                                                    2 of 4 request(s) failed: "
        "CREATE_FAILED\n"
        "  unsupported: --request-scenario sample-2099: no request has that name\n"
        "\n"
        "rehearsal FAILED: 1 of 1 stack(s) would fail"
    )


def test_the_retraining_scenario_shows_models_retrained_after_the_deletion(
    tmp_path: Path,
) -> None:
    # GIVEN the example request file that asks for retraining (-c passed through to cdk synth),
    # and dataset groups with two solutions: one campaign pinned to a version, one following
    # $LATEST
    result = rehearse(
        "--cdk-out",
        str(tmp_path / "cdk.out"),
        "-c",
        "requestFile=requests/retraining.json",
        "--scenario",
        "retraining",
    )

    # THEN the deletion completes at deploy time and the tracker retrains after it
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    [row] = summary_rows(output, "sample-2026-11-models", "recorded:")
    job = row[1]
    assert row[2:4] == ["COMPLETED", "3"]
    # AND one new version per solution; the pinned campaign is updated, the other follows
    group = "example-dataset-group"
    assert section(output, "models:").splitlines()[2:] == [
        line.rstrip()
        for line in (
            f"  sample-2026-11-models  {job}  RETRAINED  true       {group}-for-you  ACTIVE       "
            f"{group}-for-you follows the latest version on its own (FOLLOWS LATEST)",
            f"  sample-2026-11-models  {job}  RETRAINED  true       {group}-ranking  ACTIVE       "
            f"{group}-ranking updated to the new version (ACTIVE)",
        )
    ]
    # AND the models event is on the bus; nothing started while the job ran (no warning)
    assert (
        "event on the default bus: Personalize Data Deletion Models Retrained (RETRAINED)\n"
        "  no rule of the app matches it (add one with on_models_retrained)\n"
    ) in output
    assert '"warning": null' in output
    assert "metrics: JobsCompleted 1, ModelsRetrained 1" in output
    assert verdict(output).endswith("rehearsal passed: the deployment would succeed")
