"""The placement file at synth: the app keeps every recorded job in its stack."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from personalize_data_deletion.stack import DeletionRequestsStage
from personalize_deletion_requests import placement_path
from test_placement import ENV, _manifest

pytestmark = pytest.mark.synth


def test_the_app_keeps_recorded_jobs_in_their_stacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two requests recorded in stacks of one, then a third inserted first
    manifest = _manifest(tmp_path, ["r-a", "r-b"])
    placement_path(manifest).write_text(
        json.dumps({"version": 1, "stacks": {ENV: [["r-a"], ["r-b"]]}})
    )
    manifest = _manifest(tmp_path, ["r-new", "r-a", "r-b"])
    # WHEN the stage is synthesized
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stage = DeletionRequestsStage(app, "Deletions", request_file=manifest, jobs_per_stack=1)
    # THEN each recorded job is still in its stack, and the new one gets a third
    held = {
        stack.stack_name: [job.request_name for job in stack.deletion.requests]
        for stack in stage.stacks
    }
    assert held == {
        "PersonalizeDataDeletion": ["r-a"],
        "PersonalizeDataDeletion-2": ["r-b"],
        "PersonalizeDataDeletion-3": ["r-new"],
    }


@pytest.mark.parametrize(
    ("jobs_per_stack", "error", "message"),
    [
        (True, TypeError, "jobs_per_stack must be an int, not bool"),
        (2.0, TypeError, "jobs_per_stack must be an int, not float"),
        (
            0,
            ValueError,
            "jobs_per_stack is 0: use 1 to 30 (a stack holds at most 200 outputs, six per job)",
        ),
        (
            31,
            ValueError,
            "jobs_per_stack is 31: use 1 to 30 (a stack holds at most 200 outputs, six per job)",
        ),
    ],
)
def test_jobs_per_stack_is_a_whole_number_a_stack_can_hold(
    tmp_path: Path, jobs_per_stack: object, error: type[Exception], message: str
) -> None:
    # GIVEN a request file
    manifest = _manifest(tmp_path, ["r-a"])
    # WHEN the stage is declared with a jobs_per_stack no stack can honour
    with pytest.raises(error) as raised:
        DeletionRequestsStage(
            cdk.App(), "Deletions", request_file=manifest, jobs_per_stack=jobs_per_stack
        )
    # THEN the error names the setting, the rule and why
    assert str(raised.value) == message
