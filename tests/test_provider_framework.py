"""The Provider framework emulation answers as the real ``framework.js`` does.

The tests' ``play`` and the rehearsal both drive the handlers through
``personalize_deletion_local.provider_framework``. Here the framework's own code, taken from a
freshly synthesized ``cdk.out``, runs under Node (``tests/framework_harness.js`` stands in for
Lambda, Step Functions and the HTTPS PUT) on the same requests and user-function answers, and
every request the framework sends and every response it PUTs must be equal, byte for byte but
for the stack frames' line:column positions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import lifecycle_support as support
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import custom_resources as cr
from lifecycle_support import USERS_CSV, World, cfn_event, expected_job_name, properties
from personalize_deletion_local.provider_framework import (
    CREATE_FAILED_MARKER,
    RESPONSE_LIMIT_BYTES,
    ProviderFramework,
    UserFunction,
    Waiter,
)
from personalize_deletion_local.rehearsal.report import failure_reason, shown_status
from personalize_deletion_runtime import lifecycle

pytestmark = pytest.mark.synth

# fixtures for the handlers' own runs: ``world`` (S3 on moto, the Personalize double, zero
# botocore backoff) and ``moto_endpoint``
moto_endpoint = support.moto_endpoint
no_backoff = support.no_backoff
world = support.world

PHYSICAL_ID = "pdd-gdpr-2026-11-0123456789ab"
HARNESS = Path(__file__).with_name("framework_harness.js")
ON_EVENT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:privacy-OnEvent"
IS_COMPLETE_ARN = "arn:aws:lambda:us-east-1:123456789012:function:privacy-IsComplete"
WAITER_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:privacy-waiter"
ENV = {
    "USER_ON_EVENT_FUNCTION_ARN": ON_EVENT_ARN,
    "USER_IS_COMPLETE_FUNCTION_ARN": IS_COMPLETE_ARN,
    "WAITER_STATE_MACHINE_ARN": WAITER_ARN,
}
REQUEST = {
    "RequestType": "Create",
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:privacy-framework-onEvent",
    "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/r",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/privacy/6f1e2a40",
    "RequestId": "5d3c1f0e-0000-4000-8000-000000000001",
    "LogicalResourceId": "GdprDeletionJob1A2B3C4D",
    "ResourceType": "Custom::PersonalizeDataDeletionJob",
    "ResourceProperties": {"RequestName": "gdpr-2026-11", "MaxInputBytes": "100000000"},
}
STARTED = {
    "PhysicalResourceId": "pdd-gdpr-2026-11-0123456789ab",
    "Ticket": {"deadline": 3240},
    "Data": {"JobName": "pdd-gdpr-2026-11-0123456789ab", "Status": "PENDING"},
}
"""onEvent's answer; its Data is merged under isComplete's by the framework."""
COMPLETED = {"IsComplete": True, "Data": {"Status": "COMPLETED", "NumDeleted": "3"}}
NOT_YET = {"IsComplete": False}
REFUSED = "property DatasetGroupArn: dataset group 'é' is outside this stack's region"
_FRAME = re.compile(r"^    at (.*) \((\S+?):\d+:\d+\)$", re.MULTILINE)


def lambda_error(message: str, error_type: str = "DeletionFailed") -> dict[str, Any]:
    """What Lambda returns to the framework when a Python handler raised (Unhandled)."""
    return {
        "Payload": {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "",
            "stackTrace": [],
        },
        "FunctionError": "Unhandled",
    }


@pytest.fixture(scope="module")
def framework_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Provider framework's code as ``cdk synth`` writes it into a cloud assembly."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: run scripts/setup (Node 24 comes with the venv)")
    outdir = tmp_path_factory.mktemp("framework") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Framework")
    code = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
    functions = {
        name: lambda_.Function(
            stack, name, runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler", code=code
        )
        for name in ("OnEvent", "IsComplete")
    }
    cr.Provider(
        stack,
        "Provider",
        on_event_handler=functions["OnEvent"],
        is_complete_handler=functions["IsComplete"],
    )
    app.synth()
    [framework] = outdir.glob("asset.*/framework.js")
    return framework.parent


def real(
    framework_dir: Path,
    handler: str,
    event: Any,
    answer: Any = None,
    start_error: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one handler of the real framework; what it invoked, started, PUT and threw
    (``start_error``: Step Functions refuses to start the waiter with that error)."""
    payload = {"dir": str(framework_dir), "handler": handler, "env": ENV, "event": event}
    if answer is not None:
        payload["answer"] = answer
    if start_error is not None:
        payload["startError"] = start_error
    result = subprocess.run(
        ["node", str(HARNESS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    record = json.loads(result.stdout)
    record["responses"] = [normalized(body, framework_dir) for body in record["responses"]]
    return record


def normalized(body: str | bytes, framework_dir: Path | None = None) -> str:
    """A response body with stack frames reduced to function and file (no line:column), and
    the cloud assembly's folder shown as Lambda's ``/var/task``."""
    text = body.decode() if isinstance(body, bytes) else body
    if framework_dir is not None:
        text = text.replace(str(framework_dir), "/var/task")
    document = json.loads(text)
    document["Reason"] = _FRAME.sub(r"    at \1 (\2)", document["Reason"])
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def stringified(value: Any) -> str:
    """``JSON.stringify(value)``: compact, non-ASCII as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Script:
    """User functions that answer from a list and remember every event they received."""

    def __init__(self, *answers: Any) -> None:
        self.answers: Iterator[Any] = iter(answers)
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> Any:
        self.events.append(event)
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer


def emulation(
    on_event: Script, is_complete: Script, max_attempts: int = 5
) -> tuple[ProviderFramework, list[float]]:
    waits: list[float] = []
    framework = ProviderFramework(
        UserFunction(ON_EVENT_ARN, on_event),
        UserFunction(IS_COMPLETE_ARN, is_complete),
        waiter=Waiter(interval_seconds=60, max_attempts=max_attempts),
        wait=waits.append,
    )
    return framework, waits


def test_success_after_a_retry_matches_the_real_framework(framework_dir: Path) -> None:
    # GIVEN onEvent starts a job and isComplete says "not yet", then "complete" with Data
    on_event, is_complete = Script(STARTED), Script(NOT_YET, COMPLETED)
    framework, waits = emulation(on_event, is_complete)

    # WHEN the emulation plays the Create
    played = framework.handle(REQUEST)

    # THEN the real onEvent invokes the user function with the same payload and starts the
    # waiter with the same input
    started = real(framework_dir, "onEvent", REQUEST, {"Payload": STARTED})
    assert started["invocations"] == [{"FunctionName": ON_EVENT_ARN, "Payload": REQUEST}]
    assert on_event.events == [REQUEST]
    [execution] = started["executions"]
    assert execution == {"stateMachineArn": WAITER_ARN, "input": stringified(played.waiter_input)}
    assert played.waiter_input == {**REQUEST, **STARTED}
    # AND the real isComplete asks the waiter to retry with the event it got
    waiting = real(framework_dir, "isComplete", played.waiter_input, {"Payload": NOT_YET})
    assert waiting["thrown"] == {"name": "Retry", "message": stringified(played.waiter_input)}
    assert waiting["responses"] == []
    # AND its SUCCESS answer is the emulation's, byte for byte
    done = real(framework_dir, "isComplete", played.waiter_input, {"Payload": COMPLETED})
    assert done["responses"] == [normalized(played.response.body())]
    assert played.response.to_json() == {
        "Status": "SUCCESS",
        "Reason": "SUCCESS",
        "StackId": REQUEST["StackId"],
        "RequestId": REQUEST["RequestId"],
        "PhysicalResourceId": STARTED["PhysicalResourceId"],
        "LogicalResourceId": REQUEST["LogicalResourceId"],
        "Data": {
            "JobName": STARTED["PhysicalResourceId"],
            "Status": "COMPLETED",
            "NumDeleted": "3",
        },
    }
    assert is_complete.events == [played.waiter_input, played.waiter_input]
    assert (played.polls, waits) == (2, [60.0])


def test_a_failed_create_and_its_rollback_match_the_real_framework(framework_dir: Path) -> None:
    # GIVEN onEvent refuses the request (the Python handler raises)
    framework, _ = emulation(Script(RuntimeError(REFUSED)), Script())

    # WHEN the emulation plays the Create, then the rollback's Delete of what it answered
    failed = framework.handle(REQUEST)
    rollback = {
        **REQUEST,
        "RequestType": "Delete",
        "RequestId": "5d3c1f0e-0000-4000-8000-000000000002",
        "PhysicalResourceId": failed.response.physical_id,
    }
    rolled_back = framework.handle(rollback)

    # THEN the failure carries the marker id and CloudFormation's reason, as the real one does
    real_failure = real(framework_dir, "onEvent", REQUEST, lambda_error(REFUSED))
    assert real_failure["responses"] == [normalized(failed.response.body())]
    assert failed.response.to_json() == {
        "Status": "FAILED",
        "Reason": (
            f"Error: {REFUSED}\n\nLogs: /aws/lambda/privacy-OnEvent\n\n"
            "    at invokeUserFunction (/var/task/framework.js:2:6)\n"
            "    at async onEvent (/var/task/framework.js:1:1411)\n"
            "    at async Object.onEvent (/var/task/cfn-response.js:1:2865)"
        ),
        "StackId": REQUEST["StackId"],
        "RequestId": REQUEST["RequestId"],
        "PhysicalResourceId": CREATE_FAILED_MARKER,
        "LogicalResourceId": REQUEST["LogicalResourceId"],
    }
    assert (failed.message, failed.polls) == (REFUSED, 0)
    # AND the framework answers the rollback Delete itself, invoking nothing
    real_rollback = real(framework_dir, "onEvent", rollback)
    assert real_rollback["invocations"] == []
    assert real_rollback["responses"] == [normalized(rolled_back.response.body())]
    assert rolled_back.answered_by_framework
    assert rolled_back.response.to_json() == {
        "Status": "SUCCESS",
        "Reason": "SUCCESS",
        "StackId": REQUEST["StackId"],
        "RequestId": rollback["RequestId"],
        "PhysicalResourceId": CREATE_FAILED_MARKER,
        "LogicalResourceId": REQUEST["LogicalResourceId"],
    }


def test_a_failed_is_complete_matches_the_real_framework(framework_dir: Path) -> None:
    # GIVEN the job failed: isComplete raises with Personalize's reason
    reason = "data deletion job pdd-x FAILED: Access Denied"
    framework, _ = emulation(Script(STARTED), Script(RuntimeError(reason)))

    # WHEN the emulation plays the Create
    played = framework.handle(REQUEST)

    # THEN the answer is the real framework's, keeping the job's physical id
    assert played.waiter_input is not None
    real_answer = real(framework_dir, "isComplete", played.waiter_input, lambda_error(reason))
    assert real_answer["responses"] == [normalized(played.response.body())]
    assert played.response.physical_id == STARTED["PhysicalResourceId"]
    assert played.response.status_reason == (
        "Received response status [FAILED] from custom resource. Message returned: "
        f"Error: {reason}\n\nLogs: /aws/lambda/privacy-IsComplete\n\n"
        "    at invokeUserFunction (/var/task/framework.js:2:6)\n"
        "    at async isComplete (/var/task/framework.js:1:2631)\n"
        "    at async Object.isComplete (/var/task/cfn-response.js:1:2865)"
        f" (RequestId: {REQUEST['RequestId']})"
    )


def test_data_before_completion_and_a_timeout_match_the_real_framework(
    framework_dir: Path,
) -> None:
    # GIVEN one isComplete that returns Data while not complete, one that never completes
    early_data = {"IsComplete": False, "Data": {"Status": "IN_PROGRESS"}}
    refused, _ = emulation(Script(STARTED), Script(early_data))
    timed_out, waits = emulation(Script(STARTED), Script(NOT_YET, NOT_YET, NOT_YET), 2)

    # WHEN both are played
    refusal = refused.handle(REQUEST)
    timeout = timed_out.handle(REQUEST)

    # THEN the framework's own error is the real one
    assert refusal.waiter_input is not None
    real_refusal = real(framework_dir, "isComplete", refusal.waiter_input, {"Payload": early_data})
    assert real_refusal["responses"] == [normalized(refusal.response.body())]
    assert refusal.message == '"Data" is not allowed if "IsComplete" is "False"'
    # AND after the last retry the real onTimeout answers as the emulation does
    assert timeout.waiter_input is not None
    cause = {"errorType": "Retry", "errorMessage": stringified(timeout.waiter_input)}
    real_timeout = real(framework_dir, "onTimeout", {"Cause": json.dumps(cause)})
    assert real_timeout["responses"] == [normalized(timeout.response.body())]
    assert (timeout.response.reason, timeout.polls, waits) == (
        "Operation timed out",
        3,
        [60.0, 60.0],
    )


def test_a_create_whose_waiter_cannot_start_leaves_no_job_running(
    framework_dir: Path, world: World
) -> None:
    # GIVEN a Create whose onEvent answers while the dataset group is free (it validates and
    # stages the list, and starts no job: the waiter's first poll does)
    job = expected_job_name(USERS_CSV)
    create = cfn_event("Create", properties())
    answer = lifecycle.on_event(json.loads(json.dumps(create)), world.services)
    assert answer["PhysicalResourceId"] == job

    # WHEN the real framework gets that answer but Step Functions refuses to start the waiter
    throttled = {"name": "ThrottlingException", "message": "Rate exceeded"}
    failed = real(framework_dir, "onEvent", create, {"Payload": answer}, throttled)
    # (the framework answers FAILED with its marker id: CloudFormation's rollback Delete is
    # then answered by the framework itself, our handlers never see it)
    [body] = failed["responses"]
    response = json.loads(body)
    assert (response["Status"], response["PhysicalResourceId"]) == ("FAILED", CREATE_FAILED_MARKER)
    assert response["Reason"].startswith("ThrottlingException: Rate exceeded")
    rollback = {
        **create,
        "RequestType": "Delete",
        "RequestId": "00000000-0000-0000-0000-00000000ffff",
        "PhysicalResourceId": CREATE_FAILED_MARKER,
    }
    rolled_back = real(framework_dir, "onEvent", rollback)
    assert rolled_back["invocations"] == []

    # THEN the stack says CREATE_FAILED and rolled back, and no deletion job runs in
    # Personalize: it must be followed to its end (a tracker execution), or never have been
    # started by an event whose waiter does not exist yet
    running = [name for name, state in world.double.jobs.items() if state.status != "FAILED"]
    assert running == [] or world.executions() == [(job, "RUNNING")], (
        f"job {job} runs in Personalize ({running}) while CloudFormation was told the Create "
        f"FAILED ({response['Reason'].splitlines()[0]!r}) and rolled back without calling the "
        f"handlers; tracker executions: {world.executions()}: no receipt, event or record of "
        "this irreversible deletion will ever be written"
    )
    # AND all that stays is the staged list (no declarer key: only a poll writes one), which
    # the deletion bucket's lifecycle rule expires (README: "Where copies of a list live")
    assert world.keys() == [f"staging/{job}/users.csv"]


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_the_emulation_does_not_call_an_answer_over_4096_bytes_a_success(
    request_type: str,
) -> None:
    """CloudFormation takes a custom resource response of at most 4096 bytes (CloudFormation
    user guide, "Custom resource response objects": "The total size of the response body can't
    exceed 4096 bytes"); the real framework (``cfn-response.js`` ``submitResponse``) PUTs the
    body unchecked, so a longer one fails the resource whatever its ``Status``, in every phase.
    The rehearsal's Update and Delete phases check only ``played.succeeded``."""
    # GIVEN a handler pair whose isComplete answers SUCCESS with 5000 bytes of Data
    framework = ProviderFramework(
        UserFunction(ON_EVENT_ARN, lambda event: {"PhysicalResourceId": PHYSICAL_ID}),
        UserFunction(
            IS_COMPLETE_ARN, lambda event: {"IsComplete": True, "Data": {"Note": "x" * 5000}}
        ),
        waiter=Waiter(interval_seconds=60, max_attempts=5),
        wait=lambda seconds: None,
    )

    # WHEN it plays a request of any type
    request = {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/privacy/6f1e2a40",
        "RequestId": "5d3c1f0e-0000-4000-8000-000000000001",
        "LogicalResourceId": "GdprDeletionJob1A2B3C4D",
        "ResourceType": "Custom::PersonalizeDataDeletionJob",
        "ResourceProperties": {},
    }
    if request_type != "Create":
        request["PhysicalResourceId"] = PHYSICAL_ID
    if request_type == "Update":
        request["OldResourceProperties"] = {}
    played = framework.handle(request)

    # THEN CloudFormation would refuse the body, and the emulation does not call it a success
    assert played.response.status == "SUCCESS"
    assert played.response.size == 5289
    assert played.response.size > RESPONSE_LIMIT_BYTES
    assert not played.succeeded, (
        f"a {played.response.size}-byte answer is reported as a success; CloudFormation "
        f"fails a custom resource whose response exceeds {RESPONSE_LIMIT_BYTES} bytes"
    )
    # AND the rehearsal's report says it failed, and why
    assert shown_status(played) == "FAILED (SUCCESS answer of 5289 bytes, too long)"
    assert failure_reason(played) == (
        "the framework's response is 5289 bytes, over CloudFormation's 4096-byte limit for a "
        "custom resource response: CloudFormation would not accept it, so the resource fails "
        "without this reason"
    )
