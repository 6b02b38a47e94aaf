"""jsii calls whose results nothing reads, made in one round trip each.

jsii's Python binding turns a struct a method returns into a Python value by reading each of
its fields back from the kernel, one round trip per field: ``addFileAsset``'s location (six),
``addToPrincipalPolicy``'s result (two). Where nothing reads the result, the call goes through
jsii's ``invoke`` before that conversion; if this jsii wraps ``invoke`` differently, the public
binding is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jsii

if TYPE_CHECKING:
    from aws_cdk import aws_iam as iam

_INVOKE = getattr(jsii.kernel.invoke, "__wrapped__", None)
"""jsii's ``invoke`` before it turns the result into Python (``None`` if this jsii wraps it
differently)."""


def invoke_unread(obj: object, method: str, args: list[object]) -> bool:
    """Call ``method`` (its jsii name) on ``obj`` and leave the result unread; ``False`` if that
    cannot be done here (the caller then uses the public binding)."""
    if _INVOKE is None:
        return False
    _INVOKE(jsii.kernel, obj, method, args)
    return True


def add_to_principal_policy(principal: iam.IPrincipal, statement: iam.PolicyStatement) -> None:
    """``principal.add_to_principal_policy(statement)``, its result left unread."""
    if not invoke_unread(principal, "addToPrincipalPolicy", [statement]):
        principal.add_to_principal_policy(statement)
