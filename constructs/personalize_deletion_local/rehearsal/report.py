"""What the rehearsal prints: progress lines, the requests' tables, events, receipts, verdicts.

Kept apart from the phases so the wording a user reads (and the tests assert) lives in one
place. Requests are named by construct path (what the user wrote), never by logical id only,
and no user id is ever printed: receipts and events carry counts and hashes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..provider_framework import CREATE_FAILED_MARKER, RESPONSE_LIMIT_BYTES, Played
from .stack_run import FAILED, PASSED, Request, StackRun
from .tracker import EVENT_DETAIL_TYPE as JOB_DETAIL_TYPE
from .tracker import delivered

Out = Callable[[str], None]

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
EXIT_UNSUPPORTED = 3


def indented(text: str, prefix: str = "    ") -> str:
    """``text`` with every line indented (blank lines left empty)."""
    return "\n".join((prefix + line).rstrip() for line in text.split("\n"))


def outcome_line(request: Request, operation: str, played: Played, elapsed: float) -> str:
    """``[path] Create -> SUCCESS after 3 isComplete poll(s), 120s simulated``."""
    status = shown_status(played)
    if played.answered_by_framework:
        return (
            f"  [{request.path}] {operation} -> {status}, answered by the Provider framework "
            f"itself (physical id {played.response.physical_id}; no handler invoked)"
        )
    return (
        f"  [{request.path}] {operation} -> {status} after {played.polls} isComplete poll(s), "
        f"{elapsed:.0f}s simulated; physical id {played.response.physical_id}"
    )


def shown_status(played: Played) -> str:
    """The answer's status as CloudFormation takes it: an answer over its size limit fails
    the resource even when it says SUCCESS."""
    if played.response.fits:
        return played.response.status
    return f"FAILED ({played.response.status} answer of {played.response.size} bytes, too long)"


def failure_reason(played: Played) -> str:
    """Why a request failed: the oversize note for an answer CloudFormation does not accept,
    else its status reason as CloudFormation shows it (verbatim)."""
    return oversize(played) or played.response.status_reason


def failure_lines(request: Request, played: Played) -> list[str]:
    """How CloudFormation would show a failed request (see :func:`failure_reason`)."""
    return [f"  {request.path} ({request.logical_id}):", indented(failure_reason(played))]


def oversize(played: Played) -> str | None:
    """A note when the framework's answer is over CloudFormation's limit."""
    if played.response.fits:
        return None
    return (
        f"the framework's response is {played.response.size} bytes, over CloudFormation's "
        f"{RESPONSE_LIMIT_BYTES}-byte limit for a custom resource response: CloudFormation "
        "would not accept it, so the resource fails without this reason"
    )


def summary(
    run: StackRun, s3: Any, out: Out, *, title: str, from_receipts: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """A table of the requests; returns ``(location, receipt)`` of the receipts found.

    ``from_receipts``: status and count as the receipts record them (after the tracker),
    else as the deployment reported them."""
    header = ("request", "job name", "status", "numDeleted", "tracked by", "receipt key")
    rows = [header]
    receipts = []
    for request in run.requests:
        played = request.created
        data = (played.response.data or {}) if played and played.succeeded else {}
        job_name = played.response.physical_id if played else "-"
        if job_name == CREATE_FAILED_MARKER:
            job_name = "-"
        receipt_key = f"receipts/{job_name}.json"
        bucket = str(request.handled.get("Bucket", ""))
        receipt = None
        with contextlib.suppress(Exception):
            receipt = json.loads(s3.get_object(Bucket=bucket, Key=receipt_key)["Body"].read())
        recorded = receipt or {}
        failed = "FAILED" if played is not None and not played.succeeded else None
        if from_receipts:
            status = recorded.get("status") or data.get("Status") or failed
            num_deleted = recorded.get("numDeleted", data.get("NumDeleted"))
        else:
            status = data.get("Status") or recorded.get("status") or failed
            num_deleted = data.get("NumDeleted") or recorded.get("numDeleted")
        rows.append(
            (
                request.name,
                job_name,
                str(status or "-"),
                "-" if num_deleted is None else str(num_deleted),
                str(data.get("TrackedBy") or "none").rsplit(":", 1)[-1],
                receipt_key if receipt is not None else "-",
            )
        )
        if receipt is not None:
            receipts.append((f"s3://{bucket}/{receipt_key}", receipt))
    _table(title, rows, out)
    return receipts


def models_summary(run: StackRun, s3: Any, out: Out) -> list[tuple[str, dict[str, Any]]]:
    """What retraining did for each job that asked for it (its models receipt), one row per
    solution: the outcome, whether the models reflect the deletion (``effectiveInModels``), the
    new version's status and what happened to each campaign serving it.
    Returns ``(location, receipt)`` of the models receipts found; prints nothing if none."""
    rows = [("request", "job name", "outcome", "effective", "solution", "new version", "campaigns")]
    receipts = []
    for request in run.requests:
        played = request.created
        job_name = played.response.physical_id if played else CREATE_FAILED_MARKER
        if job_name == CREATE_FAILED_MARKER:
            continue
        bucket = str(request.handled.get("Bucket", ""))
        key = f"receipts/{job_name}.models.json"
        receipt = None
        with contextlib.suppress(Exception):
            receipt = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        if receipt is None:
            continue
        receipts.append((f"s3://{bucket}/{key}", receipt))
        effective = str(receipt["effectiveInModels"]).lower()
        for solution in receipt["solutions"] or [{"solutionArn": "-", "status": "-"}]:
            campaigns = "; ".join(
                f"{c['campaignArn'].rsplit('/', 1)[-1]} {c['action']} ({c['status']})"
                for c in solution.get("campaigns", [])
            )
            rows.append(
                (
                    request.name,
                    job_name,
                    receipt["outcome"],
                    effective,
                    solution["solutionArn"].rsplit("/", 1)[-1],
                    str(solution["status"]),
                    campaigns or "-",
                )
            )
    if receipts:
        _table("models", rows, out)
    return receipts


def _table(title: str, rows: Sequence[tuple[str, ...]], out: Out) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out(f"\n{title}:")
    for index, row in enumerate(rows):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out(("  " + "  ".join(cells)).rstrip())
        if index == 0:
            out("  " + "  ".join("-" * width for width in widths))


def print_receipts(
    receipts: Iterable[tuple[str, dict[str, Any]]], shown: set[str], out: Out
) -> None:
    """Each receipt once (``--show-receipts``)."""
    for location, receipt in receipts:
        if location in shown:
            continue
        shown.add(location)
        out(f"\nreceipt {location}:")
        out(json.dumps(receipt, indent=2, sort_keys=True))


def print_events(run: StackRun, sqs: Any, out: Out) -> None:
    """The job events EventBridge delivered since the last call, with the app's rules."""
    for event, rules in delivered(run.queues, sqs):
        detail = event["detail"]
        out(f"\nevent on the default bus: {event['detail-type']} ({detail['status']})")
        method = (
            "on_job_state_change"
            if event["detail-type"] == JOB_DETAIL_TYPE
            else "on_models_retrained"
        )
        out(
            "  matched the app's rules: " + ", ".join(rules)
            if rules
            else f"  no rule of the app matches it (add one with {method})"
        )
        out(json.dumps(detail, indent=2, sort_keys=True))


