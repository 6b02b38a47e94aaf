"""How long ``cdk deploy`` waits for a deletion job, and what happens after.

CloudFormation waits at most an hour for a custom resource; Personalize says a job "can take up
to a day". A completion policy says what the deployment does about that gap:

- :meth:`Completion.hand_off` (default): wait up to a bound, so a job that ends in time is
  reported by the deployment itself; then succeed with ``Status`` PENDING / IN_PROGRESS (or
  QUEUED for a request Personalize has not accepted yet) and let the tracker follow the job;
- :meth:`Completion.wait`: wait up to the bound, then fail the deployment (the job keeps running;
  the tracker still records its end);
- :meth:`Completion.submit_only`: succeed as soon as Personalize accepted the job.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from personalize_deletion_runtime.properties import HAND_OFF, SUBMIT_ONLY, WAIT

from .durations import readable, whole_seconds

POLICIES = (HAND_OFF, WAIT, SUBMIT_ONLY)


@dataclass(frozen=True)
class Completion:
    """A completion policy; build one with the static methods.

    :param policy: what the deployment does (the handler's ``HAND_OFF``, ``WAIT`` or
        ``SUBMIT_ONLY``).
    :param bound: how long the deployment waits at most. Default: ``None``, as long as the
        provider allows.
    """

    policy: str
    bound: Duration | None = None
    """How long the deployment waits at most; ``None``: as long as the provider allows (the
    longest wait that stays inside CloudFormation's hour, 54 minutes by default)."""

    def __post_init__(self) -> None:
        """A ``Completion`` built directly (``Completion("FOO")``) is checked as the static
        methods check theirs: it would otherwise pass every type check and fail at deploy."""
        if self.policy not in POLICIES:
            raise ValueError(
                f"Completion policy {self.policy!r} is not one of {', '.join(POLICIES)}: build "
                "it with Completion.hand_off(), Completion.wait() or Completion.submit_only()"
            )
        _duration("bound", self.bound)

    @staticmethod
    def hand_off(after: Duration | None = None) -> Completion:
        """Wait for the job up to ``after`` (default: the provider's limit), then hand it off.

        A short ``after`` (e.g. ``Duration.minutes(2)``) makes deployments fast; a job that
        ends within it is still reported by the deployment itself.

        :param after: how long the deployment waits before handing the job off. Default: the
            provider's limit (54 minutes with the default provider settings).
        """
        return Completion(HAND_OFF, _duration("after", after))

    @staticmethod
    def wait(up_to: Duration | None = None) -> Completion:
        """Wait for the job up to ``up_to``; a job still running then fails the deployment.

        :param up_to: how long the deployment waits. Default: the provider's limit.
        """
        return Completion(WAIT, _duration("up_to", up_to))

    @staticmethod
    def submit_only(accept_within: Duration | None = None) -> Completion:
        """Succeed once Personalize accepted the job; a request still blocked after
        ``accept_within`` is queued with the tracker, as under hand-off.

        :param accept_within: how long the deployment waits for Personalize to accept the
            job. Default: the provider's limit.
        """
        return Completion(SUBMIT_ONLY, _duration("accept_within", accept_within))

    def wait_seconds(self, limit_seconds: int) -> int | None:
        """The bound in whole seconds, checked against the provider's limit.

        :param limit_seconds: the provider's limit (``ProviderSettings.handler_deadline_seconds``).
        """
        if self.bound is None:
            return None
        seconds = whole_seconds(self.bound, "completion bound", ValueError)
        if not 0 <= seconds <= limit_seconds:
            raise ValueError(
                f"completion bound {readable(seconds)} must be whole seconds from 0 to "
                f"{readable(limit_seconds)} (the provider's total_timeout less one "
                "query_interval, inside CloudFormation's hour)"
            )
        return seconds


def _duration(name: str, value: Duration | None) -> Duration | None:
    if value is not None and not isinstance(value, Duration):
        raise TypeError(f"{name} must be an aws_cdk.Duration, not {type(value).__name__}")
    return value
