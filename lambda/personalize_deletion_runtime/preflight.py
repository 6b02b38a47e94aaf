"""Before a deletion job: is anything using the dataset group's data? And did anything start
while the job ran?

The data deletion page of the Personalize guide: "make sure no jobs that use your datasets are
in progress, such as training jobs, batch jobs, or bulk or individual import operations ... If
any training or import occurs, we can't guarantee that the users' data will be deleted from
models". So, per request (default on): before submitting, list what runs on the group; if
anything does, the request is blocked like a busy dataset group (retried, queued with the
tracker, or failing a ``WAIT`` deployment by name). After the job, imports and trainings that
started inside its run are reported (the guide's "not guaranteed" case).

Calls per check (each listing paginated at 100 entries): ListDatasets and ListSolutions for the
group, ListDatasetImportJobs per dataset, ListSolutionVersions per solution, and one
ListBatchInferenceJobs and one ListBatchSegmentJobs for the account (filtered to the group's
solution versions): ``4 + datasets + solutions`` calls when every listing fits one page, one
more per further page.
"""

from __future__ import annotations

from .models import Activity, PersonalizeModels
from .state import parse_iso

MAX_LISTED = 5
"""Running jobs named in a blocker's text (the count says how many more)."""
MAX_RECORDED = 20
"""Running jobs kept in the ticket, the tracker's state and the receipt: the Provider framework
and Step Functions carry state of at most 256 KB."""


def running(dataset_group_arn: str, models: PersonalizeModels) -> list[Activity]:
    """Imports, trainings and batch jobs in progress on the dataset group."""
    return [activity for activity in _activities(dataset_group_arn, models) if activity.running]


def started_between(
    dataset_group_arn: str, start: str | None, end: str | None, models: PersonalizeModels
) -> list[Activity]:
    """Imports and trainings created while a job ran (its creation to its last update)."""
    if start is None or end is None:
        return []
    low, high = parse_iso(start), parse_iso(end)
    return [
        activity
        for activity in _activities(dataset_group_arn, models, batch=False)
        if activity.created_at is not None and low <= parse_iso(activity.created_at) <= high
    ]


def describe(activities: list[Activity]) -> str:
    """A blocker's text: what runs, by ARN (never user data)."""
    shown = "; ".join(
        f"{activity.kind} {activity.arn} ({activity.status})"
        for activity in activities[:MAX_LISTED]
    )
    more = f"; and {len(activities) - MAX_LISTED} more" if len(activities) > MAX_LISTED else ""
    return (
        f"{len(activities)} job(s) use the dataset group's data: {shown}{more}. Personalize "
        "cannot guarantee a deletion from models while they run"
    )


def _activities(
    dataset_group_arn: str, models: PersonalizeModels, *, batch: bool = True
) -> list[Activity]:
    found: list[Activity] = []
    for dataset in models.datasets(dataset_group_arn):
        found.extend(models.imports(dataset))
    solutions = models.solutions(dataset_group_arn)
    for solution in solutions:
        found.extend(models.versions(solution))
    if batch and solutions:
        prefixes = tuple(f"{solution}/" for solution in solutions)
        found.extend(
            activity for activity, version in models.batch_jobs() if version.startswith(prefixes)
        )
    return found
