"""The construct's settings and each request's, checked once and resolved to plain values.

``PersonalizeDataDeletion`` takes a dozen settings, and each request may override four of them
(completion, pre-flight, retraining, follow-up). Every check, and every rule where two settings
must agree, is here, so that the construct only wires resources; each failure names the
setting, the rule and the fix (durations written as people read them, see :mod:`.durations`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TypedDict

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from personalize_deletion_runtime.request_rules import (
    RequestRuleError,
    check_prefix,
    check_request_name,
    check_tags,
)
from personalize_deletion_runtime.user_list import Limits

from .completion import Completion
from .durations import duration, exact_seconds, readable
from .errors import DeletionConfigError, refuse_unknown_keywords
from .retrain import Retrain
from .sources import UserList

DEFAULT_MAX_INPUT_BYTES = Limits().max_total_bytes
DEFAULT_STAGED_INPUT_EXPIRATION = Duration.days(7)
DAY_SECONDS = 86_400


def job_name_prefix_setting(value: str) -> str:
    """``job_name_prefix``, checked by the same rule the handler applies."""
    try:
        return check_prefix(value)
    except RequestRuleError as exc:
        raise DeletionConfigError(str(exc)) from exc


def whole_number(
    value: object,
    field: str,
    bounds: tuple[int, int],
    why: str,
    *,
    unit: str = "",
    error: type[ValueError] = DeletionConfigError,
) -> int:
    """An ``int`` setting within ``bounds``: ``TypeError`` for any other type (``bool``
    included, though Python counts it an int), else ``error`` naming the field, the range and
    ``why`` that range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an int{unit}, not {type(value).__name__}")
    low, high = bounds
    if not low <= value <= high:
        raise error(f"{field} is {value}: use {low} to {high} ({why})")
    return value


def max_input_bytes_setting(value: object) -> int:
    """``max_input_bytes``: whole bytes, at most what Personalize reads per job."""
    return whole_number(
        value,
        "max_input_bytes",
        (1, DEFAULT_MAX_INPUT_BYTES),
        "Personalize reads at most 100 MB of input per job",
        unit=" (bytes)",
    )


def check_staged_input_expiration(expiration: object, tracking_timeout_seconds: float) -> None:
    """A staged list must outlive the tracking of its job by a day: a job that is queued or
    pending when the tracker gives up may still read it. And it is whole days: the lifecycle
    rule's ``Expiration`` counts days (jsii would refuse it later, without naming the
    setting), so each fix proposed is whole days too."""
    # Exact: a fraction of a second is not whole days either, and is refused as such below.
    expiration_s = exact_seconds(duration(expiration, "staged_input_expiration"))
    timeout_s = tracking_timeout_seconds
    if expiration_s < timeout_s + DAY_SECONDS:
        raise DeletionConfigError(
            f"staged_input_expiration ({readable(expiration_s)}) must exceed tracking_timeout "
            f"({readable(timeout_s)}) by at least a day: a queued or pending job still has to "
            f"read its staged list; raise staged_input_expiration to at least "
            f"{readable(_whole_days(timeout_s + DAY_SECONDS))} or lower tracking_timeout"
        )
    if expiration_s % DAY_SECONDS:
        raise DeletionConfigError(
            f"staged_input_expiration ({readable(expiration_s)}) is not a whole number of days: "
            "the S3 lifecycle rule that expires staged lists counts days; use "
            f"Duration.days({_whole_days(expiration_s) // DAY_SECONDS})"
        )


def _whole_days(seconds: float) -> int:
    """``seconds`` rounded up to whole days, in seconds."""
    return math.ceil(seconds / DAY_SECONDS) * DAY_SECONDS


def flag(value: object, name: str) -> bool:
    """A setting that is ``True`` or ``False`` (not merely truthy)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {type(value).__name__}")
    return value


def resource_setting(value: object, name: str, kind: str, attributes: tuple[str, ...]) -> None:
    """A construct given as a jsii interface (``s3.IBucket``, ``sns.ITopic``): interfaces are
    not runtime-checkable, so look for what every implementation offers (on the type: no jsii
    round trip). A name or an ARN string is a ``TypeError`` naming the setting."""
    if value is not None and not all(hasattr(type(value), attr) for attr in attributes):
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")


def retention_setting(value: object) -> logs.RetentionDays:
    """``log_retention``: a ``logs.RetentionDays`` member (jsii's own error names its
    ``retention``, which the user never wrote)."""
    if not isinstance(value, logs.RetentionDays):
        raise TypeError(
            "log_retention must be a logs.RetentionDays (e.g. RetentionDays.ONE_YEAR), not "
            f"{type(value).__name__}"
        )
    return value


def retrain_setting(value: object, name: str) -> Retrain:
    """A retraining policy, built with one of :class:`Retrain`'s static methods."""
    if not isinstance(value, Retrain):
        raise TypeError(
            f"{name} must be a Retrain (Retrain.none(), Retrain.all_solutions() or "
            f"Retrain.solutions([...])), not {type(value).__name__}"
        )
    return value


def completion_setting(value: object, where: str, limit_seconds: int) -> Completion:
    """A completion policy whose bound fits the provider's limit (``limit_seconds``)."""
    if not isinstance(value, Completion):
        raise TypeError(
            f"{where} must be a Completion (Completion.hand_off(), Completion.wait() or "
            f"Completion.submit_only()), not {type(value).__name__}"
        )
    try:
        value.wait_seconds(limit_seconds)
    except ValueError as exc:
        raise DeletionConfigError(f"{where}: {exc}") from exc
    return value


