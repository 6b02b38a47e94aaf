"""``cdk synth`` of the app with the real CDK CLI, with the user's context and stacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import RehearsalError
from .world import Out


def synthesize(
    app_dir: Path,
    cdk_out: Path,
    *,
    context: tuple[str, ...] = (),
    stacks: tuple[str, ...] = (),
    out: Out = print,
) -> None:
    """Run ``cdk synth --quiet -o <cdk_out> [-c key=value ...] [stacks]`` in ``app_dir``.

    The CLI comes from the app's ``node_modules/.bin`` or the PATH; this interpreter's folder
    goes first on the PATH so that an app run as ``python app.py`` gets this environment.
    """
    path_entries = [os.path.dirname(sys.executable), str(app_dir / "node_modules" / ".bin")]
    env = {**os.environ, "PATH": os.pathsep.join([*path_entries, os.environ.get("PATH", "")])}
    cdk = shutil.which("cdk", path=env["PATH"])
    if cdk is None:
        raise RehearsalError(
            "the CDK CLI (cdk) was not found: run `npm install aws-cdk` in the app dir, or put "
            "cdk on the PATH, or synthesize yourself and pass --no-synth --cdk-out"
        )
    command = [cdk, "synth", "--quiet", "-o", str(cdk_out)]
    for item in context:
        command += ["-c", item]
    command += list(stacks)
    out(f"$ {' '.join(command)}  (in {app_dir})")
    result = subprocess.run(
        command, cwd=app_dir, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RehearsalError(
            f"cdk synth failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
        )
