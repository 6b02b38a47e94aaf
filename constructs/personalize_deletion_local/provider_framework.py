"""The CDK Provider framework (``custom_resources.Provider``), emulated in-process.

Why: between CloudFormation and our handlers sits the framework's own code (``framework.js``
and ``cfn-response.js`` in a Node.js Lambda, plus a waiter state machine). It decides what
CloudFormation records: the physical id of a failed create (a marker, so that the rollback's
Delete is answered by the framework without calling us), the reason text (``Error:`` prefix,
a ``Logs:`` line and stack frames around the handler's message), the merge of ``Data``, and
the timeout. The tests (``tests/lifecycle_support.play``) and the rehearsal both drive the
handlers through this one emulation, and ``tests/test_provider_framework.py`` holds it against
the real ``framework.js`` from a ``cdk.out``, run with Node, for success, failure and a failed
create with its rollback.

What is emulated, as aws-cdk-lib's framework does it (nodejs24.x):

* ``onEvent``: a Delete of a resource whose create failed (physical id
  :data:`CREATE_FAILED_MARKER`) is answered SUCCESS without invoking anything; otherwise the
  user ``onEvent`` function is invoked with the request; its ``PhysicalResourceId`` (default:
  the RequestId on Create, the old id on Update/Delete) and other fields are merged into the
  request, which starts the waiter;
* the waiter: ``isComplete`` at once, then every ``interval_seconds`` for ``max_attempts``
  retries; not complete with non-empty ``Data`` is an error; out of attempts is
  ``Operation timed out``;
* the answer: ``{Status, Reason, StackId, RequestId, PhysicalResourceId, LogicalResourceId,
  NoEcho, Data}`` as ``JSON.stringify`` writes it (absent members omitted, UTF-8), with the
  failure reason ``Error: <message>\\n\\nLogs: /aws/lambda/<function>\\n\\n    at ...`` (the
  frames are those Node prints for the framework's code in ``/var/task``).

What is not: NoEcho redaction in logs, the framework's own logging, Lambda retries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CREATE_FAILED_MARKER = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"
"""The physical id the framework answers a failed Create with (cfn-response.js)."""
MISSING_PHYSICAL_ID_MARKER = "AWSCDK::CustomResourceProviderFramework::MISSING_PHYSICAL_ID"
RESPONSE_LIMIT_BYTES = 4096
"""CloudFormation's limit on a custom resource response body."""
TIMEOUT_REASON = "Operation timed out"
DATA_NOT_ALLOWED = '"Data" is not allowed if "IsComplete" is "False"'

_TASK = "/var/task"
_FRAMES: Mapping[str, tuple[str, ...]] = {
    # the user function raised, seen from the framework's onEvent / isComplete
    "onEvent": (
        f"invokeUserFunction ({_TASK}/framework.js:2:6)",
        f"async onEvent ({_TASK}/framework.js:1:1411)",
        f"async Object.onEvent ({_TASK}/cfn-response.js:1:2865)",
    ),
    "isComplete": (
        f"invokeUserFunction ({_TASK}/framework.js:2:6)",
        f"async isComplete ({_TASK}/framework.js:1:2631)",
        f"async Object.isComplete ({_TASK}/cfn-response.js:1:2865)",
    ),
    # errors the framework raises itself
    "data-not-allowed": (
        f"isComplete ({_TASK}/framework.js:1:3018)",
        f"async Object.isComplete ({_TASK}/cfn-response.js:1:2865)",
    ),
    "null-is-complete": (
        f"isComplete ({_TASK}/framework.js:1:2934)",
        f"async Object.isComplete ({_TASK}/cfn-response.js:1:2865)",
    ),
    "delete-changes-id": (
        f"createResponseEvent ({_TASK}/framework.js:3:305)",
        f"onEvent ({_TASK}/framework.js:1:1701)",
        f"async Object.onEvent ({_TASK}/cfn-response.js:1:2865)",
    ),
}
"""Stack frames Node 24 prints for each error site of aws-cdk-lib's (minified) framework code;
the test against the real framework compares function names and files, not columns."""


class NotEmulated(RuntimeError):
    """A request or answer outside what the emulation reproduces faithfully."""


Handler = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class UserFunction:
    """One of the app's handler functions, as the framework reaches it: by ARN."""

    arn: str
    handler: Handler

    def invoke(self, event: Mapping[str, Any]) -> Invocation:
        """Invoke the handler the way Lambda's Python runtime does: the event arrives as
        parsed JSON; an exception becomes an ``Unhandled`` function error whose payload
        carries ``errorMessage`` (``str(exc)``) and ``errorType``; a result that is not
        JSON-serializable is a ``Runtime.MarshalError``."""
        payload = json.loads(json.dumps(event))
        try:
            result = self.handler(payload)
        except Exception as exc:
            return Invocation(_error_payload(str(exc), type(exc).__name__), "Unhandled")
        try:
            return Invocation(json.loads(json.dumps(result)))
        except (TypeError, ValueError) as exc:
            message = f"Unable to marshal response: {exc}"
            return Invocation(_error_payload(message, "Runtime.MarshalError"), "Unhandled")