@dataclass(frozen=True)
class ConstructDefaults:
    """What a request inherits from its construct unless it overrides it."""

    job_name_prefix: str
    completion: Completion
    preflight: bool
    retrain: Retrain
    follow_up: bool
    handler_deadline_seconds: int
    """The provider's limit on a completion bound (see :class:`.ProviderSettings`)."""

    @classmethod
    def checked(
        cls,
        job_name_prefix: str,
        handler_deadline_seconds: int,
        *,
        completion: object,
        preflight: object,
        retrain: object,
        follow_up: object,
    ) -> ConstructDefaults:
        """The construct's settings as given (``None`` completion or retrain: the defaults,
        hand-off and none), each checked for its type and, a completion, its bound."""
        return cls(
            job_name_prefix,
            completion_setting(
                Completion.hand_off() if completion is None else completion,
                "completion",
                handler_deadline_seconds,
            ),
            flag(preflight, "preflight"),
            retrain_setting(Retrain.none() if retrain is None else retrain, "retrain"),
            flag(follow_up, "follow_up"),
            handler_deadline_seconds,
        )


@dataclass(frozen=True)
class RequestSettings:
    """One request's settings, checked once whatever the number of its dataset groups."""

    request_name: str
    users: UserList
    """As declared: each job binds it (validates, stages) when the job is declared."""
    completion: Completion
    """The request's own, or the construct's: resolved, never ``None``."""
    preflight: bool
    retrain: Retrain
    follow_up: bool
    """Checked to go with ``preflight``, whose check is what finds a reason to follow up."""
    tags: dict[str, str]
    """Checked against the service's tag rules; empty for none."""
    retrain_setting: str = "retrain"
    """How messages name where ``retrain`` came from: the request's or the construct's."""


class RequestOptions(TypedDict, total=False):
    """What one request may set for itself: the keywords ``delete_users`` and
    ``delete_users_from_groups`` take besides the group and the users, declared once for both
    (and for request files). One left out, or ``None``, is the construct's.

    :param tags: tags of the deletion job (of each job when the request fans out). Default:
        none.
    :param completion: overrides the construct's completion policy. Default: the construct's.
    :param preflight: overrides the construct's pre-flight setting. Default: the construct's.
    :param retrain: overrides the construct's retraining. Default: the construct's.
    :param follow_up: overrides the construct's follow-up setting. Default: the construct's.
    """

    tags: Mapping[str, str] | None
    completion: Completion | None
    preflight: bool | None
    retrain: Retrain | None
    follow_up: bool | None


@dataclass(frozen=True)
class RequestArguments:
    """A request as given to ``call`` (``delete_users`` or ``delete_users_from_groups``), not
    yet checked."""

    call: str
    users: UserList
    options: RequestOptions


def request_settings(
    request_name: str,
    given: RequestArguments,
    *,
    defaults: ConstructDefaults,
    declared: Collection[str],
) -> RequestSettings:
    """A request's settings: its own where given (``None`` means the construct's), checked.

    ``declared`` holds the construct's request names so far: a name is used once.
    """
    options = given.options
    refuse_unknown_keywords(options, RequestOptions.__optional_keys__, given.call)
    users, tags, completion = given.users, options.get("tags"), options.get("completion")
    preflight, retrain = options.get("preflight"), options.get("retrain")
    follow_up = options.get("follow_up")
    try:
        check_request_name(request_name, defaults.job_name_prefix)
    except RequestRuleError as exc:
        raise DeletionConfigError(f"request {request_name!r}: {exc}") from exc
    if request_name in declared:
        raise DeletionConfigError(
            f"request {request_name!r} is declared twice: either rename one request or remove "
            "the duplicate"
        )
    if not isinstance(users, UserList):
        raise TypeError(
            f"request {request_name!r}: users must be a UserList (UserList.from_csv, "
            f"from_ids, from_s3 or from_s3_prefix), not {type(users).__name__}"
        )
    if tags is not None and not isinstance(tags, Mapping):
        raise TypeError(
            f"request {request_name!r}: tags must map tag keys to values, not {type(tags).__name__}"
        )
    tag_map = dict(tags or {})
    try:
        check_tags(tag_map, where=f"request {request_name!r} tags")
    except RequestRuleError as exc:
        raise DeletionConfigError(str(exc)) from exc
    policy = (
        defaults.completion
        if completion is None
        else completion_setting(
            completion, f"request {request_name!r} completion", defaults.handler_deadline_seconds
        )
    )
    checks = defaults.preflight if preflight is None else flag(preflight, "preflight")
    retraining = defaults.retrain if retrain is None else retrain_setting(retrain, "retrain")
    further = defaults.follow_up if follow_up is None else flag(follow_up, "follow_up")
    if further and not checks:
        raise DeletionConfigError(
            f"request {request_name!r}: follow_up=True needs preflight=True: only the "
            "pre-flight's check finds imports or trainings that started during the job"
        )
    origin = "retrain" if retrain is not None else "retrain (the construct's)"
    return RequestSettings(
        request_name, users, policy, checks, retraining, further, tag_map, retrain_setting=origin
    )
