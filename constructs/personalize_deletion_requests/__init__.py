"""Declarative deletion requests: the request-file model, its loader, schema and validator.

Deliberately free of aws_cdk (and so of Node.js): ``pdd-validate`` and pre-commit hooks check
request files in a plain Python environment. The construct library turns what this package
reads into stacks (``personalize_data_deletion.stack``).
"""

from .defaults import AppDefaultError, Given, app_defaults
from .documents import RequestFileError, RequestSet, load_requests, read_requests
from .findings import Problem
from .pinning import PlacementFileError, placement_path, read_pins
from .placement import MAX_JOBS_PER_STACK, Job, plan, resolve_jobs
from .specs import Environment, LocalCsv, RequestSpec, RetrainSpec, S3Folder, S3Object

__all__ = [
    "MAX_JOBS_PER_STACK",
    "AppDefaultError",
    "Environment",
    "Given",
    "Job",
    "LocalCsv",
    "PlacementFileError",
    "Problem",
    "RequestFileError",
    "RequestSet",
    "RequestSpec",
    "RetrainSpec",
    "S3Folder",
    "S3Object",
    "app_defaults",
    "load_requests",
    "placement_path",
    "plan",
    "read_pins",
    "read_requests",
    "resolve_jobs",
]
