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


class _Shared(Protocol):
    @property
    def settings(self) -> object: ...  # read-only: the kinds narrow it to their own settings


_SharedT = TypeVar("_SharedT", bound=_Shared)


def stack_shared(
    scope: Construct,
    construct_id: str,
    kind: type[_SharedT],
    settings: object,
    create: Callable[[Stack], _SharedT],
    *,
    error: type[ValueError],
    what: str,
    setting_names: str,
) -> _SharedT:
    """The stack's one ``kind`` at ``construct_id``, made by ``create`` on first use.

    Every ``PersonalizeDataDeletion`` construct of a stack shares it (the tracker, the
    provider), so a later one must ask with the same ``settings``; ``error`` names them.
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
    if existing.settings != settings:
        raise error(
            f"stack {stack.stack_name!r} already has a deletion {what} with "
            f"{existing.settings}; all PersonalizeDataDeletion constructs of a stack share "
            f"it, so either pass the same {setting_names} or move one to another stack"
        )
    return existing
