"""The request-file model: one declaration read from JSON and YAML, manifests and folders, and
the committed JSON Schema generated from it.

Every field's rule has a good and a bad example; the bad one must be reported with its file,
entry, field and rule, and (where a schema can say it) be refused by the schema as well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from personalize_deletion_requests import (
    Environment,
    LocalCsv,
    RequestFileError,
    S3Folder,
    S3Object,
    load_requests,
    read_requests,
)
from personalize_deletion_requests.schema import SCHEMA_FILE, schema, schema_text

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[1]
ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
OTHER_ARN = "arn:aws:personalize:eu-west-1:210987654321:dataset-group/catalog"
SOLUTION = "arn:aws:personalize:us-east-1:123456789012:solution/shop-recs"
BASE: dict[str, Any] = {
    "name": "r1",
    "s3": {"bucket": "my-bucket", "key": "lists/u.csv"},
    "datasetGroups": [ARN],
}
VALIDATOR = Draft202012Validator(schema())


def _problems(tmp_path: Path, request: dict[str, Any]) -> list[str]:
    path = tmp_path / "requests.json"
    path.write_text(json.dumps({"requests": [request]}))
    return [str(problem) for problem in read_requests(path).problems]


# ------------------------------------------------------------------------ the schema file


def test_the_committed_schema_is_the_one_the_model_generates() -> None:
    # GIVEN the schema file in the repository, WHEN the model generates it again
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    # THEN they are the same text (regenerate with: pdd-validate --schema > schema/...)
    assert committed == schema_text()
    Draft202012Validator.check_schema(json.loads(committed))


def test_the_example_request_file_is_valid_for_both_the_schema_and_the_loader() -> None:
    document = json.loads((ROOT / "requests" / "deletions.json").read_text())
    assert list(VALIDATOR.iter_errors(document)) == []
    specs = load_requests(ROOT / "requests" / "deletions.json")
    assert [(spec.name, len(spec.dataset_groups or ())) for spec in specs] == [
        ("sample-2026-11", 2),
        ("sample-2026-12", 2),
    ]


# ----------------------------------------------------------------- one rule, two examples

# (field changes to BASE, the problem reported, whether the JSON Schema can refuse it too)
GOOD = [
    {"name": "gdpr-2026_11"},
    {"s3": {"bucket": "my.bucket-1", "key": "lists/2026-11.csv", "versionId": "3HL4kqtJlcpXroD"}},
    {"s3": {"bucket": "my-bucket", "key": "a.csv", "revision": "2026-11-02T10:00Z"}},
    {"s3": None, "s3Prefix": {"bucket": "my-bucket", "prefix": "lists/", "revision": "r2"}},
    {"datasetGroups": None, "datasetGroupArn": ARN},
    {"datasetGroups": None},
    {
        "datasetGroups": [ARN, "catalog"],
        "environments": [{"account": "123456789012", "region": "eu-west-1"}],
    },
    {"tags": {"ticket": "PRIV-1", "team name": "privacy/eu"}},
    {"completion": "WAIT", "waitSeconds": 3240},
    {"completion": "SUBMIT_ONLY", "waitSeconds": 0},
    {"preflight": False},
    {"followUp": True, "preflight": True},
    {"retrain": {"solutions": "ALL"}},
    {"retrain": {"solutions": [SOLUTION], "updateCampaigns": False}},
]
BAD = [
    (
        {"name": "bad name"},
        "name: [request-name] request name 'bad name' must start with a letter "
        "or digit and contain only letters, digits, '-' and '_' (job name pattern "
        "^[a-zA-Z0-9][a-zA-Z0-9\\-_]*)",
        True,
    ),
    ({"name": "a" * 47}, "name: [request-name] is 47 characters, at most 46 allowed", True),
    ({"name": 2026}, "name: [type] must be a string, not integer (quote it)", True),
    ({"name": None}, "name: [type] must be a string, not null", True),
    (
        {"s3": {"bucket": "My_Bucket", "key": "a.csv"}},
        "s3.bucket: [bucket-name] 'My_Bucket' does not match ^[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]$",
        True,
    ),
    (
        {"s3": {"bucket": "my-bucket", "key": "lists/*.csv"}},
        "s3.key: [s3-key] key 'lists/*.csv' contains '*' or '?': IAM would read them as wildcards "
        "and grant more than the list; rename the object or folder",
        False,
    ),
    (
        {"s3": {"bucket": "my-bucket", "key": "lists/削除.csv"}},
        "s3.key: [s3-key] key 'lists/削除.csv' contains '削' (U+524A): the key becomes part of an "
        "IAM policy, which takes only U+0020 to U+00FF, tab, line feed and carriage return; "
        "rename the object or folder",
        False,
    ),
    (
        {"s3": {"bucket": "my-bucket", "key": "lists/"}},
        "s3.key: [s3-key] key 'lists/' must name one object; use s3Prefix for a folder",
        False,
    ),
    (
        {"s3": {"bucket": "my-bucket", "key": "a.csv", "versionId": ""}},
        "s3.versionId: [version-id] must not be empty",
        True,
    ),
    (
        {"s3": {"bucket": "my-bucket", "key": "a.csv", "versionId": "3HL4kqtJlcpX "}},
        "s3.versionId: [version-id] versionId '3HL4kqtJlcpX ' must be 1 to 1024 printable "
        "characters without surrounding spaces",
        False,
    ),
    (
        {"s3": {"bucket": "my-bucket", "key": "a.csv", "revision": "two words"}},
        "s3.revision: [revision] 'two words' does not match ^[!-~]{1,128}$",
        True,
    ),
    ({"s3": {"bucket": "my-bucket"}}, "s3.key: [required] is required", True),
    (
        {"s3": None, "s3Prefix": {"bucket": "my-bucket", "prefix": "lists"}},
        "s3Prefix.prefix: [s3-prefix] prefix 'lists' must end with '/' (it names a folder)",
        False,
    ),
    (
        {
            "datasetGroups": None,
            "datasetGroupArn": "arn:aws:personalize:us-east-1:1234:dataset-group/x",
        },
        "datasetGroupArn: [dataset-group-arn] 'arn:aws:personalize:us-east-1:1234:dataset-group/x'"
        " is not a dataset group ARN (expected arn:<partition>:personalize:<region>:<12-digit "
        "account>:dataset-group/<name>, at most 256 characters)",
        True,
    ),
    (
        {
            "datasetGroups": None,
            "datasetGroupArn": "arn:aws:personalize:cn-north-1:123456789012:dataset-group/x",
        },
        "datasetGroupArn: [dataset-group-arn] 'arn:aws:personalize:cn-north-1:123456789012:"
        "dataset-group/x' is in partition aws, but region cn-north-1 is in partition aws-cn: "
        "write arn:aws-cn:... (an ARN's partition is its region's)",
        False,
    ),
    (
        {"datasetGroups": ["arn:aws-cn:personalize:us-east-1:123456789012:dataset-group/x"]},
        "datasetGroups[0]: [dataset-group] 'arn:aws-cn:personalize:us-east-1:123456789012:"
        "dataset-group/x' is in partition aws-cn, but region us-east-1 is in partition aws: "
        "write arn:aws:... (an ARN's partition is its region's)",
        False,
    ),
    ({"datasetGroups": []}, "datasetGroups: [required] must list at least 1", True),
    ({"datasetGroups": [ARN, ARN]}, "datasetGroups[1]: [duplicate] repeats an earlier item", True),
    (
        {"datasetGroups": ["shop front"]},
        "datasetGroups[0]: [dataset-group] 'shop front' is neither a dataset group ARN nor a "
        "dataset group name (1-63 letters, digits, '-' or '_', starting with a letter or digit)",
        True,
    ),
    (
        {
            "datasetGroups": ["catalog"],
            "environments": [{"account": 123456789012, "region": "eu-west-1"}],
        },
        "environments[0].account: [type] must be a string, not integer (quote it)",
        True,
    ),
    (
        {
            "datasetGroups": ["catalog"],
            "environments": [{"account": "123456789012", "region": "Europe"}],
        },
        "environments[0].region: [region] 'Europe' does not match ^[a-z]{2}(?:-[a-z]+)+-\\d+$",
        True,
    ),
    (
        {"environments": [{"account": "123456789012", "region": "eu-west-1"}]},
        "environments: [unused] applies to dataset groups given by name, and this request names "
        "none (an ARN already says its account and region)",
        False,
    ),
    (
        {"tags": {"aws:team": "x"}},
        "tags: [tags] tag key 'aws:team' uses the reserved prefix 'aws:'",
        False,
    ),
    ({"tags": {"ticket": 1}}, "tags.ticket: [type] must be a string, not integer (quote it)", True),
    ({"tags": ["PRIV-1"]}, "tags: [type] must be an object of strings, not array", True),
    (
        {"completion": "LATER"},
        "completion: [choice] 'LATER' is not one of HAND_OFF, WAIT, SUBMIT_ONLY",
        True,
    ),
    ({"waitSeconds": 3241}, "waitSeconds: [range] 3241 is outside 0 to 3240", True),
    ({"waitSeconds": "300"}, "waitSeconds: [type] must be a whole number, not string", True),
    ({"waitSeconds": True}, "waitSeconds: [type] must be a whole number, not boolean", True),
    ({"waitSeconds": 1.5}, "waitSeconds: [type] must be a whole number, not number", True),
    ({"preflight": "false"}, "preflight: [type] must be true or false, not string", True),
    (
        {"followUp": True, "preflight": False},
        "followUp: [follow-up-needs-preflight] followUp needs the pre-flight: only its check finds "
        "imports or trainings that started during the job; remove preflight: false",
        False,
    ),
    (
        {"retrain": {"solutions": "SOME"}},
        "retrain.solutions: [choice] 'SOME' is not one of ALL",
        True,
    ),
    ({"retrain": {"solutions": []}}, "retrain.solutions: [required] must list at least 1", True),
    (
        {
            "retrain": {"solutions": [SOLUTION]},
            "datasetGroups": [
                ARN,
                "arn:aws:personalize:us-east-1:123456789012:dataset-group/other",
            ],
        },
        "retrain.solutions: [retrain-one-group] a list of solutions belongs to one dataset group; "
        "with several datasetGroups use solutions: ALL, or one request per group",
        False,
    ),
    (
        {"colour": "red"},
        "colour: [unknown-field] is not a field here; allowed: completion, "
        "datasetGroupArn, datasetGroups, environments, followUp, name, preflight, retrain, s3, "
        "s3Prefix, tags, users, waitSeconds",
        True,
    ),
    (
        {"users": "u.csv"},
        "[exactly-one] give exactly one of users, s3, s3Prefix (found users, s3)",
        True,
    ),
    ({"s3": None}, "[exactly-one] give exactly one of users, s3, s3Prefix", True),
    (
        {"datasetGroupArn": ARN},
        "[at-most-one] give at most one of datasetGroupArn, datasetGroups",
        True,
    ),
]


def _request(changes: dict[str, Any]) -> dict[str, Any]:
    request = {**BASE, **changes}
    return {key: value for key, value in request.items() if value is not None or key == "name"}


@pytest.mark.parametrize("changes", GOOD, ids=lambda c: ",".join(c))
def test_a_good_value_is_accepted_by_the_loader_and_the_schema(
    tmp_path: Path, changes: dict[str, Any]
) -> None:
    # GIVEN a request with one field set to a good value
    request = _request(changes)
    # WHEN it is read, THEN nothing is reported, and the schema agrees
    assert _problems(tmp_path, request) == []
    assert list(VALIDATOR.iter_errors(request)) == []


@pytest.mark.parametrize(("changes", "problem", "in_schema"), BAD, ids=lambda c: str(c)[:40])
def test_a_bad_value_is_reported_with_file_entry_field_and_rule(
    tmp_path: Path, changes: dict[str, Any], problem: str, in_schema: bool
) -> None:
    # GIVEN a request with one field set to a bad value
    request = _request(changes)
    # WHEN it is read
    problems = _problems(tmp_path, request)
    # THEN exactly that problem is reported, naming the file, the entry, the field and the rule
    assert problems == [f"{tmp_path / 'requests.json'}: requests[0]: {problem}"]
    # AND the schema refuses it too when a schema can say the rule
    assert bool(list(VALIDATOR.iter_errors(request))) is in_schema


# ------------------------------------------------------------------ documents and forms


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    # GIVEN a manifest whose three entries each break rules
    path = tmp_path / "requests.json"
    path.write_text(
        json.dumps(
            {
                "requests": [
                    {**BASE, "name": "one", "completion": "LATER", "waitSeconds": "5"},
                    "not a request",
                    {**BASE, "name": "one"},
                ]
            }
        )
    )
    # WHEN it is loaded for deployment
    with pytest.raises(RequestFileError) as caught:
        load_requests(path)
    # THEN all problems are listed, one line each, in file order
    assert str(caught.value).splitlines() == [
        f"{path}: requests[0]: completion: [choice] 'LATER' is not one of HAND_OFF, WAIT, "
        "SUBMIT_ONLY",
        f"{path}: requests[0]: waitSeconds: [type] must be a whole number, not string",
        f"{path}: requests[1]: [type] must be an object, not string",
        f"{path}: requests[2]: name: [duplicate-name] 'one' is already the name of {path} "
        "requests[0]: a request name is part of its job names, so each must be unique",
    ]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "m.json",
            '{"requests": [{"name": "a", "name": "b"}]}',
            "requests[0]: name: [duplicate-key] appears more than once in this object",
        ),
        (
            "m.yaml",
            "requests:\n  - name: a\n    tags: {t: x, t: y}\n",
            "requests[0]: tags.t: [duplicate-key] appears more than once in this object",
        ),
        (
            "m.json",
            '{"requests": [], "requests": []}',
            "requests: [duplicate-key] appears more than once in this object",
        ),
    ],
)
def test_a_repeated_key_is_an_error_not_the_last_value(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    problems = [str(p) for p in read_requests(path).problems]
    assert f"{path}: {problem}" in problems


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "m.json",
            "{",
            "[syntax] is not JSON: Expecting property name enclosed in double quotes:"
            " line 1 column 2 (char 1)",
        ),
        ("m.yaml", "requests: [", "[syntax] is not YAML:"),
        (
            "m.json",
            '{"request": []}',
            "request: [unknown-field] is not a field here; allowed: environments, requests",
        ),
        ("m.json", "[]", "[type] must be an object, not array"),
        ("m.yaml", "requests: {name: a}", "requests: [type] must be a list of requests"),
    ],
)
def test_a_malformed_document_names_the_file_and_the_rule(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    problems = [str(p) for p in read_requests(path).problems]
    assert len(problems) >= 1
    assert problems[0].startswith(f"{path}: {problem}")


def test_yaml_values_are_not_reinterpreted(tmp_path: Path) -> None:
    # GIVEN YAML that a lenient reader would coerce: an unquoted account and a `no` tag value
    path = tmp_path / "m.yaml"
    path.write_text(
        "requests:\n"
        "  - name: r1\n"
        "    s3: {bucket: my-bucket, key: a.csv}\n"
        "    datasetGroups: [shop]\n"
        "    environments: [{account: 123456789012, region: eu-west-1}]\n"
        "    tags: {reviewed: no}\n"
    )
    # WHEN read, THEN both are type errors, not the number or the boolean turned into text
    assert [str(p) for p in read_requests(path).problems] == [
        f"{path}: requests[0]: environments[0].account: [type] must be a string, not integer "
        "(quote it)",
        f"{path}: requests[0]: tags.reviewed: [type] must be a string, not boolean (quote it)",
    ]


# ---------------------------------------------------------- YAML 1.1: numbers that are not numbers

YAML_ONLY_NUMBERS = [
    ("0600", 384),
    ("10:00", 600),
    ("0x258", 600),
    ("0b1001011000", 600),
    ("1_000", 1000),
    ("+600", 600),
    ("-0600", -384),
]
"""How YAML 1.1 (PyYAML) writes numbers that JSON would not read: each reads as a number."""


def _yaml_request(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(
        "requests:\n"
        "  - name: r1\n"
        "    s3: {bucket: my-bucket, key: a.csv, revision: r1}\n"
        f"    datasetGroupArn: {ARN}\n"
        "    completion: WAIT\n"
        f"    {line}\n"
    )
    return path


@pytest.mark.parametrize(
    ("written", "read_as"),
    YAML_ONLY_NUMBERS,
    ids=[
        "leading-zero-is-octal",
        "colon-is-sexagesimal",
        "hex",
        "binary",
        "underscore",
        "plus",
        "negative-octal",
    ],
)
def test_yaml_wait_seconds_that_json_would_not_read_as_a_number_is_a_type_error(
    tmp_path: Path, written: str, read_as: int
) -> None:
    """GIVEN a YAML request with ``waitSeconds: 0600`` (a reviewer reads six hundred seconds)
    WHEN it is read
    THEN it is a type error ("quote it" / write a plain number), like ``"300"`` and ``no`` are:
    YAML 1.1 reads 0600 as octal 384 and 10:00 as base-60 600, another value than written."""
    path = _yaml_request(tmp_path, f"waitSeconds: {written}")
    loaded = read_requests(path)
    assert [spec.wait_seconds for spec in loaded.requests] != [read_as], (
        f"waitSeconds: {written} was silently read as {read_as} seconds"
    )
    assert any(
        problem.field == "waitSeconds" and problem.rule == "type" for problem in loaded.problems
    )
    # AND the problem says what YAML made of it and how to write it
    assert [str(problem) for problem in loaded.problems] == [
        f"{path}: requests[0]: waitSeconds: [type] must be a whole number, not {written}, which "
        f"YAML 1.1 reads as {read_as} and JSON not as a number at all: write it in plain "
        "decimal digits, as JSON reads a number (no leading zero, sign, '_', ':', 0x, 0o or 0b)"
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "tags: {ticket: 0600}",
            "tags.ticket: [type] must be a string, not 0600, which YAML 1.1 reads as 384 and "
            "JSON not as a number at all: quote it",
        ),
        (
            "retrain: {solutions: 1_0}",
            "retrain.solutions: [type] must be string or array, not YAML 1.1 number",
        ),
        (
            "preflight: 0x1",
            "preflight: [type] must be true or false, not 0x1, which YAML 1.1 "
            "reads as 1 and JSON not as a number at all: write true or false",
        ),
    ],
)
def test_a_yaml_only_number_is_refused_in_every_field_not_only_numbers(
    tmp_path: Path, line: str, problem: str
) -> None:
    # GIVEN a YAML number JSON would not read, in a field of another type
    path = _yaml_request(tmp_path, line)
    # WHEN read, THEN it is that field's type error
    assert [str(p) for p in read_requests(path).problems] == [f"{path}: requests[0]: {problem}"]


def test_a_yaml_number_written_as_json_writes_it_is_read_as_written(tmp_path: Path) -> None:
    # GIVEN plain decimal seconds, WHEN read, THEN they are those seconds
    assert [
        spec.wait_seconds for spec in load_requests(_yaml_request(tmp_path, "waitSeconds: 600"))
    ] == [600]


def test_a_manifest_and_a_folder_load_the_same_model(tmp_path: Path) -> None:
    # GIVEN the same two requests as a YAML manifest and as a folder of one file per request
    csv = "USER_ID\nu-1\nu-2\n"
    first = {
        "name": "alpha",
        "users": "alpha.csv",
        "datasetGroups": [ARN, OTHER_ARN],
        "tags": {"ticket": "PRIV-1"},
        "completion": "WAIT",
        "waitSeconds": 60,
    }
    second = {
        "name": "beta",
        "s3Prefix": {"bucket": "my-bucket", "prefix": "beta/", "revision": "1"},
        "datasetGroupArn": ARN,
        "retrain": {"solutions": "ALL"},
    }
    manifest = tmp_path / "manifest"
    folder = tmp_path / "folder"
    for where in (manifest, folder):
        where.mkdir()
        (where / "alpha.csv").write_text(csv)
    (manifest / "requests.yaml").write_text(yaml.safe_dump({"requests": [first, second]}))
    (folder / "2026-11-alpha.json").write_text(json.dumps(first))
    (folder / "2026-12-beta.yml").write_text(yaml.safe_dump(second))
    # WHEN both are loaded
    from_manifest = load_requests(manifest / "requests.yaml")
    from_folder = load_requests(folder)

    # THEN they hold the same requests (only where each came from differs)
    def comparable(spec):
        source = spec.source
        if isinstance(source, LocalCsv):
            source = (source.path.name, source.stats)
        return (
            spec.name,
            source,
            spec.dataset_group_arn,
            spec.dataset_groups,
            spec.tags,
            spec.completion,
            spec.wait_seconds,
            spec.retrain,
        )

    assert [comparable(s) for s in from_manifest] == [comparable(s) for s in from_folder]
    assert [(s.file, s.entry) for s in from_folder] == [
        (str(folder / "2026-11-alpha.json"), ""),
        (str(folder / "2026-12-beta.yml"), ""),
    ]
    assert from_folder[1].source == S3Folder("my-bucket", "beta/", "1")
    assert from_folder[0].source.stats.ids_staged == 2


def test_a_local_list_must_stay_inside_the_request_folder_and_be_a_valid_list(
    tmp_path: Path,
) -> None:
    # GIVEN requests pointing outside the folder, at nothing, and at a list with a bad header
    (tmp_path / "outside.csv").write_text("USER_ID\nu-1\n")
    folder = tmp_path / "requests"
    folder.mkdir()
    (folder / "bad.csv").write_text("user_id\nu-1\n")
    path = folder / "m.json"
    path.write_text(
        json.dumps(
            {
                "requests": [
                    {**_request({"s3": None}), "name": "a", "users": "../outside.csv"},
                    {**_request({"s3": None}), "name": "b", "users": "missing.csv"},
                    {**_request({"s3": None}), "name": "c", "users": "bad.csv"},
                ]
            }
        )
    )
    # WHEN read, THEN each is reported for its own rule (and no list content is quoted)
    assert [str(p) for p in read_requests(path).problems] == [
        f"{path}: requests[0]: users: [users-path] '../outside.csv' is outside the request "
        f"folder {str(folder)!r}: keep each list next to its request, so what a review approves "
        "is what is deployed",
        f"{path}: requests[1]: users: [users-path] {str(folder / 'missing.csv')!r} does not exist "
        "or is not a file",
        f"{path}: requests[2]: users: [header] {folder / 'bad.csv'}: line 1: the header must be "
        "exactly USER_ID (one column, upper case). Fix: make line 1 of every CSV part exactly "
        "USER_ID.",
    ]


def test_an_s3_object_keeps_its_version_and_revision(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "requests": [
                    _request(
                        {
                            "s3": {
                                "bucket": "my-bucket",
                                "key": "a.csv",
                                "versionId": "v1",
                                "revision": "2",
                            }
                        }
                    )
                ]
            }
        )
    )
    assert load_requests(path)[0].source == S3Object("my-bucket", "a.csv", "v1", "2")


def test_file_environments_are_read_for_requests_by_name(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "environments": [{"account": "123456789012", "region": "eu-west-1"}],
                "requests": [_request({"datasetGroups": ["shop"]})],
            }
        )
    )
    loaded = read_requests(path)
    assert loaded.problems == []
    assert loaded.environments == (Environment("123456789012", "eu-west-1"),)
