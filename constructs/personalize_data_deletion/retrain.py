"""What to retrain once a deletion job COMPLETED, so that models forget the users too.

A completed job removes the users from the datasets; models keep reflecting them until they are
retrained (the Personalize guide's data deletion page). Opt-in, because training hours are
billed: the tracker creates a FULL solution version per solution, follows it to ACTIVE, then
points every campaign of that solution at it (unless the campaign follows the latest version on
its own, or ``update_campaigns`` is off), and records the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import Token
from personalize_deletion_runtime.properties import (
    RETRAIN_ALL,
    RETRAIN_LIST,
    RETRAIN_NONE,
    RETRAIN_POLICIES,
    SOLUTION_ARN_PATTERN,
)
from personalize_deletion_runtime.request_rules import arn_home, home_differences

from .errors import DeletionConfigError


@dataclass(frozen=True)
class Retrain:
    """A retraining choice; build one with the static methods.

    :param policy: what is retrained (the handler's ``NONE``, ``ALL`` or ``LIST``).
    :param solution_arns: the solutions retrained under ``LIST``. Default: none.
    :param update_campaigns: point the solutions' campaigns at the new versions. Default:
        ``True``.
    """

    policy: str
    solution_arns: tuple[str, ...] = ()
    update_campaigns: bool = True

    def __post_init__(self) -> None:
        """A ``Retrain`` built directly (``Retrain("LIST")``) is checked as the static methods
        check theirs: it would otherwise pass every type check and fail at deploy."""
        if self.policy not in RETRAIN_POLICIES:
            raise ValueError(
                f"Retrain policy {self.policy!r} is not one of {', '.join(RETRAIN_POLICIES)}: "
                "build it with Retrain.none(), Retrain.all_solutions() or Retrain.solutions([...])"
            )
        if self.policy == RETRAIN_LIST:
            object.__setattr__(self, "solution_arns", _solution_arns(self.solution_arns))
        elif self.solution_arns:
            raise ValueError(
                f"Retrain policy {self.policy} takes no solution_arns: name solutions with "
                "Retrain.solutions([...])"
            )
        _flag(self.update_campaigns)

    @staticmethod
    def none() -> Retrain:
        """No retraining (default): models reflect the users until their next training."""
        return Retrain(RETRAIN_NONE)

    @staticmethod
    def all_solutions(update_campaigns: bool = True) -> Retrain:
        """Every solution of the dataset group, found when the job has completed.

        :param update_campaigns: point each solution's campaigns at its new version. Default:
            ``True``.
        """
        return Retrain(RETRAIN_ALL, update_campaigns=_flag(update_campaigns))

    @staticmethod
    def solutions(solution_arns: Iterable[str], update_campaigns: bool = True) -> Retrain:
        """The named solutions (ARNs of the dataset group's solutions).

        :param solution_arns: ARNs of solutions of the request's dataset group, at least one.
        :param update_campaigns: point each solution's campaigns at its new version. Default:
            ``True``.
        """
        return Retrain(RETRAIN_LIST, _solution_arns(solution_arns), _flag(update_campaigns))

    @property
    def enabled(self) -> bool:
        """Whether anything is retrained (the tracker then needs training grants)."""
        return self.policy != RETRAIN_NONE


def _solution_arns(solution_arns: Iterable[str]) -> tuple[str, ...]:
    """At least one solution ARN, each a string of a solution ARN's form (or a token), each
    once: a repeat is a mistake the list would otherwise carry into the plan (a second
    training of the solution, billed, and a second record of it); request files refuse it
    too ("the same value twice is an error, not a no-op")."""
    if isinstance(solution_arns, str) or not isinstance(solution_arns, Iterable):
        raise TypeError("solution_arns must be a list of solution ARNs, not a single string")
    arns = tuple(solution_arns)
    if not arns:
        raise ValueError("Retrain.solutions needs at least one solution ARN")
    for arn in arns:
        if not isinstance(arn, str):
            raise TypeError(f"solution ARN {arn!r} must be a string")
        if not Token.is_unresolved(arn) and not SOLUTION_ARN_PATTERN.fullmatch(arn):
            raise ValueError(
                f"{arn!r} is not a solution ARN "
                "(arn:<partition>:personalize:<region>:<account>:solution/<name>)"
            )
    repeated = next((arn for index, arn in enumerate(arns) if arn in arns[:index]), None)
    if repeated is not None:
        raise DeletionConfigError(
            f"Retrain.solutions names solution {repeated!r} twice: each solution is retrained "
            "once; list it once"
        )
    return arns


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"update_campaigns must be True or False, not {type(value).__name__}")
    return value


def check_solutions_of_group(
    retrain: Retrain,
    where: str,
    group_arn: str,
    *,
    account: str | None,
    region: str | None,
) -> None:
    """``Retrain.solutions`` names solutions of the request's dataset group: one in another
    partition, account or region is refused here, as the handler would refuse it at deploy
    (after the list was staged) and as request files refuse it.

    :param where: the request and the setting, for the message.
    :param group_arn: the dataset group's ARN; a token (a ``CfnDatasetGroup`` of the app) is
        compared by ``account`` and ``region`` instead, the stack's, where the group must be.
    :param account: the stack's account, ``None`` if unknown (not compared).
    :param region: the stack's region, ``None`` if unknown (not compared).
    """
    if not retrain.solution_arns:
        return  # nothing to compare: no jsii round trip for the group's ARN
    if Token.is_unresolved(group_arn):
        expected: dict[str, str | None] = {"account": account, "region": region, "partition": None}
        group = "a CfnDatasetGroup, in the stack's environment"
    else:
        expected = {**arn_home(group_arn)}
        group = f"{group_arn!r}"
    for arn in retrain.solution_arns:
        if Token.is_unresolved(arn):
            continue
        found = arn_home(arn)
        wrong = home_differences(found, expected)
        if wrong:
            raise DeletionConfigError(
                f"{where}: solution {arn!r} is in "
                f"{', '.join(f'{name} {found[name]}' for name in wrong)}, but the dataset group "
                f"({group}) is in {', '.join(f'{name} {expected[name]}' for name in wrong)}: "
                "Retrain.solutions retrains solutions of the request's dataset group, and the "
                "handler refuses any other at deploy; name that group's solutions or use "
                "Retrain.all_solutions()"
            )
