"""A thin adapter over the Personalize calls about what uses a dataset group's data.

The data deletion page of the Personalize guide asks for two things around a deletion job:
before it, no import, training or batch job should run on the dataset group; after it, models
still reflect the users until retrained. This module reads (and for retraining, starts) those
resources; the decisions are in :mod:`.preflight` and :mod:`.retraining`.

Every list is paginated to the end (Personalize documents no order), and every fault maps to the
outcomes the lifecycle knows: throttling, limits and 5xx -> ``TransientFault``, anything else
final (:class:`ModelCallRefused`, which says which call was refused with which code, so that
retraining can record a deleted campaign or solution and go on with the others).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .personalize_api import TRANSIENT_CODES, JobRequestRejected, TransientFault
from .state import iso

ACTIVE_STATUSES = frozenset(
    {
        "CREATE PENDING",
        "CREATE IN_PROGRESS",
        "CREATE STOPPING",
        "PENDING",
        "IN_PROGRESS",
        "IN PROGRESS",
    }
)
"""Statuses of something still running (imports, versions, batch jobs, campaign updates). A
version CREATE STOPPING still trains until it is CREATE STOPPED (StopSolutionVersionCreation:
"CREATE_IN_PROGRESS > CREATE_STOPPING > CREATE_STOPPED")."""
PAGE_SIZE = 100
NOT_FOUND = "ResourceNotFoundException"


class ModelCallRefused(JobRequestRejected):
    """Personalize refused a call for good (not a limit, not a fault): ``code`` says why."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation} failed with {code}: {message}")
        self.operation = operation
        self.code = code
        self.service_message = message

    @property
    def not_found(self) -> bool:
        """The resource the call named does not exist (deleted meanwhile, say)."""
        return self.code == NOT_FOUND


