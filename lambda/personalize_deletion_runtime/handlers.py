"""Lambda entry points behind the Provider framework: build the adapters, call the core.

Kept thin so everything that decides is in :mod:`.lifecycle`, testable without AWS. The
framework owns the CloudFormation response: these return values or raise.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from . import lifecycle, tracker_steps
from .environment import (
    HANDLER_DEADLINE_VARIABLE,
    TRACKER_STATE_MACHINE_VARIABLE,
    TRACKING_TIMEOUT_VARIABLE,
)
from .notifications import Notifier
from .personalize_api import PersonalizeJobs
from .scopes import scopes_from
from .services import DEFAULT_DEADLINE_SECONDS, Services
from .staging import Storage
from .tracking import Tracker

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="personalize-data-deletion",
)


@cache
def services() -> Services:
    """Clients are created once per execution environment (cold start) and reused.

    The provider's handlers start tracker executions (``TRACKER_STATE_MACHINE_ARN``); the
    tracker's own step function has no such variable and gets no Step Functions client.
    """
    machine = os.environ.get(TRACKER_STATE_MACHINE_VARIABLE)
    return Services(
        jobs=PersonalizeJobs(boto3.client("personalize", config=CLIENT_CONFIG)),
        storage=Storage(boto3.client("s3", config=CLIENT_CONFIG)),
        notifier=Notifier(boto3.client("events", config=CLIENT_CONFIG)),
        scopes=scopes_from(os.environ),
        tracker=(
            Tracker(boto3.client("stepfunctions", config=CLIENT_CONFIG), machine)
            if machine
            else None
        ),
        deadline_seconds=int(
            os.environ.get(HANDLER_DEADLINE_VARIABLE, str(DEFAULT_DEADLINE_SECONDS))
        ),
        tracking_timeout_seconds=tracking_timeout_seconds(os.environ),
    )


def tracking_timeout_seconds(environment: Mapping[str, str]) -> int:
    """The tracker's ``tracking_timeout`` from the function's environment, which must carry it."""
    value = environment.get(TRACKING_TIMEOUT_VARIABLE, "")
    if not value.isdigit():
        raise RuntimeError(
            f"the function's environment has no whole number of seconds in "
            f"{TRACKING_TIMEOUT_VARIABLE} ({value!r}): deploy it with the "
            "PersonalizeDataDeletion construct, which sets the tracker's tracking_timeout there"
        )
    return int(value)


def on_event(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """Provider framework ``onEvent``: Create/Update validate and stage the list (the first
    ``isComplete`` submits the job); Delete touches nothing in Personalize."""
    return lifecycle.on_event(event, services())


def is_complete(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """Provider framework ``isComplete``: submit or find the job, poll it; finish it, hand it
    off, or fail."""
    return lifecycle.is_complete(event, services())


def track(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    """The tracker state machine's Lambda steps: submit a queued request, finish, give up."""
    return tracker_steps.run(event, services())
