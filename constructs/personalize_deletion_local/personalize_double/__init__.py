"""A local, wire-faithful test double for Amazon Personalize (see :mod:`.double`).

Standard library plus botocore (for the service model) only. Import from here: the modules
behind it are one concern each and may move.
"""

from .double import OPERATIONS, PersonalizeDouble, RecordedCall
from .errors import ServiceError
from .jobs import DataDeletionJobView
from .model_operations import MODEL_OPERATIONS
from .resource_views import CampaignUpdateView, CampaignView, SolutionVersionView
from .resources import BATCH_JOB_STATUSES, CREATE_STATUSES, Statuses
from .scenarios import SCENARIO_FAILURE_REASON, SCENARIOS
from .validation import validate_against_shape

__all__ = [
    "BATCH_JOB_STATUSES",
    "CREATE_STATUSES",
    "MODEL_OPERATIONS",
    "OPERATIONS",
    "SCENARIOS",
    "SCENARIO_FAILURE_REASON",
    "CampaignUpdateView",
    "CampaignView",
    "DataDeletionJobView",
    "PersonalizeDouble",
    "RecordedCall",
    "ServiceError",
    "SolutionVersionView",
    "Statuses",
    "validate_against_shape",
]
