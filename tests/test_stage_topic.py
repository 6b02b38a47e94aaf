"""The stage's notification topic is never dropped silently: refused, or each stack told."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from personalize_data_deletion import DeletionConfigError
from personalize_data_deletion.few_ids import FEW_IDS_WARNING
from personalize_data_deletion.stack import DeletionRequestsStack, DeletionRequestsStage
from synth import ACCOUNT, REGION

pytestmark = pytest.mark.synth

SAMPLE_CSV = Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv"
OTHER_ACCOUNT = "210987654321"
OTHER_REGION = "eu-west-1"


def _request_file(tmp_path: Path) -> Path:
    """Two requests, one in this file's environment and one in another account and region."""
    (tmp_path / "users.csv").write_bytes(SAMPLE_CSV.read_bytes())
    groups = {
        "here": f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/shop",
        "there": f"arn:aws:personalize:{OTHER_REGION}:{OTHER_ACCOUNT}:dataset-group/shop",
    }
    requests = [
        {"name": name, "users": "users.csv", "datasetGroupArn": arn} for name, arn in groups.items()
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps({"requests": requests}))
    return path


def _rules(stack: cdk.Stack) -> list[dict]:
    resources = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    return [r for r in resources.values() if r["Type"] == "AWS::Events::Rule"]


def _warnings(stack: cdk.Stack) -> list[str]:
    """The stack's warnings but those of its short sample lists (few ids: not this concern)."""
    return [
        str(entry.data)
        for child in stack.node.find_all()
        for entry in child.node.metadata
        if entry.type == "aws:cdk:warning" and FEW_IDS_WARNING not in str(entry.data)
    ]


@pytest.mark.parametrize(
    "topic_arn",
    [
        "privacy-alerts",
        f"arn:aws:sns:{REGION}:12345678901:privacy-alerts",  # an 11-digit account
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:privacy-alerts",
    ],
)
def test_a_malformed_notification_topic_arn_is_refused(tmp_path: Path, topic_arn: str) -> None:
    """GIVEN a notification_topic_arn that is not an SNS topic ARN
    WHEN the stage (or a single stack) is declared with it
    THEN it is refused naming the setting, the value and the expected form (the stage used to
    drop it: no stack sent its events anywhere, and nothing said so)."""
    message = (
        f"notification_topic_arn {topic_arn!r} is not an SNS topic ARN (arn:<partition>:sns:"
        "<region>:<12-digit account>:<topic name>); copy the topic's ARN from SNS"
    )
    path = _request_file(tmp_path)
    with pytest.raises(DeletionConfigError) as refused:
        DeletionRequestsStage(cdk.App(), "P", request_file=path, notification_topic_arn=topic_arn)
    assert str(refused.value) == message
    with pytest.raises(DeletionConfigError) as refused:
        DeletionRequestsStack(
            cdk.App(),
            "S",
            request_file=path,
            notification_topic_arn=topic_arn,
            env=cdk.Environment(account=ACCOUNT, region=REGION),
        )
    assert str(refused.value) == message


def test_a_topic_where_no_job_runs_is_refused(tmp_path: Path) -> None:
    """GIVEN a well-formed topic ARN in an account where no job of the request file runs
    (a mistyped account, say)
    WHEN the stage is declared
    THEN it is refused: no job event would reach the topic; the message lists where jobs run."""
    topic_arn = f"arn:aws:sns:{REGION}:111111111111:privacy-alerts"
    with pytest.raises(DeletionConfigError) as refused:
        DeletionRequestsStage(
            cdk.App(), "P", request_file=_request_file(tmp_path), notification_topic_arn=topic_arn
        )
    assert str(refused.value) == (
        f"notification_topic_arn {topic_arn!r} is in account 111111111111, region {REGION}, "
        "where no job of the request file runs, so no job event would reach it (the stage "
        "gives a topic the events of its own account and region); name a topic in account "
        f"{ACCOUNT}, region {REGION} or account {OTHER_ACCOUNT}, region {OTHER_REGION}"
    )


def test_the_stacks_of_other_environments_say_they_do_not_notify_the_topic(
    tmp_path: Path,
) -> None:
    """GIVEN a stage whose jobs run in two environments and a topic in one of them
    WHEN it is synthesized
    THEN the stack of the topic's environment sends its job events to it, and the other stack
    has no rule for it and a warning saying so (it used to be dropped silently)."""
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:privacy-alerts"
    stage = DeletionRequestsStage(
        cdk.App(), "P", request_file=_request_file(tmp_path), notification_topic_arn=topic_arn
    )
    stacks = {(s.account, s.region): s for s in stage.stacks}
    here, there = stacks[(ACCOUNT, REGION)], stacks[(OTHER_ACCOUNT, OTHER_REGION)]
    [rule] = _rules(here)
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [topic_arn]
    assert _warnings(here) == []
    assert _rules(there) == []
    assert _warnings(there) == [
        f"notification_topic_arn {topic_arn!r} is in account {ACCOUNT}, region {REGION}: the "
        f"job events of this stack (account {OTHER_ACCOUNT}, region {OTHER_REGION}) are not "
        "sent to it; the stage gives a topic the events of its own account and region "
        "[ack: @personalize-data-deletion/notification-topic-elsewhere]"
    ]
