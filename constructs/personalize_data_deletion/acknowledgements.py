"""Acknowledging cdk-nag findings one finding at a time, each with its reason.

cdk-nag 3 reads CDK's native ``Validations`` acknowledgements; an id such as
``AwsSolutions-IAM5[Resource::...]`` names a single finding, so nothing else is hidden.

Each acknowledgement is two jsii round trips (``Validations.of`` and ``acknowledge``) and a
wildcard's needs its resource resolved (two more): several findings on one scope go in one
``acknowledge`` call, and resources known to a caller are resolved together, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct

Finding = tuple[str, str]
"""A finding id and the reason it is acknowledged."""


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge one finding on ``scope`` and its children."""
    acknowledge_findings(scope, [(finding_id, reason)])


def acknowledge_findings(scope: IConstruct, findings: Iterable[Finding]) -> None:
    """Acknowledge findings on ``scope`` and its children, in order, in one call (what
    acknowledging them one by one records)."""
    rules = [Acknowledgment(id=finding_id, reason=reason) for finding_id, reason in findings]
    if rules:
        Validations.of(scope).acknowledge(*rules)


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge the IAM5 finding for one wildcard resource (an ARN string or token)."""
    (flat,) = flatten_resources(Stack.of(scope), [resource])
    acknowledge(scope, wildcard_finding_id(flat), reason)


def flatten_resources(stack: Stack, resources: Sequence[str]) -> list[str]:
    """Resources (ARN strings or tokens) as cdk-nag names them, resolved in one call."""
    return [flatten_reference(node) for node in stack.resolve(list(resources))]


def wildcard_finding_id(flat_resource: str) -> str:
    """The IAM5 finding id of one wildcard resource (flattened by :func:`flatten_resources`)."""
    return f"AwsSolutions-IAM5[Resource::{flat_resource}]"


def flatten_reference(node: Any) -> str:
    """Render a resolved CloudFormation value the way cdk-nag names it in a finding id."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(flatten_reference(item) for item in items)
        if "Fn::Sub" in node:
            return flatten_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
