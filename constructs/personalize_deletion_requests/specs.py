"""What the request model's records become once read: typed, frozen values.

Kept apart from :mod:`.model` (what a file may say, and the rules that check it) because the
placement, the pinning, ``pdd-validate`` and the stages consume these values and never the
declarations; only the loader (:mod:`.documents`) turns one into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personalize_deletion_runtime.request_rules import DATASET_GROUP_ARN_PATTERN, partition_of
from personalize_deletion_runtime.user_list import ListStats


@dataclass(frozen=True)
class Environment:
    """Where a job runs: its dataset group's account and region."""

    account: str
    region: str

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"


@dataclass(frozen=True)
class LocalCsv:
    """A CSV next to the request file; ``stats`` as the handler will compute them."""

    path: Path
    stats: ListStats | None = None


@dataclass(frozen=True)
class S3Object:
    """One CSV object in S3, read at deploy time; ``version_id`` pins the version read, and a
    changed ``revision`` (a label, nothing more) makes the next deployment read it again."""

    bucket: str
    key: str
    version_id: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class S3Folder:
    """Every CSV object under ``prefix`` in S3, read at deploy time as one list."""

    bucket: str
    prefix: str
    revision: str | None = None


@dataclass(frozen=True)
class RetrainSpec:
    """``solutions`` is ``"ALL"`` or the ARNs to retrain."""

    solutions: str | tuple[str, ...]
    update_campaigns: bool = True


@dataclass(frozen=True)
class RequestSpec:
    """One request as read from a file; dataset groups not yet resolved to environments."""

    name: str
    source: LocalCsv | S3Object | S3Folder
    file: str
    entry: str
    dataset_group_arn: str | None = None
    """The single-group form (``datasetGroupArn``), or ``None``."""
    dataset_groups: tuple[str, ...] | None = None
    """The fan-out form (``datasetGroups``): ARNs and names, or ``None``."""
    environments: tuple[Environment, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    completion: str | None = None
    wait_seconds: int | None = None
    preflight: bool | None = None
    follow_up: bool | None = None
    retrain: RetrainSpec | None = None

    @property
    def users(self) -> Path | None:
        """The local CSV's path (the request-file format before S3 sources had this)."""
        return self.source.path if isinstance(self.source, LocalCsv) else None


def environment(parsed: dict[str, str]) -> Environment:
    return Environment(parsed["account"], parsed["region"])


def request_spec(parsed: dict[str, Any], source: Any, file: str, entry: str) -> RequestSpec:
    """Turn a parsed REQUEST record into its typed form."""
    retrain = parsed.get("retrain")
    retrain_spec = None
    if retrain is not None:
        solutions = retrain["solutions"]
        retrain_spec = RetrainSpec(
            solutions if isinstance(solutions, str) else tuple(solutions),
            retrain.get("updateCampaigns", True),
        )
    return RequestSpec(
        name=parsed["name"],
        source=source,
        file=file,
        entry=entry,
        dataset_group_arn=parsed.get("datasetGroupArn"),
        dataset_groups=(tuple(parsed["datasetGroups"]) if "datasetGroups" in parsed else None),
        environments=tuple(environment(e) for e in parsed.get("environments", [])),
        tags=dict(parsed.get("tags", {})),
        completion=parsed.get("completion"),
        wait_seconds=parsed.get("waitSeconds"),
        preflight=parsed.get("preflight"),
        follow_up=parsed.get("followUp"),
        retrain=retrain_spec,
    )


def is_arn(dataset_group: str) -> bool:
    return dataset_group.startswith("arn:")


def arn_environment(arn: str) -> Environment:
    match = DATASET_GROUP_ARN_PATTERN.fullmatch(arn)
    if match is None:
        raise ValueError(f"{arn!r} is not a dataset group ARN")
    return Environment(match["account"], match["region"])
