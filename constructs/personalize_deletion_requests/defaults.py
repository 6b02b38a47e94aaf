"""The app's defaults for request files: an account and region, and a dataset group.

``pdd-validate`` takes them as options and ``app.py`` as context values; either way they are
command-line input, checked with the rules a request file's own values follow before any file
is read, and refused naming the option (or context key) they came from. Unchecked, a malformed
one surfaced as a traceback from deep in job resolution, naming neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from personalize_deletion_runtime.request_rules import (
    ACCOUNT_PATTERN,
    REGION_PATTERN,
    RequestRuleError,
)

from .model import check_group_arn
from .specs import Environment


class AppDefaultError(ValueError):
    """Malformed app defaults; one line per problem, each naming where the value came from."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Given:
    """A default as given, and where: ``--account``, ``-c account=...``."""

    value: str | None
    source: str


def app_defaults(
    account: Given, region: Given, dataset_group_arn: Given
) -> tuple[Environment | None, str | None]:
    """The default environment (when both account and region are given) and dataset group,
    or :class:`AppDefaultError` listing every malformed one."""
    problems: list[str] = []
    if account.value is not None and not ACCOUNT_PATTERN.fullmatch(account.value):
        problems.append(
            f"{account.source}: {account.value!r} is not an AWS account id: give its 12 digits"
        )
    if region.value is not None and not REGION_PATTERN.fullmatch(region.value):
        problems.append(
            f"{region.source}: {region.value!r} is not a region name: give one such as eu-west-1"
        )
    if dataset_group_arn.value is not None:
        try:
            check_group_arn(dataset_group_arn.value, where=dataset_group_arn.source)
        except (RequestRuleError, TypeError) as exc:
            problems.append(str(exc))  # names the source, the rule and the form expected
    if problems:
        raise AppDefaultError(problems)
    environment = (
        Environment(account.value, region.value) if account.value and region.value else None
    )
    return environment, dataset_group_arn.value
