"""The synthesized tracker: one per stack, its definition, scoped IAM, retention, alarms, events."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sns as sns
from personalize_data_deletion import (
    Completion,
    DeletionConfigError,
    PersonalizeDataDeletion,
    ProviderSettingsError,
    Retrain,
    TrackerSettingsError,
    UserList,
)
from personalize_data_deletion.tracker_definition import (
    longest_tracking_timeout,
    tracker_definition,
)
from personalize_deletion_local.asl.tracker_run import substitute
from personalize_deletion_runtime.notifications import Notifier
from synth import ACCOUNT, DATASET_GROUP_ARN, REGION, cfn_lint, synth_template

pytestmark = pytest.mark.synth

SAMPLE_CSV = Path(__file__).resolve().parents[1] / "requests" / "sample-users.csv"
STATE_MACHINE = "AWS::StepFunctions::StateMachine"
JOB_ARNS = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            f":personalize:{REGION}:{ACCOUNT}:data-deletion-job/pdd-*",
        ],
    ]
}


def _requests(count: int, **construct_props):
    def build(stack: cdk.Stack) -> None:
        deletion = PersonalizeDataDeletion(stack, "UserDeletion", **construct_props)
        for index in range(count):
            deletion.delete_users(
                f"req-{index:03d}",
                dataset_group_arn=DATASET_GROUP_ARN,
                users=UserList.from_csv(SAMPLE_CSV),
            )

    return build


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synth_template(_requests(1), tmp_path_factory.mktemp("tracker"))


def _of_type(template: dict, type_name: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def _tracker_id(template: dict) -> str:
    [logical_id] = [
        k
        for k in _of_type(template, STATE_MACHINE)
        if k.startswith("Personalize") and "Tracker" in k
    ]
    return logical_id


def _statements(template: dict, policy_prefix: str) -> list[dict]:
    [policy] = [
        v for k, v in _of_type(template, "AWS::IAM::Policy").items() if k.startswith(policy_prefix)
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]


# ------------------------------------------------------------------------------ one per stack


def test_fifty_requests_share_the_one_tracker(template: dict, tmp_path: Path) -> None:
    # GIVEN the same stack with 50 requests instead of 1
    fifty = synth_template(_requests(50), tmp_path)
    # THEN 49 more resources, all of them requests: still one tracker and its two functions
    assert len(fifty["Resources"]) - len(template["Resources"]) == 49
    assert _tracker_id(fifty) == _tracker_id(template)
    assert len(_of_type(fifty, STATE_MACHINE)) == 2  # the tracker and the framework's waiter


# -------------------------------------------------------------------------------- definition


@pytest.mark.parametrize("hours", [36, 2])
def test_every_function_of_the_runtime_is_told_the_tracking_limit(
    hours: int, tmp_path: Path
) -> None:
    # GIVEN a stack whose tracker follows jobs for `hours`
    props = {} if hours == 36 else {"tracking_timeout": cdk.Duration.hours(hours)}
    template = synth_template(_requests(1, **props), tmp_path)
    # WHEN its Lambda functions that run the runtime package are read
    functions = {
        properties["Handler"].rsplit(".", 1)[1]: properties["Environment"]["Variables"]
        for properties in (
            r["Properties"] for r in _of_type(template, "AWS::Lambda::Function").values()
        )
        if properties["Handler"].startswith("personalize_deletion_runtime.handlers.")
    }
    # THEN each carries the limit, the tracker's step included: it sets the limit of a
    # follow-up job's run and of retraining, for which the definition's own timeout is built
    assert sorted(functions) == ["is_complete", "on_event", "track"]
    assert {name: env["TRACKING_TIMEOUT_SECONDS"] for name, env in functions.items()} == {
        name: str(hours * 3600) for name in functions
    }


def test_definition_is_the_builders_document_with_substitutions(template: dict) -> None:
    properties = template["Resources"][_tracker_id(template)]["Properties"]
    # THEN the definition is exactly the documented builder's, as a plain string
    assert properties["DefinitionString"] == json.dumps(
        tracker_definition(interval_seconds=600, timeout_seconds=36 * 3600), indent=1
    )
    # AND its placeholders are the tracker's function and the stack's partition
    [function_id] = [
        k
        for k in _of_type(template, "AWS::Lambda::Function")
        if k.startswith("PersonalizeDataDeletionTrackerStep")
    ]
    assert properties["DefinitionSubstitutions"] == {
        "TrackerFunctionArn": {"Fn::GetAtt": [function_id, "Arn"]},
        "Partition": {"Ref": "AWS::Partition"},
    }
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_definition_loops_wait_read_decide_with_a_time_limit_and_two_ends() -> None:
    definition = tracker_definition(interval_seconds=600, timeout_seconds=36 * 3600)
    states = definition["States"]
    # THEN the execution's own timeout is a backstop beyond the tracking limit
    assert definition["TimeoutSeconds"] == 3 * 36 * 3600 + 2 * 600 + 3600
    # AND the polling loop is Wait -> ReadStatus -> CheckEnded -> (default) Wait
    assert states["WaitForJob"] == {"Type": "Wait", "Seconds": 600, "Next": "ReadStatus"}
    read = states["ReadStatus"]
    assert (
        read["Resource"] == "arn:${Partition}:states:::aws-sdk:personalize:describeDataDeletionJob"
    )
    assert read["Parameters"] == {"DataDeletionJobArn.$": "$.job.arn"}
    assert read["ResultSelector"] == {
        "status.$": "$.DataDeletionJob.Status",
        "checkedAt.$": "$$.State.EnteredTime",
    }
    assert (read["ResultPath"], read["Next"]) == ("$.seen", "CheckEnded")
    assert [retry["ErrorEquals"] for retry in read["Retry"]] == [["States.ALL"]]
    assert read["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "GiveUp"}
    ]
    ended = states["CheckEnded"]
    assert ended["Default"] == "WaitForJob"
    assert ended["Choices"] == [
        {
            "Or": [
                {"Variable": "$.seen.status", "StringEquals": "COMPLETED"},
                {"Variable": "$.seen.status", "StringEquals": "FAILED"},
            ],
            "Next": "Finish",
        },
        {
            "Variable": "$.seen.checkedAt",
            "TimestampGreaterThanEqualsPath": "$.tracking.giveUpAt",
            "Next": "GiveUp",
        },
    ]
    # AND a hand-started re-track ("retrack": true) renews its limit first; a queued request
    # loops Wait -> Submit until it has a job or gives up
    assert states["CheckAccepted"]["Choices"] == [
        {
            "And": [
                {"Variable": "$.retrack", "IsPresent": True},
                {"Variable": "$.retrack", "BooleanEquals": True},
            ],
            "Next": "Retrack",
        },
        {"Variable": "$.job.arn", "IsString": True, "Next": "WaitForJob"},
    ]
    assert states["CheckAccepted"]["Default"] == "WaitToSubmit"
    assert states["WaitToSubmit"] == {"Type": "Wait", "Seconds": 600, "Next": "Submit"}
    assert [c["Next"] for c in states["CheckSubmitted"]["Choices"]] == ["WaitForJob", "GiveUp"]
    # AND the Lambda steps all call the tracker's function with the step name and the state
    for state_name, step, after in (
        ("Retrack", "retrack", "CheckAccepted"),
        ("Submit", "submit", "CheckSubmitted"),
        ("Finish", "finish", "CheckFollowUp"),
        ("Retrain", "retrain", "CheckRetrained"),
        ("RetrainStopped", "retrain_stopped", "TrackerFailed"),
        ("GiveUp", "give_up", "NotConfirmed"),
    ):
        task = states[state_name]
        assert task["Resource"] == "arn:${Partition}:states:::lambda:invoke"
        assert task["Parameters"] == {
            "FunctionName": "${TrackerFunctionArn}",
            "Payload": {"step": step, "execution.$": "$$.Execution.Id", "state.$": "$"},
        }
        assert (task["OutputPath"], task["Next"]) == ("$.Payload", after)
        assert task["Retry"][0] == {
            "ErrorEquals": ["StepError", "StateError", "PropertyError", "ScopeError"],
            "MaxAttempts": 0,
        }
    # AND retraining, when asked for, loops Retrain -> CheckRetrained -> WaitForModels
    assert states["CheckRetraining"]["Choices"] == [
        {"Variable": "$.retraining.requested", "BooleanEquals": True, "Next": "Retrain"}
    ]
    assert states["CheckRetraining"]["Default"] == "Recorded"
    assert states["CheckRetrained"]["Choices"] == [
        {"Variable": "$.retraining.done", "BooleanEquals": True, "Next": "Recorded"}
    ]
    assert states["CheckRetrained"]["Default"] == "WaitForModels"
    assert states["WaitForModels"] == {"Type": "Wait", "Seconds": 600, "Next": "Retrain"}
    # AND a retrain step that fails for good records the retraining, then fails the execution
    assert states["Retrain"]["Catch"][0]["Next"] == "RetrainStopped"
    assert states["RetrainStopped"]["Catch"][0]["Next"] == "TrackerFailed"
    # AND the two ends: recorded (Succeed) or not confirmed (Fail with the step's reason)
    assert states["Recorded"] == {"Type": "Succeed"}
    assert states["NotConfirmed"] == {
        "Type": "Fail",
        "ErrorPath": "$.outcome.error",
        "CausePath": "$.outcome.cause",
    }


def test_cfn_lint_validates_the_substituted_definition(template: dict) -> None:
    # GIVEN the template with the definition's substitutions applied (as CloudFormation does)
    resolved = copy.deepcopy(template)
    machine = resolved["Resources"][_tracker_id(template)]
    properties = machine["Properties"]
    properties["DefinitionString"] = json.dumps(
        substitute(
            properties.pop("DefinitionString"),
            {
                "TrackerFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tracker-step",
                "Partition": "aws",
            },
        )
    )
    properties.pop("DefinitionSubstitutions")
    machine.pop("Metadata", None)
    # THEN cfn-lint's state machine rules (E3601 included) find nothing
    assert cfn_lint(resolved) == []


def test_the_templates_own_lint_suppression_is_only_e3601(template: dict) -> None:
    metadata = template["Resources"][_tracker_id(template)]["Metadata"]
    assert metadata["cfn-lint"] == {"config": {"ignore_checks": ["E3601"]}}
    assert cfn_lint(template) == []


# ------------------------------------------------------------------------------------- IAM


def test_tracker_role_may_invoke_its_step_and_read_prefixed_jobs_only(template: dict) -> None:
    statements = _statements(template, "PersonalizeDataDeletionTrackerRoleDefaultPolicy")
    by_action = {json.dumps(s["Action"]): s for s in statements}
    assert set(by_action) == {
        '"lambda:InvokeFunction"',
        '"personalize:DescribeDataDeletionJob"',
        json.dumps(
            [
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
            ]
        ),
    }
    invoke = by_action['"lambda:InvokeFunction"']["Resource"]
    assert list(invoke) == ["Fn::GetAtt"] and invoke["Fn::GetAtt"][1] == "Arn"
    assert invoke["Fn::GetAtt"][0].startswith("PersonalizeDataDeletionTrackerStep")
    assert by_action['"personalize:DescribeDataDeletionJob"']["Resource"] == JOB_ARNS


def test_tracker_step_role_records_and_submits_but_stages_nothing(template: dict) -> None:
    statements = _statements(template, "PersonalizeDataDeletionTrackerStepRoleDefaultPolicy")
    rendered = {json.dumps(s["Action"]): s for s in statements}
    assert sorted(rendered) == sorted(
        [
            json.dumps(["logs:CreateLogStream", "logs:PutLogEvents"]),
            '"events:PutEvents"',
            json.dumps(
                ["personalize:CreateDataDeletionJob", "personalize:DescribeDataDeletionJob"]
            ),
            json.dumps(
                [
                    "personalize:ListBatchInferenceJobs",
                    "personalize:ListBatchSegmentJobs",
                    "personalize:ListDataDeletionJobs",
                    "personalize:ListDatasetImportJobs",
                    "personalize:ListDatasets",
                    "personalize:ListSolutionVersions",
                    "personalize:ListSolutions",
                ]
            ),
            '"iam:PassRole"',
            json.dumps(["s3:GetObject", "s3:PutObject"]),
            '"s3:DeleteObject"',
            '"s3:ListBucket"',
            json.dumps(["s3:DeleteObjectVersion", "s3:PutObject"]),
        ]
    )
    put = rendered[json.dumps(["s3:GetObject", "s3:PutObject"])]["Resource"]
    assert put["Fn::Join"][1][-1] == "/receipts/*"
    assert rendered['"s3:DeleteObject"']["Resource"]["Fn::Join"][1][-1] == "/staging/*"
    # listing only receipts and staged lists (whether one exists: no job is created from a
    # staged list that is gone)
    assert rendered['"s3:ListBucket"']["Condition"] == {
        "StringLike": {"s3:prefix": ["receipts/*", "staging/*"]}
    }
    assert rendered['"events:PutEvents"']["Condition"] == {
        "StringEquals": {"events:source": "personalize-data-deletion"}
    }
    assert rendered['"events:PutEvents"']["Resource"]["Fn::Join"][1][-1] == (
        f":events:{REGION}:{ACCOUNT}:event-bus/default"
    )


def test_handlers_may_start_and_describe_only_this_trackers_executions(template: dict) -> None:
    statements = _statements(template, "PersonalizeDataDeletionProviderHandlerRoleDefaultPolicy")
    by_action = {json.dumps(s["Action"]): s for s in statements}
    tracker = _tracker_id(template)
    assert by_action['"states:StartExecution"']["Resource"] == {"Ref": tracker}
    assert by_action['"states:DescribeExecution"']["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":states:{REGION}:{ACCOUNT}:execution:",
                {"Fn::GetAtt": [tracker, "Name"]},
                ":*",
            ],
        ]
    }


# --------------------------------------------------------------------- removal while tracked


def _references(node: object) -> set[str]:
    if isinstance(node, dict):
        found: set[str] = set()
        if "Ref" in node and isinstance(node["Ref"], str):
            found.add(node["Ref"])
        if "Fn::GetAtt" in node:
            found.add(node["Fn::GetAtt"][0])
        for value in node.values():
            found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    return set()


def test_everything_a_running_execution_needs_outlives_the_stack(template: dict) -> None:
    # GIVEN the resources a tracker execution reaches: what the state machine references,
    # transitively, plus the policies attached to any role and bucket in that set
    resources = template["Resources"]
    needed: set[str] = set()
    todo = [_tracker_id(template)]
    while todo:
        logical_id = todo.pop()
        if logical_id in needed or logical_id not in resources:
            continue
        needed.add(logical_id)
        todo.extend(_references(resources[logical_id].get("Properties", {})))
        for other_id, other in resources.items():
            attached = [*other["Properties"].get("Roles", []), other["Properties"].get("Bucket")]
            if other["Type"] in ("AWS::IAM::Policy", "AWS::S3::BucketPolicy") and (
                {logical_id} & _references(attached)
            ):
                todo.append(other_id)
    # THEN it spans the tracker, its step, both roles, the service role and the bucket
    types = sorted(resources[k]["Type"] for k in needed)
    assert types == sorted(
        [
            "AWS::StepFunctions::StateMachine",
            "AWS::Lambda::Function",
            "AWS::IAM::Role",  # tracker
            "AWS::IAM::Role",  # its step
            "AWS::IAM::Role",  # Personalize's service role (PassRole)
            "AWS::IAM::Policy",
            "AWS::IAM::Policy",
            "AWS::IAM::Policy",
            "AWS::Logs::LogGroup",
            "AWS::Logs::LogGroup",
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
        ]
    )
    # AND every one of them is retained when the stack is deleted or rolled back
    kept = {
        k: (resources[k].get("DeletionPolicy"), resources[k].get("UpdateReplacePolicy"))
        for k in needed
    }
    assert set(kept.values()) == {("Retain", "Retain")}, kept


@pytest.mark.parametrize(
    ("removal_policy", "bucket_kept", "policy_kept"),
    [
        (cdk.RemovalPolicy.RETAIN, "Retain", "Retain"),
        (cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, "RetainExceptOnCreate", "Retain"),
        (cdk.RemovalPolicy.DESTROY, "Delete", None),
    ],
)
def test_a_bucket_retained_on_delete_keeps_the_policy_personalize_reads_through(
    removal_policy: cdk.RemovalPolicy, bucket_kept: str, policy_kept: str | None
) -> None:
    """GIVEN a construct whose created bucket has the given removal policy
    WHEN synthesized
    THEN whenever the bucket outlives the stack, so does its policy: Personalize reads a
    tracked job's staged list through it after the stack is gone, and it holds the TLS-only
    deny of a bucket that keeps lists and receipts (a destroyed bucket takes its policy along)."""
    stack = _stack()
    PersonalizeDataDeletion(stack, "A", removal_policy=removal_policy)
    resources = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    buckets = [r for r in resources.values() if r["Type"] == "AWS::S3::Bucket"]
    policies = [r for r in resources.values() if r["Type"] == "AWS::S3::BucketPolicy"]
    assert [b.get("DeletionPolicy") for b in buckets] == [bucket_kept]
    assert [p.get("DeletionPolicy") for p in policies] == [policy_kept]
    statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
    assert {s.get("Sid") for s in statements} >= {
        "PersonalizeReadsStagedInputs",
        "PersonalizeListsStagedInputs",
    }
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)


# ---------------------------------------------------------------------------- alarms, events


def test_alarms_watch_failed_jobs_and_executions_without_an_end(template: dict) -> None:
    alarms = {k: v["Properties"] for k, v in _of_type(template, "AWS::CloudWatch::Alarm").items()}
    failed = next(v for k, v in alarms.items() if "JobFailedAlarm" in k)
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"], failed["Period"]) == (
        "PersonalizeDataDeletion",
        "JobsFailed",
        "Sum",
        300,
    )
    assert failed["Dimensions"] == [{"Name": "StackName", "Value": {"Ref": "AWS::StackName"}}]
    for alarm in alarms.values():
        assert (
            alarm["Threshold"],
            alarm["EvaluationPeriods"],
            alarm["ComparisonOperator"],
            alarm["TreatMissingData"],
        ) == (1, 1, "GreaterThanOrEqualToThreshold", "notBreaching")
    tracking = next(v for k, v in alarms.items() if "TrackingAlarm" in k)
    [expression] = [m for m in tracking["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "failed + timedOut + aborted"
    watched = {
        m["Id"]: (m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"])
        for m in tracking["Metrics"]
        if "MetricStat" in m
    }
    assert watched == {
        "failed": ("AWS/States", "ExecutionsFailed"),
        "timedOut": ("AWS/States", "ExecutionsTimedOut"),
        "aborted": ("AWS/States", "ExecutionsAborted"),
    }


def test_the_runtimes_metric_record_is_what_the_alarm_reads(template: dict) -> None:
    # GIVEN the embedded-metric record the runtime writes for a FAILED job of stack "Test"
    lines: list[str] = []
    Notifier(client=None, write=lines.append).count("JobsFailed", "Test", 1_790_000_000_000)
    [record] = [json.loads(line) for line in lines]
    [directive] = record["_aws"]["CloudWatchMetrics"]
    # THEN namespace, metric and dimension are those of the alarm
    failed = next(
        v["Properties"]
        for k, v in _of_type(template, "AWS::CloudWatch::Alarm").items()
        if "JobFailedAlarm" in k
    )
    assert directive["Namespace"] == failed["Namespace"]
    assert directive["Metrics"] == [{"Name": failed["MetricName"], "Unit": "Count"}]
    assert directive["Dimensions"] == [[failed["Dimensions"][0]["Name"]]]
    assert record["StackName"] == "Test" and record["JobsFailed"] == 1


OWN_EVENTS = [
    {"scope": ["UserDeletion"]},
    {"scope": [{"exists": False}], "jobName": [{"prefix": "pdd-"}]},
]
"""What a rule of construct UserDeletion (prefix pdd) matches in an event's detail."""


