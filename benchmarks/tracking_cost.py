"""What it costs to follow one deletion job: the tracker for a day, beside the deployment's polling.

Computed by executing the definitions on a simulated clock, not from assumptions:

- the tracker: the construct's own definition builder (the tests hold it equal to the
  synthesized template) run by ``personalize_deletion_local.asl``; its status reads go through
  boto3 to the Personalize test double, its Lambda steps are counted;
- the deployment: the Provider framework's waiter definition taken from a synthesized template,
  run the same way; each attempt is the framework's isComplete Lambda calling ours, which reads
  the status once, until the handler's deadline (54 minutes by default) hands the job off.

Usage::

    python benchmarks/tracking_cost.py [--hours 24] [--json OUT]

``run(hours)`` is importable for the benchmark suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _source_root in (ROOT / "constructs", ROOT / "lambda"):
    if str(_source_root) not in sys.path:
        sys.path.insert(0, str(_source_root))
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

import boto3  # noqa: E402
from personalize_deletion_local.asl import TaskFailed, run_execution  # noqa: E402
from personalize_deletion_local.asl.tracker_run import TrackerRun, substitute  # noqa: E402
from personalize_deletion_local.personalize_double import PersonalizeDouble  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/bench"
T0 = 1_790_000_000.0
TRANSITION_USD = 0.025 / 1000
"""Step Functions standard workflows, us-east-1 list price per state transition (2026)."""
FINISH_STEP_CALLS = {
    "personalize:DescribeDataDeletionJob": 1,
    "s3:DeleteObject": 1,
    "s3:ListObjectsV2": 1,
    "s3:PutObject": 1,
    "events:PutEvents": 1,
}
"""What recording the end costs, on either path (asserted in tests/test_lifecycle.py and
tests/test_tracker.py)."""


class SimClock:
    """One clock for the interpreter and the double."""

    def __init__(self, double: PersonalizeDouble) -> None:
        self.double = double

    def now(self) -> float:
        return self.double.now

    def advance(self, seconds: float) -> None:
        self.double.advance(seconds)


def _client(double: PersonalizeDouble) -> Any:
    return boto3.client(
        "personalize",
        endpoint_url=double.endpoint_url,
        region_name=REGION,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def _start_job(client: Any, name: str) -> str:
    return client.create_data_deletion_job(
        jobName=name,
        datasetGroupArn=GROUP,
        dataSource={"dataLocation": "s3://bench-bucket/staging/users.csv"},
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/bench",
    )["dataDeletionJobArn"]


def tracker_cost(hours: float) -> dict[str, Any]:
    """Execute the tracker for a job that ends ``hours`` after the hand-off."""
    from personalize_data_deletion.tracker import (
        DEFAULT_TRACKING_INTERVAL,
        DEFAULT_TRACKING_TIMEOUT,
    )
    from personalize_data_deletion.tracker_definition import tracker_definition
    from personalize_deletion_runtime.state import Origin, TrackedJob, iso

    interval = int(DEFAULT_TRACKING_INTERVAL.to_seconds())
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tracker-step"
    definition = substitute(
        json.dumps(
            tracker_definition(
                interval_seconds=interval,
                timeout_seconds=int(DEFAULT_TRACKING_TIMEOUT.to_seconds()),
            )
        ),
        {"TrackerFunctionArn": function_arn, "Partition": "aws"},
    )
    steps: list[str] = []

    def step(event: dict[str, Any]) -> dict[str, Any]:
        steps.append(event["step"])
        return {**event["state"], "outcome": {"status": "COMPLETED"}}

    with PersonalizeDouble(
        start_time=T0, pending_seconds=0, run_seconds=hours * 3600, dataset_group_arns=[GROUP]
    ) as double:
        client = _client(double)
        arn = _start_job(client, "pdd-bench-000000000000")
        double.reset_calls()
        job = TrackedJob(
            request={},
            job_name="pdd-bench-000000000000",
            job_arn=arn,
            input={},
            origin=Origin(stack_id="bench", logical_resource_id="bench", completion="HAND_OFF"),
            since=iso(T0),
            give_up_at=iso(T0 + DEFAULT_TRACKING_TIMEOUT.to_seconds()),
            last_status="IN_PROGRESS",
        )
        result = TrackerRun(
            definition=definition,
            state_machine_arn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:tracker",
            functions={function_arn: step},
            clients={"personalize": client},
            clock=SimClock(double),
        ).execute("bench", job.to_json())
        reads = len(double.calls_for("DescribeDataDeletionJob"))
    transitions = result.transitions
    return {
        "job_hours": hours,
        "interval_seconds": interval,
        "status": result.status,
        "state_transitions": transitions,
        "transitions_usd": round(transitions * TRANSITION_USD, 4),
        "status_reads": reads,
        "lambda_invocations": len(steps),
        "api_calls": {"personalize:DescribeDataDeletionJob (state machine)": reads}
        | {f"{name} (finish step)": count for name, count in FINISH_STEP_CALLS.items()},
        "detection_latency_seconds": result.stopped_at - (T0 + hours * 3600),
        "detection_latency_worst_seconds": interval,
    }


def waiter_cost() -> dict[str, Any]:
    """Execute the synthesized waiter for a job still running at the handler's deadline."""
    import aws_cdk as cdk
    from personalize_data_deletion import PersonalizeDataDeletion, UserList
    from personalize_data_deletion.provider import ProviderSettings

    with tempfile.TemporaryDirectory(prefix="bench-waiter-") as outdir:
        app = cdk.App(outdir=outdir)
        stack = cdk.Stack(app, "Bench", env=cdk.Environment(account=ACCOUNT, region=REGION))
        PersonalizeDataDeletion(stack, "D").delete_users(
            "r", dataset_group_arn=GROUP, users=UserList.from_ids(["bench-user"])
        )
        template = json.loads(
            Path(app.synth().get_stack_by_name("Bench").template_full_path).read_text()
        )
    [joined] = [
        resource["Properties"]["DefinitionString"]["Fn::Join"][1]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
        and "framework-isComplete-task" in json.dumps(resource["Properties"])
    ]
    definition = json.loads(
        "".join(
            part
            if isinstance(part, str)
            else f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{part['Fn::GetAtt'][0]}"
            for part in joined
        )
    )
    deadline = ProviderSettings().handler_deadline_seconds
    invocations = {"framework": 0, "handler": 0}

    with PersonalizeDouble(
        start_time=T0, pending_seconds=0, run_seconds=24 * 3600, dataset_group_arns=[GROUP]
    ) as double:
        client = _client(double)
        arn = _start_job(client, "pdd-bench-000000000000")
        double.reset_calls()
        clock = SimClock(double)

        def tasks(resource: str, _parameters: Any) -> Any:
            invocations["framework"] += 1
            if re.search(r"onTimeout", resource):
                return {}
            invocations["handler"] += 1  # the framework's isComplete calls ours
            client.describe_data_deletion_job(dataDeletionJobArn=arn)
            if clock.now() - T0 >= deadline:
                return {"IsComplete": True}  # handed off (HAND_OFF) or failed with a reason (WAIT)
            raise TaskFailed("Retry", "not complete")

        result = run_execution(definition, {}, tasks=tasks, clock=clock)
        reads = len(double.calls_for("DescribeDataDeletionJob"))
    return {
        "deadline_seconds": deadline,
        "status": result.status,
        "state_transitions": result.transitions,
        "transitions_usd": round(result.transitions * TRANSITION_USD, 4),
        "lambda_invocations": invocations["framework"] + invocations["handler"],
        "status_reads": reads,
        "detection_latency_worst_seconds": 60,
    }


