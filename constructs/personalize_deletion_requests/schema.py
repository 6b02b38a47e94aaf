"""The JSON Schema of request files, generated from the model the loader applies.

The committed copy (``schema/deletion-requests.schema.json``) is what editors and other tools
read; a test regenerates it and compares, so it always says what the loader does. A schema
checks shapes; rules that need more than one value (a CSV's content, a name's environment)
are the loader's alone: run ``pdd-validate`` for those.
"""

from __future__ import annotations

import json
from typing import Any

from .model import MANIFEST, REQUEST

SCHEMA_ID = "https://personalize-data-deletion.example/deletion-requests.schema.json"
SCHEMA_FILE = "schema/deletion-requests.schema.json"
"""Where the repository keeps the generated schema (relative to its root)."""


def schema() -> dict[str, Any]:
    """A manifest (``{"requests": [...]}``) or one request per file (the folder form)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Amazon Personalize data deletion requests",
        "description": (
            "A manifest of deletion requests, or one request (a file of a request folder). "
            "Generated from personalize_deletion_requests.model; do not edit."
        ),
        "oneOf": [{"$ref": "#/$defs/manifest"}, {"$ref": "#/$defs/request"}],
        "$defs": {"manifest": MANIFEST.schema(), "request": REQUEST.schema()},
    }


def schema_text() -> str:
    """The schema as committed: two-space indented, sorted keys, a final newline."""
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"
