"""Lambda entry points behind the Provider framework: build the adapters, call the core.

Kept thin so everything that decides is in :mod:`.lifecycle`, testable without AWS. The
framework owns the CloudFormation response: these return values or raise.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from . import lifecycle
from .personalize_api import PersonalizeJobs
from .staging import Storage

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="personalize-data-deletion",
)


@cache
def services() -> lifecycle.Services:
    """Clients are created once per execution environment (cold start) and reused."""
    return lifecycle.Services(
        jobs=PersonalizeJobs(boto3.client("personalize", config=CLIENT_CONFIG)),
        storage=Storage(boto3.client("s3", config=CLIENT_CONFIG)),
        deadline_seconds=int(os.environ.get("HANDLER_DEADLINE_SECONDS", "3300")),
    )


def on_event(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """Provider framework ``onEvent``: Create/Update start or adopt the job; Delete is a no-op."""
    return lifecycle.on_event(event, services())


def is_complete(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """Provider framework ``isComplete``: poll the job until it is COMPLETED or FAILED."""
    return lifecycle.is_complete(event, services())
