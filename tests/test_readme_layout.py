"""The README's Layout section is the map of the tree: every module in it, nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = ("constructs", "lambda")


def layout_section(readme: str) -> str:
    start = readme.index("\n## Layout\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]


def module_names(*roots: str) -> set[str]:
    return {
        path.name
        for root in roots
        for path in (ROOT / root).rglob("*.py")
        if "__pycache__" not in path.parts
    }


def test_every_module_is_named_in_the_layout_section() -> None:
    # GIVEN the README's Layout section and the modules under the source roots
    section = layout_section((ROOT / "README.md").read_text(encoding="utf-8"))
    named = set(re.findall(r"`([\w/]*?(\w+\.py))", section))
    names = {leaf for _, leaf in named}
    # WHEN each module is looked up THEN it is named there (packages' __init__.py aside)
    assert sorted(module_names(*SOURCE_ROOTS) - names - {"__init__.py"}) == []
    # AND every module named there exists (in the product or in tests/)
    assert sorted(names - module_names(*SOURCE_ROOTS, "tests")) == []
