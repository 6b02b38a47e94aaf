"""``app.py`` (run as ``cdk synth`` runs it) reports pdd-validate's lines, not a traceback, and
pdd-validate says a request file is deployable exactly when the app's stage accepts it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from personalize_data_deletion.stack import DeletionRequestsStage
from synth import ACCOUNT, DATASET_GROUP_ARN
from test_validate import ROOT, _bad_folder, _run

pytestmark = pytest.mark.synth

SOLUTION = f"arn:aws:personalize:us-east-1:{ACCOUNT}:solution/shop-recs"


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


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {"account": "12345", "region": "eu-west-1"},
            "context value account (-c account=...): '12345' is not an AWS account id: give its "
            "12 digits",
        ),
        (
            {"datasetGroupArn": "shop"},
            "context value datasetGroupArn (-c datasetGroupArn=...): 'shop' is not a dataset "
            "group ARN (expected arn:<partition>:personalize:<region>:<12-digit account>:"
            "dataset-group/<name>, at most 256 characters)",
        ),
    ],
    ids=["short-account", "default-arn-not-an-arn"],
)
def test_a_malformed_context_default_is_named_not_a_traceback(
    tmp_path: Path, context: dict[str, str], message: str
) -> None:
    # GIVEN the example app run with a malformed account or dataset group context value
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(tmp_path / "cdk.out"),
    }
    # WHEN it runs (as `cdk synth -c account=12345` runs it)
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # THEN it exits 2 with one line naming the context key, the rule and the fix
    assert (result.returncode, result.stderr.splitlines()) == (2, [message])


# ------------------------------------------- pdd-validate says deployable iff the synth accepts it


def _manifest(tmp_path: Path, request: dict) -> Path:
    base = {"name": "r1", "s3": {"bucket": "my-bucket", "key": "a.csv", "revision": "r1"}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"requests": [base | request]}))
    return path


def _synth_refusal(path: Path) -> str | None:
    """What the app's stage raises for a request file (``None``: it is accepted)."""
    try:
        DeletionRequestsStage(cdk.App(), "P", request_file=path)
    except (ValueError, TypeError, RuntimeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.mark.parametrize(
    "request_",
    [
        # a versionId with a trailing space (pasted from a console): the construct refuses it
        {
            "s3": {"bucket": "my-bucket", "key": "a.csv", "versionId": "3HL4kqtJlcpX "},
            "datasetGroupArn": DATASET_GROUP_ARN,
        },
        # a dataset group ARN whose partition contradicts its region
        {"datasetGroupArn": f"arn:aws:personalize:cn-north-1:{ACCOUNT}:dataset-group/shop"},
        # a solution in another partition than its dataset group
        {
            "datasetGroupArn": DATASET_GROUP_ARN,
            "retrain": {"solutions": [SOLUTION.replace("arn:aws:", "arn:aws-cn:")]},
        },
        # a dataset group given by name in an ISO region: it was composed as arn:aws:..., which
        # the construct refuses (the stack's partition is aws-iso); now arn:aws-iso:...
        {
            "datasetGroups": ["shop"],
            "environments": [{"account": ACCOUNT, "region": "us-iso-east-1"}],
        },
        # and what both accept: a group in China by its aws-cn ARN, a solution of the group
        {"datasetGroupArn": f"arn:aws-cn:personalize:cn-north-1:{ACCOUNT}:dataset-group/shop"},
        {"datasetGroupArn": DATASET_GROUP_ARN, "retrain": {"solutions": [SOLUTION]}},
    ],
    ids=[
        "version-id-space",
        "arn-partition",
        "solution-partition",
        "name-in-iso-region",
        "china-arn",
        "solution-of-the-group",
    ],
)
def test_pdd_validate_and_the_synth_agree_on_whether_a_request_file_is_deployable(
    tmp_path: Path, request_: dict
) -> None:
    """GIVEN a request file
    WHEN pdd-validate checks it (the pre-commit hook, the pipeline's first step) and the app
    synthesizes it
    THEN both accept it or both refuse it: the README promises pdd-validate "applies the rules
    the construct and the handler apply" and exits 0 "when everything is deployable"."""
    path = _manifest(tmp_path, request_)
    code, _, err = _run([path])
    refusal = _synth_refusal(path)
    assert (code == 0) == (refusal is None), (
        f"pdd-validate exit {code} {err}; synth: {refusal or 'accepted'}"
    )