def test_on_job_state_change_and_the_topic_setting_make_scoped_rules(tmp_path: Path) -> None:
    # GIVEN a construct with a notification topic and a rule for failures only
    def build(stack: cdk.Stack) -> None:
        topic = sns.Topic(stack, "Topic", enforce_ssl=True)
        cdk.Validations.of(topic).acknowledge(
            cdk.Acknowledgment(id="AwsSolutions-SNS2", reason="test topic")
        )
        deletion = PersonalizeDataDeletion(stack, "UserDeletion", notification_topic=topic)
        rule = deletion.on_job_state_change("Failures", statuses=["FAILED", "STUCK"])
        assert isinstance(rule, cdk.aws_events.Rule)

    template = synth_template(build, tmp_path)
    rules = {k: v["Properties"] for k, v in _of_type(template, "AWS::Events::Rule").items()}
    # THEN both match this library's events of this stack and this construct (its scope, or
    # for events that name none, its job names)
    patterns = {k: v["EventPattern"] for k, v in rules.items()}
    base = {
        "source": ["personalize-data-deletion"],
        "detail-type": ["Personalize Data Deletion Job State Change"],
        "detail": {"stackId": [{"Ref": "AWS::StackId"}], "$or": OWN_EVENTS},
    }
    notify = next(k for k in patterns if "NotifyTopic" in k)
    failures = next(k for k in patterns if "Failures" in k)
    # AND, no request retraining, no rule for retraining events
    assert sorted(patterns) == sorted([notify, failures])
    assert patterns[notify] == base
    assert patterns[failures] == {
        **base,
        "detail": {**base["detail"], "status": ["FAILED", "STUCK"]},
    }
    # AND the topic rule targets the topic; the other has no target until the user adds one
    [target] = rules[notify]["Targets"]
    assert target["Arn"] == {"Ref": next(iter(_of_type(template, "AWS::SNS::Topic")))}
    assert "Targets" not in rules[failures]


