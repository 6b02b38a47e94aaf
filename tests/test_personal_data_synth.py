"""Personal data at synth: inline ids are written to an asset file in cdk.out, never elsewhere."""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from personalize_data_deletion import PersonalizeDataDeletion, UserList
from synth import DATASET_GROUP_ARN, synth_template

pytestmark = pytest.mark.synth


def test_inline_ids_leave_no_temporary_file(tmp_path: Path) -> None:
    # GIVEN the temporary folders from_ids writes into
    pattern = os.path.join(tempfile.gettempdir(), "pdd-inline-*")
    before = set(glob.glob(pattern))

    # WHEN a stack with inline ids is synthesized
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "UserDeletion").delete_users(
            "inline", dataset_group_arn=DATASET_GROUP_ARN, users=UserList.from_ids(["u-1", "u-2"])
        )

    synth_template(build, tmp_path)

    # THEN none is left behind (the asset's copy is in the cloud assembly)
    assert set(glob.glob(pattern)) == before
    assert [p.name for p in tmp_path.glob("asset.*.csv")] != []
