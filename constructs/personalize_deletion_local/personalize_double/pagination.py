"""Paging of every List operation of the double: newest first, with stable opaque tokens.

One implementation for the deletion jobs and the resource models, so every list pages alike.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

from .errors import ServiceError
from .validation import service_model


class Sequenced(Protocol):
    """A stored record: its creation order is its place in every list."""

    sequence: int


_R = TypeVar("_R", bound=Sequenced)
_PAGING_MEMBERS = frozenset({"nextToken", "maxResults"})


def _encode_token(after_sequence: int, operation: str, query: Mapping[str, Any]) -> str:
    raw = json.dumps(
        {"v": 2, "op": operation, "query": query, "after": after_sequence},
        separators=(",", ":"),
        sort_keys=True,
    )
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_token(token: str, operation: str, query: Mapping[str, Any]) -> int | None:
    """The sequence a page starts after, or ``None`` for a token of another query."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("v") != 2
        or data.get("op") != operation
        or data.get("query") != dict(query)
        or not isinstance(data.get("after"), int)
    ):
        return None
    return data["after"]


def paginate(
    operation: str,
    body: Mapping[str, Any],
    records: Iterable[_R],
    render: Callable[[_R], dict[str, Any]],
) -> dict[str, Any]:
    """One page of ``records``, newest first (AWS documents no order), under the member the
    operation's output shape lists them in.

    ``maxResults`` defaults to the model's maximum for the operation (100; "The default
    value is 100" in ListBatchInferenceJobs). The opaque ``nextToken`` encodes the
    sequence number of the last record returned plus the operation and its filter
    members, so pages stay stable while records are added between calls and a token is
    refused (``InvalidNextTokenException``) by any other query.
    """
    query = {name: value for name, value in body.items() if name not in _PAGING_MEMBERS}
    model = service_model().operation_model(operation)
    members = model.input_shape.members
    # The page is the output's one list member (``datasets``, ``dataDeletionJobs``, ...).
    outputs = model.output_shape.members
    key = next(name for name, member in outputs.items() if member.type_name == "list")
    limit = body.get("maxResults") or members["maxResults"].metadata.get("max", 100)
    after = None
    if body.get("nextToken") is not None:
        after = _decode_token(body["nextToken"], operation, query)
        if after is None:
            raise ServiceError("InvalidNextTokenException", "The next token is invalid.")
    ordered = sorted(records, key=lambda record: record.sequence, reverse=True)
    remaining = [record for record in ordered if after is None or record.sequence < after]
    page = remaining[:limit]
    result: dict[str, Any] = {key: [render(record) for record in page]}
    if len(remaining) > limit:
        result["nextToken"] = _encode_token(page[-1].sequence, operation, query)
    return result
