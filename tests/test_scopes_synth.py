"""The scopes the synthesized handlers serve: the stack's account and region, each construct."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from personalize_data_deletion import PersonalizeDataDeletion
from synth import synth_template

pytestmark = pytest.mark.synth


def test_the_synthesized_handlers_serve_exactly_the_stacks_constructs(tmp_path: Path) -> None:
    # GIVEN two deletion constructs in one stack
    def build(stack: cdk.Stack) -> None:
        PersonalizeDataDeletion(stack, "A")
        PersonalizeDataDeletion(stack, "B", job_name_prefix="other", max_input_bytes=1000)

    template = synth_template(build, tmp_path)
    # THEN both handlers and the tracker's step carry the same scopes: the stack's account and
    # region, and each construct's prefix, bucket, service role and limit
    values = {
        logical_id: resource["Properties"]["Environment"]["Variables"]["DELETION_SCOPES"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
        and "DELETION_SCOPES" in json.dumps(resource["Properties"].get("Environment", {}))
    }
    assert sorted(re.sub(r"[0-9A-F]{8}$", "", k) for k in values) == [
        "PersonalizeDataDeletionProviderIsComplete",
        "PersonalizeDataDeletionProviderOnEvent",
        "PersonalizeDataDeletionTrackerStep",
    ]
    [value] = {json.dumps(v, sort_keys=True) for v in values.values()}
    rendered = "".join(
        part if isinstance(part, str) else json.dumps(part, sort_keys=True)
        for part in json.loads(value)["Fn::Join"][1]
    )
    bucket_a = next(k for k in template["Resources"] if k.startswith("ABucket"))
    bucket_b = next(k for k in template["Resources"] if k.startswith("BBucket"))
    role_b = next(
        k for k in template["Resources"] if re.fullmatch(r"BPersonalizeRole[0-9A-F]{8}", k)
    )
    assert f'"id":"A","prefix":"pdd","bucket":"{{"Ref": "{bucket_a}"}}"' in rendered
    assert (
        f'"id":"B","prefix":"other","bucket":"{{"Ref": "{bucket_b}"}}",'
        f'"roleArn":"{{"Fn::GetAtt": ["{role_b}", "Arn"]}}","maxInputBytes":1000,'
        '"purgeStagedInput":true}' in rendered
    )
    assert rendered.startswith('{"partition":"{"Ref": "AWS::Partition"}","region":"{"Ref": ')
