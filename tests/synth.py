"""Synthesize stacks the way users do: cdk-nag as a validation plugin, cfn-lint on the result."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint

ACCOUNT = "123456789012"
REGION = "us-east-1"
DATASET_GROUP_ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/example"
# W3005 (redundant DependsOn) is emitted by aws-cdk-lib's own Lambda construct.
CFN_LINT_IGNORED = ["W3005"]


def synth_template(build: Callable[[cdk.Stack], object], outdir: Path) -> dict:
    """Build a stack in a fresh app with cdk-nag's AwsSolutions pack; return its template.

    cdk-nag runs as a CDK validation plugin: any unacknowledged finding fails ``synth``.
    """
    app = cdk.App(outdir=str(outdir), context={"@aws-cdk/aws-iam:minimizePolicies": True})
    stack = cdk.Stack(app, "Test", env=cdk.Environment(account=ACCOUNT, region=REGION))
    build(stack)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    return json.loads(Path(assembly.get_stack_by_name("Test").template_full_path).read_text())


def new_stack(env: cdk.Environment | None = None) -> cdk.Stack:
    """Stack ``S`` in a fresh app, in this file's account and region unless ``env`` says."""
    return cdk.Stack(
        cdk.App(),
        "S",
        env=env if env is not None else cdk.Environment(account=ACCOUNT, region=REGION),
    )


def users_bucket(stack: cdk.Stack, construct_id: str) -> s3.Bucket:
    """A user's bucket as the construct (and cdk-nag) wants it: SSE-S3, TLS only, logged."""
    return s3.Bucket(
        stack,
        construct_id,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        server_access_logs_bucket=s3.Bucket.from_bucket_name(stack, "Logs", "logs-bucket"),
    )


def cfn_lint(template: dict) -> list[str]:
    """cfn-lint's findings for a template, as readable strings (empty when clean)."""
    config = ManualArgs(regions=[REGION], ignore_checks=CFN_LINT_IGNORED)
    matches = lint(json.dumps(template), config=config)
    return [str(m) for m in matches]


__all__ = [
    "ACCOUNT",
    "DATASET_GROUP_ARN",
    "REGION",
    "cfn_lint",
    "new_stack",
    "synth_template",
    "users_bucket",
]
