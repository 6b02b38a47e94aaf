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


def _summary_row(output: str, request: str, title: str = "when cdk deploy returns") -> list[str]:
    summary = output.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
    for line in summary.splitlines():
        cells = line.split()
        if cells and cells[0] == request:
            return cells
    raise AssertionError(f"{request} not in summary:\n{summary}")


def test_handoff_shows_the_deployment_returning_and_the_tracker_finishing(
    synthesized: tuple[Path, str],
) -> None:
    cdk_out, output = synthesized
    assert (cdk_out / "manifest.json").is_file()
    # GIVEN the default scenario: the first job ends in a minute, the second runs five hours
    # THEN cdk deploy returns with the first COMPLETED and the second handed off
    first = _summary_row(output, "sample-2026-11")
    job_name = first[1]
    assert first == [
        "sample-2026-11",
        job_name,
        "COMPLETED",
        "3",
        "none",
        f"receipts/{job_name}.json",
    ]
    second = _summary_row(output, "sample-2026-12")
    tracked = second[1]
    assert second == ["sample-2026-12", tracked, "IN_PROGRESS", "pending", tracked, "-"]
    # AND the tracker, run from the synthesized definition, follows it to its end
    assert f"[{tracked}] execution SUCCEEDED after t+4h10m simulated: 25 status reads" in output
    assert _summary_row(output, "sample-2026-12", "recorded") == [
        "sample-2026-12",
        tracked,
        "COMPLETED",
        "2",
        tracked,
        f"receipts/{tracked}.json",
    ]
    # AND each job's end is one event on the default bus
    events = output.split("event on the default bus: Personalize Data Deletion Job State Change")
    assert [event.split(")", 1)[0] for event in events[1:]] == [" (COMPLETED"] * 2
    assert '"recordedBy": "tracker"' in output
    assert "metrics: JobsCompleted 2" in output
    # AND the packaged handler ran; Update keeps the jobs; Delete never calls Personalize
    assert "(packaged)" in output
    assert "physical id unchanged" in output
    assert "(0 new)" in output
    assert "Personalize calls during Delete: 0" in output
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
    assert _summary_row(result.stdout, "sample-2026-11")[2] == "FAILED"


def test_queued_scenario_submits_the_requests_after_the_deployment(
    synthesized: tuple[Path, str],
) -> None:
    # GIVEN every dataset group is in use for the first two hours
    cdk_out, _ = synthesized
    result = _rehearse("--cdk-out", str(cdk_out), "--no-synth", "--scenario", "queued")
    # THEN the deployment succeeds with both requests QUEUED, and the tracker starts them
    assert result.returncode == 0, result.stdout
    for request in ("sample-2026-11", "sample-2026-12"):
        assert _summary_row(result.stdout, request)[2:4] == ["QUEUED", "pending"]
        assert _summary_row(result.stdout, request, "recorded")[2] == "COMPLETED"
    assert "Submit: Personalize accepted the job" in result.stdout
