"""Deletion requests declared in a JSON file, for users who would rather not write CDK code.

Format::

    {"requests": [{"name": "gdpr-2026-11",
                   "users": "sample-users.csv",          # relative to the request file
                   "datasetGroupArn": "arn:...",         # optional: the app's default otherwise
                   "tags": {"ticket": "PRIV-1234"},      # optional
                   "completion": "HAND_OFF",             # optional: HAND_OFF, WAIT, SUBMIT_ONLY
                   "waitSeconds": 300}]}                 # optional: the deployment's bound

Every request is checked before any is declared, so one bad entry fails the synth as a whole:
nothing is half-declared and nothing is silently skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration

from .completion import Completion

REQUEST_KEYS = {"name", "users", "datasetGroupArn", "tags", "completion", "waitSeconds"}
COMPLETION_POLICIES = {
    "HAND_OFF": Completion.hand_off,
    "WAIT": Completion.wait,
    "SUBMIT_ONLY": Completion.submit_only,
}


class RequestFileError(ValueError):
    """A request file that cannot be read; names the file, the entry and the field."""


@dataclass(frozen=True)
class RequestSpec:
    """One entry of a request file, with ``users`` resolved against the file's folder."""

    name: str
    users: Path
    dataset_group_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    completion: Completion | None = None
    """``None``: the construct's default (hand off)."""


def load_requests(path: str | Path) -> list[RequestSpec]:
    """Parse and shape-check a request file (values are checked by the construct)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RequestFileError(f"request file {str(path)!r} does not exist") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestFileError(f"request file {str(path)!r} is not UTF-8 JSON: {exc}") from exc
    entries = document.get("requests") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RequestFileError(f'request file {str(path)!r}: expected {{"requests": [...]}}')
    return [_spec(path, index, entry) for index, entry in enumerate(entries)]


def _spec(path: Path, index: int, entry: object) -> RequestSpec:
    where = f"request file {str(path)!r}, requests[{index}]"
    if not isinstance(entry, dict):
        raise RequestFileError(f"{where}: each request must be an object")
    unknown = sorted(set(entry) - REQUEST_KEYS)
    if unknown:
        raise RequestFileError(
            f"{where}: unknown field(s) {unknown}; allowed: {sorted(REQUEST_KEYS)}"
        )
    for key in ("name", "users"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise RequestFileError(f"{where}: field {key!r} is required and must be a string")
    arn = entry.get("datasetGroupArn")
    if "datasetGroupArn" in entry and (not isinstance(arn, str) or not arn):
        raise RequestFileError(
            f"{where}: field 'datasetGroupArn' must be a non-empty string (leave the key out to "
            "use the app's default)"
        )
    tags = entry.get("tags", {})
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise RequestFileError(f"{where}: field 'tags' must map strings to strings")
    return RequestSpec(
        name=entry["name"],
        users=(path.parent / entry["users"]).resolve(),
        dataset_group_arn=arn,
        tags=dict(tags),
        completion=_completion(where, entry),
    )


def _completion(where: str, entry: dict) -> Completion | None:
    policy = entry.get("completion")
    seconds = entry.get("waitSeconds")
    if policy is None and seconds is None:
        return None
    policy = "HAND_OFF" if policy is None else policy
    if policy not in COMPLETION_POLICIES:
        raise RequestFileError(
            f"{where}: field 'completion' must be one of {sorted(COMPLETION_POLICIES)}"
        )
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0
    ):
        raise RequestFileError(f"{where}: field 'waitSeconds' must be a whole number >= 0")
    return COMPLETION_POLICIES[policy](None if seconds is None else Duration.seconds(seconds))
