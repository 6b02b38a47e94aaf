#!/usr/bin/env python3
"""A test app with every shape the rehearsal must see through (tests/test_rehearsal_app.py).

- ``SameStack``: a request on a dataset group created in the same stack (``GetAtt``);
- ``Second``: a second stack, with a request read from the user's own bucket (``from_s3``,
  bucket name from ``-c sourceBucket=...``);
- ``Prod/Staged``: a stack inside a ``Stage`` (a nested cloud assembly);
- ``Parent/Inner``: a request inside a ``NestedStack``, whose parent ``Parent`` holds a request
  on ``Fn::ImportValue`` of an export no stack of the app creates (beyond the rehearsal).
"""

import os
import sys

os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize
from aws_cdk import aws_s3 as s3
from personalize_data_deletion import PersonalizeDataDeletion, UserList

ENV = cdk.Environment(account="111122223333", region="eu-west-1")
GROUPS = "arn:aws:personalize:eu-west-1:111122223333:dataset-group"

app = cdk.App()


def delete(scope, name, group, users=None):
    PersonalizeDataDeletion(scope, "Deletion").delete_users(
        name, dataset_group_arn=group, users=users or UserList.from_ids(["u-1", "u-2", "u-3"])
    )


same = cdk.Stack(app, "SameStack", env=ENV)
delete(
    same,
    "same-stack",
    personalize.CfnDatasetGroup(same, "Group", name="shop").attr_dataset_group_arn,
)

second = cdk.Stack(app, "Second", env=ENV)
source = s3.Bucket.from_bucket_name(second, "Exports", app.node.get_context("sourceBucket"))
delete(second, "second", f"{GROUPS}/second", UserList.from_s3(source, "deletions/2026-11.csv"))

staged = cdk.Stack(cdk.Stage(app, "Prod", env=ENV), "Staged")
delete(staged, "staged", f"{GROUPS}/staged")

parent = cdk.Stack(app, "Parent", env=ENV)
delete(cdk.NestedStack(parent, "Inner"), "nested", f"{GROUPS}/nested")
delete(parent, "imported", cdk.Fn.import_value("shared-dataset-group"))

app.synth()
