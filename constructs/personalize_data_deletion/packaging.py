"""The Lambda code every handler of this library runs: the runtime package, shipped alone."""

from __future__ import annotations

from pathlib import Path

import personalize_deletion_runtime
from aws_cdk import aws_lambda as lambda_

RUNTIME_PACKAGE = Path(personalize_deletion_runtime.__file__).parent


def handler_code() -> lambda_.Code:
    """Ship exactly the runtime package, from a checkout or from an installed distribution.

    The package's parent is ``lambda/`` in a checkout but ``site-packages`` when installed, so
    everything but the package is excluded (excluded folders are never walked). The provider's
    handlers and the tracker's step share this one asset. The package's ``py.typed`` marker is
    for type checkers of the library, not for Lambda: it is left out, so the asset (and its
    hash) holds only code the handlers run.
    """
    name = RUNTIME_PACKAGE.name
    return lambda_.Code.from_asset(
        str(RUNTIME_PACKAGE.parent),
        exclude=["*", f"!{name}", f"!{name}/**", "**/__pycache__", "**/*.pyc", "**/py.typed"],
    )