def call_counts(calls: list[Any]) -> str:
    counts: dict[str, int] = {}
    for call in calls:
        label = call.operation + (f" ({call.error_code})" if call.error_code else "")
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{label} x{n}" for label, n in counts.items()) or "none"


def verdict(runs: list[StackRun], unreadable: list[str], out: Out) -> int:
    """One verdict across every stack; the process exit status."""
    out("\n=== VERDICT ===")
    width = max([len(run.template.display) for run in runs] + [5])
    for run in runs:
        count = f" ({len(run.requests)} request(s))" if run.requests else ""
        notes = "".join(f"\n{indented(note, ' ' * (width + 6))}" for note in run.notes)
        out(f"  {run.template.display.ljust(width)}  {run.status}{count}{notes}")
    for item in unreadable:
        out(f"  unsupported: {item}")
    failed = [run for run in runs if run.status == FAILED]
    unsupported = [run for run in runs if run.status == "unsupported"] + unreadable
    played = [run for run in runs if run.status == PASSED and run.requests]
    if failed:
        out(f"\nrehearsal FAILED: {len(failed)} of {len(runs)} stack(s) would fail")
        return EXIT_FAILED
    if unsupported:
        out(
            f"\nrehearsal unsupported: {len(unsupported)} part(s) of the app could not be "
            "rehearsed (see above); no verdict for them"
        )
        return EXIT_UNSUPPORTED
    if not played:
        out(
            "\nrehearsal unsupported: no Custom::PersonalizeDataDeletionJob resource in any of "
            f"{len(runs)} stack(s): nothing was rehearsed"
        )
        return EXIT_UNSUPPORTED
    out("\nrehearsal passed: the deployment would succeed")
    return EXIT_PASSED
