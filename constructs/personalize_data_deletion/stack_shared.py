"""One construct per stack that every ``PersonalizeDataDeletion`` of the stack shares.

The provider and the tracker are singletons per stack, found with
``Stack.of(scope).node.try_find_child`` as aws-cdk's EKS provider and Trigger do; a later
construct must ask for them with the same settings, since it cannot have its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from aws_cdk import Stack

from constructs import Construct

from .durations import DurationSettings


class _Shared(Protocol):
    @property
    def settings(self) -> DurationSettings: ...  # read-only: the kinds narrow it to their own


_SharedT = TypeVar("_SharedT", bound=_Shared)


def stack_shared(
    scope: Construct,
    construct_id: str,
    kind: type[_SharedT],
    settings: DurationSettings,
    create: Callable[[Stack], _SharedT],
    *,
    error: type[ValueError],
    what: str,
) -> _SharedT:
    """The stack's one ``kind`` at ``construct_id``, made by ``create`` on first use.

    Every ``PersonalizeDataDeletion`` construct of a stack shares it (the tracker, the
    provider), so a later one (``scope``) must ask with the same ``settings``; ``error`` names
    each setting that differs with both values (the constructs may be declared in different
    modules: the reader should not have to diff the settings by hand).
    """
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(construct_id)
    if existing is None:
        return create(stack)
    if not isinstance(existing, kind):
        raise error(
            f"construct id {construct_id!r} is taken in stack {stack.stack_name!r}: rename "
            "that construct"
        )
    differences = existing.settings.differences(settings)
    if differences:
        asked = "; ".join(
            f"{name} {theirs}, where the {what} has {mine}" for name, mine, theirs in differences
        )
        names = [name for name, _, _ in differences]
        same = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        raise error(
            f"stack {stack.stack_name!r} already has a deletion {what}, which all "
            f"PersonalizeDataDeletion constructs of a stack share, and {scope.node.path!r} asks "
            f"for other settings: {asked}; either pass the {what}'s {same} or move one "
            "construct to another stack"
        )
    return existing
