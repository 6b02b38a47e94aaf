"""How large a Lambda function's environment can become once CloudFormation resolves it.

Lambda refuses a function whose environment variables exceed 4 KB "for all environment variables
associated with the function, in aggregate" (Lambda quotas), and it refuses it at deploy time,
mid-deployment: ``cdk synth`` cannot see it, because the values are CloudFormation tokens until
then. What Lambda measures is the variables written as one JSON object, keys and values, a
value's quotes escaped: its refusal reads "... exceeded the 4KB limit. String measured:
{"KEY":"value",...}" (LocalStack emulates it as
``len(json.dumps(variables, separators=(",", ":")).encode()) > 4096``).

:func:`longest_environment` bounds that measure from above, from the resolved (token-bearing)
variables: literal text counts as it is, escaped; each token counts as the longest value it can
take (the constants below say why each length is what it is). A token it does not recognise
cannot be bounded and counts as empty: a function that holds one is refused only when the rest
already exceeds the limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import jsii
from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_

from constructs import IValidation

from .environment import path_in_stack
from .list_assets import is_token

if TYPE_CHECKING:
    from .provider import DeletionJobProvider

LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096
"""Lambda's 4 KB on a function's environment variables, as the JSON object it measures."""

LONGEST_PARTITION = "aws-us-gov"
"""The longest partition name of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e,
aws-iso-f and aws-eusc (botocore's partitions.json; aws-cdk-lib's ``RegionInfo`` knows no
other, which a test checks)."""
LONGEST_REGION = "us-isof-south-1"
"""The longest name of the regions aws-cdk-lib's ``RegionInfo`` knows (botocore's endpoints
agree; a test checks ``RegionInfo``)."""
ACCOUNT_ID = "123456789012"
"""An account id is always 12 digits."""
LONGEST_BUCKET_NAME_LENGTH = 63
"""S3 bucket names are 3 to 63 characters (a created bucket's generated name, an imported one,
the CDK assets bucket alike)."""
LONGEST_ROLE_ARN_LENGTH = len(f"arn:{LONGEST_PARTITION}:iam::{ACCOUNT_ID}:role/{'r' * 64}")
"""A construct's Personalize service role (``create_service_role``): created with IAM's default
path ``/`` and no name, so CloudFormation generates one of at most 64 characters, IAM's limit on
role names."""
LONGEST_STATE_MACHINE_ARN_LENGTH = len(
    f"arn:{LONGEST_PARTITION}:states:{LONGEST_REGION}:{ACCOUNT_ID}:stateMachine:{'s' * 80}"
)
"""The tracker's state machine (``Ref`` returns its ARN): created without a name, so
CloudFormation generates one of at most 80 characters, Step Functions' limit."""

PSEUDO_PARAMETERS = {
    "AWS::Partition": len(LONGEST_PARTITION),
    "AWS::Region": len(LONGEST_REGION),
    "AWS::AccountId": len(ACCOUNT_ID),
}
"""The pseudo parameters the handlers' environment names, at their longest."""

ESCAPED_BY_SOME_ENCODERS = frozenset("<>&='")
"""ASCII characters that some JSON encoders write as ``\\u00XX`` (HTML-safe defaults)."""


def escaped_length(text: str) -> int:
    """An upper bound of the bytes ``text`` takes inside a JSON string, whichever encoder writes
    it: ``"`` and ``\\`` take two, control characters, non-ASCII (per UTF-16 unit: its UTF-8
    bytes are never more) and what HTML-safe encoders escape take six, anything else one."""
    size = 0
    for char in text:
        code = ord(char)
        if char in '"\\':
            size += 2
        elif code < 0x20 or code > 0x7E or char in ESCAPED_BY_SOME_ENCODERS:
            size += 12 if code > 0xFFFF else 6
        else:
            size += 1
    return size


def token_key(resolved: object) -> str:
    """How :func:`longest_environment` recognises a resolved token: its canonical JSON."""
    return json.dumps(resolved, sort_keys=True)


def longest_environment(variables: Mapping[str, object], known: Mapping[str, int]) -> int:
    """The bytes ``variables`` (resolved: strings and CloudFormation intrinsics) take at most as
    Lambda measures them; a token that is neither a pseudo parameter nor ``known`` counts as
    empty.

    :param variables: the function's ``Environment.Variables``, resolved in its stack.
    :param known: the longest value of tokens that are not pseudo parameters, by
        :func:`token_key` of their resolved form (a bucket's ``Ref``, a role's ``Fn::GetAtt``).
    """

    def longest(value: object) -> int:
        if isinstance(value, str):
            return escaped_length(value)
        key = token_key(value)
        if key in known:
            return known[key]
        if isinstance(value, dict) and len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Ref" and argument in PSEUDO_PARAMETERS:
                return PSEUDO_PARAMETERS[argument]
            if function == "Fn::Join" and _is_join(argument):
                delimiter, parts = argument
                return escaped_length(delimiter) * max(len(parts) - 1, 0) + sum(map(longest, parts))
        return 0

    # {"KEY":"value",...}: braces, a comma between variables, quotes and a colon per variable.
    size = 2 + max(len(variables) - 1, 0)
    for name, value in variables.items():
        size += escaped_length(name) + longest(value) + 5
    return size


