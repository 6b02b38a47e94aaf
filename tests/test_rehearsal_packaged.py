"""The rehearsal runs the tracker's step with what that step's own function is deployed with."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from personalize_deletion_local.rehearsal.assembly import Template
from personalize_deletion_local.rehearsal.errors import RehearsalError
from personalize_deletion_local.rehearsal.packaged import _step_services, load_runtime
from personalize_deletion_local.rehearsal.resolver import Resolver
from personalize_deletion_local.rehearsal.tracker import Tracker

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT, REGION = "111122223333", "eu-west-1"
SCOPES = {"partition": "aws", "region": REGION, "account": ACCOUNT, "scopes": []}


@dataclasses.dataclass
class HandlerServices:
    """Stands for the handlers' services: only what the step's copy replaces is read back."""

    scopes: Any = None
    tracker: Any = "the handlers' tracker client"
    tracking_timeout_seconds: int = 129_600


def rehearse_step(variables: dict[str, str]) -> Any:
    resolver = Resolver(
        Template(
            name="Shop",
            display="Shop",
            body={
                "Resources": {
                    "Step": {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "Handler": "personalize_deletion_runtime.handlers.track",
                            "Environment": {"Variables": variables},
                        },
                    }
                }
            },
            directory=Path("."),
            account=ACCOUNT,
            region=REGION,
            assets={},
            construct_paths={"Step": "/Shop/PersonalizeDataDeletionTracker/Step/Resource"},
        )
    )
    tracker = Tracker("Machine", "arn:machine", "arn:role", str(resolver.arn_of("Step")), {})
    runtime = load_runtime(ROOT / "lambda")
    return _step_services(resolver, tracker, runtime, HandlerServices())


def test_the_step_runs_with_its_own_tracking_limit_and_no_tracker_client() -> None:
    # GIVEN a tracker step deployed with a 2-hour limit (the handlers were told 36 hours)
    variables = {"DELETION_SCOPES": json.dumps(SCOPES), "TRACKING_TIMEOUT_SECONDS": "7200"}

    # WHEN the rehearsal builds what the step runs with
    services = rehearse_step(variables)

    # THEN it is the step's limit and scopes, and, like the deployed step, no Step Functions client
    assert services.tracking_timeout_seconds == 7200
    assert (services.scopes.account, services.scopes.region) == (ACCOUNT, REGION)
    assert services.tracker is None


def test_a_step_deployed_without_the_tracking_limit_fails_the_rehearsal() -> None:
    # GIVEN a tracker step whose function lacks TRACKING_TIMEOUT_SECONDS (as it once did)
    variables = {"DELETION_SCOPES": json.dumps(SCOPES)}

    # WHEN the rehearsal builds what the step runs with
    with pytest.raises(RehearsalError) as caught:
        rehearse_step(variables)

    # THEN it says which function and what is missing, as the deployed step would fail
    assert str(caught.value) == (
        "the tracker's step Shop/PersonalizeDataDeletionTracker/Step: the function's "
        "environment has no whole number of seconds in TRACKING_TIMEOUT_SECONDS (''): deploy it "
        "with the PersonalizeDataDeletion construct, which sets the tracker's tracking_timeout "
        "there"
    )
