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
