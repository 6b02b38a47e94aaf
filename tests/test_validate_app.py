"""``app.py`` (run as ``cdk synth`` runs it) reports pdd-validate's lines, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_validate import ROOT, _bad_folder, _run

pytestmark = pytest.mark.synth


def test_the_app_prints_the_same_lines_instead_of_a_traceback(tmp_path: Path) -> None:
    # GIVEN the example app pointed at a bad request file
    folder = _bad_folder(tmp_path)
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"requestFile": str(folder / "requests.json")}),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    # WHEN it runs (as `cdk synth` runs it)
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # THEN it exits 1 with exactly the validator's problem lines, and no traceback
    _, _, err = _run([folder / "requests.json"])
    assert result.returncode == 1
    assert result.stderr.splitlines() == err[:-1]
