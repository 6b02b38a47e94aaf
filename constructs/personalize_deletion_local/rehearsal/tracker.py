"""The tracker's part of a rehearsal: what happens after ``cdk deploy`` has returned.

The synthesized tracker state machine is registered in moto's Step Functions (so the packaged
handler's hand-off really calls ``StartExecution`` there, with moto's idempotency rules), the
app's EventBridge rules are registered in moto's EventBridge with a queue behind each, and every
execution the deployment started is then run from its recorded input with the real definition
(``tracker_run``), on the rehearsal's simulated clock, against the Personalize double.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..asl.tracker_run import TrackerRun, substitute

EVENT_SOURCE = "personalize-data-deletion"
EVENT_DETAIL_TYPE = "Personalize Data Deletion Job State Change"
"""As the runtime publishes them (the rehearsal loads the packaged runtime separately, so the
names are repeated here; the rehearsal test fails if they drift)."""

SUBSTITUTION = "TrackerFunctionArn"


@dataclass
class Tracker:
    """The stack's tracker as synthesized, resolved in the simulated account."""

    logical_id: str
    arn: str
    role_arn: str
    function_arn: str
    definition: dict[str, Any]


class ClockView:
    """The rehearsal clock as the interpreter's ``Clock`` (``now()`` / ``advance()``)."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


def find_tracker(template: dict[str, Any], resolve: Callable[[Any], Any]) -> Tracker | None:
    """The state machine whose definition calls the tracker function, if the stack has one."""
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        substitutions = properties.get("DefinitionSubstitutions", {})
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        if SUBSTITUTION not in substitutions:
            continue
        values = {name: str(resolve(value)) for name, value in substitutions.items()}
        return Tracker(
            logical_id=logical_id,
            arn=str(resolve({"Ref": logical_id})),
            role_arn=str(resolve(properties["RoleArn"])),
            function_arn=values[SUBSTITUTION],
            definition=substitute(properties["DefinitionString"], values),
        )
    return None


def register(tracker: Tracker, stepfunctions: Any) -> None:
    """Create the state machine in moto under the name its synthesized ARN carries."""
    stepfunctions.create_state_machine(
        name=tracker.arn.rsplit(":", 1)[1],
        definition=json.dumps(tracker.definition),
        roleArn=tracker.role_arn,
    )


EVERY_JOB_EVENT = "(every event of the handlers)"
"""The rehearsal's own rule, beside the app's: it shows each event whether a rule wants it."""


def register_rules(
    template: dict[str, Any],
    resolve: Callable[[Any], Any],
    events: Any,
    sqs: Any,
    prefix: str = "rehearsal",
) -> dict[str, str]:
    """The app's ``AWS::Events::Rule`` resources and the rehearsal's own catch-all rule, each
    with an SQS queue behind it in moto; rule -> queue URL. ``prefix`` keeps the names of
    one stack's rules and queues apart from another's."""
    patterns = {EVERY_JOB_EVENT: {"source": [EVENT_SOURCE]}}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Events::Rule":
            patterns[logical_id] = resolve(resource["Properties"]["EventPattern"])
    queues = {}
    for index, (rule, pattern) in enumerate(patterns.items()):
        name = f"{prefix}-rule-{index}"[-80:]
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "rehearsal", "Arn": arn}])
        queues[rule] = url
    return queues


def delivered(queues: dict[str, str], sqs: Any) -> list[tuple[dict[str, Any], list[str]]]:
    """Every job event published since the last call, with the app rules that matched it."""
    matched: dict[str, list[str]] = {}
    for rule, url in queues.items():
        if rule != EVERY_JOB_EVENT:
            for event in drain(sqs, url):
                matched.setdefault(event["id"], []).append(rule)
    return [(event, matched.get(event["id"], [])) for event in drain(sqs, queues[EVERY_JOB_EVENT])]


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every event waiting in a queue, oldest first; the queue is empty afterwards."""
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def follow_all(
    tracker: Tracker,
    *,
    step: Callable[[Any], Any],
    stepfunctions: Any,
    personalize: Any,
    clock: Any,
    out: Callable[[str], None],
) -> list[Any]:
    """Run every execution the deployment started, to its end; print what each one did."""
    pages = stepfunctions.list_executions(stateMachineArn=tracker.arn, statusFilter="RUNNING")
    results = []
    for execution in sorted(pages["executions"], key=lambda e: e["name"]):
        description = stepfunctions.describe_execution(executionArn=execution["executionArn"])
        run = TrackerRun(
            definition=tracker.definition,
            state_machine_arn=tracker.arn,
            functions={tracker.function_arn: step},
            clients={"personalize": personalize},
            clock=ClockView(clock),
        )
        out(f"  [{execution['name']}] tracker execution started by the deployment")
        result = run.execute(execution["name"], json.loads(description["input"]))
        _print_run(execution["name"], result, out)
        results.append(result)
    return results


def _print_run(name: str, result: Any, out: Callable[[str], None]) -> None:
    start = result.started_at
    last = None
    reads = 0
    for visit in result.visits:
        if visit.state == "ReadStatus" and visit.output is not None:
            reads += 1
            status = visit.output["seen"]["status"]
            if status != last:
                out(f"  [{name}] {_elapsed(visit.entered_at - start):>8} status read: {status}")
                last = status
        elif visit.state in ("Submit", "Finish", "GiveUp"):
            out(f"  [{name}] {_elapsed(visit.entered_at - start):>8} {_step_outcome(visit)}")
    steps = sum(1 for visit in result.visits if visit.state in ("Submit", "Finish", "GiveUp"))
    out(
        f"  [{name}] execution {result.status} after {_elapsed(result.stopped_at - start)} "
        f"simulated: {reads} status reads, {result.transitions} state transitions, "
        f"{steps} Lambda step(s)" + (f"; {result.error}: {result.cause}" if result.error else "")
    )


def _step_outcome(visit: Any) -> str:
    """One line for a Lambda step: what it decided, read from the state it returned."""
    state = visit.output or {}
    if visit.error:
        return f"{visit.state}: error {visit.error}"
    if visit.state == "Submit":
        if state.get("job", {}).get("arn"):
            return "Submit: Personalize accepted the job"
        return f"Submit: still blocked ({state.get('tracking', {}).get('blockedBy')})"
    outcome = state.get("outcome", {})
    if visit.state == "Finish":
        return f"Finish: {outcome.get('status')}, receipt {outcome.get('receiptUri')}"
    return f"GiveUp: {outcome.get('status')}: {outcome.get('cause')}"


def _elapsed(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"t+{hours}h{rest // 60:02d}m"
