"""The cold-start benchmark's child starts the packaged handler as Lambda would configure it.

Not a timing test (the figures live in ``benchmarks/results.json``): it fails when the child can
no longer build the handler's services, as it did once the entry points began to require
``TRACKING_TIMEOUT_SECONDS`` and the benchmark's environment lacked it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import cold_start  # noqa: E402

pytestmark = pytest.mark.fast


def test_the_cold_start_child_builds_the_handlers_services() -> None:
    # GIVEN the packaged runtime and the environment the construct gives its functions
    # WHEN the benchmark samples one cold start of each kind
    figures = cold_start.run(repeats=1)
    # THEN both ran to the end and report their parts
    assert figures["boto3_import_seconds"] > 0
    assert figures["handler_import_seconds"] > 0
    assert figures["first_call_clients_seconds"] > 0
