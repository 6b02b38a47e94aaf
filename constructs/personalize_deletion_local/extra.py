"""Whether the ``[local]`` extra is installed, before anything imports it.

The local tooling needs boto3, botocore and moto (with its server), which the construct
library does not: a plain ``pip install personalize-data-deletion`` leaves them out. Running
the rehearsal then says, in one line, what to install, instead of an ImportError trace.
"""

from __future__ import annotations

import importlib.util

EXTRA = "personalize-data-deletion[local]"
MODULES = ("boto3", "botocore", "moto", "flask")
"""What the tooling imports (flask: moto's server)."""


def missing_modules() -> list[str]:
    """The modules of the extra that cannot be imported here."""
    return [name for name in MODULES if importlib.util.find_spec(name) is None]


def missing_message() -> str | None:
    """One line naming the extra to install, or ``None`` when it is installed."""
    missing = missing_modules()
    if not missing:
        return None
    return (
        f"personalize_deletion_local needs {', '.join(missing)}, which this environment lacks: "
        f"pip install '{EXTRA}'"
    )
