"""Reading a cloud assembly (``cdk.out``) the way ``cdk deploy`` sees it.

Why a reader of its own: a rehearsal that only looked at the top-level manifest missed every
stack inside a ``Stage`` (a nested cloud assembly) and every ``NestedStack`` (a template asset
behind an ``AWS::CloudFormation::Stack`` resource), and passed an app it had not looked at.
This module finds them all, in deployment order, and names what it cannot read instead of
skipping it silently.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RehearsalError

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
_ROOT_ARTIFACTS = {"cdk:asset-manifest", "cdk:tree", "cdk:feature-flag-report"}


@dataclass
class Template:
    """One CloudFormation template to play: a stack, or a nested stack inside one."""

    name: str
    """The CloudFormation stack name (a nested stack: ``<parent>-<logical id>``)."""
    display: str
    """How ``cdk`` names it: ``Stack``, ``Stage/Stack``, or ``Parent/Nested`` for nested ones."""
    body: dict[str, Any]
    directory: Path
    """The assembly directory its files and asset paths are relative to."""
    account: str
    region: str
    assets: dict[str, Any]
    """File assets by id (a nested stack shares its top-level stack's manifest)."""
    construct_paths: dict[str, str] = field(default_factory=dict)
    """Logical id -> construct path, for messages a user can map to their code."""
    parent: Template | None = None
    logical_id_in_parent: str | None = None
    nested: list[Template] = field(default_factory=list)
    artifact_id: str = ""
    dependencies: tuple[str, ...] = ()

    @property
    def resources(self) -> dict[str, Any]:
        return self.body.get("Resources", {})

    def path_of(self, logical_id: str) -> str:
        """The construct path of a resource, shortened to what the user wrote."""
        path = self.construct_paths.get(logical_id, "")
        path = re.sub(r"/(Resource(/Default)?|Default)$", "", path.strip("/"))
        return path or f"{self.display}/{logical_id}"

    def walk(self) -> Iterable[Template]:
        """This template, then its nested stacks depth-first (the order they are created)."""
        yield self
        for child in self.nested:
            yield from child.walk()


@dataclass
class Assembly:
    """Every stack of an app, in deployment order, and what could not be read."""

    stacks: list[Template]
    unreadable: list[str]


def read_assembly(cdk_out: Path, selectors: tuple[str, ...] = ()) -> Assembly:
    """Stacks of ``cdk_out`` and of its Stage assemblies; ``selectors`` (``--stack``) keep only
    the stacks whose display name or artifact id matches one of the patterns (``*`` allowed)."""
    stacks: list[Template] = []
    unreadable: list[str] = []
    _read(cdk_out, stacks, unreadable)
    if selectors:
        stacks = [s for s in stacks if _selected(s, selectors)]
        if not stacks:
            raise RehearsalError(
                f"--stack {' '.join(selectors)} matches no stack in {cdk_out}: "
                "use the names `cdk list` prints (Stage stacks as Stage/Stack)"
            )
    return Assembly(_in_dependency_order(stacks), unreadable)


def _selected(stack: Template, selectors: tuple[str, ...]) -> bool:
    names = (stack.display, stack.artifact_id, stack.name)
    return any(fnmatch.fnmatchcase(name, pattern) for name in names for pattern in selectors)


def _read(directory: Path, stacks: list[Template], unreadable: list[str]) -> None:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise RehearsalError(f"{manifest_path} not found: synthesize first (or drop --no-synth)")
    artifacts: dict[str, Any] = json.loads(manifest_path.read_text()).get("artifacts", {})
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        properties = artifact.get("properties", {})
        if kind == "cdk:cloud-assembly":
            _read(directory / properties["directoryName"], stacks, unreadable)
        elif kind == "aws:cloudformation:stack":
            stacks.append(_stack(directory, artifact_id, artifact, artifacts, unreadable))
        elif kind not in _ROOT_ARTIFACTS:
            unreadable.append(f"artifact {artifact_id} of type {kind} is not rehearsed")


def _stack(
    directory: Path,
    artifact_id: str,
    artifact: dict[str, Any],
    artifacts: dict[str, Any],
    unreadable: list[str],
) -> Template:
    properties = artifact.get("properties", {})
    assets: dict[str, Any] = {}
    for dependency in artifact.get("dependencies", []):
        manifest = artifacts.get(dependency, {})
        if manifest.get("type") == "cdk:asset-manifest":
            files = json.loads((directory / manifest["properties"]["file"]).read_text())
            assets.update(files.get("files", {}))
    account, region = _environment(artifact.get("environment", ""))
    paths = _construct_paths(directory, artifact)
    display = artifact.get("displayName") or artifact_id
    stack = Template(
        name=properties.get("stackName") or artifact_id,
        display=display,
        body=json.loads((directory / properties["templateFile"]).read_text()),
        directory=directory,
        account=account,
        region=region,
        assets=assets,
        artifact_id=artifact_id,
        dependencies=tuple(artifact.get("dependencies", [])),
    )
    stack.construct_paths = _paths_for(stack, paths, prefix="/" + display)
    _nest(stack, paths, unreadable)
    return stack


def _nest(parent: Template, paths: dict[str, list[str]], unreadable: list[str]) -> None:
    """Attach the nested stacks of ``parent`` (recursively)."""
    for logical_id, resource in parent.resources.items():
        if resource.get("Type") != NESTED_STACK_TYPE:
            continue
        file = _nested_template_file(parent, logical_id, resource)
        if file is None:
            unreadable.append(
                f"nested stack {parent.display}/{logical_id}: its template is not in the cloud "
                "assembly (TemplateURL outside the app's assets)"
            )
            continue
        path = parent.construct_paths.get(logical_id, "")
        child = Template(
            name=f"{parent.name}-{logical_id}",
            display=_nested_display(parent, logical_id, path),
            body=json.loads(file.read_text()),
            directory=parent.directory,
            account=parent.account,
            region=parent.region,
            assets=parent.assets,
            parent=parent,
            logical_id_in_parent=logical_id,
            artifact_id=parent.artifact_id,
        )
        prefix = path.split(".NestedStack/")[0] if ".NestedStack/" in path else ""
        child.construct_paths = _paths_for(child, paths, prefix=prefix)
        parent.nested.append(child)
        _nest(child, paths, unreadable)


def _nested_template_file(
    parent: Template, logical_id: str, resource: dict[str, Any]
) -> Path | None:
    """The nested template: named by the resource's asset metadata (CLI synth), or found by
    the object key its TemplateURL ends with among the stack's file assets."""
    asset_path = resource.get("Metadata", {}).get("aws:asset:path")
    if asset_path and (parent.directory / asset_path).is_file():
        return parent.directory / asset_path
    url = json.dumps(resource.get("Properties", {}).get("TemplateURL", ""))
    for asset in parent.assets.values():
        keys = [d.get("objectKey", "") for d in asset.get("destinations", {}).values()]
        if any(key and key in url for key in keys):
            candidate = parent.directory / asset.get("source", {}).get("path", "")
            if candidate.is_file():
                return candidate
    return None


def _nested_display(parent: Template, logical_id: str, path: str) -> str:
    """``Parent/Inner`` from the construct path ``/Parent/Inner.NestedStack/...``."""
    if ".NestedStack/" in path:
        return parent.display + "/" + path.split(".NestedStack/")[0].rsplit("/", 1)[-1]
    return f"{parent.display}/{logical_id}"


def _construct_paths(directory: Path, artifact: dict[str, Any]) -> dict[str, list[str]]:
    """Logical id -> every construct path with it, from the artifact's metadata."""
    metadata: dict[str, Any] = dict(artifact.get("metadata", {}))
    extra = artifact.get("additionalMetadataFile")
    if extra and (directory / extra).is_file():
        metadata.update(json.loads((directory / extra).read_text()))
    paths: dict[str, list[str]] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry.get("type") == "aws:cdk:logicalId":
                paths.setdefault(str(entry.get("data")), []).append(path)
    return paths


def _paths_for(template: Template, paths: dict[str, list[str]], prefix: str) -> dict[str, str]:
    """Each resource's path: its ``aws:cdk:path`` metadata, else the metadata entry for its
    logical id under ``prefix`` (parent and nested stacks may reuse logical ids)."""
    found: dict[str, str] = {}
    for logical_id, resource in template.resources.items():
        path = resource.get("Metadata", {}).get("aws:cdk:path")
        candidates = [p for p in paths.get(logical_id, []) if p.startswith(prefix + "/")]
        if not path and candidates:
            path = min(candidates, key=len)
        if path:
            found[logical_id] = str(path)
    return found


def _environment(environment: str) -> tuple[str, str]:
    """``aws://<account>/<region>``; environment-agnostic parts get the rehearsal's defaults."""
    match = re.fullmatch(r"aws://([^/]*)/([^/]*)", environment)
    account, region = match.groups() if match else ("", "")
    if not re.fullmatch(r"\d{12}", account):
        account = DEFAULT_ACCOUNT
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        region = DEFAULT_REGION
    return account, region


def _in_dependency_order(stacks: list[Template]) -> list[Template]:
    """Stacks after the stacks they depend on (as ``cdk deploy --all`` deploys them)."""
    by_id = {stack.artifact_id: stack for stack in stacks}
    ordered: list[Template] = []
    seen: set[int] = set()

    def visit(stack: Template) -> None:
        if id(stack) in seen:
            return
        seen.add(id(stack))
        for dependency in stack.dependencies:
            if dependency in by_id:
                visit(by_id[dependency])
        ordered.append(stack)

    for stack in stacks:
        visit(stack)
    return ordered
