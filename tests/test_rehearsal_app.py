"""The rehearsal tells the truth about an app of many shapes (``tests/apps/composite``).

A request on a dataset group created in the same stack, a second stack reading its list from
the user's bucket, a stack inside a ``Stage``, a request inside a ``NestedStack`` and one on an
``Fn::ImportValue`` the app does not export: each gets its own verdict, and one verdict covers
them all. Synthesized once with the CDK CLI (``--app-dir``, ``-c``), then rehearsed again from
that cloud assembly (``--no-synth``) with other options.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rehearsal_support import ROOT, rehearse, verdict

pytestmark = pytest.mark.synth

APP = ROOT / "tests" / "apps" / "composite"
GROUPS = "arn:aws:personalize:eu-west-1:111122223333:dataset-group"
SOURCE = "partner-exports/deletions/2026-11.csv"


@pytest.fixture(scope="module")
def composite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, int]:
    """``rehearse --app-dir`` with context and a seeded source list: (cdk.out, seed, output,
    exit status)."""
    folder = tmp_path_factory.mktemp("composite")
    seed = folder / "2026-11.csv"
    seed.write_text("USER_ID\nu-7\nu-8\n")
    cdk_out = folder / "cdk.out"
    result = rehearse(
        "--app-dir",
        str(APP),
        "--cdk-out",
        str(cdk_out),
        "-c",
        "sourceBucket=partner-exports",
        "--s3-seed",
        f"{SOURCE}={seed}",
    )
    assert result.stderr == ""
    return cdk_out, seed, result.stdout, result.returncode


def test_every_stack_gets_its_verdict_and_one_verdict_covers_them(
    composite: tuple[Path, Path, str, int],
) -> None:
    # GIVEN the composite app, its from_s3 list seeded into the local S3
    _, _, output, status = composite
    # THEN the Stage stack, both plain stacks and the nested stack pass; the request on an
    # import nobody exports makes its stack "unsupported", and so the whole rehearsal (exit 3)
    assert verdict(output) == (
        "=== VERDICT ===\n"
        "  Prod/Staged   passed (1 request(s))\n"
        "  SameStack     passed (1 request(s))\n"
        "  Second        passed (1 request(s))\n"
        "  Parent        unsupported\n"
        "                  properties of Parent/Deletion/imported: Fn::ImportValue "
        "shared-dataset-group (no stack deployed before exports it)\n"
        "  Parent/Inner  passed (1 request(s))\n"
        "\n"
        "rehearsal unsupported: 1 part(s) of the app could not be rehearsed (see above); "
        "no verdict for them"
    )
    assert status == 3
    # AND the unsupported part is said where it was found, at create
    assert (
        "  unsupported: Parent: properties of Parent/Deletion/imported: Fn::ImportValue "
        "shared-dataset-group (no stack deployed before exports it)\n"
    ) in output


def test_a_same_stack_dataset_group_is_a_valid_arn_the_service_knows(
    composite: tuple[Path, Path, str, int],
) -> None:
    _, _, output, _ = composite
    same_stack = output.split("=== CREATE: stack SameStack", 1)[1].split("=== CREATE", 1)[0]
    # THEN its GetAtt resolved to the ARN CloudFormation would give, in the stack's account
    # and region, and the job was created on it (no assumption needed)
    assert f'"datasetGroupArn": "{GROUPS}/shop"' in output
    assert "assumed to exist" not in same_stack
    assert "  [SameStack/Deletion/same-stack] Create -> SUCCESS" in same_stack
    # AND groups named by ARN only are said to be assumed
    assert f"  assumed to exist (not created by the app): dataset group {GROUPS}/staged" in output


def test_picked_stacks_alone_and_a_list_missing_from_the_local_s3_fails_with_a_rollback(
    composite: tuple[Path, Path, str, int],
) -> None:
    # GIVEN the same cloud assembly, no seed, two stacks picked by pattern and by name
    cdk_out, _, _, _ = composite

    # WHEN they are rehearsed
    result = rehearse(
        "--cdk-out", str(cdk_out), "--no-synth", "--stack", "Prod/*", "--stack", "Second"
    )

    # THEN only they are played; the request reading from S3 fails naming the object, and the
    # framework answers the rollback Delete of the failed create itself
    output = result.stdout
    assert result.returncode == 1, output
    assert (
        "Message returned: Error: request second: deletion list rejected, no job started: "
        f"s3://{SOURCE} could not be read: NoSuchBucket"
    ) in output
    assert (
        "  [Second/Deletion/second] Delete (rollback) -> SUCCESS, answered by the Provider "
        "framework itself (physical id AWSCDK::CustomResourceProviderFramework::CREATE_FAILED; "
        "no handler invoked)\n"
    ) in output
    assert verdict(output) == (
        "=== VERDICT ===\n"
        "  Prod/Staged  passed (1 request(s))\n"
        "  Second       FAILED (1 request(s))\n"
        "                 1 of 1 request(s) failed: CREATE_FAILED\n"
        "\n"
        "rehearsal FAILED: 1 of 2 stack(s) would fail"
    )
