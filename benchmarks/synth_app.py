"""The CDK app that ``benchmarks/synth_bench.py`` runs with the real ``cdk synth -q``.

One stack with N data deletion requests, declared three ways (context ``variant``):

- ``ours``: ``PersonalizeDataDeletion(...).delete_users(...)`` with a distinct local list per
  request (context ``lists``: a folder of ``r0001.csv``...), one custom resource each;
- ``native``: a raw ``AWS::Personalize::DataDeletionJob`` ``CfnResource`` per request, reading a
  distinct staged key each;
- ``awscr``: one ``custom_resources.AwsCustomResource`` per request calling
  ``createDataDeletionJob``;
- ``floor``: the least any design that meets this project's design card can synthesize, each
  part at its barest: every list staged as a file asset, one custom resource per request served
  by one ``custom_resources.Provider`` with an ``is_complete`` handler (CloudFormation waits an
  hour at most), and one Step Functions state machine with a single Lambda task for jobs that
  outlive the deployment. Handlers are one-line inline code; no alarms, logs, receipts or
  scoped grants. It is a yardstick for the construct's fixed cost, not a design.

With ``BENCH_JSII_COUNTS`` set to a file name, every round trip to the jsii kernel (each
message Python sends to Node, callbacks' answers included) is counted by wrapping the kernel
process's ``send``, per phase, and written there as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This checkout's code first, whatever the venv's editable install points at.
for _source_root in (ROOT / "lambda", ROOT / "constructs"):
    sys.path.insert(0, str(_source_root))

COUNTS_FILE = os.environ.get("BENCH_JSII_COUNTS")
_sent: Counter[str] = Counter()
if COUNTS_FILE:
    from jsii._kernel.providers.process import _NodeProcess

    _send = _NodeProcess.send

    def _counting_send(self, request, response_type):  # type: ignore[no-untyped-def]
        _sent[type(request).__name__] += 1
        return _send(self, request, response_type)

    _NodeProcess.send = _counting_send  # type: ignore[method-assign]

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402
from aws_cdk import custom_resources as cr  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
DATASET_GROUP_ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/bench"
STACK_NAME = "Bench"


def request_name(index: int) -> str:
    return f"r{index + 1:04d}"


def build_ours(stack: cdk.Stack, n: int, lists: Path, mark) -> None:  # type: ignore[no-untyped-def]
    from personalize_data_deletion import PersonalizeDataDeletion, UserList

    deletion = PersonalizeDataDeletion(stack, "UserDeletion")
    mark("construct")
    for index in range(n):
        name = request_name(index)
        deletion.delete_users(
            name,
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_csv(lists / f"{name}.csv"),
        )


def _bucket_and_role(stack: cdk.Stack) -> tuple[s3.Bucket, iam.Role]:
    bucket = s3.Bucket(stack, "Bucket")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("personalize.amazonaws.com"))
    bucket.grant_read(role)
    return bucket, role


def build_native(stack: cdk.Stack, n: int, _lists: Path, mark) -> None:  # type: ignore[no-untyped-def]
    bucket, role = _bucket_and_role(stack)
    # The bundled CloudFormation schema does not know this type (F3006, once per resource).
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(
            id="CloudFormation-Validate::F3006",
            reason="benchmark: AWS::Personalize::DataDeletionJob is emitted as a raw CfnResource",
        )
    )
    mark("construct")
    for index in range(n):
        name = request_name(index)
        cdk.CfnResource(
            stack,
            name,
            type="AWS::Personalize::DataDeletionJob",
            properties={
                "JobName": f"bench-{name}",
                "DatasetGroupArn": DATASET_GROUP_ARN,
                "DataSource": {"DataLocation": f"s3://{bucket.bucket_name}/staging/{name}.csv"},
                "RoleArn": role.role_arn,
            },
        )


def build_awscr(stack: cdk.Stack, n: int, _lists: Path, mark) -> None:  # type: ignore[no-untyped-def]
    bucket, role = _bucket_and_role(stack)
    mark("construct")
    for index in range(n):
        name = request_name(index)
        cr.AwsCustomResource(
            stack,
            name,
            on_create=cr.AwsSdkCall(
                service="Personalize",
                action="createDataDeletionJob",
                parameters={
                    "jobName": f"bench-{name}",
                    "datasetGroupArn": DATASET_GROUP_ARN,
                    "dataSource": {"dataLocation": f"s3://{bucket.bucket_name}/staging/{name}.csv"},
                    "roleArn": role.role_arn,
                },
                physical_resource_id=cr.PhysicalResourceId.from_response("dataDeletionJobArn"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["personalize:CreateDataDeletionJob"],
                        resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE,
                    ),
                    iam.PolicyStatement(actions=["iam:PassRole"], resources=[role.role_arn]),
                ]
            ),
            install_latest_aws_sdk=False,
        )


def build_floor(stack: cdk.Stack, n: int, lists: Path, mark) -> None:  # type: ignore[no-untyped-def]
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk import aws_stepfunctions_tasks as tasks

    _bucket, role = _bucket_and_role(stack)
    code = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")

    def function(name: str) -> lambda_.Function:
        return lambda_.Function(
            stack, name, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler", code=code
        )

    follower = sfn.StateMachine(
        stack,
        "Follower",
        definition_body=sfn.DefinitionBody.from_chainable(
            tasks.LambdaInvoke(stack, "Poll", lambda_function=function("Step"))
        ),
    )
    on_event, is_complete = function("OnEvent"), function("IsComplete")
    follower.grant_start_execution(is_complete)
    provider = cr.Provider(
        stack,
        "Provider",
        on_event_handler=on_event,
        is_complete_handler=is_complete,
        total_timeout=cdk.Duration.hours(1),
    )
    mark("construct")
    for index in range(n):
        name = request_name(index)
        location = stack.synthesizer.add_file_asset(
            source_hash=name,
            file_name=str(lists / f"{name}.csv"),
            packaging=cdk.FileAssetPackaging.FILE,
        )
        cdk.CustomResource(
            stack,
            name,
            service_token=provider.service_token,
            properties={
                "JobName": f"bench-{name}",
                "DatasetGroupArn": DATASET_GROUP_ARN,
                "DataLocation": location.s3_object_url,
                "RoleArn": role.role_arn,
            },
        )


BUILDERS = {
    "ours": build_ours,
    "native": build_native,
    "awscr": build_awscr,
    "floor": build_floor,
}


def main() -> None:
    phases: dict[str, dict[str, object]] = {}
    started = time.perf_counter()

    def mark(phase: str) -> None:
        phases[phase] = {
            "calls": sum(_sent.values()),
            "by_kind": dict(_sent),
            "seconds": time.perf_counter() - started,
        }

    mark("imported")
    app = cdk.App(
        # AwsCustomResource at N=400 has 805 resources (not deployable): 0 lifts CDK's own
        # 500-resource check so it can be measured; the limit is applied in the summary.
        # minimizePolicies as in this project's cdk.json (and CDK's recommended flags).
        context={
            "@aws-cdk/core:stackResourceLimit": 0,
            "@aws-cdk/aws-iam:minimizePolicies": True,
        },
    )
    context = app.node.try_get_context
    variant, n, lists = context("variant"), int(context("n")), Path(context("lists") or ".")
    stack = cdk.Stack(app, STACK_NAME, env=cdk.Environment(account=ACCOUNT, region=REGION))
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(
            id="CloudFormation-Validate::F0007",
            reason="benchmark: templates over the resource limit are measured, never deployed",
        )
    )
    mark("app")
    BUILDERS[variant](stack, n, lists, mark)
    mark("requests")
    app.synth()
    mark("synth")
    if COUNTS_FILE:
        Path(COUNTS_FILE).write_text(json.dumps({"variant": variant, "n": n, "phases": phases}))


if __name__ == "__main__":
    main()
