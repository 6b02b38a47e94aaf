"""Where a construct deploys, and whether a request's dataset group is there.

A data deletion job runs in its dataset group's account and region. When the stack's are known
at synth, a group elsewhere is refused here rather than failing at deploy time, after its list
was staged. The stack's environment is read from jsii once per construct, so that each request
only does Python with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_personalize as personalize
from aws_cdk.region_info import RegionInfo
from personalize_deletion_runtime.request_rules import (
    RequestRuleError,
    check_dataset_group_arn,
    dataset_group_environment,
    dataset_group_name,
)

from constructs import Construct

from .errors import DeletionConfigError
from .list_assets import is_token


@dataclass(frozen=True)
class StackEnvironment:
    """The stack's name and, where concrete, account, region and partition."""

    name: str
    account: str | None
    region: str | None
    partition: str | None


def stack_environment(stack: Stack) -> StackEnvironment:
    """The stack's environment, with ``None`` for what is a token (an environment-agnostic
    stack): what is unknown at synth is not checked."""
    account: str | None = None if is_token(stack.account) else stack.account
    region: str | None = None if is_token(stack.region) else stack.region
    partition = RegionInfo.get(region).partition if region is not None else None
    return StackEnvironment(stack.stack_name, account, region, partition)


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
    if isinstance(value, personalize.CfnDatasetGroup):
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
    expected = {"account": stack.account, "region": stack.region, "partition": stack.partition}
    found = {"partition": partition, "region": region, "account": account}
    wrong = [
        name
        for name in ("account", "region", "partition")
        if expected[name] not in (None, found[name])
    ]
    if wrong:
        raise DeletionConfigError(
            f"{where}: {value!r} is in {', '.join(f'{n} {found[n]}' for n in wrong)}, but stack "
            f"{stack.name!r} deploys to {', '.join(f'{n} {expected[n]}' for n in wrong)}: a "
            "data deletion job runs in its dataset group's account and region; declare the "
            "request in a stack of that environment"
        )
    return value


def group_key(where: str, group: str | personalize.CfnDatasetGroup, arn: str) -> str:
    """A fanned-out job's construct id: its dataset group's name, stable across synths."""
    if isinstance(group, personalize.CfnDatasetGroup):
        return group.name if not is_token(group.name) else group.node.id
    if is_token(arn):
        raise DeletionConfigError(
            f"{where} is an unresolved token: a fanned-out request names each "
            "resource after its dataset group, so give the ARN or the CfnDatasetGroup"
        )
    return dataset_group_name(arn)
