"""What a Delete, and an Update that rolls a cancelled event back, cancel: which jobs a
resource's events may have left to be submitted later, and which follow-up job a resource
declares (see :mod:`.cancellation` for the marker, the declarer keys and the submit step's
side).

Apart from the marker's mechanics because here the question is *which* jobs: the one the
properties name, its follow-up whatever ``FollowUp`` says now, and, for an event CloudFormation
cancelled and never answered, every job its resource is recorded as declaring. Both entry
points never raise: Delete must not fail the stack, and a rollback's Update must not fail for
bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from . import cancellation, superseded
from .cfn_events import event_request_type
from .failures import BOOKKEEPING_FAULTS
from .layout import STAGING_PREFIX
from .properties import DeletionRequest, PropertyError
from .request_rules import compose_job_name, follow_up_job_name, is_job_of
from .services import Services

LOGGER = logging.getLogger(__name__)


def on_delete(
    properties: Any, physical_id: str, event: Mapping[str, Any], services: Services
) -> None:
    """Delete: cancel the resource's job, should it be a request not submitted yet. Never
    raises (Delete must not fail the stack); properties it cannot read cancel nothing."""
    try:
        request = services.scopes.request(properties if isinstance(properties, Mapping) else {})
    except PropertyError as exc:
        LOGGER.warning("delete: nothing cancelled", extra={"error": str(exc)})
        return
    if is_job_of(request.job_name_prefix, request.request_name, physical_id):
        cancellation.cancel(request.bucket, physical_id, event, services)
        # Its follow-up, queued with the tracker once the first job ended, whatever this
        # Delete's FollowUp says: the execution that submits it follows the properties of its
        # hand-off, which an Update turning FollowUp off did not change (none staged: one
        # listing). Its own key goes; one another resource still declares is kept (a renamed
        # construct, a rename rolled back: see :func:`on_complete`).
        cancellation.cancel(request.bucket, follow_up_job_name(physical_id), event, services)
        return
    if physical_id == cancellation.FRAMEWORK_CREATE_FAILED:
        # onEvent failed: no waiter, nothing declared
        return
    # An id CloudFormation generated: the Create it cancelled never answered, and its waiter
    # may poll on. Cancel what that Create named.
    for job_name in sorted(_named_jobs(request, event, services)):
        cancellation.cancel(request.bucket, job_name, event, services)


def on_complete(request: DeletionRequest, waiter: superseded.Waiter, services: Services) -> None:
    """A Create or Update succeeded with job ``job_name`` (created, adopted, recorded or handed
    to the tracker): its resource declares that job's follow-up (the tracker queues it once
    the job ended, should imports or trainings have run during it) while its ``FollowUp`` is
    on, as a resource declares a queued first job, so that the Delete of another resource
    declaring the same request (a renamed construct, a rename rolled back, a second stack)
    cancels nothing this one still declares. An Update with ``FollowUp`` off removes its key:
    its Delete then cancels a follow-up the tracker would still submit (it follows its
    hand-off's properties), unless another resource declares it. Never withdraws a marker:
    a follow-up a Delete cancelled stays cancelled (a missed follow-up is reported and can be
    run again; an undeclared deletion cannot be undone), and a waiter whose own resource was
    deleted or rolled back since its event began (:mod:`.superseded`) declares nothing: its
    key would keep alive a follow-up the stack no longer declares (a marker it cannot read:
    nothing either). Faults are logged, never raised."""
    event, follow_up = waiter.event, follow_up_job_name(waiter.job_name)
    if request.follow_up:
        try:
            superseded.check(waiter, services)
        except (superseded.Superseded, *BOOKKEEPING_FAULTS) as exc:
            LOGGER.warning(
                "the resource is not recorded as declaring the follow-up: its event was "
                "cancelled, or whether it was could not be read",
                extra={"job_name": follow_up, "error": str(exc)},
            )
            return
        cancellation.declare(request.bucket, follow_up, event, services, withdrawing=False)
    elif event_request_type(event) == "Update":
        cancellation.undeclare(request.bucket, follow_up, event, services)


def forsake(
    request: DeletionRequest,
    old_properties: Mapping[str, Any] | None,
    event: Mapping[str, Any],
    keep: set[str],
    services: Services,
) -> None:
    """An Update of a resource that declares jobs besides ``keep`` (its physical id and the
    job the Update declares): they were declared by an event of it CloudFormation cancelled
    (CloudFormation sends no event to a resource while one is in progress), whose waiter may
    poll on; this Update is its rollback (``OldResourceProperties``: the cancelled event's,
    whose request name is looked under too), never followed by a Delete of that job:
    CloudFormation never learned its name. Cancel them as a Delete would (never raises)."""
    keep = keep | {follow_up_job_name(job_name) for job_name in keep}  # declared with them
    requests = {(request.bucket, request.job_name_prefix, request.request_name): request}
    try:
        old = services.scopes.request(old_properties or {})
        requests.setdefault((old.bucket, old.job_name_prefix, old.request_name), old)
    except PropertyError:
        pass  # the old properties are not served here: only the current request's jobs
    for each in requests.values():
        for job_name in sorted(_named_jobs(each, event, services) - keep):
            LOGGER.info(
                "update: a cancelled event's job is cancelled", extra={"job_name": job_name}
            )
            cancellation.cancel(each.bucket, job_name, event, services)


def _named_jobs(request: DeletionRequest, event: Mapping[str, Any], services: Services) -> set[str]:
    """The jobs an event of the resource under ``request``'s properties may have polled for:
    the one they name when they hold the list's hash (``ContentSha256``: the job is known
    without reading the list, even before a poll declared it), and every job of the request's
    name its resource is recorded as declaring (its polls' keys)."""
    jobs = set(_declared_jobs(request, event, services))
    if request.content_sha256 is not None:
        jobs.add(
            compose_job_name(
                request.job_name_prefix,
                request.request_name,
                request.dataset_group_arn,
                request.content_sha256,
            )
        )
    return jobs


def _declared_jobs(
    request: DeletionRequest, event: Mapping[str, Any], services: Services
) -> list[str]:
    """The jobs of the request's name the event's resource is recorded as declaring (its keys
    under ``staging/<prefix>-<request>-*/``; a listing fault is logged: none found)."""
    prefix = f"{STAGING_PREFIX}{request.job_name_prefix}-{request.request_name}-"
    digest = cancellation.declarer_key("", event).rpartition("/")[2]
    jobs: list[str] = []
    token: str | None = None
    try:
        while True:
            more: dict[str, str] = {"ContinuationToken": token} if token else {}
            page = services.storage.client.list_objects_v2(
                Bucket=request.bucket, Prefix=prefix, **more
            )
            for item in page.get("Contents", []):
                job_dir, _, rest = item["Key"][len(STAGING_PREFIX) :].partition("/")
                if rest == cancellation.DECLARED_BY + digest:
                    jobs.append(job_dir)
            token = page.get("NextContinuationToken") if page.get("IsTruncated") else None
            if not token:
                return jobs
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "the jobs this resource declared could not be listed: a waiter of its cancelled "
            "event may still submit one",
            extra={"error": str(exc)},
        )
        return jobs
