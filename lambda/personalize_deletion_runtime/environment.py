"""Names of the environment variables the construct sets and the Lambda entry points read.

Defined once for both sides (the construct imports this module at synth, so it imports nothing):
a name spelt differently on one side would leave the other side without its value.
"""

from __future__ import annotations

HANDLER_DEADLINE_VARIABLE = "HANDLER_DEADLINE_SECONDS"
"""How long after ``on_event`` the deployment may wait for a job (the provider's handlers)."""
TRACKER_STATE_MACHINE_VARIABLE = "TRACKER_STATE_MACHINE_ARN"
"""The tracker the provider's handlers hand jobs off to."""
TRACKING_TIMEOUT_VARIABLE = "TRACKING_TIMEOUT_SECONDS"
"""The tracker's ``tracking_timeout``, for every function that runs this package: the
provider's handlers (a handed-off job's limit) and the tracker's step (a follow-up job's and
retraining's). Required: a default here could silently disagree with the tracker's own
definition, which is built for the setting."""