@dataclass(frozen=True)
class Invocation:
    """What Lambda returns to the framework: the JSON payload and, if it raised, an error."""

    payload: Any
    function_error: str | None = None


def _error_payload(message: str, error_type: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}


@dataclass(frozen=True)
class Response:
    """The body the framework PUTs to CloudFormation's ResponseURL (``submitResponse``)."""

    status: str
    reason: str
    stack_id: str | None
    request_id: str | None
    physical_id: str
    logical_id: str | None
    no_echo: Any = None
    data: Any = None

    def to_json(self) -> dict[str, Any]:
        """The members in the framework's order; ``undefined`` ones are left out, as
        ``JSON.stringify`` does."""
        members = {
            "Status": self.status,
            "Reason": self.reason,
            "StackId": self.stack_id,
            "RequestId": self.request_id,
            "PhysicalResourceId": self.physical_id,
            "LogicalResourceId": self.logical_id,
            "NoEcho": self.no_echo,
            "Data": self.data,
        }
        return {name: value for name, value in members.items() if value is not None}

    def body(self) -> bytes:
        """The bytes sent: compact JSON, non-ASCII characters as UTF-8 (not escaped)."""
        text = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))
        return text.encode()

    @property
    def size(self) -> int:
        return len(self.body())

    @property
    def fits(self) -> bool:
        """Whether CloudFormation accepts it (at most :data:`RESPONSE_LIMIT_BYTES` bytes)."""
        return self.size <= RESPONSE_LIMIT_BYTES

    @property
    def status_reason(self) -> str:
        """What CloudFormation shows as the resource's status reason for this answer."""
        if self.status == "SUCCESS":
            return ""
        return (
            "Received response status [FAILED] from custom resource. Message returned: "
            f"{self.reason} (RequestId: {self.request_id})"
        )


@dataclass(frozen=True)
class Played:
    """One CloudFormation request, played through the framework to its answer."""

    request: dict[str, Any]
    response: Response
    message: str | None
    """The error as raised (the handler's ``errorMessage`` or the framework's own), or
    ``None`` when the answer is SUCCESS."""
    polls: int
    """``isComplete`` invocations."""
    waiter_input: dict[str, Any] | None
    """What ``onEvent`` started the waiter with (the request merged with its result)."""
    answered_by_framework: bool = False
    """A rollback Delete of a failed create: no handler was invoked."""

    @property
    def succeeded(self) -> bool:
        """Whether CloudFormation takes the request as done: a SUCCESS answer that fits.

        A body over :data:`RESPONSE_LIMIT_BYTES` fails the resource whatever its ``Status``
        (the framework PUTs it unchecked), in every phase: Create, Update and Delete."""
        return self.response.status == "SUCCESS" and self.response.fits


@dataclass(frozen=True)
class Waiter:
    """The waiter state machine's retry policy for ``isComplete`` (from its definition)."""

    interval_seconds: float = 5
    max_attempts: int = 360
    backoff_rate: float = 1.0


class _Failure(Exception):
    """An error inside the framework's handler: the reason is its ``stack``."""

    def __init__(self, message: str, stack: str) -> None:
        super().__init__(message)
        self.message = message
        self.stack = stack


