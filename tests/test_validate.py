"""``pdd-validate``: every problem at once, a summary per request, exit 0/1, never an id.

It runs without aws_cdk (so without Node); ``app.py`` reports the same lines instead of a
traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from personalize_deletion_requests.validate import check, main

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[1]
ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
CATALOG = "arn:aws:personalize:us-east-1:123456789012:dataset-group/catalog"
IDS = ("person-7f3a@example.com", "person-91cb@example.com", "person-0d2e@example.com")
BAD_IDS = ("visitor,4411", "visitor-9090")


def _good_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "good"
    folder.mkdir()
    (folder / "2026-11.csv").write_text("USER_ID\n" + "\n".join(IDS) + "\n\n" + IDS[0] + "\n")
    (folder / "2026-11.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "gdpr-2026-11",
                "users": "2026-11.csv",
                "datasetGroups": [ARN, CATALOG],
                "tags": {"ticket": "PRIV-1"},
            }
        )
    )
    (folder / "2026-12.json").write_text(
        json.dumps(
            {
                "name": "gdpr-2026-12",
                "s3": {"bucket": "privacy-lists", "key": "2026-12.csv"},
                "datasetGroupArn": ARN,
            }
        )
    )
    return folder


def _bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "list.csv").write_text("USER_ID\n" + "\n".join(BAD_IDS) + "\n")
    (folder / "requests.json").write_text(
        json.dumps(
            {
                "requests": [
                    {"name": "one", "users": "list.csv", "datasetGroups": [ARN]},
                    {
                        "name": "two",
                        "s3": {"bucket": "b", "key": "k.csv"},
                        "datasetGroups": ["shop"],
                        "waitSeconds": "60",
                    },
                    {"name": "one", "s3Prefix": {"bucket": "privacy-lists", "prefix": "x/"}},
                ]
            }
        )
    )
    return folder


def _run(paths, **kwargs) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    err: list[str] = []
    code = check(paths, out=out.append, err=err.append, **kwargs)
    return code, out, err


def test_a_good_folder_passes_with_a_summary_per_request_and_no_id(tmp_path: Path) -> None:
    # GIVEN a folder with a local-list request fanned out to two groups and an S3 request
    folder = _good_folder(tmp_path)
    # WHEN validated
    code, out, err = _run([folder])
    # THEN it passes, with counts, bytes and SHA-256 of the list, and each job's stack
    assert code == 0
    assert err == []
    csv = (folder / "2026-11.csv").read_bytes()
    from personalize_deletion_runtime.user_list import validate_file

    sha = validate_file(folder / "2026-11.csv").sha256
    assert out == [
        f"{folder / '2026-11.yaml'}: gdpr-2026-11: 3 id(s) to delete (4 read, 1 blank line(s), "
        f"1 duplicate(s)), {len(csv)} bytes, SHA-256 {sha}",
        f"  -> {ARN} (123456789012/us-east-1 stack 0)",
        f"  -> {CATALOG} (123456789012/us-east-1 stack 0)",
        f"{folder / '2026-12.json'}: gdpr-2026-12: s3://privacy-lists/2026-12.csv (read at deploy "
        "time; no versionId or revision: replacing the object starts nothing until one is set)",
        f"  -> {ARN} (123456789012/us-east-1 stack 0)",
        "ok: 2 request(s) in 1 path(s)",
    ]
    assert not any(user_id in line for user_id in IDS for line in out)


def test_a_bad_folder_fails_listing_every_problem_and_no_id(tmp_path: Path) -> None:
    # GIVEN a manifest whose list has a forbidden character and whose entries break rules
    folder = _bad_folder(tmp_path)
    path = folder / "requests.json"
    # WHEN validated
    code, out, err = _run([folder / "requests.json"])
    # THEN it fails, every problem on its own line, and no id appears anywhere
    assert code == 1
    assert err == [
        f"{path}: requests[0]: users: [forbidden-character] {folder / 'list.csv'}: line 2: "
        "character 8 of the id is a comma; ids must be a single unquoted CSV field without "
        "control characters. Fix: remove the character, or fix the export that produced the "
        "file (one id per line, no quoting, no extra columns).",
        f"{path}: requests[1]: s3.bucket: [bucket-name] is 1 characters, at least 3 needed",
        f"{path}: requests[1]: waitSeconds: [type] must be a whole number, not string",
        f"{path}: requests[2]: name: [duplicate-name] 'one' is already the name of {path} "
        "requests[0]: a request name is part of its job names, so each must be unique",
        "4 problem(s); nothing in these files would be deployed",
    ]
    assert not any(user_id in line for user_id in BAD_IDS for line in out + err)


def test_names_need_an_environment_and_the_app_default_supplies_one(tmp_path: Path) -> None:
    # GIVEN a request naming its dataset group, with no environments in the file
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "requests": [
                    {
                        "name": "r",
                        "s3": {"bucket": "privacy-lists", "key": "a.csv", "revision": "1"},
                        "datasetGroups": ["shop"],
                    }
                ]
            }
        )
    )
    # WHEN validated without a default environment, THEN the name cannot be placed
    code, _, err = _run([path])
    assert code == 1
    assert err[0] == (
        f"{path}: requests[0]: datasetGroups[0]: [environment] dataset group name 'shop' needs "
        "an environment: list environments in the request or the file, or give the app an "
        "account and region (-c account=... -c region=...)"
    )
    # WHEN given the app's account and region (as the app gets them from context)
    code, out, err = _run(
        [path],
        default_environment=__import__("personalize_deletion_requests").Environment(
            "123456789012", "us-east-1"
        ),
    )
    # THEN the name becomes that environment's ARN
    assert (code, err) == (0, [])
    assert out[1] == f"  -> {ARN} (123456789012/us-east-1 stack 0)"


def test_main_takes_paths_and_the_app_context_values(tmp_path: Path, capsys) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "requests": [
                    {
                        "name": "r",
                        "s3": {"bucket": "privacy-lists", "key": "a.csv", "versionId": "v1"},
                        "datasetGroups": ["shop"],
                    }
                ]
            }
        )
    )
    assert main([str(path), "--account", "123456789012", "--region", "us-east-1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"{path}: requests[0]: r: s3://privacy-lists/a.csv (read at deploy time; version v1)"
    )
    with pytest.raises(SystemExit) as caught:
        main([str(path), "--account", "123456789012"])
    assert caught.value.code == 2
    assert "--account and --region go together" in capsys.readouterr().err


def test_python_m_runs_without_aws_cdk_and_exits_1_on_problems(tmp_path: Path) -> None:
    # GIVEN a bad folder, WHEN `python -m personalize_deletion_requests` checks it
    folder = _bad_folder(tmp_path)
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['pdd-validate', {str(folder / 'requests.json')!r}]\n"
        "try:\n"
        "    runpy.run_module('personalize_deletion_requests', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, 'aws_cdk' in sys.modules, 'jsii' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    # THEN it exits 1 having imported neither aws_cdk nor jsii (no Node needed)
    assert result.stdout.splitlines()[-1] == "exit 1 False False"
    assert result.stderr.splitlines()[-1] == (
        "4 problem(s); nothing in these files would be deployed"
    )


def test_the_console_script_and_the_pre_commit_hook_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {
        "pdd-validate": "personalize_deletion_requests.validate:main"
    }
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [(h["id"], h["entry"], h["language"], h["pass_filenames"]) for h in hooks] == [
        ("validate-deletion-requests", "pdd-validate", "python", False)
    ]
    # AND the hook's default argument is the example request file, which passes
    assert main([str(ROOT / hooks[0]["args"][0])]) == 0


# ------------------------------------------------------- partitions: one table, every reader


def _one_request(tmp_path: Path, request: dict) -> Path:
    path = tmp_path / "m.json"
    base = {"name": "r", "s3": {"bucket": "privacy-lists", "key": "a.csv", "revision": "1"}}
    path.write_text(json.dumps({"requests": [base | request]}))
    return path


def test_a_solution_in_another_partition_than_its_dataset_group_is_refused(
    tmp_path: Path,
) -> None:
    # GIVEN a request retraining a solution whose ARN says aws-cn, for a group in aws
    solution = "arn:aws-cn:personalize:us-east-1:123456789012:solution/recs"
    path = _one_request(tmp_path, {"datasetGroupArn": ARN, "retrain": {"solutions": [solution]}})
    # WHEN validated
    code, _, err = _run([path])
    # THEN it is refused as the construct and the handler refuse it (not only account and
    # region are compared)
    assert code == 1
    assert err[0] == (
        f"{path}: requests[0]: retrain.solutions[0]: [retrain-environment] solution {solution} "
        f"is in partition aws-cn, but dataset group {ARN} is in partition aws: name that "
        "group's solutions, or solutions: ALL"
    )


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("eu-west-1", "aws"),
    ],
)
def test_a_name_becomes_the_arn_of_its_regions_partition(
    tmp_path: Path, region: str, partition: str
) -> None:
    # GIVEN a dataset group given by name in an environment of some partition
    path = _one_request(
        tmp_path,
        {
            "datasetGroups": ["shop"],
            "environments": [{"account": "123456789012", "region": region}],
        },
    )
    # WHEN validated
    code, out, err = _run([path])
    # THEN its ARN is in the partition the construct expects for that region (not arn:aws:...)
    assert (code, err) == (0, [])
    assert out[1].startswith(f"  -> arn:{partition}:personalize:{region}:123456789012:")


# ---------------------------------------------------------------- YAML: keys that cannot be keys


@pytest.mark.parametrize(
    ("key", "kind"), [("[a]", "list"), ("{a: b}", "mapping"), ("!!set {a}", "set")]
)
def test_a_yaml_mapping_key_that_is_a_list_is_reported_not_a_traceback(
    tmp_path: Path, key: str, kind: str
) -> None:
    """GIVEN a YAML request whose tags mapping has a list as a key (``{[a]: b}``)
    WHEN pdd-validate reads it
    THEN it reports one problem line (file, entry, rule), as for any other malformed document,
    instead of crashing with ``TypeError: unhashable type: 'list'``."""
    path = tmp_path / "m.yaml"
    path.write_text(f"requests:\n  - name: r1\n    tags: {{{key}: b}}\n")
    code, _, lines = _run([path])
    assert code == 1
    assert lines and lines[0].startswith(str(path))
    # AND the line names the rule and where the key is
    assert lines[0].startswith(f"{path}: [syntax] is not YAML: while constructing a mapping")
    assert (
        f'found a {kind} as a key, where a key is a string in "{path}", line 3, column 12'
        in (lines[0])
    )


# ---------------------------------------------------------------- the app's defaults: options


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--account", "12345", "--region", "eu-west-1"],
            "--account: '12345' is not an AWS account id: give its 12 digits",
        ),
        (
            ["--account", "123456789012", "--region", "EU"],
            "--region: 'EU' is not a region name: give one such as eu-west-1",
        ),
        (
            ["--dataset-group-arn", "shop"],
            "--dataset-group-arn: 'shop' is not a dataset group ARN (expected arn:<partition>:"
            "personalize:<region>:<12-digit account>:dataset-group/<name>, at most 256 "
            "characters)",
        ),
        (
            ["--dataset-group-arn", "arn:aws:personalize:cn-north-1:123456789012:dataset-group/x"],
            "--dataset-group-arn: 'arn:aws:personalize:cn-north-1:123456789012:dataset-group/x' "
            "is in partition aws, but region cn-north-1 is in partition aws-cn: write "
            "arn:aws-cn:... (an ARN's partition is its region's)",
        ),
    ],
    ids=["short-account", "bad-region", "default-arn-not-an-arn", "default-arn-partition"],
)
def test_pdd_validate_a_malformed_app_default_is_a_command_line_error(
    tmp_path: Path, capsys, arguments: list[str], message: str
) -> None:
    """GIVEN pdd-validate run with an app default that is malformed (an 11-digit account, a
    region that is not one, a dataset group name where an ARN is expected)
    WHEN the file needs that default
    THEN it exits 2 ("2 for a bad command line") naming the option, not with a traceback."""
    request = {"datasetGroups": ["shop"]} if "--account" in arguments else {}
    path = _one_request(tmp_path, request)
    with pytest.raises(SystemExit) as caught:
        main([str(path), *arguments])
    assert caught.value.code == 2
    # AND the message names the option, the rule and what to give instead
    assert capsys.readouterr().err.splitlines()[-1] == f"pdd-validate: error: {message}"
