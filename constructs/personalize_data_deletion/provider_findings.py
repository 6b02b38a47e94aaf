"""The cdk-nag findings that aws-cdk-lib's Provider framework raises by design, acknowledged
one finding id at a time with the reason (never a whole rule), apart from the provider's own
resources so that what is ours and what is the framework's read separately."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import custom_resources as cr

from .acknowledgements import acknowledge_findings


def acknowledge_framework_findings(
    provider: cr.Provider, handlers: Sequence[lambda_.Function]
) -> None:
    """Acknowledge, per finding, what aws-cdk-lib's Provider framework does by design.

    :param provider: the stack's Provider framework.
    :param handlers: our handlers, which the framework invokes by ARN.
    """
    stack = Stack.of(provider)
    framework_functions = [
        child for child in provider.node.find_all() if isinstance(child, lambda_.CfnFunction)
    ]
    ours = [handler.node.default_child for handler in handlers]
    acknowledge_findings(
        provider,
        [
            (
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                "The Provider framework's own functions use the AWS managed basic execution "
                "role; it grants only CloudWatch Logs writes.",
            ),
            (
                "AwsSolutions-L1",
                "The Provider framework's Node.js runtime is chosen by aws-cdk-lib.",
            ),
            (
                "AwsSolutions-SF2",
                "X-Ray tracing of the framework's waiter adds cost without insight: each "
                "execution is a loop of one Lambda call.",
            ),
            *(
                (
                    "AwsSolutions-IAM5[Resource::"
                    f"<{stack.get_logical_id(cast(lambda_.CfnFunction, child))}.Arn>:*]",
                    "The framework invokes our handlers by ARN, including their versions.",
                )
                for child in ours
            ),
            *(
                (
                    f"AwsSolutions-IAM5[Resource::<{stack.get_logical_id(function)}.Arn>:*]",
                    "The framework's waiter invokes its own functions by ARN, including versions.",
                )
                for function in framework_functions
            ),
            (
                "AwsSolutions-IAM5[Resource::*]",
                "Step Functions log delivery (logs:CreateLogDelivery and related actions) "
                "accepts only '*' as resource.",
            ),
        ],
    )