class ProviderFramework:
    """The framework's onEvent, waiter, isComplete and onTimeout around two user functions.

    ``wait(seconds)`` moves the simulated clock between polls; ``on_poll(attempt, event,
    invocation)`` sees every ``isComplete`` answer (for progress lines).
    """

    def __init__(
        self,
        on_event: UserFunction,
        is_complete: UserFunction | None,
        *,
        waiter: Waiter,
        wait: Callable[[float], None],
        on_poll: Callable[[int, dict[str, Any], Invocation], None] | None = None,
    ) -> None:
        self.on_event = on_event
        self.is_complete = is_complete
        self.waiter = waiter
        self.wait = wait
        self.on_poll = on_poll

    def handle(self, request: Mapping[str, Any]) -> Played:
        """Answer one CloudFormation request as the framework would."""
        # A JSON copy, as the framework receives it: the caller's mapping is never changed.
        event: dict[str, Any] = json.loads(json.dumps(request))
        if (
            event.get("RequestType") == "Delete"
            and event.get("PhysicalResourceId") == CREATE_FAILED_MARKER
        ):
            response = _response("SUCCESS", event)
            return Played(event, response, None, 0, None, answered_by_framework=True)
        try:
            waiter_input = self._start(event)
        except _Failure as failure:
            if not event.get("PhysicalResourceId") and event.get("RequestType") == "Create":
                event["PhysicalResourceId"] = CREATE_FAILED_MARKER
            response = _response("FAILED", event, reason=failure.stack)
            return Played(event, response, failure.message, 0, None)
        if self.is_complete is None:
            response = _response("SUCCESS", waiter_input, no_echo=waiter_input.get("NoEcho"))
            return Played(event, response, None, 0, waiter_input)
        return self._wait(event, waiter_input)

    def _start(self, request: dict[str, Any]) -> dict[str, Any]:
        """``onEvent``: invoke the user function, merge its answer into the request."""
        result = self._invoke(self.on_event, request, "onEvent")
        if result is None:
            result = {}
        if not isinstance(result, dict):
            raise NotEmulated(f"onEvent returned {type(result).__name__}, not a JSON object")
        physical_id = result.get("PhysicalResourceId") or _default_physical_id(request)
        if request["RequestType"] == "Delete" and physical_id != request.get("PhysicalResourceId"):
            message = (
                'DELETE: cannot change the physical resource ID from "'
                f'{request.get("PhysicalResourceId")}" to "{result.get("PhysicalResourceId")}" '
                "during deletion"
            )
            raise _Failure(message, _stack(message, "delete-changes-id"))
        return {**request, **result, "PhysicalResourceId": physical_id}

    def _wait(self, request: dict[str, Any], event: dict[str, Any]) -> Played:
        """The waiter: ``isComplete`` until complete, failed or out of attempts."""
        assert self.is_complete is not None
        delay = float(self.waiter.interval_seconds)
        for attempt in range(1, self.waiter.max_attempts + 2):
            try:
                done = self._poll(attempt, event)
            except _Failure as failure:
                response = _response("FAILED", event, reason=failure.stack)
                return Played(request, response, failure.message, attempt, event)
            if done is not None:
                return Played(request, done, None, attempt, event)
            if attempt <= self.waiter.max_attempts:
                self.wait(delay)
                delay *= self.waiter.backoff_rate
        response = _response("FAILED", event, reason=TIMEOUT_REASON)
        return Played(request, response, TIMEOUT_REASON, self.waiter.max_attempts + 1, event)

    def _poll(self, attempt: int, event: dict[str, Any]) -> Response | None:
        """The framework's ``isComplete``: the SUCCESS answer, or ``None`` to retry."""
        assert self.is_complete is not None
        result = self._invoke(self.is_complete, event, "isComplete", attempt=attempt)
        if result is None:
            message = "Cannot read properties of null (reading 'IsComplete')"
            raise _Failure(message, _stack(message, "null-is-complete", error="TypeError"))
        if not isinstance(result, dict):
            raise NotEmulated(f"isComplete returned {type(result).__name__}, not a JSON object")
        if not _js_truthy(result.get("IsComplete")):
            if _has_keys(result.get("Data")):
                raise _Failure(DATA_NOT_ALLOWED, _stack(DATA_NOT_ALLOWED, "data-not-allowed"))
            return None
        merged = {**event, **result}
        merged["Data"] = {**(event.get("Data") or {}), **(result.get("Data") or {})}
        return _response("SUCCESS", merged, no_echo=event.get("NoEcho"))

    def _invoke(
        self, function: UserFunction, event: dict[str, Any], site: str, *, attempt: int = 0
    ) -> Any:
        answer = function.invoke(event)
        if site == "isComplete" and self.on_poll is not None:
            self.on_poll(attempt, event, answer)
        if answer.function_error is None:
            return answer.payload
        payload = answer.payload if isinstance(answer.payload, dict) else {}
        error = payload.get("errorMessage") or "error"
        # The framework names the log group after the function name, the ARN's last part.
        message = f"{error}\n\nLogs: /aws/lambda/{function.arn.split(':')[-1]}\n"
        raise _Failure(error, _stack(message, site))


def _default_physical_id(request: Mapping[str, Any]) -> str:
    request_type = request.get("RequestType")
    if request_type == "Create":
        return str(request["RequestId"])
    if request_type in ("Update", "Delete"):
        return str(request.get("PhysicalResourceId"))
    raise NotEmulated(f'Invalid "RequestType" {request_type!r}')


def _response(
    status: str, event: Mapping[str, Any], *, reason: str | None = None, no_echo: Any = None
) -> Response:
    return Response(
        status=status,
        reason=reason or status,
        stack_id=event.get("StackId"),
        request_id=event.get("RequestId"),
        physical_id=event.get("PhysicalResourceId") or MISSING_PHYSICAL_ID_MARKER,
        logical_id=event.get("LogicalResourceId"),
        no_echo=no_echo,
        data=event.get("Data"),
    )


def _stack(message: str, site: str, *, error: str = "Error") -> str:
    """``error.stack`` as Node renders it: ``<Error>: <message>`` then one line per frame."""
    return "\n".join([f"{error}: {message}", *(f"    at {frame}" for frame in _FRAMES[site])])


def _js_truthy(value: Any) -> bool:
    """JavaScript truthiness (``"false"`` is true there)."""
    return value not in (None, False, 0, "") and value == value  # NaN is falsy


def _has_keys(value: Any) -> bool:
    """``Object.keys(value).length > 0`` for a truthy value."""
    return isinstance(value, dict | list | str) and len(value) > 0


__all__ = [
    "CREATE_FAILED_MARKER",
    "MISSING_PHYSICAL_ID_MARKER",
    "RESPONSE_LIMIT_BYTES",
    "TIMEOUT_REASON",
    "Invocation",
    "NotEmulated",
    "Played",
    "ProviderFramework",
    "Response",
    "UserFunction",
    "Waiter",
]
