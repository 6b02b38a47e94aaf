"""Order inside one stack: a request on a dataset group created beside it waits for its datasets.

CloudFormation creates resources in parallel unless told otherwise. A deletion job on a dataset
group whose datasets do not exist yet has nothing to delete from, so a request given a
``CfnDatasetGroup`` of its own stack depends on every ``CfnDataset`` of that group; the datasets
are found when the app is synthesized, so they may be declared after the request. A request in
a nested stack of the group's stack does too: CDK turns that into a dependency of the nested
stack's resource in the parent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, Stack

from constructs import IConstruct

if TYPE_CHECKING:
    from aws_cdk import aws_personalize as personalize


def wait_for_datasets(resource: CfnResource, group: personalize.CfnDatasetGroup) -> None:
    """Make ``resource`` depend on the datasets of ``group`` (when both are in one stack)."""
    Aspects.of(resource).add(_WaitForDatasets(resource, group))


@jsii.implements(IAspect)
class _WaitForDatasets:
    def __init__(self, resource: CfnResource, group: personalize.CfnDatasetGroup) -> None:
        self._resource = resource
        self._group = group
        self._done = False

    def visit(self, node: IConstruct) -> None:
        if self._done:
            return
        self._done = True
        stack = Stack.of(self._group)
        if not _within(Stack.of(node), stack):
            # Another stack's group (a parent's nested stack, a sibling): the request reads its
            # ARN from that stack, whose resources, datasets included, then exist.
            return
        from aws_cdk import aws_personalize as personalize  # loaded once a group is given

        group_arn = stack.resolve(self._group.attr_dataset_group_arn)
        for child in stack.node.find_all():
            if (
                isinstance(child, personalize.CfnDataset)
                and stack.resolve(child.dataset_group_arn) == group_arn
            ):
                self._resource.node.add_dependency(child)


def _within(stack: Stack, ancestor: Stack) -> bool:
    """Whether ``stack`` is ``ancestor`` or a nested stack of it, at any depth: CDK then makes
    the nested stack's resource in ``ancestor`` depend on what a resource inside it needs."""
    current: Stack | None = stack
    while current is not None and current is not ancestor:
        current = current.nested_stack_parent
    return current is ancestor
