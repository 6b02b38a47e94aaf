"""The phases of a rehearsal across every stack of the app, in CloudFormation's order.

1. **Create**, stack by stack in dependency order (a stack's nested stacks with it): every
   request through the Provider framework emulation; if one fails, the stack rolls back: each
   request created gets the Delete CloudFormation sends (the framework answers a failed
   create's itself), and stacks that depend on it are not deployed.
2. **After the deployment**: the tracker runs every execution the deployment started.
3. **Update** with unchanged properties: no new job.
4. **Delete**, in reverse order: nothing is removed from Personalize.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3
from personalize_deletion_runtime.layout import STAGING_PREFIX, staged_key

from ..provider_framework import Played
from .assembly import Assembly, Template
from .report import (
    call_counts,
    failure_lines,
    failure_reason,
    models_summary,
    oversize,
    print_events,
    print_receipts,
    shown_status,
    summary,
    verdict,
)
from .resolver import Resolver
from .stack_run import (
    FAILED,
    NOT_DEPLOYED,
    PASSED,
    RESOURCE_TYPE,
    ROLLED_BACK,
    UNSUPPORTED,
    Request,
    StackRun,
    prepare,
    publish_file_assets,
    tombstoned,
)
from .tracker import follow_all
from .world import Out, World


@dataclass
class Options:
    """What the command line chose."""

    scenario: str
    request_scenarios: dict[str, str] = field(default_factory=dict)
    show_receipts: bool = False


class Rehearsal:
    """Every stack of an assembly through the phases; :meth:`run` returns the exit status."""

    def __init__(self, assembly: Assembly, world: World, options: Options, out: Out) -> None:
        self.assembly = assembly
        self.world = world
        self.options = options
        self.out = out
        self.runs: list[StackRun] = []
        self.exports: dict[str, Any] = {}
        self.shown: set[str] = set()

    def run(self) -> int:
        unknown = set(self.options.request_scenarios) - self._request_names()
        for name in sorted(unknown):
            self.assembly.unreadable.append(f"--request-scenario {name}: no request has that name")
        for stack in self.assembly.stacks:
            self._deploy(stack)
        deployed = [run for run in self.runs if run.playable]
        for run in deployed:
            self._after_deployment(run)
        for run in deployed:
            self._update(run)
        for run in reversed(deployed):
            self._delete(run)
        return verdict(self.runs, self.assembly.unreadable, self.out)

    def _request_names(self) -> set[str]:
        return {
            str(resource.get("Properties", {}).get("RequestName"))
            for stack in self.assembly.stacks
            for template in stack.walk()
            for resource in template.resources.values()
            if resource.get("Type") == RESOURCE_TYPE
        }

    # ------------------------------------------------------------------------ create

    def _deploy(self, stack: Template) -> None:
        out = self.out
        failed_dependencies = [
            run.template.display
            for run in self.runs
            if run.template.artifact_id in stack.dependencies
            and run.status in (FAILED, NOT_DEPLOYED)
        ]
        if failed_dependencies:
            for template in stack.walk():
                run = StackRun(template, NOT_DEPLOYED)
                run.notes.append(f"depends on {', '.join(failed_dependencies)}, which failed")
                self.runs.append(run)
            return
        where = f"account {stack.account}, region {stack.region}"
        out(f"\n=== CREATE: stack {stack.display} ({where}) ===")
        with self.world.environment(stack.account, stack.region):
            s3 = boto3.client("s3")
            published = publish_file_assets(stack, Resolver(stack), s3)
            out(f"published {len(published)} file asset(s) to the CDK assets bucket")
            runs: list[StackRun] = []
            for template in stack.walk():
                parent = next((r for r in runs if r.template is template.parent), None)
                runs.append(
                    prepare(
                        template,
                        self.world,
                        parent=parent,
                        exports=self.exports,
                        request_scenarios=self.options.request_scenarios,
                        out=out,
                    )
                )
            runs[0].published = published
            for run in runs:
                for note in run.notes if run.status == UNSUPPORTED else ():
                    out(f"  unsupported: {run.template.display}: {note}")
            for run in runs:
                if run.playable:
                    self._create(run, s3)
            if any(run.status == FAILED for run in runs):
                self._roll_back(runs)
            else:
                self._collect_exports(runs)
        self.runs.extend(runs)

    def _create(self, run: StackRun, s3: Any) -> None:
        out, template = self.out, run.template
        if template.parent is not None:
            out(f"\n--- nested stack {template.display} ---")
        provider = run.requests[0].provider
        out(
            f"handler code: {provider.runtime.directory.name}/personalize_deletion_runtime "
            f"(packaged); provider: isComplete every {provider.waiter.interval_seconds:g}s, up to "
            f"{provider.waiter.max_attempts} retries; HANDLER_DEADLINE_SECONDS="
            f"{provider.deadline_seconds}"
        )
        if run.tracker is not None:
            out(f"tracker: {run.tracker.arn} (registered in moto, run by the local interpreter)")
        for request in run.requests:
            out(f"  [{request.path}] Create {request.name}")
            calls_before = len(run.double.calls)
            request.created, request.elapsed = self._play(run, request, "Create")
            calls = call_counts(run.double.calls[calls_before:])
            out(f"  [{request.path}] Personalize calls: {calls}")
        for request in run.requests:
            assert request.created is not None
            out(self._outcome(request, "Create", request.created, request.elapsed))
        self._show(summary(run, s3, out, title="when cdk deploy returns"))
        print_events(run, boto3.client("sqs"), out)
        failures = [r for r in run.requests if r.created is not None and not r.created.succeeded]
        for request in run.requests:
            assert request.created is not None
            note = oversize(request.created)
            if note is not None:
                run.fail(f"{request.path}: {note}")
        if failures:
            run.fail(f"{len(failures)} of {len(run.requests)} request(s) failed: CREATE_FAILED")
            out("\nDEPLOYMENT WOULD FAIL (CREATE_FAILED, the stack rolls back):")
            for request in failures:
                assert request.created is not None
                for line in failure_lines(request, request.created):
                    out(line)

    def _roll_back(self, runs: list[StackRun]) -> None:
        """CloudFormation's rollback: Delete for every request this stack created."""
        self.out(f"\n--- ROLLBACK of stack {runs[0].template.display} ---")
        for run in reversed(runs):
            if run.status == PASSED and run.requests:
                run.status = ROLLED_BACK
                run.notes.append(f"rolled back with stack {runs[0].template.display}")
            for request in reversed(run.requests):
                if request.created is None:
                    continue
                physical_id = request.created.response.physical_id
                played, elapsed = self._play(run, request, "Delete", physical_id=physical_id)
                self.out(self._outcome(request, "Delete (rollback)", played, elapsed))
                if request.created.succeeded:
                    status = (request.created.response.data or {}).get("Status", "started")
                    self.out(
                        f"    its job {physical_id} ({status}) is not undone: Personalize "
                        "cannot restore deleted users, and a running job goes on"
                    )

    def _collect_exports(self, runs: list[StackRun]) -> None:
        for run in runs:
            if run.resolver is None:
                continue
            for output in run.template.body.get("Outputs", {}).values():
                name = output.get("Export", {}).get("Name")
                if name is not None:
                    self.exports[str(run.resolver.resolve(name))] = run.resolver.resolve(
                        output["Value"]
                    )

    # ------------------------------------------------------------------ later phases

    def _after_deployment(self, run: StackRun) -> None:
        if run.tracker is None:
            return
        out = self.out
        out(
            f"\n--- AFTER THE DEPLOYMENT: {run.template.display} "
            "(the tracker follows handed-off jobs) ---"
        )
        with self.world.environment(run.template.account, run.template.region):
            provider = run.requests[0].provider
            client_config = provider.runtime.handlers.CLIENT_CONFIG
            results = follow_all(
                run.tracker,
                step=lambda event: provider.runtime.tracker_steps.run(
                    event, provider.step_services
                ),
                stepfunctions=boto3.client("stepfunctions"),
                personalize=boto3.client("personalize", config=client_config),
                clock=run.clock,
                out=out,
            )
            if not results:
                out("  nothing was handed off: every job ended while the deployment waited")
            print_events(run, boto3.client("sqs"), out)
            ended = {r.output.get("outcome", {}).get("status") for r in results if r.output}
            run.unconfirmed = sum(1 for r in results if r.status != "SUCCEEDED") + (
                "FAILED" in ended
            )
            if results:
                s3 = boto3.client("s3")
                self._show(summary(run, s3, out, title="recorded", from_receipts=True))
                self._show(models_summary(run, s3, out))
        if run.metrics:
            counts = ", ".join(f"{name} {count}" for name, count in sorted(run.metrics.items()))
            out(f"\nmetrics: {counts}")
        if run.unconfirmed:
            run.fail(
                f"the deployment would succeed, but {run.unconfirmed} deletion job(s) did not "
                "end COMPLETED (see the tracker's output and events above)"
            )

    def _update(self, run: StackRun) -> None:
        out = self.out
        out(f"\n--- UPDATE (same properties): {run.template.display} ---")
        with self.world.environment(run.template.account, run.template.region):
            jobs_before, calls_before = len(run.double.jobs), len(run.double.calls)
            for request in run.requests:
                assert request.created is not None
                old = request.created.response.physical_id
                played, _ = self._play(
                    run, request, "Update", physical_id=old, old=request.properties
                )
                new = played.response.physical_id
                change = "unchanged" if new == old else "CHANGED (replacement)"
                out(
                    f"  [{request.path}] Update -> {shown_status(played)}; physical id "
                    f"{change}: {new}"
                )
                if not played.succeeded:
                    out(f"    {failure_reason(played)}")
                    run.fail(f"{request.path}: Update failed")
            update_calls = run.double.calls[calls_before:]
            creates = [c for c in update_calls if c.operation == "CreateDataDeletionJob"]
            accepted = [c for c in creates if c.error_code is None]
            out(
                f"  Personalize jobs: {jobs_before} before, {len(run.double.jobs)} after "
                f"({len(run.double.jobs) - jobs_before} new); CreateDataDeletionJob calls: "
                f"{len(creates)} ({len(accepted)} accepted); all calls during Update: "
                + call_counts(update_calls)
            )

    def _delete(self, run: StackRun) -> None:
        out = self.out
        out(f"\n--- DELETE (stack deletion): {run.template.display} ---")
        with self.world.environment(run.template.account, run.template.region):
            calls_before = len(run.double.calls)
            for request in run.requests:
                assert request.created is not None
                physical_id = request.created.response.physical_id
                played, elapsed = self._play(run, request, "Delete", physical_id=physical_id)
                out(self._outcome(request, "Delete", played, elapsed))
                if not played.succeeded:
                    out(f"    {failure_reason(played)}")
                    run.fail(f"{request.path}: Delete failed")
            out(f"  Personalize calls during Delete: {len(run.double.calls) - calls_before}")
            s3 = boto3.client("s3")
            buckets = sorted({str(r.handled.get("Bucket")) for r in run.requests})
            receipts = _keys(s3, buckets, "receipts/")
            staging = _keys(s3, buckets, "staging/")
            lists = [key for key in staging if key.endswith(STAGED_LIST_SUFFIX)]
            out(f"  receipts kept in the deletion bucket: {len(receipts)}")
            out(f"  staged lists left in the deletion bucket: {len(lists)}")
            # Cancellation markers and declarer keys of queued requests, and a poll's record of
            # the job it submitted (deleted at the job's end): no ids, expired by the staging
            # lifecycle rule; counted apart so that they never pass for lists.
            out(f"  other objects under staging/ (markers, no ids): {len(staging) - len(lists)}")
            if run.published:
                lists = [u for u in run.published if u.endswith(".csv") and not tombstoned(s3, u)]
                out(f"  lists left in the CDK assets bucket: {len(lists)}")

    # ----------------------------------------------------------------------- helpers

    def _play(
        self,
        run: StackRun,
        request: Request,
        request_type: str,
        *,
        physical_id: str | None = None,
        old: dict[str, Any] | None = None,
    ) -> tuple[Played, float]:
        """One CloudFormation request through the framework; progress on status changes."""
        assert run.resolver is not None and run.clock is not None
        clock = run.clock  # narrowed, for the closure below
        started = clock.now
        seen: list[str] = []

        def on_poll(attempt: int, event: dict[str, Any], answer: Any) -> None:
            payload = answer.payload if isinstance(answer.payload, dict) else {}
            job = str(event.get("PhysicalResourceId", ""))
            status = (payload.get("Data") or {}).get("Status") or (
                run.double.jobs[job].status if job in run.double.jobs else None
            )
            if status and (not seen or seen[-1] != status) and request_type != "Delete":
                seen.append(status)
                self.out(
                    f"  [{request.path}] t+{clock.now - started:>6.0f}s poll {attempt:>2}: {status}"
                )

        request.provider.framework.on_poll = on_poll
        event = cfn_request(run.resolver, request, request_type, physical_id, old)
        played = request.provider.framework.handle(event)
        return played, clock.now - started

    def _outcome(self, request: Request, operation: str, played: Played, elapsed: float) -> str:
        from .report import outcome_line

        return outcome_line(request, operation, played, elapsed)

    def _show(self, receipts: list[tuple[str, dict[str, Any]]]) -> None:
        if self.options.show_receipts:
            print_receipts(receipts, self.shown, self.out)


def cfn_request(
    resolver: Resolver,
    request: Request,
    request_type: str,
    physical_id: str | None,
    old: dict[str, Any] | None,
) -> dict[str, Any]:
    """A CloudFormation custom resource request, as the framework's onEvent receives it."""
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": request.properties.get("ServiceToken", ""),
        "ResponseURL": (
            f"https://cloudformation-custom-resource-response-{resolver.region}"
            f".s3.amazonaws.com/rehearsal/{request_id}"
        ),
        "StackId": resolver.stack_id,
        "RequestId": request_id,
        "LogicalResourceId": request.logical_id,
        "ResourceType": RESOURCE_TYPE,
        "ResourceProperties": request.properties,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old is not None:
        event["OldResourceProperties"] = old
    return event


STAGED_LIST_SUFFIX = staged_key("job").removeprefix(f"{STAGING_PREFIX}job")
"""How a staged list's key ends (``layout.staged_key``: ``staging/<job>/users.csv``)."""


def _keys(s3: Any, buckets: list[str], prefix: str) -> list[str]:
    """Every key under ``prefix`` in ``buckets`` (all pages)."""
    keys: list[str] = []
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", [])]
    return keys