def _is_join(argument: object) -> bool:
    """Whether ``argument`` is what ``Fn::Join`` takes: a delimiter and a list."""
    return (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], list)
    )


def environment_too_large(*, stack_name: str, function: str, constructs: int, size: int) -> str:
    """The synth error for a function whose environment may exceed Lambda's limit."""
    return (
        f"stack {stack_name}: the environment variables of Lambda function {function} take up "
        f"to {size:,} bytes with {constructs} PersonalizeDataDeletion constructs in the stack "
        "(DELETION_SCOPES lists each; measured as Lambda does, one JSON object, every "
        "CloudFormation token at its longest value), above Lambda's 4 KB limit "
        f"({LAMBDA_ENVIRONMENT_LIMIT_BYTES:,} bytes): `cdk deploy` would fail. Use fewer "
        "PersonalizeDataDeletion constructs in this stack (one construct serves any number of "
        "requests and dataset groups) or split them across stacks"
    )


@jsii.implements(IValidation)
class EnvironmentSizeCheck:
    """Runs when the app synthesizes, after every construct of the stack was added
    (``DELETION_SCOPES`` grows with each): an error per handler whose environment may exceed
    Lambda's limit.

    :param provider: the stack's provider, whose handlers are checked.
    """

    def __init__(self, provider: DeletionJobProvider) -> None:
        self._provider = provider

    def validate(self) -> list[str]:
        too_large = {
            function: size
            for function, size in handler_environment_bounds(self._provider).items()
            if size > LAMBDA_ENVIRONMENT_LIMIT_BYTES
        }
        if not too_large:  # the stack's name is one more jsii round trip
            return []
        stack_name = Stack.of(self._provider).stack_name
        constructs = len(self._provider.served)
        return [
            environment_too_large(
                stack_name=stack_name, function=function, constructs=constructs, size=size
            )
            for function, size in too_large.items()
        ]


def handler_environment_bounds(provider: DeletionJobProvider) -> dict[str, int]:
    """The most bytes each handler's environment variables can take once deployed, as Lambda
    measures them against its 4 KB limit (every variable, every token at its longest value),
    by the function's path in the stack; read at validation (a few jsii round trips per stack,
    none per request)."""
    stack = Stack.of(provider)
    functions = (provider.on_event, provider.is_complete, provider.tracker.function)
    environments = [
        # The rendered Environment property (the L2 function keeps its variables private).
        cast(lambda_.CfnFunction, function.node.default_child)._cfn_properties["environment"]
        for function in functions
    ]
    # Tokens whose longest value follows from what they name, whatever their form (a Ref, a
    # Fn::GetAtt, a cross-stack Fn::ImportValue, a parameter's Ref...).
    named = [(provider.tracker.state_machine_arn, LONGEST_STATE_MACHINE_ARN_LENGTH)]
    for scope in provider.served:
        named.append((cast(str, scope["bucket"]), LONGEST_BUCKET_NAME_LENGTH))
        named.append((cast(str, scope["roleArn"]), LONGEST_ROLE_ARN_LENGTH))
    if provider.list_assets.location is not None:
        named.append((provider.list_assets.location.bucket, LONGEST_BUCKET_NAME_LENGTH))
    named = [(token, longest) for token, longest in named if is_token(token)]
    # One resolve for all of them.
    resolved = stack.resolve([*environments, *(token for token, _ in named)])
    variables, tokens = resolved[: len(functions)], resolved[len(functions) :]
    known = {token_key(value): longest for value, (_, longest) in zip(tokens, named, strict=True)}
    return {
        path_in_stack(function, stack): longest_environment(
            (rendered or {}).get("variables") or {}, known
        )
        for function, rendered in zip(functions, variables, strict=True)
    }


__all__ = [
    "LAMBDA_ENVIRONMENT_LIMIT_BYTES",
    "LONGEST_BUCKET_NAME_LENGTH",
    "LONGEST_PARTITION",
    "LONGEST_ROLE_ARN_LENGTH",
    "LONGEST_STATE_MACHINE_ARN_LENGTH",
    "EnvironmentSizeCheck",
    "environment_too_large",
    "escaped_length",
    "handler_environment_bounds",
    "longest_environment",
    "token_key",
]
