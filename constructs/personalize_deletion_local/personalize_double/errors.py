"""Errors the double answers with, as Personalize's awsJson protocol carries them.

Separate from the operations so the request validation, the deletion jobs and the resource
models raise the same type without importing each other.
"""

from __future__ import annotations

from typing import Any

MAX_TAGS = 50
"""Tags per Personalize resource (the API's list type allows 200; the service, 50)."""

DEFAULT_ERROR_STATUS = {
    "InternalServerError": 500,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "TooManyRequestsException": 429,
}
"""Status codes for error codes that are not plain client errors. Everything else is 400,
which is what Personalize returns for all of its modeled exceptions."""


class ServiceError(Exception):
    """An error the double returns to the client as an awsJson error response.

    ``code`` becomes ``__type`` in the body, which botocore's JSON parser turns into
    ``ClientError.response["Error"]["Code"]`` (it strips any ``namespace#`` prefix), and
    ``message`` becomes ``response["Error"]["Message"]``.
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else DEFAULT_ERROR_STATUS.get(code, 400)


def default_fault_message(code: str) -> str:
    """The message an injected fault carries when the test gives none (the service's own
    wording for throttling and server errors)."""
    return {
        "LimitExceededException": "Rate exceeded",
        "ThrottlingException": "Rate exceeded",
        "InternalServerError": "An internal error occurred. Try again later.",
        "ServiceUnavailable": "Service is temporarily unavailable. Try again later.",
    }.get(code, f"Injected {code}")


def not_found(kind: str, arn: str) -> ServiceError:
    """``ResourceNotFoundException`` for a ``kind`` of resource, worded as the service does."""
    return ServiceError("ResourceNotFoundException", f"Could not find the {kind} {arn}.")


def check_tag_count(tags: Any) -> None:
    """``TooManyTagsException`` above the service's per-resource limit (50). Checked before
    the model validation: the model's list allows 200, the service answers this first."""
    if isinstance(tags, list) and len(tags) > MAX_TAGS:
        raise ServiceError(
            "TooManyTagsException",
            f"The number of tags ({len(tags)}) exceeds the limit of {MAX_TAGS}.",
        )
