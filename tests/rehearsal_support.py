"""Running ``python -m personalize_deletion_local`` as users do, and reading its output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rehearse(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python -m personalize_deletion_local rehearse <args>`` in the repository, with the
    venv's Python/Node and the pinned cdk CLI first on the PATH."""
    env = {**os.environ}
    env["PATH"] = os.pathsep.join(
        [os.path.dirname(sys.executable), str(ROOT / "node_modules" / ".bin"), env.get("PATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "personalize_deletion_local", "rehearse", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def section(output: str, title: str) -> str:
    """The lines after ``title`` up to the next blank line."""
    return output.split(f"\n{title}\n", 1)[1].split("\n\n", 1)[0]


def verdict(output: str) -> str:
    """The verdict block, from its heading to the end."""
    return output[output.index("=== VERDICT ===") :].rstrip()


def summary_rows(
    output: str, request: str, title: str = "when cdk deploy returns:"
) -> list[list[str]]:
    """The cells of one request's rows in a summary table: one per dataset group."""
    rows = [line.split() for line in section(output, title).splitlines()]
    found = [cells for cells in rows if cells and cells[0] == request]
    if not found:
        raise AssertionError(f"{request} not in {title}\n{output}")
    return found


def summary_row(output: str, request: str, title: str = "when cdk deploy returns:") -> list[str]:
    """The cells of one request's row in a summary table."""
    for line in section(output, title).splitlines():
        cells = line.split()
        if cells and cells[0] == request:
            return cells
    raise AssertionError(f"{request} not in {title}\n{output}")
