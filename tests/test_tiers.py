"""The tiers are enforced: a test module with no tier, or more than one, stops the run.

Each case runs pytest (in process, through ``pytester``) on a folder holding this suite's
conftest.py and pyproject.toml and one small test module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast
pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]
RULE = (
    "ERROR: every test module declares exactly one tier with a module-level "
    "`pytestmark = pytest.mark.<tier>` (fast, wire or synth):"
)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A folder with this suite's conftest.py and pytest settings (markers, --strict-markers)."""
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makepyprojecttoml((ROOT / "pyproject.toml").read_text())
    return pytester


def test_a_module_with_one_tier_runs(suite: pytest.Pytester) -> None:
    # GIVEN a module declaring the fast tier
    suite.makepyfile(test_tiered="import pytest\npytestmark = pytest.mark.fast\ndef test_x(): pass")
    # WHEN its tier is run THEN its test runs; another tier deselects it
    suite.runpytest("-m", "fast").assert_outcomes(passed=1)
    suite.runpytest("-m", "wire").assert_outcomes(deselected=1)


def test_a_module_without_a_tier_stops_the_run_by_name(suite: pytest.Pytester) -> None:
    # GIVEN a module that declares no tier
    suite.makepyfile(test_untiered="def test_x(): pass")
    # WHEN pytest collects it (whatever -m asks for)
    result = suite.runpytest("-m", "fast")
    # THEN the run stops with a usage error naming the module, and no test runs
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines == [RULE, "  test_untiered.py: declares 0 tiers (none)", ""]
    result.stdout.no_fnmatch_line("*passed*")


def test_a_module_with_two_tiers_stops_the_run_by_name(suite: pytest.Pytester) -> None:
    # GIVEN a module that declares two tiers
    suite.makepyfile(
        test_two="import pytest\n"
        "pytestmark = [pytest.mark.fast, pytest.mark.wire]\n"
        "def test_x(): pass"
    )
    # WHEN pytest collects it THEN the usage error names the module and both tiers
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines == [RULE, "  test_two.py: declares 2 tiers (fast, wire)", ""]


def test_a_test_marked_with_another_tier_than_its_module_stops_the_run(
    suite: pytest.Pytester,
) -> None:
    # GIVEN a fast module with one test marked synth
    suite.makepyfile(
        test_mixed="import pytest\n"
        "pytestmark = pytest.mark.fast\n"
        "@pytest.mark.synth\n"
        "def test_x(): pass"
    )
    # WHEN pytest collects it THEN the usage error names the test and its two tiers
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.errlines == [RULE, "  test_mixed.py::test_x: is in 2 tiers (fast, synth)", ""]


def test_an_unregistered_marker_is_refused(suite: pytest.Pytester) -> None:
    # GIVEN a module whose tier is misspelled
    suite.makepyfile(test_typo="import pytest\npytestmark = pytest.mark.fsat\ndef test_x(): pass")
    # WHEN pytest collects it THEN --strict-markers refuses the unknown marker
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'fsat' not found in `markers` configuration option*"])


def declared_tier(path: Path) -> str | None:
    """The tier a module's source assigns to ``pytestmark`` (read, not imported)."""
    for node in ast.parse(path.read_text()).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(target, "id", None) for target in node.targets] == ["pytestmark"]
            and isinstance(node.value, ast.Attribute)
        ):
            return node.value.attr
    return None


def test_the_fast_and_wire_modules_start_no_node() -> None:
    # GIVEN every test module of the fast and wire tiers, and the support they use
    tests = ROOT / "tests"
    modules = sorted(
        path.stem for path in tests.glob("test_*.py") if declared_tier(path) in ("fast", "wire")
    )
    assert {"test_decisions", "test_fakes_contract", "test_lifecycle"} <= set(modules)
    # WHEN a fresh interpreter imports them all, and the tracker definition the wire tier runs
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import lifecycle_support; lifecycle_support.tracker_definition_module()\n"
        "print(sorted(name for name in ('aws_cdk', 'constructs', 'jsii') if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tests,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    # THEN none of aws_cdk, constructs or jsii was imported: no Node process was started
    assert result.stdout == "[]\n"
