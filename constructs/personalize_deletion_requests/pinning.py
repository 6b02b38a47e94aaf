"""The placement file: which stack each job of a request file is in, kept in git.

Stacks are filled in declaration order, so without a record a request inserted early (or one
removed from a full stack) shifts later jobs to the next stack, and CloudFormation replaces
them there (the new resource adopts its job by name, no second job starts, but a second tracker
follows it). ``pdd-validate --write-placement`` records every job's stack in a file beside the
request file; the app then keeps each recorded job in its stack whatever is inserted or removed,
and places only new jobs (first stack with room, in declaration order). The file holds request
and dataset group names, never a user id.

Where: beside a manifest ``deletions.json`` as ``deletions.placement.lock``; inside a request
folder as ``placement.lock`` (the ``.lock`` suffix keeps it out of the request files).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from .specs import Environment

PLACEMENT_FILE_VERSION = 1
FOLDER_PLACEMENT_NAME = "placement.lock"


class PlacementFileError(ValueError):
    """A placement file that cannot be read, or that pins more jobs to a stack than it holds."""


def placement_path(request_path: str | Path) -> Path:
    """Where the placement file of a manifest or request folder is."""
    path = Path(request_path)
    if path.is_dir():
        return path / FOLDER_PLACEMENT_NAME
    return path.with_name(f"{path.stem}.placement.lock")


Pins = Mapping[Environment, list[list[str]]]
"""Per environment, the job keys of each stack (index 0 is the stack without a suffix)."""


def read_pins(path: Path) -> dict[Environment, list[list[str]]]:
    """The pins of a placement file; none if it does not exist."""
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != PLACEMENT_FILE_VERSION:
            raise ValueError(f"version must be {PLACEMENT_FILE_VERSION}")
        pins = {}
        for where, stacks in document["stacks"].items():
            account, region = where.split("/")
            if not all(isinstance(key, str) for keys in stacks for key in keys):
                raise ValueError(f"stacks of {where} must be lists of job keys")
            pins[Environment(account, region)] = [list(keys) for keys in stacks]
        return pins
    except (ValueError, KeyError, AttributeError, TypeError) as exc:
        raise PlacementFileError(
            f"{path}: not a placement file ({exc}); delete it and run pdd-validate "
            "--write-placement again, or restore it from git"
        ) from exc


def placement_text(stacks: Mapping[Environment, list[list[str]]]) -> str:
    """The placement file for these stacks (job keys per stack, per environment)."""
    document = {
        "version": PLACEMENT_FILE_VERSION,
        "comment": (
            "Which stack each deletion job is in, written by pdd-validate --write-placement; "
            "keep it in git so that a job keeps its stack whatever is added or removed."
        ),
        "stacks": {str(env): stacks[env] for env in sorted(stacks, key=str)},
    }
    return json.dumps(document, indent=2) + "\n"


def unpinned(keys: Iterable[tuple[Environment, str]], pins: Pins) -> list[str]:
    """``account/region: key`` of the jobs the placement file does not list."""
    pinned = {(env, key) for env, stacks in pins.items() for keys in stacks for key in keys}
    return [f"{env}: {key}" for env, key in keys if (env, key) not in pinned]
