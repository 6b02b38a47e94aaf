"""`python -m personalize_deletion_local rehearse` on the example app, end to end.

Synthesizes once with the real CDK CLI (success scenario), then reuses that cloud assembly
(``--no-synth``) for the failure scenario. Runs as subprocesses, the way users run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAILURE_REASON = "Access Denied: the role cannot read the data location"


def _rehearse(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env["PATH"] = os.pathsep.join(
        [os.path.dirname(sys.executable), str(ROOT / "node_modules" / ".bin"), env.get("PATH", "")]
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "personalize_deletion_local",
            "rehearse",
            "--app-dir",
            str(ROOT),
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Synthesize with the CDK CLI and rehearse the default scenario (hand-off) in one go."""
    cdk_out = tmp_path_factory.mktemp("rehearsal") / "cdk.out"
    result = _rehearse("--cdk-out", str(cdk_out))
    assert result.returncode == 0, result.stdout + result.stderr
    return cdk_out, result.stdout


def _summary_rows(
    output: str, request: str, title: str = "when cdk deploy returns"
) -> list[list[str]]:
    """The summary's rows of one request: one per dataset group it fans out to."""
    summary = output.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.split() for line in summary.splitlines()]
    found = [cells for cells in rows if cells and cells[0] == request]
    assert found, f"{request} not in summary:\n{summary}"
    return found


def test_handoff_shows_the_deployment_returning_and_the_tracker_finishing(
    synthesized: tuple[Path, str],
) -> None:
    cdk_out, output = synthesized
    assert (cdk_out / "manifest.json").is_file()
    assert (cdk_out / "assembly-PersonalizeDataDeletion" / "manifest.json").is_file()
    # GIVEN the default scenario (every second job runs five hours, the others a minute) and
    # the example's two requests, each fanned out to two dataset groups (four jobs, played
    # one after another)
    # THEN cdk deploy returns with one job of each request COMPLETED and the other handed off
    for request, deleted in (("sample-2026-11", "3"), ("sample-2026-12", "2")):
        done, tracked = _summary_rows(output, request)
        assert done == [request, done[1], "COMPLETED", deleted, "none", f"receipts/{done[1]}.json"]
        assert tracked == [request, tracked[1], "IN_PROGRESS", "pending", tracked[1], "-"]
        # AND the two jobs of one request have distinct names (one per dataset group)
        assert done[1] != tracked[1]
        assert {done[1][: len(request) + 4], tracked[1][: len(request) + 4]} == {f"pdd-{request}"}
        # AND the tracker, run from the synthesized definition, follows the second to its end
        assert f"[{tracked[1]}] execution SUCCEEDED after" in output
        assert _summary_rows(output, request, "recorded")[1] == [
            request,
            tracked[1],
            "COMPLETED",
            deleted,
            tracked[1],
            f"receipts/{tracked[1]}.json",
        ]
    # AND each job's end is one event on the default bus
    events = output.split("event on the default bus: Personalize Data Deletion Job State Change")
    assert [event.split(")", 1)[0] for event in events[1:]] == [" (COMPLETED"] * 4
    assert '"recordedBy": "tracker"' in output
    assert "metrics: JobsCompleted 4" in output
    # AND the packaged handler ran; Update keeps the jobs; Delete never calls Personalize
    assert "(packaged)" in output
    assert "physical id unchanged" in output
    assert "(0 new)" in output
    assert "Personalize calls during Delete: 0" in output
    assert "receipts kept in the deletion bucket: 4" in output
    assert "staged lists left in the deletion bucket: 0" in output
    assert "lists left in the CDK assets bucket: 0" in output
    assert output.rstrip().endswith("rehearsal passed: the deployment would succeed")


def test_failed_scenario_fails_the_deployment_with_the_service_reason(
    synthesized: tuple[Path, str],
) -> None:
    cdk_out, _ = synthesized
    result = _rehearse("--cdk-out", str(cdk_out), "--no-synth", "--scenario", "failed")
    assert result.returncode != 0, result.stdout
    assert FAILURE_REASON in result.stdout
    assert "DEPLOYMENT WOULD FAIL" in result.stdout
    assert [row[2] for row in _summary_rows(result.stdout, "sample-2026-11")] == ["FAILED"] * 2


def test_queued_scenario_submits_the_requests_after_the_deployment(
    synthesized: tuple[Path, str],
) -> None:
    # GIVEN every dataset group is in use for the first two hours
    cdk_out, _ = synthesized
    result = _rehearse("--cdk-out", str(cdk_out), "--no-synth", "--scenario", "queued")
    # THEN the deployment succeeds with the first request's jobs QUEUED (the rehearsal plays
    # resources one after another, so the later ones start once the groups are free), and
    # the tracker starts the queued ones
    assert result.returncode == 0, result.stdout
    assert [row[2:4] for row in _summary_rows(result.stdout, "sample-2026-11")] == [
        ["QUEUED", "pending"]
    ] * 2
    for request in ("sample-2026-11", "sample-2026-12"):
        assert [row[2] for row in _summary_rows(result.stdout, request, "recorded")] == [
            "COMPLETED"
        ] * 2
    assert "Submit: Personalize accepted the job" in result.stdout
