"""The rehearse command line: options, help and seeds, refused or read before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from personalize_deletion_local.cli import main, parser, seeds_from
from personalize_deletion_local.rehearsal import RehearsalError

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["-c", "requestFile"],
            "rehearsal error: -c 'requestFile': write KEY=VALUE, e.g. "
            "-c requestFile=requests/q4.json",
            id="context without a value",
        ),
        pytest.param(
            ["--request-scenario", "sample-2026-11=exploded"],
            "rehearsal error: --request-scenario 'sample-2026-11=exploded': write "
            "REQUEST=SCENARIO with a scenario among failed, handoff, queued, slow, success, "
            "throttled, e.g. --request-scenario gdpr-2026-11=failed",
            id="unknown scenario",
        ),
        pytest.param(
            ["--s3-seed", "bucket-only"],
            "rehearsal error: --s3-seed 'bucket-only': write bucket/key=path (e.g. "
            "my-exports/deletions/2026-11.csv=exports/2026-11.csv, or a folder as path)",
            id="seed without a path",
        ),
    ],
)
def test_malformed_options_are_refused_with_the_rule_and_an_example(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN the command line holds a malformed value
    status = main(["rehearse", "--no-synth", *args])
    # THEN nothing runs: exit 2, one line naming the option, the rule and an example
    captured = capsys.readouterr()
    assert (status, captured.err, captured.out) == (2, message + "\n", "")


def test_every_option_has_help() -> None:
    # GIVEN the rehearse command's parser
    [commands] = [a for a in parser()._actions if a.dest == "command"]
    rehearse_parser = commands.choices["rehearse"]
    # THEN every option says what it does
    options = [a for a in rehearse_parser._actions if a.option_strings and a.dest != "help"]
    assert sorted(a.option_strings[-1] for a in options) == [
        "--app-dir",
        "--cdk-out",
        "--context",
        "--no-synth",
        "--request-scenario",
        "--s3-seed",
        "--s3-seed-manifest",
        "--scenario",
        "--show-receipts",
        "--stack",
    ]
    assert [a.option_strings for a in options if not (a.help or "").strip()] == []


def test_seeds_take_a_file_a_folder_or_a_manifest(tmp_path: Path) -> None:
    # GIVEN a folder of list parts and a manifest naming it and a single file
    parts = tmp_path / "exports" / "2026-11"
    (parts / "nested").mkdir(parents=True)
    (parts / "part-1.csv").write_text("USER_ID\n")
    (parts / "nested" / "part-2.csv").write_text("USER_ID\n")
    manifest = tmp_path / "seeds.json"
    manifest.write_text(
        json.dumps({"partner/in/2026-11": "exports/2026-11", "partner/one.csv": "seeds.json"})
    )

    # WHEN the command line's seeds are read
    seeds = seeds_from([f"partner/loose={parts / 'part-1.csv'}"], manifest)

    # THEN a file keeps its key, a folder's files go under the key with their relative paths
    assert [(s.bucket, key, path.name) for s in seeds for key, path in s.objects()] == [
        ("partner", "loose", "part-1.csv"),
        ("partner", "in/2026-11/nested/part-2.csv", "part-2.csv"),
        ("partner", "in/2026-11/part-1.csv", "part-1.csv"),
        ("partner", "one.csv", "seeds.json"),
    ]
    # AND a path that does not exist is refused by name
    with pytest.raises(RehearsalError, match=r"--s3-seed 'partner/x=missing.csv': .* does not"):
        seeds_from(["partner/x=missing.csv"], None)
