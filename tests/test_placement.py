"""The placement file: a job keeps its stack whatever is inserted into the request file.

Stacks fill in declaration order; a request inserted early would shift later jobs to the next
stack (CloudFormation replaces them there). ``pdd-validate --write-placement`` records each
job's stack beside the request file, ``pdd-validate`` refuses a file that misses a job, and the
app (``DeletionRequestsStage``) keeps every recorded job where it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from personalize_deletion_requests import (
    PlacementFileError,
    placement_path,
    plan,
    read_pins,
    read_requests,
    resolve_jobs,
)
from personalize_deletion_requests.validate import check, main

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[1]
SHOP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
ENV = "123456789012/us-east-1"


def _manifest(tmp_path: Path, names: list[str]) -> Path:
    """A manifest of one request per name on the shop group, each with the sample list."""
    (tmp_path / "sample-users.csv").write_text((ROOT / "requests" / "sample-users.csv").read_text())
    requests = [{"name": n, "users": "sample-users.csv", "datasetGroupArn": SHOP} for n in names]
    manifest = tmp_path / "deletions.json"
    manifest.write_text(json.dumps({"requests": requests}))
    return manifest


def _stacks(manifest: Path, capacity: int) -> list[list[str]]:
    loaded = read_requests(manifest)
    jobs, problems = resolve_jobs(loaded.requests)
    assert problems == []
    [shards] = plan(jobs, capacity, read_pins(placement_path(manifest))).values()
    return [[job.key for job in shard] for shard in shards]


def _lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], list[str]]:
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()


def test_an_inserted_request_moves_no_recorded_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN three requests in stacks of two, their placement recorded
    manifest = _manifest(tmp_path, ["r-a", "r-b", "r-c"])
    assert check([manifest], write_placement=True, jobs_per_stack=2) == 0
    written = f"placement written: {tmp_path / 'deletions.placement.lock'}"
    assert _lines(capsys)[0][-2:] == [written, "ok: 3 request(s) in 1 path(s)"]
    assert json.loads((tmp_path / "deletions.placement.lock").read_text())["stacks"] == {
        ENV: [["r-a", "r-b"], ["r-c"]]
    }
    # WHEN a request is inserted first
    manifest = _manifest(tmp_path, ["r-new", "r-a", "r-b", "r-c"])
    # THEN the recorded jobs stay where they were; the new one goes where there is room
    assert _stacks(manifest, capacity=2) == [["r-a", "r-b"], ["r-c", "r-new"]]
    # AND without the file, declaration order would have moved r-b to the second stack
    placement_path(manifest).unlink()
    assert _stacks(manifest, capacity=2) == [["r-new", "r-a"], ["r-b", "r-c"]]


def test_pdd_validate_refuses_a_placement_file_that_misses_a_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a recorded placement, then a request added
    manifest = _manifest(tmp_path, ["r-a"])
    assert check([manifest], write_placement=True) == 0
    manifest = _manifest(tmp_path, ["r-new", "r-a"])
    capsys.readouterr()
    # WHEN pdd-validate checks the file
    status = check([manifest])
    # THEN it fails, naming the job and the command that records it
    lock = tmp_path / "deletions.placement.lock"
    assert status == 1
    assert _lines(capsys)[1] == [
        f"{lock}: placement: [placement-file] 1 job(s) are not in it ({ENV}: r-new): run "
        f"pdd-validate --write-placement {manifest} and commit the file",
        "1 problem(s); nothing in these files would be deployed",
    ]
    # AND --write-placement records it beside the others
    assert check([manifest], write_placement=True) == 0
    assert json.loads(lock.read_text())["stacks"] == {ENV: [["r-a", "r-new"]]}


def test_a_placement_file_that_overfills_a_stack_is_refused(tmp_path: Path) -> None:
    # GIVEN a placement file putting two jobs in a stack of one
    manifest = _manifest(tmp_path, ["r-a", "r-b"])
    placement_path(manifest).write_text(
        json.dumps({"version": 1, "stacks": {ENV: [["r-a", "r-b"]]}})
    )
    # THEN planning says which stack and what to do
    with pytest.raises(PlacementFileError) as refused:
        _stacks(manifest, capacity=1)
    assert str(refused.value) == (
        f"the placement file puts 2 jobs of {ENV} in stack 0, which holds 1: move some to "
        "another stack in the file"
    )


def test_a_damaged_placement_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, ["r-a"])
    placement_path(manifest).write_text(json.dumps({"version": 2, "stacks": {}}))
    with pytest.raises(PlacementFileError) as refused:
        read_pins(placement_path(manifest))
    assert str(refused.value) == (
        f"{placement_path(manifest)}: not a placement file (version must be 1); delete it and "
        "run pdd-validate --write-placement again, or restore it from git"
    )


def test_pdd_validate_refuses_a_stack_size_the_app_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _manifest(tmp_path, ["r-a"])
    with pytest.raises(SystemExit) as exited:
        main([str(manifest), "--jobs-per-stack", "31"])
    assert exited.value.code == 2
    assert _lines(capsys)[1][-1] == "pdd-validate: error: --jobs-per-stack must be 1 to 30"