def test_retraining_events_get_their_own_rule_and_reach_the_topic_once_a_request_retrains(
    tmp_path: Path,
) -> None:
    # GIVEN a construct with a topic, a rule for failed retraining, and two requests of which
    # one retrains
    def build(stack: cdk.Stack) -> None:
        topic = sns.Topic(stack, "Topic", enforce_ssl=True)
        cdk.Validations.of(topic).acknowledge(
            cdk.Acknowledgment(id="AwsSolutions-SNS2", reason="test topic")
        )
        deletion = PersonalizeDataDeletion(stack, "UserDeletion", notification_topic=topic)
        rule = deletion.on_models_retrained("Unfinished", statuses=["RETRAINING_FAILED"])
        assert isinstance(rule, cdk.aws_events.Rule)
        for name, retrain in (("plain", None), ("models", Retrain.all_solutions())):
            deletion.delete_users(
                name,
                dataset_group_arn=DATASET_GROUP_ARN,
                users=UserList.from_ids(["u-1"]),
                retrain=retrain,
            )

    template = synth_template(build, tmp_path)
    rules = _of_type(template, "AWS::Events::Rule")
    patterns = {k: v["Properties"]["EventPattern"] for k, v in rules.items()}
    # THEN the retraining rules match the models events of this stack and construct
    base = {
        "source": ["personalize-data-deletion"],
        "detail-type": ["Personalize Data Deletion Models Retrained"],
        "detail": {"stackId": [{"Ref": "AWS::StackId"}], "$or": OWN_EVENTS},
    }
    unfinished = next(k for k in patterns if "Unfinished" in k)
    assert patterns[unfinished] == {
        **base,
        "detail": {**base["detail"], "status": ["RETRAINING_FAILED"]},
    }
    # AND the topic gets them beside the job events (one rule each)
    topic_rules = sorted(k for k in patterns if "NotifyTopic" in k)
    assert [patterns[k]["detail-type"] for k in topic_rules] == [
        ["Personalize Data Deletion Job State Change"],
        ["Personalize Data Deletion Models Retrained"],
    ]
    assert cfn_lint(template) == []


