"""Declarative Amazon Personalize user deletions for AWS CDK (Python).

>>> deletion = PersonalizeDataDeletion(stack, "UserDeletion")
>>> job = deletion.delete_users("gdpr-2026-11", dataset_group_arn=arn,
...                             users=UserList.from_csv("requests/2026-11.csv"))
"""

from .deletion import DeletionConfigError, PersonalizeDataDeletion
from .job import RESOURCE_TYPE, DeletionJob
from .provider import DeletionJobProvider, ProviderSettings, ProviderSettingsError
from .sources import UserList, UserListError

__all__ = [
    "RESOURCE_TYPE",
    "DeletionConfigError",
    "DeletionJob",
    "DeletionJobProvider",
    "PersonalizeDataDeletion",
    "ProviderSettings",
    "ProviderSettingsError",
    "UserList",
    "UserListError",
]
