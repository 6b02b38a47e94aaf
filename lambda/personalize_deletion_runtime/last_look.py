"""The tracker's last look before it gives up a request no submit step saw accepted.

"Not started" purges the staged list and says no job was started, so it needs an answer: the
submit steps may have failed to look (throttled for hours, a lookup refused for good) or seen a
create answered with a server fault or not at all (:attr:`.personalize_api.JobSubmission.unknown`:
the job may exist). A listing can lag a create, so a job the dataset group's listing does not
show is also asked for by its ARN (as :meth:`.personalize_api.PersonalizeJobs.find` does).
"""

from __future__ import annotations

from typing import Any

from .personalize_api import JobNotFound, JobRequestRejected, TransientFault, job_arn_for
from .properties import DeletionRequest
from .services import Services
from .state import TrackedJob

CANCELLED = "DeletionCancelled"
"""``error.Error`` of a queued request whose resource CloudFormation deleted first."""
SUBMISSION_UNKNOWN = "SubmissionUnknown"
"""``error.Error`` of a request whose last submit step sent the create and got no answer saying
whether it took effect (a server fault, no answer): a job may exist."""


def submission_unknown(blocked_by: str | None) -> dict[str, Any]:
    """The ``error`` a last submit step records when its create may have taken effect."""
    return {"Error": SUBMISSION_UNKNOWN, "Cause": blocked_by or "the create got no answer"}


def last_look(
    job: TrackedJob, request: DeletionRequest, services: Services
) -> tuple[TrackedJob, str | None]:
    """Is there a job of the request's name after all? ``(job, None)`` when there is none (or
    the request was cancelled, looked up right before); else the job with the ARN it is given
    up under (as ``STUCK``: it may still end, its list stays) and why.

    A job found (listed, or described by its ARN) is that job; a lookup that fails, or finds
    nothing after a create that may have taken effect, leaves it unknown: given up under the
    ARN a job of that name has, its list kept, never as not started."""
    error = job.error or {}
    if job.job_arn is not None or error.get("Error") == CANCELLED:
        return job, None
    before = job.blocked_by or error.get("Cause")
    arn = job_arn_for(request.dataset_group_arn, job.job_name)
    try:
        found = services.jobs.lookup(request.dataset_group_arn, job.job_name) or _described(
            request, arn, services
        )
    except (TransientFault, JobRequestRejected) as exc:
        return job.evolve(job_arn=arn), _unknown(job, f"{exc}; before: {before}")
    if found is not None:
        return job.evolve(job_arn=found), (
            f"job {job.job_name} was found at the tracking limit ({job.give_up_at}), although "
            f"no submit step saw it accepted (before: {before})"
        )
    if error.get("Error") == SUBMISSION_UNKNOWN:  # the create may have taken effect, unlisted
        return job.evolve(job_arn=arn), _unknown(
            job, f"the last create was answered by {error.get('Cause')}, and no job is listed yet"
        )
    return job, None


def _described(request: DeletionRequest, arn: str, services: Services) -> str | None:
    """The job by its ARN (a listing can lag a create); ``None`` if Personalize does not know
    it, or it is another dataset group's (a name clash, not this request's job)."""
    try:
        state = services.jobs.describe(arn)
    except JobNotFound:
        return None
    return state.job_arn if state.dataset_group_arn in (None, request.dataset_group_arn) else None


def _unknown(job: TrackedJob, why: str) -> str:
    return (
        f"whether Personalize accepted the request by {job.give_up_at} could not be found out "
        f"({why}): a job named {job.job_name} may exist, so its list is kept"
    )
