"""Declarative Amazon Personalize user deletions for AWS CDK (Python).

>>> deletion = PersonalizeDataDeletion(stack, "UserDeletion")
>>> job = deletion.delete_users("gdpr-2026-11", dataset_group_arn=arn,
...                             users=UserList.from_csv("requests/2026-11.csv"))
"""

from .completion import Completion
from .deletion import JOB_STATUSES, DeletionConfigError, PersonalizeDataDeletion, RequestOptions
from .job import RESOURCE_TYPE, DeletionJob, RequestScope
from .monitoring import RuleOptions
from .provider import DeletionJobProvider, ProviderSettings, ProviderSettingsError
from .retrain import Retrain
from .sources import UserList, UserListError
from .tracker import DeletionTracker, TrackerSettings, TrackerSettingsError

__all__ = [
    "JOB_STATUSES",
    "RESOURCE_TYPE",
    "Completion",
    "DeletionConfigError",
    "DeletionJob",
    "DeletionJobProvider",
    "DeletionTracker",
    "PersonalizeDataDeletion",
    "ProviderSettings",
    "ProviderSettingsError",
    "RequestOptions",
    "RequestScope",
    "Retrain",
    "RuleOptions",
    "TrackerSettings",
    "TrackerSettingsError",
    "UserList",
    "UserListError",
]
