"""What CloudFormation and the Provider framework send, read and checked before anything else.

Every event field the handlers rely on is checked here with a message naming it (a malformed
event fails the resource, never the handler with a KeyError), and the request's properties are
parsed against what this handler's environment serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .failures import DeletionFailed
from .properties import DeletionRequest, PropertyError
from .services import Services


def event_request_type(event: Mapping[str, Any]) -> str:
    if not isinstance(event, Mapping):
        raise DeletionFailed(f"the event must be an object, not {type(event).__name__}")
    value = event.get("RequestType")
    if value not in ("Create", "Update", "Delete"):
        raise DeletionFailed(
            f"event field RequestType is {value!r}: expected Create, Update or Delete"
        )
    return value


def resource_properties(event: Mapping[str, Any]) -> Mapping[str, Any]:
    value = event.get("ResourceProperties")
    if not isinstance(value, Mapping):
        raise DeletionFailed(
            f"event field ResourceProperties must be an object, not {type(value).__name__}"
        )
    return value


def event_field(event: Mapping[str, Any], name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value:
        raise DeletionFailed(
            f"event field {name} is missing: CloudFormation sends it with every request"
        )
    return value


def request_wait_seconds(request: DeletionRequest, services: Services) -> int:
    """The request's bound, within what the provider (and so CloudFormation) allows."""
    if request.wait_seconds is None:
        return services.deadline_seconds
    if request.wait_seconds > services.deadline_seconds:
        raise DeletionFailed(
            f"property WaitSeconds {request.wait_seconds} exceeds this provider's limit of "
            f"{services.deadline_seconds} s (its total_timeout less one query_interval): "
            "lower the request's wait or raise total_timeout"
        )
    return request.wait_seconds


def parse_request_in_scope(properties: Mapping[str, Any], services: Services) -> DeletionRequest:
    """The request, if well formed and within what this handler serves."""
    try:
        request = services.scopes.request(properties)
    except PropertyError as exc:
        raise DeletionFailed(str(exc)) from exc
    return request