@dataclass(frozen=True)
class Activity:
    """Something that uses the dataset group's data: an import, a training or a batch job."""

    kind: str
    arn: str
    status: str
    created_at: str | None

    @property
    def running(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def to_json(self) -> dict[str, Any]:
        at = self.created_at
        return {"kind": self.kind, "arn": self.arn, "status": self.status, "createdAt": at}


class PersonalizeModels:
    """Datasets, imports, solutions, versions, batch jobs, data deletion jobs and campaigns of
    dataset groups."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def datasets(self, dataset_group_arn: str) -> list[str]:
        return self._arns("ListDatasets", datasetGroupArn=dataset_group_arn)

    def imports(self, dataset: str) -> list[Activity]:
        return self._activities("ListDatasetImportJobs", "dataset import job", datasetArn=dataset)

    def solutions(self, dataset_group_arn: str) -> list[str]:
        return self._arns("ListSolutions", datasetGroupArn=dataset_group_arn)

    def versions(self, solution: str) -> list[Activity]:
        return self._activities("ListSolutionVersions", "solution version", solutionArn=solution)

    def batch_jobs(self) -> list[tuple[Activity, str]]:
        """Every batch inference and segment job of the account, with its solution version."""
        found = []
        for operation, kind in (
            ("ListBatchInferenceJobs", "batch inference job"),
            ("ListBatchSegmentJobs", "batch segment job"),
        ):
            for arn, item in self._listed(operation):
                activity = Activity(kind, arn, item["status"], _at(item))
                found.append((activity, item.get("solutionVersionArn", "")))
        return found

    def deletion_jobs(self, dataset_group_arn: str) -> list[Activity]:
        """The dataset group's data deletion jobs: retraining starts no training while one is
        pending or in progress."""
        return self._activities(
            "ListDataDeletionJobs", "data deletion job", datasetGroupArn=dataset_group_arn
        )

    def campaigns(self, solution_arn: str) -> list[str]:
        return self._arns("ListCampaigns", solutionArn=solution_arn)

    def recommenders(self, dataset_group_arn: str) -> list[str]:
        return self._arns("ListRecommenders", datasetGroupArn=dataset_group_arn)

    def campaign(self, campaign_arn: str) -> dict[str, Any]:
        return self._call("DescribeCampaign", campaignArn=campaign_arn)["campaign"]

    def version(self, version_arn: str) -> dict[str, Any]:
        return self._call("DescribeSolutionVersion", solutionVersionArn=version_arn)[
            "solutionVersion"
        ]

    def train(self, solution_arn: str, name: str) -> str | None:
        """A new FULL version of the solution; ``None`` while another version is in progress or
        the account's limit of concurrent trainings is reached (try again on the next round)."""
        try:
            response = self.client.create_solution_version(
                name=name, solutionArn=solution_arn, trainingMode="FULL"
            )
        except ClientError as exc:
            code = _code(exc)
            if code in ("ResourceInUseException", "LimitExceededException"):
                return None
            if code == "ResourceAlreadyExistsException":  # a retried step created it already
                return self._version_named(solution_arn, name)
            raise _fault("CreateSolutionVersion", exc) from exc
        except BotoCoreError as exc:
            raise TransientFault(
                f"CreateSolutionVersion could not reach Personalize: {exc}"
            ) from exc
        return response["solutionVersionArn"]

    def _version_named(self, solution_arn: str, name: str) -> str:
        """The version a retried step already created."""
        found = self.version_named(solution_arn, name)
        if found is None:
            raise TransientFault(f"solution version {name} exists but is not listed yet")
        return found

    def version_named(self, solution_arn: str, name: str) -> str | None:
        """The solution's version named ``name`` (a retraining names its trainings after the
        job, and names are unique within a solution), or ``None``.

        Any version of that name is the job's, whichever execution created it: an earlier one
        (that a re-track replaces, say) began before this retraining's ``startedAt``, so no
        time filter may hide it. Listings carry no names, so candidates are described, newest
        first, until the first match; only ``FULL`` versions are candidates (the retraining
        trains nothing else), so the team's ``UPDATE`` versions cost no call."""
        listed = sorted(
            (item for _, item in self._listed("ListSolutionVersions", solutionArn=solution_arn)),
            key=lambda item: _at(item) or "",
            reverse=True,
        )
        for item in listed:
            if item.get("trainingMode", "FULL") != "FULL":
                continue
            arn = item["solutionVersionArn"]
            if self.version(arn).get("name") == name:
                return arn
        return None

    def point_campaign(self, campaign_arn: str, version_arn: str) -> bool:
        """Update a campaign to serve ``version_arn``; ``False`` while it is being updated (or
        a limit holds the update back): try again on the next round."""
        try:
            self.client.update_campaign(campaignArn=campaign_arn, solutionVersionArn=version_arn)
        except ClientError as exc:
            if _code(exc) in ("ResourceInUseException", "LimitExceededException"):
                return False
            raise _fault("UpdateCampaign", exc) from exc
        except BotoCoreError as exc:
            raise TransientFault(f"UpdateCampaign could not reach Personalize: {exc}") from exc
        return True

    def _arns(self, operation: str, **request: Any) -> list[str]:
        return [arn for arn, _ in self._listed(operation, **request)]

    def _activities(self, operation: str, kind: str, **request: Any) -> list[Activity]:
        listed = self._listed(operation, **request)
        return [Activity(kind, arn, item["status"], _at(item)) for arn, item in listed]

    def _listed(self, operation: str, **request: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every item a List operation returns, with its ARN. By the API's naming, the items
        are under the operation's noun (``ListDatasetImportJobs``: ``datasetImportJobs``) and
        each one's ARN under the singular plus ``Arn`` (``datasetImportJobArn``)."""
        key = operation[4].lower() + operation[5:]
        for item in self._pages(operation, key, **request):
            yield item[key[:-1] + "Arn"], item

    def _pages(self, operation: str, key: str, **request: Any) -> Iterator[dict[str, Any]]:
        request["maxResults"] = PAGE_SIZE
        while True:
            page = self._call(operation, **request)
            yield from page.get(key, [])
            if not page.get("nextToken"):
                return
            request["nextToken"] = page["nextToken"]

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        method = getattr(self.client, _snake(operation))
        try:
            return method(**request)
        except ClientError as exc:
            raise _fault(operation, exc) from exc
        except BotoCoreError as exc:
            raise TransientFault(f"{operation} could not reach Personalize: {exc}") from exc


def _at(item: dict[str, Any]) -> str | None:
    value = item.get("creationDateTime")
    return iso(value.timestamp()) if isinstance(value, datetime) else None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def _fault(operation: str, exc: ClientError) -> Exception:
    code = _code(exc)
    message = exc.response.get("Error", {}).get("Message", "") or "no message"
    if code in TRANSIENT_CODES or code == "LimitExceededException":
        return TransientFault(f"{operation} {code}: {message}")
    return ModelCallRefused(operation, code, message)


def _snake(operation: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in operation).lstrip("_")