def run(hours: float = 24) -> dict[str, Any]:
    return {"tracker": tracker_cost(hours), "deployment_polling": waiter_cost()}


def print_table(results: dict[str, Any]) -> None:
    tracker, waiter = results["tracker"], results["deployment_polling"]
    print(
        f"tracker, one job of {tracker['job_hours']:g} h at a {tracker['interval_seconds']} s "
        f"interval: {tracker['state_transitions']} state transitions "
        f"(${tracker['transitions_usd']}), {tracker['lambda_invocations']} Lambda invocation(s), "
        f"{tracker['status_reads']} DescribeDataDeletionJob + finish "
        f"{sum(FINISH_STEP_CALLS.values())} calls; end seen "
        f"{tracker['detection_latency_seconds']:.0f} s after it (worst "
        f"{tracker['detection_latency_worst_seconds']} s)"
    )
    print(
        f"deployment polling up to {waiter['deadline_seconds']} s: "
        f"{waiter['state_transitions']} state transitions (${waiter['transitions_usd']}), "
        f"{waiter['lambda_invocations']} Lambda invocations, {waiter['status_reads']} "
        f"DescribeDataDeletionJob; end seen within {waiter['detection_latency_worst_seconds']} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args(argv)
    results = run(args.hours)
    print_table(results)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
