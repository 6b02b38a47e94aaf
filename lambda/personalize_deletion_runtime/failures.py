"""The one exception that fails a custom resource, with a reason CloudFormation will show.

CloudFormation takes at most 4096 bytes of response, and the Provider framework adds
``Error:``, a ``Logs:`` line and stack frames (about 750 bytes) to the message: a longer reason
would leave the user with none at all, so every reason is bounded here.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from . import submission_record
from .notifications import NotificationError
from .properties import DeletionRequest
from .services import Services
from .staging import delete_every_version

LOGGER = logging.getLogger(__name__)
MAX_REASON_BYTES = 2_600
"""Our part of a failure reason; the framework's ~750 bytes and the response's other fields
must fit in CloudFormation's 4096."""
BOOKKEEPING_FAULTS = (ClientError, BotoCoreError, NotificationError)
"""S3, EventBridge and network faults while writing things down (never a deletion's fault)."""


class DeletionFailed(RuntimeError):
    """The resource must fail; the message (bounded) is the CloudFormation reason."""

    def __init__(self, message: str) -> None:
        super().__init__(bounded(message, MAX_REASON_BYTES))


def bounded(text: str, limit: int, more: str = "... (cut)") -> str:
    """``text`` cut to at most ``limit`` bytes as the framework's JSON response carries it
    (UTF-8, with a quote or backslash taking 2 bytes and a control character 2 or 6), ``more``
    saying so: a reason of control characters (a quoted S3 key may hold them) would otherwise
    grow up to six times past CloudFormation's limit."""
    sizes = [_response_bytes(char) for char in text]
    if sum(sizes) <= limit:
        return text
    budget, kept = limit - sum(_response_bytes(char) for char in more), 0
    for size in sizes:
        budget -= size
        if budget < 0:
            break
        kept += 1
    return text[:kept] + more


def _response_bytes(char: str) -> int:
    """Bytes of ``char`` in a JSON string as JavaScript's ``JSON.stringify`` writes it."""
    if char in '"\\\b\f\n\r\t':
        return 2
    if char < " " or "\ud800" <= char <= "\udfff":  # a lone surrogate is escaped too
        return 6
    return len(char.encode())


def forget_copies(
    request: DeletionRequest,
    job_name: str,
    services: Services,
    source_version_id: str | None = None,
    *,
    purge_staged: bool = True,
) -> None:
    """Delete the copies of a list no job will read (a refused or abandoned submission, which
    fails its resource): the staged list, and the version of a local list's CDK asset it was
    read from (``source_version_id``, in a versioned assets bucket as CDK bootstraps it).

    The asset gets no tombstone: a deployment that declares the request again finds its key
    missing and uploads the list again. Nothing is deleted while a tracker execution of this
    stack follows the job (another resource of the same job name queued it: a changed logical
    id; another stack's tracker is not seen, and ``submission.resubmit`` creates no job from a
    list that is gone), and an asset is deleted only at its job's own key (one named by a
    hash serves every job of its request and list). A deletion that fails is logged; the
    staged list then expires by the bucket's lifecycle rule, the asset stays (the README says
    how to remove it). ``purge_staged=False``: the staged list is gone already (a versioned
    bucket's, deleted by its version: a purge there would only add a delete marker).
    """
    if services.tracker is not None and services.tracker.following(job_name):
        LOGGER.info("list kept: a tracker execution follows its job", extra={"job_name": job_name})
        return
    if purge_staged:
        # A poll's record of a submission: none is expected (the event fails without a job),
        # but one left by an earlier event must not outlive the list it was beside. (Not in a
        # versioned bucket, where deleting a missing key would add a delete marker.)
        submission_record.remove(request.bucket, job_name, services)
    if request.purge_staged_input and purge_staged:
        try:
            services.storage.purge(request.bucket, job_name)
        except BOOKKEEPING_FAULTS as exc:  # the lifecycle rule expires it; the reason stays ours
            LOGGER.warning(
                "staged list not purged; the bucket's lifecycle rule will expire it",
                extra={"job_name": job_name, "error": str(exc)},
            )
    forget_asset_version(request, job_name, services, source_version_id)


def forget_asset_version(
    request: DeletionRequest, job_name: str, services: Services, source_version_id: str | None
) -> bool:
    """Delete the version ``source_version_id`` of a local list's CDK asset, read for
    ``job_name``, which no job will read; ``True`` if deleted. Only at the job's own key (one
    named by a hash serves every job of its request and list) and only a version that was read
    (in an unversioned bucket the ids are the key itself, whose deletion the roles may not do);
    a deletion that fails is logged."""
    source = request.source
    if not (
        source.asset
        and source.key is not None
        and source.key.endswith(f"{job_name}.csv")
        and isinstance(source_version_id, str)
    ):
        return False
    try:
        services.storage.forget_asset(source.bucket, source.key, source_version_id)
    except BOOKKEEPING_FAULTS as exc:
        LOGGER.warning(
            "asset version of a list no job will read not deleted",
            extra={"job_name": job_name, "error": str(exc)},
        )
        return False
    return True


def forget_asset_of_cancelled(
    request: DeletionRequest,
    job_name: str,
    services: Services,
    source_version_id: str | None,
    follow_up: bool,
) -> str:
    """Delete the asset version a cancelled request read (:func:`forget_asset_version`; no
    resource declares the request any more, and one that declares it again has the CLI upload
    the list again); return what the cause adds about that copy: that it is deleted, or where
    it stays and that it must be deleted by hand. Nothing for a list of the user's own, nor for
    a follow-up: its asset is the first job's, removed when that job ended."""
    source = request.source
    if follow_up or not (source.asset and source.key):
        return ""
    where = f"s3://{source.bucket}/{source.key}"
    if forget_asset_version(request, job_name, services, source_version_id):
        return f"; the version of its copy in the CDK assets bucket ({where}) is deleted too"
    return (
        "; its copy in the CDK assets bucket stays, and nothing removes it: unless another "
        f"request still reads it, {delete_every_version(source.bucket, source.key)}"
    )
