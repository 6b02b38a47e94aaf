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
    """Synthesize with the CDK CLI and rehearse the success scenario in one go."""
    cdk_out = tmp_path_factory.mktemp("rehearsal") / "cdk.out"
    result = _rehearse("--cdk-out", str(cdk_out), "--scenario", "success")
    assert result.returncode == 0, result.stdout + result.stderr
    return cdk_out, result.stdout


def _summary_row(output: str, request: str) -> list[str]:
    summary = output.split("\nsummary:\n", 1)[1]
    for line in summary.splitlines():
        cells = line.split()
        if cells and cells[0] == request:
            return cells
    raise AssertionError(f"{request} not in summary:\n{summary}")


def test_success_lists_completed_request_with_receipt(synthesized: tuple[Path, str]) -> None:
    cdk_out, output = synthesized
    assert (cdk_out / "manifest.json").is_file()
    row = _summary_row(output, "sample-2026-11")
    _request, _group, job_name, status, num_deleted, receipt_key = row
    assert status == "COMPLETED"
    assert num_deleted == "3"
    assert receipt_key == f"receipts/{job_name}.json"
    # the packaged handler ran, and its receipt was read back from (moto) S3
    assert "(packaged)" in output
    assert '"status": "COMPLETED"' in output
    assert "PENDING" in output and "IN_PROGRESS" in output
    # Update keeps the job; Delete never calls Personalize
    assert "physical id unchanged" in output
    assert "(0 new)" in output
    assert "Personalize calls during Delete: 0" in output


def test_failed_scenario_fails_the_deployment_with_the_service_reason(
    synthesized: tuple[Path, str],
) -> None:
    cdk_out, _ = synthesized
    result = _rehearse("--cdk-out", str(cdk_out), "--no-synth", "--scenario", "failed")
    assert result.returncode != 0, result.stdout
    assert FAILURE_REASON in result.stdout
    assert "DEPLOYMENT WOULD FAIL" in result.stdout
    assert _summary_row(result.stdout, "sample-2026-11")[3] == "FAILED"
