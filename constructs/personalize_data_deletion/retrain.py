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
    SOLUTION_ARN_PATTERN,
)


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
        return Retrain(RETRAIN_LIST, arns, _flag(update_campaigns))

    @property
    def enabled(self) -> bool:
        """Whether anything is retrained (the tracker then needs training grants)."""
        return self.policy != RETRAIN_NONE


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"update_campaigns must be True or False, not {type(value).__name__}")
    return value
