"""Rendering the double's views and records as the service's response structures.

Every Describe and List answer is a structure whose members the botocore model names in
camelCase, filled from a view's snake_case fields, with the members the service has no value
for left out (``failureReason`` only on failed resources, ``numDeleted`` only on completed
jobs, ``trainingHours`` only on ACTIVE versions). One function does that for every structure,
so a new one is a line naming its members, not another dict written out by hand.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from typing import Any

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.cache
def field_name(member: str) -> str:
    """``minProvisionedTPS`` -> ``min_provisioned_tps``: the view field a member reads."""
    return _WORD_START.sub("_", member).lower()


def structure(source: object, members: str, **values: Any) -> dict[str, Any]:
    """The structure whose ``members`` (space-separated, in the model's order) are read from
    ``source``'s fields, or from ``values`` where a member is not a field of the same name.

    A member whose value is ``None`` is left out, as the service leaves out a member it has
    no value for; mappings are deep copies, so a caller cannot change the double's state.
    """
    rendered: dict[str, Any] = {}
    for member in members.split():
        value = values[member] if member in values else getattr(source, field_name(member))
        if value is not None:
            rendered[member] = copy.deepcopy(dict(value)) if isinstance(value, Mapping) else value
    return rendered


def active_since(created_at: float) -> dict[str, Any]:
    """The status and times of a resource the double creates ACTIVE and never changes."""
    return {"status": "ACTIVE", "creationDateTime": created_at, "lastUpdatedDateTime": created_at}
