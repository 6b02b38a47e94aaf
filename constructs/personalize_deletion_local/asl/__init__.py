"""A strict Amazon States Language interpreter on a simulated clock (see :mod:`.engine`).

The tests and the rehearsal run the tracker's synthesized definition with it, because moto's
Step Functions cannot run Lambda tasks without Docker nor call our Personalize double. One
concern per module: ``engine`` (execution), ``results`` (visits and results), ``validate``
(load-time checks), ``intrinsics``, ``choice`` (comparators), ``paths`` (paths, JSON values,
timestamps), ``tasks`` (integrations) and ``tracker_run`` (the tracker definition with its
functions and clients).
"""

from .engine import run_execution
from .paths import iso_timestamp
from .results import Clock, ExecutionResult, Visit
from .tasks import TaskFailed, TaskHandler, aws_sdk, combine, lambda_invoke
from .validate import UnsupportedDefinition, load_definition

__all__ = [
    "Clock",
    "ExecutionResult",
    "TaskFailed",
    "TaskHandler",
    "UnsupportedDefinition",
    "Visit",
    "aws_sdk",
    "combine",
    "iso_timestamp",
    "lambda_invoke",
    "load_definition",
    "run_execution",
]
