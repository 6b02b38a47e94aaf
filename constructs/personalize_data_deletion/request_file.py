"""Deletion requests declared in request files, turned into constructs.

The format, its loader, schema and validator live in ``personalize_deletion_requests`` (no
aws_cdk there, so ``pdd-validate`` runs without Node); this module maps what it reads onto
:class:`PersonalizeDataDeletion` calls: a ``datasetGroups`` request fans out with
:meth:`~PersonalizeDataDeletion.delete_users_from_groups`, a ``datasetGroupArn`` (or
defaulted) one keeps :meth:`~PersonalizeDataDeletion.delete_users` and the resource it always
had.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_s3 as s3
from personalize_deletion_requests import (
    Job,
    LocalCsv,
    RequestFileError,
    RequestSpec,
    S3Folder,
    S3Object,
    load_requests,
)
from personalize_deletion_runtime.properties import HAND_OFF, SUBMIT_ONLY, WAIT

from .completion import Completion
from .deletion import PersonalizeDataDeletion
from .job import DeletionJob
from .retrain import Retrain
from .settings import RequestOptions
from .sources import UserList

__all__ = ["RequestFileError", "declare", "load_requests"]

_POLICIES = {
    HAND_OFF: Completion.hand_off,
    WAIT: Completion.wait,
    SUBMIT_ONLY: Completion.submit_only,
}


def declare(deletion: PersonalizeDataDeletion, jobs: Iterable[Job]) -> list[DeletionJob]:
    """Declare ``jobs`` (all in ``deletion``'s stack), one call per request, in file order."""
    by_request: dict[int, list[Job]] = {}
    for job in jobs:
        by_request.setdefault(id(job.request), []).append(job)
    declared: list[DeletionJob] = []
    for group in by_request.values():
        spec = group[0].request
        users = _users(deletion, spec)
        options: RequestOptions = {
            "tags": spec.tags,
            "completion": _completion(spec),
            "preflight": spec.preflight,
            "retrain": _retrain(spec),
            "follow_up": spec.follow_up,
        }
        if group[0].fan_out:
            groups = [job.dataset_group_arn for job in group]
            declared += deletion.delete_users_from_groups(
                spec.name, dataset_groups=groups, users=users, **options
            )
        else:
            arn = group[0].dataset_group_arn
            declared.append(
                deletion.delete_users(spec.name, dataset_group_arn=arn, users=users, **options)
            )
    return declared


def _users(deletion: PersonalizeDataDeletion, spec: RequestSpec) -> UserList:
    source = spec.source
    if isinstance(source, LocalCsv):
        return UserList.from_csv(source.path)
    bucket = _bucket(deletion, source.bucket)
    if isinstance(source, S3Object):
        return UserList.from_s3(
            bucket, source.key, version_id=source.version_id, revision=source.revision
        )
    if isinstance(source, S3Folder):
        return UserList.from_s3_prefix(bucket, source.prefix, revision=source.revision)
    raise TypeError(f"request {spec.name!r}: unknown source {type(source).__name__}")


def _bucket(deletion: PersonalizeDataDeletion, name: str) -> s3.IBucket:
    """One imported bucket per name and stack, however many requests read from it."""
    stack = Stack.of(deletion)
    construct_id = f"SourceBucket{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    found = cast("s3.IBucket | None", stack.node.try_find_child(construct_id))
    return found or s3.Bucket.from_bucket_name(stack, construct_id, name)


def _completion(spec: RequestSpec) -> Completion | None:
    if spec.completion is None and spec.wait_seconds is None:
        return None
    bound = None if spec.wait_seconds is None else Duration.seconds(spec.wait_seconds)
    return _POLICIES[spec.completion or HAND_OFF](bound)


def _retrain(spec: RequestSpec) -> Retrain | None:
    retrain = spec.retrain
    if retrain is None:
        return None
    if isinstance(retrain.solutions, str):
        return Retrain.all_solutions(update_campaigns=retrain.update_campaigns)
    return Retrain.solutions(retrain.solutions, update_campaigns=retrain.update_campaigns)
