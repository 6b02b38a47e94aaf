"""Read request files: one manifest (JSON or YAML) or a folder with one request per file.

Everything is read before anything is judged, and every problem is collected: a reviewer (or a
pre-commit hook) sees all of them at once, each with its file, entry, field and rule. Repeated
keys are problems (JSON and YAML parsers would keep the last value silently), and so are values
of the wrong type (no reinterpretation: ``"300"`` is not a number of seconds) and YAML numbers
that JSON would not read as numbers (``0600``, ``10:00``: see :mod:`.parsed`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from personalize_deletion_runtime.user_list import (
    InputValidationError,
    Limits,
    canonicalize,
    iter_chunks,
)

from .findings import INVALID, Findings, Problem
from .model import MANIFEST, REQUEST
from .parsed import Duplicates, load_yaml
from .specs import LocalCsv, RequestSpec, S3Folder, S3Object, environment, request_spec

REQUEST_FILE_SUFFIXES = (".json", ".yaml", ".yml")


class RequestFileError(ValueError):
    """Request files that cannot be deployed; one line per problem, all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class RequestSet:
    """What a manifest or folder declares, and what is wrong with it (possibly nothing)."""

    root: Path
    requests: list[RequestSpec] = field(default_factory=list)
    environments: tuple[Any, ...] = ()
    """The manifest's default environments (``environments`` at its top level)."""
    problems: list[Problem] = field(default_factory=list)
    names: list[tuple[str, str, str]] = field(default_factory=list)
    """(name, file, entry) of every entry with a well-formed name, valid or not."""

    def raise_problems(self) -> RequestSet:
        if self.problems:
            raise RequestFileError(self.problems)
        return self


def read_requests(path: str | Path, *, check_lists: bool = True) -> RequestSet:
    """Read a manifest file or a folder of request files; collect every problem.

    ``check_lists``: also validate each local CSV with the handler's rules (and keep its
    counts and SHA-256 for the summary).
    """
    path = Path(path)
    shown = str(path)
    if path.is_dir():
        result = RequestSet(root=path)
        files = sorted(
            p
            for p in path.iterdir()
            if p.is_file()
            and p.suffix.lower() in REQUEST_FILE_SUFFIXES
            and not p.name.startswith(".")
        )
        if not files:
            result.problems.append(
                Problem(
                    shown,
                    None,
                    None,
                    "no-requests",
                    f"holds no request files ({', '.join(REQUEST_FILE_SUFFIXES)})",
                )
            )
        for file in files:
            document = _document(file, result.problems)
            if document is not INVALID:
                _request(document, Findings(str(file)), path, result, check_lists)
    else:
        result = RequestSet(root=path.parent)
        document = _document(path, result.problems)
        if document is not INVALID:
            found = Findings(shown)
            parsed = MANIFEST.partial(document, found)
            result.problems.extend(found.problems)
            found.problems = []
            if parsed is not INVALID and "requests" in parsed:
                result.environments = tuple(environment(e) for e in parsed.get("environments", []))
                for index, entry in enumerate(parsed["requests"]):
                    _request(
                        entry, found.at(f"requests[{index}]"), path.parent, result, check_lists
                    )
    return result


def load_requests(path: str | Path) -> list[RequestSpec]:
    """The requests of a manifest or folder, or :class:`RequestFileError` listing every
    problem."""
    return read_requests(path).raise_problems().requests


def _document(path: Path, problems: list[Problem]) -> Any:
    """A file's parsed content with :class:`Duplicates` for every mapping, or ``INVALID``."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(Problem(shown, None, None, "file", "does not exist"))
        return INVALID
    except (UnicodeDecodeError, OSError) as exc:
        problems.append(Problem(shown, None, None, "file", f"cannot be read as UTF-8: {exc}"))
        return INVALID
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text, object_pairs_hook=Duplicates)
        except json.JSONDecodeError as exc:
            problems.append(Problem(shown, None, None, "syntax", f"is not JSON: {exc}"))
            return INVALID
    try:
        return load_yaml(text, shown)
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        problems.append(Problem(shown, None, None, "syntax", f"is not YAML: {message}"))
        return INVALID


def _request(
    document: Any,
    found: Findings,
    root: Path,
    result: RequestSet,
    check_lists: bool,
) -> None:
    local = Findings(found.file, found.entry)
    parsed = REQUEST.partial(document, local)
    if parsed is not INVALID:
        if "name" in parsed:
            _check_unique_name(result, parsed["name"], local)
        source = _source(parsed, local, Path(found.file).parent, root, check_lists)
        _cross_field(parsed, local)
        if not local.problems:
            result.requests.append(request_spec(parsed, source, found.file, found.entry or ""))
    result.problems.extend(local.problems)


def _cross_field(parsed: dict[str, Any], found: Findings) -> None:
    if parsed.get("followUp") and parsed.get("preflight") is False:
        found.add(
            "followUp",
            "follow-up-needs-preflight",
            "followUp needs the pre-flight: only its check finds imports or trainings that "
            "started during the job; remove preflight: false",
        )
    retrain = parsed.get("retrain")
    groups = parsed.get("datasetGroups", [])
    if retrain is not None and not isinstance(retrain["solutions"], str) and len(groups) > 1:
        found.add(
            "retrain.solutions",
            "retrain-one-group",
            "a list of solutions belongs to one dataset group; with several datasetGroups use "
            "solutions: ALL, or one request per group",
        )
    if parsed.get("environments") and not any(not group.startswith("arn:") for group in groups):
        found.add(
            "environments",
            "unused",
            "applies to dataset groups given by name, and this request names none (an ARN "
            "already says its account and region)",
        )


def _source(
    parsed: dict[str, Any], found: Findings, folder: Path, root: Path, check_lists: bool
) -> Any:
    if "s3" in parsed:
        item = parsed["s3"]
        return S3Object(item["bucket"], item["key"], item.get("versionId"), item.get("revision"))
    if "s3Prefix" in parsed:
        item = parsed["s3Prefix"]
        return S3Folder(item["bucket"], item["prefix"], item.get("revision"))
    if "users" not in parsed:
        return None
    relative = parsed["users"]
    path = (folder / relative).resolve()
    shown = str(folder / relative)
    if not path.is_relative_to(root.resolve()):
        found.add(
            "users",
            "users-path",
            f"{relative!r} is outside the request folder {str(root)!r}: keep each list next to "
            "its request, so what a review approves is what is deployed",
        )
        return None
    if not path.is_file():
        found.add("users", "users-path", f"{shown!r} does not exist or is not a file")
        return None
    if not check_lists:
        return LocalCsv(path)
    try:
        with path.open("rb") as stream:
            stats = canonicalize([(shown, iter_chunks(stream))], _discard, limits=Limits())
    except InputValidationError as exc:
        found.add("users", exc.rule, str(exc).replace(f"[{exc.rule}] ", ""))
        return None
    return LocalCsv(path, stats)


def _discard(_chunk: bytes) -> None:
    """Validation only: the canonical bytes are not kept."""


def _check_unique_name(result: RequestSet, name: str, found: Findings) -> None:
    for earlier, file, entry in result.names:
        if earlier == name:
            where = file + (f" {entry}" if entry else "")
            found.add(
                "name",
                "duplicate-name",
                f"{name!r} is already the name of {where}: a request name is part of its job "
                "names, so each must be unique",
            )
            return
    result.names.append((name, found.file, found.entry or ""))
