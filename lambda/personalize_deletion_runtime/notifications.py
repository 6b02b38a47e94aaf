"""How the outcome of a job reaches people: one EventBridge event and one CloudWatch metric.

Personalize publishes no state-change events for data deletion jobs, so whichever path sees a
job end (the deployment, the tracker, a later adoption) publishes ours, on the default bus:
``source`` :data:`EVENT_SOURCE` (custom sources must not start with ``aws.``), ``detail-type``
:data:`EVENT_DETAIL_TYPE`, a detail of names, ARNs, counts and times, never a user id. Every
detail names the request's construct (:data:`SCOPE_FIELD`), which is what a construct's rules
match on: job name prefixes may be shared by, or nest between, constructs of one stack.

Metrics go out in CloudWatch's embedded metric format: one JSON line on standard output, which
Lambda sends to the function's log group as plain text even with JSON logging, and CloudWatch
Logs turns into a metric. No IAM permission is needed and nothing is lost when the process
ends, unlike buffered ``PutMetricData`` calls. The construct's alarms read the same names.

This module is imported by the construct at synth time too, so names are written once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

EVENT_SOURCE = "personalize-data-deletion"
EVENT_DETAIL_TYPE = "Personalize Data Deletion Job State Change"
MODELS_DETAIL_TYPE = "Personalize Data Deletion Models Retrained"
"""The second event: how the retraining after a COMPLETED job ended (opt-in)."""
SCOPE_FIELD = "scope"
"""The detail field naming the request's ``PersonalizeDataDeletion`` construct: its path in the
stack, the request's ``Scope`` property. Absent when the request names none (properties written
before requests named their construct, still sent by rollbacks and trackers started then)."""
METRIC_NAMESPACE = "PersonalizeDataDeletion"
METRIC_DIMENSION = "StackName"
JOBS_COMPLETED = "JobsCompleted"
JOBS_FAILED = "JobsFailed"
JOBS_STUCK = "JobsStuck"
RETRAINED = "RETRAINED"
RETRAINING_FAILED = "RETRAINING_FAILED"
RETRAINING_STUCK = "RETRAINING_STUCK"
NOT_RETRAINED = "NOT_RETRAINED"
RETRAINING_OUTCOMES = (RETRAINED, RETRAINING_FAILED, RETRAINING_STUCK, NOT_RETRAINED)
"""The ``status`` of a "models retrained" event: every model retrained (campaigns updated), one
failed, the tracker gave up waiting, or nothing was retrained because the follow-up job the
retraining waits for never ended (the receipt's ``caveat`` says why)."""
MODELS_RETRAINED = "ModelsRetrained"
MODELS_NOT_RETRAINED = "ModelsNotRetrained"
STUCK = "STUCK"
"""Event status: the tracker gave up before Personalize reported an end."""
NOT_STARTED = "NOT_STARTED"
"""Event status: Personalize refused the queued request for good; no job exists."""
MAX_REASON_CHARS = 2_000
"""Failure reasons in events are cut here (EventBridge entries are capped at 256 KB; the
receipt keeps the whole text)."""


class EventsClient(Protocol):
    """The subset of boto3's EventBridge client used here."""

    def put_events(self, **kwargs: Any) -> dict[str, Any]: ...


class NotificationError(RuntimeError):
    """EventBridge did not accept the event (the caller retries; it is never silently lost)."""


class Notifier:
    """Publishes job events and counts outcomes."""

    def __init__(
        self, client: EventsClient, write: Callable[[str], Any] = sys.stdout.write
    ) -> None:
        self.client = client
        self.write = write

    def publish(self, detail: Mapping[str, Any], detail_type: str = EVENT_DETAIL_TYPE) -> None:
        """Put one event on the default bus; raise if EventBridge did not take it."""
        response = self.client.put_events(
            Entries=[
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, sort_keys=True),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            entry = (response.get("Entries") or [{}])[0]
            raise NotificationError(
                f"EventBridge refused the {detail.get('status')} event of job "
                f"{detail.get('jobName')}: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
            )

    def count(self, metric: str, stack_name: str, timestamp_ms: int) -> None:
        """One embedded-metric-format record: ``metric`` = 1 for this stack."""
        record = {
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": METRIC_NAMESPACE,
                        "Dimensions": [[METRIC_DIMENSION]],
                        "Metrics": [{"Name": metric, "Unit": "Count"}],
                    }
                ],
            },
            METRIC_DIMENSION: stack_name,
            metric: 1,
        }
        self.write(json.dumps(record, sort_keys=True) + "\n")


def scope_field(scope_id: str | None) -> dict[str, str]:
    """The detail's :data:`SCOPE_FIELD`, or nothing for a request that names no construct."""
    return {} if scope_id is None else {SCOPE_FIELD: scope_id}


def stack_name(stack_id: str) -> str:
    """The name in ``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>``."""
    parts = stack_id.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("stack/"):
        return parts[5].split("/")[1]
    return stack_id


def bounded_reason(reason: str | None) -> str | None:
    """A failure reason short enough for an event, saying where the whole text is."""
    if reason is None or len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[:MAX_REASON_CHARS] + "... (cut; the receipt has the whole text)"
