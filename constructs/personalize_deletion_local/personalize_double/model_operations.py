"""The wire operations on the resources around a deletion job (:data:`MODEL_OPERATIONS`).

What a pre-flight lists and a retraining creates, answered from the stores of
:class:`.model_setup.ResourceModelsMixin` with the service's rules and response shapes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

from .errors import ServiceError, check_tag_count, not_found
from .model_setup import ResourceModelsMixin
from .pagination import paginate
from .resources import (
    CREATE_STATUSES,
    LATEST_SUFFIX,
    UPDATE_RECIPES,
    VERSION_RUNNING,
    CampaignUpdateRecord,
    RunRecord,
)
from .shapes import field_name
from .validation import validate_request

MODEL_OPERATIONS = (
    "ListDatasets",
    "ListDatasetImportJobs",
    "ListSolutions",
    "DescribeSolution",
    "ListSolutionVersions",
    "DescribeSolutionVersion",
    "CreateSolutionVersion",
    "StopSolutionVersionCreation",
    "ListCampaigns",
    "DescribeCampaign",
    "UpdateCampaign",
    "ListBatchInferenceJobs",
    "ListBatchSegmentJobs",
    "ListRecommenders",
)
"""The operations this module adds to the double (its handlers are the ``_op_*`` methods)."""

_Record = TypeVar("_Record")


class _Summarized(Protocol):
    """A stored record a List operation renders: its place in the list, its summary."""

    sequence: int

    def summary(self, now: float) -> dict[str, Any]: ...


class ModelOperationsMixin(ResourceModelsMixin):
    """The ``_op_*`` handlers of :data:`MODEL_OPERATIONS`."""

    def _described(
        self,
        operation: str,
        body: dict[str, Any],
        store: Mapping[str, _Record],
        member: str,
        what: str,
    ) -> _Record:
        """The record a Describe call names, once double time took its Describe step (see
        ``seconds_per_describe``); ``ResourceNotFoundException`` for an unknown ARN."""
        validate_request(operation, body, self.pattern_mode)
        self._now += self.seconds_per_describe
        record = store.get(body[member])
        if record is None:
            raise not_found(what, body[member])
        return record

    def _listed(
        self, operation: str, body: dict[str, Any], records: Iterable[_Summarized], member: str
    ) -> dict[str, Any]:
        """A List operation whose one filter, the request's ``member``, each record holds in
        the field of the same name (``datasetGroupArn``: ``dataset_group_arn``)."""
        validate_request(operation, body, self.pattern_mode)
        wanted = body.get(member)
        found = [r for r in records if wanted in (None, getattr(r, field_name(member)))]
        return paginate(operation, body, found, lambda record: record.summary(self._now))

    def _op_ListDatasets(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._listed("ListDatasets", body, self._datasets.values(), "datasetGroupArn")

    def _op_ListDatasetImportJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._listed("ListDatasetImportJobs", body, self._imports.values(), "datasetArn")

    def _op_ListSolutions(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._listed("ListSolutions", body, self._solutions.values(), "datasetGroupArn")

    def _op_DescribeSolution(self, body: dict[str, Any]) -> dict[str, Any]:
        solution = self._described(
            "DescribeSolution", body, self._solutions, "solutionArn", "solution"
        )
        description: dict[str, Any] = {
            "name": solution.name,
            "solutionArn": solution.arn,
            "performHPO": False,
            "performAutoML": False,
            "performAutoTraining": solution.perform_auto_training,
            "recipeArn": solution.recipe_arn,
            "datasetGroupArn": solution.dataset_group_arn,
        }
        if solution.solution_config:
            description["solutionConfig"] = solution.solution_config
        description.update(
            status="ACTIVE",
            creationDateTime=solution.created_at,
            lastUpdatedDateTime=solution.created_at,
        )
        versions = [v for v in self._versions.values() if v.solution is solution]
        if versions:
            description["latestSolutionVersion"] = self._version_view(versions[-1]).to_summary()
        return {"solution": description}

    def _op_ListSolutionVersions(self, body: dict[str, Any]) -> dict[str, Any]:
        validate_request("ListSolutionVersions", body, self.pattern_mode)
        solution = body.get("solutionArn")
        if solution is not None and solution not in self._solutions:
            raise not_found("solution", solution)
        versions = [v for v in self._versions.values() if solution in (None, v.solution.arn)]
        view = self._version_view
        return paginate("ListSolutionVersions", body, versions, lambda v: view(v).to_summary())

    def _op_DescribeSolutionVersion(self, body: dict[str, Any]) -> dict[str, Any]:
        version = self._described(
            "DescribeSolutionVersion",
            body,
            self._versions,
            "solutionVersionArn",
            "solution version",
        )
        return {"solutionVersion": self._version_view(version).to_description()}

    def _op_CreateSolutionVersion(self, body: dict[str, Any]) -> dict[str, Any]:
        tags = body.get("tags")
        check_tag_count(tags)
        validate_request("CreateSolutionVersion", body, self.pattern_mode)
        solution = self._solutions.get(body["solutionArn"])
        if solution is None:
            raise not_found("solution", body["solutionArn"])
        mine = [v for v in self._versions.values() if v.solution is solution]
        running = [v for v in mine if self._version_status(v) in VERSION_RUNNING]
        if running:
            raise ServiceError(
                "ResourceInUseException",
                f"The solution {solution.arn} already has a solution version in progress "
                f"({running[-1].arn}). Wait until it is ACTIVE, CREATE FAILED or CREATE "
                "STOPPED.",
            )
        name = body.get("name")
        if name is not None and any(v.name == name for v in mine):
            raise ServiceError(
                "ResourceAlreadyExistsException",
                f"A solution version with the name {name} already exists for {solution.arn}.",
            )
        mode = body.get("trainingMode", "FULL")
        if mode == "UPDATE" and not (
            solution.recipe_arn in UPDATE_RECIPES
            and any(v.training_mode == "FULL" and self._version_status(v) == "ACTIVE" for v in mine)
        ):
            raise ServiceError(
                "InvalidInputException",
                "trainingMode UPDATE requires an ACTIVE FULL solution version of a solution "
                "using the User-Personalization or HRNN-Coldstart recipe.",
            )
        failure = self._planned_version_failures.pop(0) if self._planned_version_failures else None
        run = RunRecord(self._now, self.pending_seconds, self.training_seconds, failure)
        stored_tags = tuple(dict(tag) for tag in tags or ())
        version = self._add_version(solution, name, mode, "MANUAL", stored_tags, run)
        return {"solutionVersionArn": version.arn}

    def _op_StopSolutionVersionCreation(self, body: dict[str, Any]) -> dict[str, Any]:
        """Stop a version "in a state of CREATE_PENDING or CREATE IN_PROGRESS": it goes
        CREATE STOPPED (from pending) or CREATE STOPPING then CREATE STOPPED, never ACTIVE.

        Any other state is refused with ``InvalidInputException``, of the three errors the
        model lists for the operation the one about the input ("Provide a valid value for the
        field or parameter": this ARN names a version that cannot be stopped);
        ``ResourceInUseException`` ("The specified resource is in use") is the double's answer
        to a second training of a solution, the opposite case."""
        validate_request("StopSolutionVersionCreation", body, self.pattern_mode)
        arn = body["solutionVersionArn"]
        version = self._versions.get(arn)
        if version is None:
            raise not_found("solution version", arn)
        status = self._version_status(version)
        if status not in CREATE_STATUSES.in_progress:
            raise ServiceError(
                "InvalidInputException",
                f"The solution version {arn} is {status}: only a solution version in CREATE "
                "PENDING or CREATE IN_PROGRESS can be stopped.",
            )
        version.stopped_at = self._now
        return {}

    def _op_ListCampaigns(self, body: dict[str, Any]) -> dict[str, Any]:
        """Filtered by the solution each campaign *serves* now (a pending update to another
        solution's version does not move it yet)."""
        validate_request("ListCampaigns", body, self.pattern_mode)
        solution = body.get("solutionArn")
        campaigns = [
            campaign
            for campaign in self._campaigns.values()
            if solution in (None, self._campaign_view(campaign).solution_arn)
        ]
        view = self._campaign_view
        return paginate("ListCampaigns", body, campaigns, lambda c: view(c).to_summary())

    def _op_DescribeCampaign(self, body: dict[str, Any]) -> dict[str, Any]:
        campaign = self._described(
            "DescribeCampaign", body, self._campaigns, "campaignArn", "campaign"
        )
        return {"campaign": self._campaign_view(campaign).to_description()}

    def _op_UpdateCampaign(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start a campaign update; the campaign keeps serving until it is ACTIVE.

        "To update a campaign, the campaign status must be ACTIVE or CREATE FAILED"; a
        second update while one is pending or in progress is ``ResourceInUseException``.
        Omitted members keep their serving values; ``campaignConfig`` members are merged.
        """
        validate_request("UpdateCampaign", body, self.pattern_mode)
        campaign = self._campaigns.get(body["campaignArn"])
        if campaign is None:
            raise not_found("campaign", body["campaignArn"])
        view = self._campaign_view(campaign)
        if view.latest_update is not None and view.latest_update.status in (
            CREATE_STATUSES.in_progress
        ):
            raise ServiceError(
                "ResourceInUseException",
                f"The campaign {campaign.arn} has an update in progress "
                f"({view.latest_update.status}). Wait until it is ACTIVE or CREATE FAILED.",
            )
        target = body.get("solutionVersionArn", view.solution_version_arn)
        config = {**view.campaign_config, **copy.deepcopy(body.get("campaignConfig") or {})}
        if target.endswith(LATEST_SUFFIX):
            if target[: -len(LATEST_SUFFIX)] not in self._solutions:
                raise not_found("solution", target[: -len(LATEST_SUFFIX)])
        elif config.get("syncWithLatestSolutionVersion"):
            raise ServiceError(
                "InvalidInputException",
                "When syncWithLatestSolutionVersion is true, solutionVersionArn must be the "
                f"ARN of your solution in SolutionArn/$LATEST format, not {target}.",
            )
        elif target not in self._versions:
            raise not_found("solution version", target)
        elif self._version_status(self._versions[target]) != "ACTIVE":
            raise ServiceError(
                "InvalidInputException",
                f"The solution version {target} is not ACTIVE "
                f"({self._version_status(self._versions[target])}).",
            )
        failure = self._planned_update_failures.pop(0) if self._planned_update_failures else None
        campaign.updates.append(
            CampaignUpdateRecord(
                solution_version_arn=target,
                min_provisioned_tps=body.get("minProvisionedTPS", view.min_provisioned_tps),
                campaign_config=config,
                run=RunRecord(
                    self._now, self.pending_seconds, self.campaign_update_seconds, failure
                ),
            )
        )
        return {"campaignArn": campaign.arn}

    def _op_ListBatchInferenceJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._list_batch_jobs("ListBatchInferenceJobs", "inference", body)

    def _op_ListBatchSegmentJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._list_batch_jobs("ListBatchSegmentJobs", "segment", body)

    def _list_batch_jobs(self, operation: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        jobs = [job for job in self._batch_jobs.values() if job.kind == kind]
        return self._listed(operation, body, jobs, "solutionVersionArn")

    def _op_ListRecommenders(self, body: dict[str, Any]) -> dict[str, Any]:
        recommenders = self._recommenders.values()
        return self._listed("ListRecommenders", body, recommenders, "datasetGroupArn")