def test_on_models_retrained_refuses_statuses_it_would_never_see() -> None:
    deletion = PersonalizeDataDeletion(_stack(), "A")
    with pytest.raises(DeletionConfigError) as refused:
        deletion.on_models_retrained("Two", statuses=["COMPLETED"])
    assert str(refused.value) == (
        "statuses ['COMPLETED']: choose one or more of RETRAINED, RETRAINING_FAILED, "
        "RETRAINING_STUCK, NOT_RETRAINED"
    )


# -------------------------------------------------------------------------- settings, misuse


def _stack() -> cdk.Stack:
    app = cdk.App()
    return cdk.Stack(app, "S", env=cdk.Environment(account=ACCOUNT, region=REGION))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"tracking_interval": cdk.Duration.seconds(30)},
            TrackerSettingsError,
            "tracking_interval is 30 seconds: use 1 minute to 1 hour (reads cost state "
            "transitions; Personalize jobs take minutes to hours)",
        ),
        (
            {"query_interval": cdk.Duration.seconds(5)},
            ProviderSettingsError,
            "query_interval is 5 seconds: use 10 seconds to 10 minutes (polling faster only "
            "costs invocations; Personalize jobs take minutes to hours)",
        ),
        (
            {
                "tracking_interval": cdk.Duration.minutes(30),
                "tracking_timeout": cdk.Duration.hours(1),
            },
            TrackerSettingsError,
            "tracking_timeout (1 hour) must be at least 1 hour and allow three reads of "
            "tracking_interval (30 minutes): raise tracking_timeout to at least 1 hour 30 "
            "minutes or lower tracking_interval",
        ),
        (
            {"tracking_timeout": cdk.Duration.minutes(30)},
            TrackerSettingsError,
            "tracking_timeout (30 minutes) must be at least 1 hour and allow three reads of "
            "tracking_interval (10 minutes): raise tracking_timeout to at least 1 hour",
        ),
        (
            {
                "tracking_timeout": cdk.Duration.days(7),
                "staged_input_expiration": cdk.Duration.days(8),
            },
            TrackerSettingsError,
            "tracking_timeout (7 days) takes up to 1,009 status reads of tracking_interval (10 "
            "minutes) per run, and one tracker execution may follow three runs (the job, a "
            "follow-up job, retraining) at about 9 history events per read, while Step Functions "
            "fails an execution beyond 25,000 events: lower tracking_timeout to at most 6 days 3 "
            "hours 50 minutes or raise tracking_interval to at least 11 minutes 22 seconds",
        ),
        (
            # The default timeout read every minute; the tracker's limit comes before the
            # staged list's expiration (which raising would not help).
            {"tracking_interval": cdk.Duration.minutes(1)},
            TrackerSettingsError,
            "tracking_timeout (1 day 12 hours) takes up to 2,161 status reads of "
            "tracking_interval (1 minute) per run, and one tracker execution may follow three "
            "runs (the job, a follow-up job, retraining) at about 9 history events per read, "
            "while Step Functions fails an execution beyond 25,000 events: lower "
            "tracking_timeout to at most 14 hours 47 minutes or raise tracking_interval to at "
            "least 2 minutes 27 seconds",
        ),
        (
            {
                "tracking_interval": cdk.Duration.hours(1),
                "tracking_timeout": cdk.Duration.days(40),
                "staged_input_expiration": cdk.Duration.days(41),
            },
            TrackerSettingsError,
            "tracking_timeout (40 days) takes up to 961 status reads of tracking_interval (1 "
            "hour) per run, and one tracker execution may follow three runs (the job, a "
            "follow-up job, retraining) at about 9 history events per read, while Step Functions "
            "fails an execution beyond 25,000 events: lower tracking_timeout to at most 36 days "
            "23 hours",
        ),
        (
            {
                "tracking_interval": cdk.Duration.minutes(12),
                "tracking_timeout": cdk.Duration.days(7),
            },
            DeletionConfigError,
            "staged_input_expiration (7 days) must exceed tracking_timeout (7 days) by at "
            "least a day: a queued or pending job still has to read its staged list; raise "
            "staged_input_expiration to at least 8 days or lower tracking_timeout",
        ),
        (
            {"completion": Completion.hand_off(cdk.Duration.minutes(55))},
            DeletionConfigError,
            "completion: completion bound 55 minutes must be whole seconds from 0 to 54 "
            "minutes (the provider's total_timeout less one query_interval, inside "
            "CloudFormation's hour)",
        ),
    ],
)
def test_settings_that_cannot_work_fail_at_synth(
    kwargs: dict, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        PersonalizeDataDeletion(_stack(), "A", **kwargs)
    assert str(caught.value) == message


@pytest.mark.parametrize("interval_minutes", [1, 10, 60])
def test_the_longest_tracking_timeout_is_taken_and_one_second_more_is_not(
    interval_minutes: int,
) -> None:
    # GIVEN the longest tracking_timeout allowed with this tracking_interval
    interval = interval_minutes * 60
    longest = longest_tracking_timeout(interval)
    days = longest // 86400 + 2  # a staged list that outlives it
    # WHEN a construct asks for it, and for one second more
    PersonalizeDataDeletion(
        _stack(),
        "A",
        tracking_interval=cdk.Duration.minutes(interval_minutes),
        tracking_timeout=cdk.Duration.seconds(longest),
        staged_input_expiration=cdk.Duration.days(days),
    )
    with pytest.raises(TrackerSettingsError) as caught:
        PersonalizeDataDeletion(
            _stack(),
            "A",
            tracking_interval=cdk.Duration.minutes(interval_minutes),
            tracking_timeout=cdk.Duration.seconds(longest + 1),
            staged_input_expiration=cdk.Duration.days(days),
        )
    # THEN only the longer one is refused, for the execution's history
    assert "fails an execution beyond 25,000 events" in str(caught.value)
    # AND at the longest, the execution's own timeout is within Step Functions' year too
    definition = tracker_definition(interval_seconds=interval, timeout_seconds=longest)
    assert definition["TimeoutSeconds"] <= 365 * 24 * 3600


def test_constructs_of_a_stack_must_agree_on_the_shared_tracker() -> None:
    stack = _stack()
    PersonalizeDataDeletion(stack, "A")
    with pytest.raises(TrackerSettingsError) as caught:
        PersonalizeDataDeletion(stack, "B", tracking_interval=cdk.Duration.minutes(5))
    assert str(caught.value) == (
        f"stack {stack.stack_name!r} already has a deletion tracker, which all "
        "PersonalizeDataDeletion constructs of a stack share, and 'S/B' asks for other "
        "settings: tracking_interval 5 minutes, where the tracker has 10 minutes; either pass "
        "the tracker's tracking_interval or move one construct to another stack"
    )


def test_equal_tracker_settings_written_differently_share_the_tracker() -> None:
    # GIVEN a construct with the default tracker settings
    stack = _stack()
    first = PersonalizeDataDeletion(stack, "A")
    # WHEN another passes equal values of its own (not the same Duration objects)
    second = PersonalizeDataDeletion(
        stack,
        "B",
        tracking_interval=cdk.Duration.minutes(10),
        tracking_timeout=cdk.Duration.hours(36),
    )
    # THEN both share the stack's tracker
    assert second.tracker is first.tracker


def test_a_completion_that_is_not_a_completion_is_a_type_error() -> None:
    deletion = PersonalizeDataDeletion(_stack(), "A")
    with pytest.raises(TypeError) as caught:
        deletion.delete_users(
            "r",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_csv(SAMPLE_CSV),
            completion="HAND_OFF",
        )
    assert str(caught.value) == (
        "request 'r' completion must be a Completion (Completion.hand_off(), Completion.wait() "
        "or Completion.submit_only()), not str"
    )
    with pytest.raises(TypeError, match=r"after must be an aws_cdk\.Duration, not int"):
        Completion.hand_off(300)


def test_per_request_policies_become_string_properties(tmp_path: Path) -> None:
    def build(stack: cdk.Stack) -> None:
        deletion = PersonalizeDataDeletion(stack, "UserDeletion", completion=Completion.wait())
        for name, completion in (
            ("default", None),
            ("fast", Completion.hand_off(cdk.Duration.minutes(2))),
            ("accept", Completion.submit_only()),
        ):
            deletion.delete_users(
                name,
                dataset_group_arn=DATASET_GROUP_ARN,
                users=UserList.from_csv(SAMPLE_CSV),
                completion=completion,
            )

    template = synth_template(build, tmp_path)
    found = {
        v["Properties"]["RequestName"]: (
            v["Properties"].get("Completion"),
            v["Properties"].get("WaitSeconds"),
        )
        for v in _of_type(template, "Custom::PersonalizeDataDeletionJob").values()
    }
    # HAND_OFF is what the handler does when a request names no policy: it is not written
    assert found == {
        "default": ("WAIT", None),
        "fast": (None, "120"),
        "accept": ("SUBMIT_ONLY", None),
    }


def test_on_job_state_change_refuses_statuses_it_would_never_see() -> None:
    deletion = PersonalizeDataDeletion(_stack(), "A")
    with pytest.raises(TypeError) as caught:
        deletion.on_job_state_change("One", statuses="FAILED")
    assert str(caught.value) == "statuses must be a list of statuses, not the string 'FAILED'"
    with pytest.raises(DeletionConfigError) as refused:
        deletion.on_job_state_change("Two", statuses=["DONE"])
    assert str(refused.value) == (
        "statuses ['DONE']: choose one or more of COMPLETED, FAILED, STUCK, NOT_STARTED"
    )


def test_the_example_stack_sends_events_to_a_topic_given_by_arn(tmp_path: Path) -> None:
    from personalize_data_deletion.stack import DeletionRequestsStack

    # GIVEN the example stack with a notification topic from another stack
    app = cdk.App(outdir=str(tmp_path))
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:privacy-alerts"
    stack = DeletionRequestsStack(
        app,
        "Example",
        request_file=Path(__file__).resolve().parents[1] / "requests" / "deletions.json",
        default_dataset_group_arn=DATASET_GROUP_ARN,
        notification_topic_arn=topic_arn,
        env=cdk.Environment(account=ACCOUNT, region=REGION),
    )
    template = app.synth().get_stack_by_name(stack.stack_name).template
    # THEN one rule sends this stack's job events to that topic
    [rule] = _of_type(template, "AWS::Events::Rule").values()
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [topic_arn]
    # AND every job (each request in each of its two dataset groups) outputs its six
    # attributes, where its job is followed among them
    # AND the job name's description carries the list's count and hash, which `cdk diff` shows
    # for an added output (an added resource it shows by type alone)
    lists = {
        "sample-2026-11": "3 users, list SHA-256 "
        "ec11b02d9906d960915b97675cf70663abb39854dfc0e2b27fbbd3d1ab089971",
        "sample-2026-12": "2 users, list SHA-256 "
        "542f4636565aba44977595da8784e5db7b8164dec6b5846b0ff4bd3421c2423e",
    }
    described = sorted(output["Description"] for output in template["Outputs"].values())
    assert described == sorted(
        f"{request} in {group}: {attribute}"
        + (f" ({lists[request]})" if attribute == "JobName" else "")
        for request in ("sample-2026-11", "sample-2026-12")
        for group in ("example-dataset-group", "example-catalog")
        for attribute in ("JobArn", "JobName", "Status", "NumDeleted", "TrackedBy", "ReceiptUri")
    )


# ------------------------------------------------------------------ pre-flight, retraining


def _statements_of(template: dict, policy_prefix: str) -> list[str]:
    return sorted(
        action
        for statement in _statements(template, policy_prefix)
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    )


def _object_grants(template: dict, policy_prefix: str) -> set[tuple[str, str]]:
    """(action, key pattern) of every S3 object grant on a bucket of the stack."""
    found = set()
    for statement in _statements(template, policy_prefix):
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in resources if isinstance(resources, list) else [resources]:
                if isinstance(resource, dict) and "Fn::Join" in resource:
                    found.add((action, resource["Fn::Join"][1][-1]))
    return found


def test_preflight_and_retraining_grants_appear_only_when_used(tmp_path: Path) -> None:
    # GIVEN one stack whose construct turns the pre-flight off, and one retraining a solution
    solution = f"arn:aws:personalize:{REGION}:{ACCOUNT}:solution/shop"

    def quiet(stack: cdk.Stack) -> None:
        _requests(1, preflight=False)(stack)

    def retraining(stack: cdk.Stack) -> None:
        deletion = PersonalizeDataDeletion(
            stack, "UserDeletion", retrain=Retrain.solutions([solution])
        )
        deletion.delete_users(
            "req-000",
            dataset_group_arn=DATASET_GROUP_ARN,
            users=UserList.from_csv(SAMPLE_CSV),
            follow_up=True,
        )

    without = synth_template(quiet, tmp_path / "quiet")
    retrained = synth_template(retraining, tmp_path / "retraining")
    step = "PersonalizeDataDeletionTrackerStepRoleDefaultPolicy"
    handler = "PersonalizeDataDeletionProviderHandlerRoleDefaultPolicy"
    listings = {
        "personalize:ListBatchInferenceJobs",
        "personalize:ListBatchSegmentJobs",
        "personalize:ListDatasetImportJobs",
        "personalize:ListDatasets",
    }
    training = {
        "personalize:CreateSolutionVersion",
        "personalize:DescribeSolutionVersion",
        "personalize:DescribeCampaign",
        "personalize:UpdateCampaign",
        "personalize:ListCampaigns",
        "personalize:ListRecommenders",
    }
    # THEN without pre-flight no role may list datasets, imports or batch jobs
    for policy in (step, handler):
        assert not listings & set(_statements_of(without, policy))
    # AND with retraining only the tracker's step may train and update campaigns
    assert training <= set(_statements_of(retrained, step))
    assert not training & set(_statements_of(retrained, handler))
    assert not training & set(_statements_of(without, step))
    # AND before it trains, the step may ask whether another deletion job of the group runs:
    # ListDataDeletionJobs (no resource type: '*'), which every tracker step has already, to
    # find the jobs it submits by name, so retraining adds no statement for it
    [listing] = [
        s for s in _statements(retrained, step) if "personalize:ListDataDeletionJobs" in s["Action"]
    ]
    assert listing["Resource"] == "*"
    # AND the requests say what they ask for, as strings
    [request] = [
        r["Properties"]
        for r in retrained["Resources"].values()
        if r["Type"] == "Custom::PersonalizeDataDeletionJob"
    ]
    assert (request["Retrain"], request["RetrainSolutions"]) == ("LIST", [solution])
    assert request["FollowUp"] == "true"
    assert "Preflight" not in request
    # AND only with a follow-up may the roles that record a job copy its staged list; none
    # may delete a staged version: the construct's own bucket is unversioned (a user's bucket
    # gets that grant, see test_user_bucket_settings.py)
    read_staged = ("s3:GetObject", "/staging/*")
    delete_version = ("s3:DeleteObjectVersion", "/staging/*")
    for policy in (step, handler):
        assert read_staged in _object_grants(retrained, policy)
        assert ("s3:PutObject", "/staging/*") in _object_grants(retrained, policy)
        assert read_staged not in _object_grants(without, policy)
        for template in (retrained, without):
            assert delete_version not in _object_grants(template, policy)
    [quiet_request] = [
        r["Properties"]
        for r in without["Resources"].values()
        if r["Type"] == "Custom::PersonalizeDataDeletionJob"
    ]
    assert quiet_request["Preflight"] == "false"


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: Retrain.solutions("arn:aws:personalize:us-east-1:123456789012:solution/x"),
            TypeError,
            "solution_arns must be a list of solution ARNs, not a single string",
        ),
        (
            lambda: Retrain.solutions(["arn:aws:personalize:us-east-1:123456789012:campaign/x"]),
            ValueError,
            "'arn:aws:personalize:us-east-1:123456789012:campaign/x' is not a solution ARN "
            "(arn:<partition>:personalize:<region>:<account>:solution/<name>)",
        ),
        (
            lambda: Retrain.all_solutions(update_campaigns="yes"),
            TypeError,
            "update_campaigns must be True or False, not str",
        ),
        (
            lambda: PersonalizeDataDeletion(_stack(), "A", preflight="off"),
            TypeError,
            "preflight must be True or False, not str",
        ),
        (
            lambda: PersonalizeDataDeletion(_stack(), "A", follow_up="yes"),
            TypeError,
            "follow_up must be True or False, not str",
        ),
        (
            lambda: PersonalizeDataDeletion(_stack(), "A", preflight=False).delete_users(
                "r",
                dataset_group_arn=DATASET_GROUP_ARN,
                users=UserList.from_ids(["u"]),
                follow_up=True,
            ),
            DeletionConfigError,
            "request 'r': follow_up=True needs preflight=True: only the pre-flight's check finds "
            "imports or trainings that started during the job",
        ),
        (
            lambda: PersonalizeDataDeletion(_stack(), "A", retrain="ALL"),
            TypeError,
            "retrain must be a Retrain (Retrain.none(), Retrain.all_solutions() or "
            "Retrain.solutions([...])), not str",
        ),
    ],
)
def test_retraining_settings_are_checked_by_type_and_rule(
    build, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        build()
    assert str(caught.value) == message
