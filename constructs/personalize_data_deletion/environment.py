"""Where a construct deploys, and whether a request's dataset group is there.

A data deletion job runs in its dataset group's account and region. When the stack's are known
at synth, a group elsewhere is refused here rather than failing at deploy time, after its list
was staged. The stack's environment is read from jsii once per construct, so that each request
only does Python with it.

The stack's partition is aws-cdk-lib's ``RegionInfo`` fact, but asking for it loads the whole
region-info module into the jsii kernel (tens of milliseconds on every synth): a group in the
partition that the region's name implies (the runtime's ``partition_of``: the one table, which
request files and ``pdd-validate`` read too, and which names every region ``RegionInfo`` knows
correctly) is accepted without asking; only a group in another partition makes the check ask
``RegionInfo``, which also decides for regions it does not know.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeGuard

from aws_cdk import Stack
from personalize_deletion_runtime.request_rules import (
    RequestRuleError,
    check_dataset_group_arn,
    dataset_group_environment,
    dataset_group_name,
    partition_of,
)

from constructs import Construct

from .errors import DeletionConfigError
from .list_assets import is_token

if TYPE_CHECKING:
    from aws_cdk import aws_personalize as personalize


def is_dataset_group(value: object) -> TypeGuard[personalize.CfnDatasetGroup]:
    """Whether ``value`` is a ``CfnDatasetGroup``, without importing aws_cdk's Personalize module
    (an app that never imported it has none)."""
    module = sys.modules.get("aws_cdk.aws_personalize")
    return module is not None and isinstance(value, module.CfnDatasetGroup)


@dataclass(frozen=True)
class StackEnvironment:
    """The stack's name and, where concrete, account and region; ``partition`` is
    ``RegionInfo``'s, read on first use."""

    name: str
    account: str | None
    region: str | None

    @cached_property
    def partition(self) -> str | None:
        """aws-cdk-lib's partition of the region (``None`` for an unknown or token region)."""
        from aws_cdk.region_info import RegionInfo

        return RegionInfo.get(self.region).partition if self.region is not None else None

    def in_partition(self, partition: str) -> bool:
        """Whether a resource in ``partition`` may be in this stack's: the partition the
        region's name implies is its ``RegionInfo`` partition (or the region is one it does not
        know, which accepts any); any other is asked."""
        if self.region is None or partition == partition_of(self.region):
            return True
        return self.partition in (None, partition)


def stack_environment(stack: Stack) -> StackEnvironment:
    """The stack's environment, with ``None`` for what is a token (an environment-agnostic
    stack): what is unknown at synth is not checked."""
    account: str | None = None if is_token(stack.account) else stack.account
    region: str | None = None if is_token(stack.region) else stack.region
    return StackEnvironment(stack.stack_name, account, region)


def path_in_stack(construct: Construct, stack: Stack) -> str:
    """A construct's path below its stack: unique there, and stable unless it is renamed."""
    path, root = construct.node.path, stack.node.path
    return path[len(root) + 1 :] if root and path.startswith(f"{root}/") else path


def resolve_dataset_group_arn(
    stack: StackEnvironment,
    request_name: str,
    value: str | personalize.CfnDatasetGroup,
    field: str = "dataset_group_arn",
) -> str:
    """The request's dataset group, checked as far as synth can: format, and environment.

    A job runs in its dataset group's account and region; when the stack's are known, a group
    elsewhere would only fail at deploy time, after the list was staged.
    """
    where = f"request {request_name!r} {field}"
    if is_dataset_group(value):
        return value.attr_dataset_group_arn
    if not isinstance(value, str):
        raise TypeError(
            f"{where} must be a string or a CfnDatasetGroup, not {type(value).__name__}"
        )
    if is_token(value):
        return value
    try:
        check_dataset_group_arn(value, where=where)
    except RequestRuleError as exc:
        raise DeletionConfigError(str(exc)) from exc
    partition, region, account = dataset_group_environment(value)
    found = {"partition": partition, "region": region, "account": account}
    wrong = [n for n in ("account", "region") if getattr(stack, n) not in (None, found[n])]
    if not stack.in_partition(partition):
        wrong.append("partition")
    if wrong:
        expected = {"account": stack.account, "region": stack.region, "partition": stack.partition}
        raise DeletionConfigError(
            f"{where}: {value!r} is in {', '.join(f'{n} {found[n]}' for n in wrong)}, but stack "
            f"{stack.name!r} deploys to {', '.join(f'{n} {expected[n]}' for n in wrong)}: a "
            "data deletion job runs in its dataset group's account and region; declare the "
            "request in a stack of that environment"
        )
    return value


def group_key(where: str, group: str | personalize.CfnDatasetGroup, arn: str) -> str:
    """A fanned-out job's construct id: its dataset group's name, stable across synths."""
    if is_dataset_group(group):
        return group.name if not is_token(group.name) else group.node.id
    if is_token(arn):
        raise DeletionConfigError(
            f"{where} is an unresolved token: a fanned-out request names each "
            "resource after its dataset group, so give the ARN or the CfnDatasetGroup"
        )
    return dataset_group_name(arn)
