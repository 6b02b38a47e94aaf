"""What the deploy-time path and the tracker need from the outside world, injected.

Boto3 adapters in Lambda; the same adapters over local stand-ins (moto, the Personalize test
double) in tests and the rehearsal, with a simulated clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .models import PersonalizeModels
from .notifications import Notifier
from .personalize_api import PersonalizeJobs
from .scopes import Scopes
from .staging import Storage
from .tracking import Tracker

DEFAULT_DEADLINE_SECONDS = 3240
"""The construct's default: 55 minutes of polling minus one 60 s interval."""
DEFAULT_TRACKING_TIMEOUT_SECONDS = 36 * 3600


@dataclass
class Services:
    """Clients, clock and the limits the construct configured (from the environment)."""

    jobs: PersonalizeJobs
    storage: Storage
    notifier: Notifier
    scopes: Scopes
    """What this handler was deployed to serve (its environment, never the event)."""
    tracker: Tracker | None = None
    """``None`` where no tracker is configured: nothing can be handed off then."""
    clock: Callable[[], float] = time.time
    deadline_seconds: int = DEFAULT_DEADLINE_SECONDS
    """How long after ``on_event`` the deployment may wait at most (the provider's limit)."""
    tracking_timeout_seconds: int = DEFAULT_TRACKING_TIMEOUT_SECONDS
    """How long the tracker follows a job before it reports it as stuck."""

    @property
    def models(self) -> PersonalizeModels:
        """Datasets, solutions and the like, through the same Personalize client as the jobs."""
        return PersonalizeModels(self.jobs.client)
