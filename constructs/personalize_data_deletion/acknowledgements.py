"""Acknowledging cdk-nag findings one finding at a time, each with its reason.

cdk-nag 3 reads CDK's native ``Validations`` acknowledgements; an id such as
``AwsSolutions-IAM5[Resource::...]`` names a single finding, so nothing else is hidden.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge one finding on ``scope`` and its children."""
    Validations.of(scope).acknowledge(Acknowledgment(id=finding_id, reason=reason))


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge the IAM5 finding for one wildcard resource (an ARN string or token)."""
    flat = flatten_reference(Stack.of(scope).resolve(resource))
    acknowledge(scope, f"AwsSolutions-IAM5[Resource::{flat}]", reason)


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
