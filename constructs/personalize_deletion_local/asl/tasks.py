"""Task integrations for the local States Language interpreter (this package).

A Task state's ``Resource`` names an integration; this module performs the two the project's
definitions use, the way Step Functions does, so a locally run definition sees the same raw
results and the same error names as a deployed one:

* ``arn:<partition>:states:::lambda:invoke`` (the optimized Lambda integration) calls a Python
  function in-process and wraps its return value in the invoke response envelope; a raised
  exception becomes the error Step Functions reports for an unhandled function error.
* ``arn:<partition>:states:::aws-sdk:<service>:<apiAction>`` calls a real boto3 client,
  translating between Step Functions' PascalCase field names and botocore's member names.

The engine (``engine``) re-exports everything here; this module does not import
it, so the two cannot form an import cycle. botocore is imported only inside the SDK adapter.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

LAMBDA_INVOKE = re.compile(r"arn:[^:]+:states:::lambda:invoke")
AWS_SDK = re.compile(
    r"arn:[^:]+:states:::aws-sdk:(?P<service>[a-z0-9.-]+):(?P<action>[A-Za-z0-9]+)"
)


class TaskFailed(Exception):
    """A Task state's work failed with an ASL error name, which ``Retry``/``Catch`` may handle.

    Task handlers raise it for failures the state machine is expected to deal with (a Lambda
    function error, an AWS service error). Any other exception from a handler is a bug in the
    handler or its wiring and propagates out of the interpreter instead.
    """

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class TaskHandler:
    """One integration: which ``Resource`` values it serves and how it performs them.

    Callable as ``handler(resource, parameters)`` like any ``tasks`` function, and combinable with
    others by ``combine``, which routes on ``handles``.
    """

    handles: Callable[[str], bool]
    perform: Callable[[str, Any], Any]

    def __call__(self, resource: str, parameters: Any) -> Any:
        if not self.handles(resource):
            raise LookupError(f"no local integration for task resource {resource}")
        return self.perform(resource, parameters)


def combine(*handlers: TaskHandler) -> Callable[[str, Any], Any]:
    """One ``tasks`` function routing each Resource to the first handler that serves it.

    A Resource nothing serves raises ``LookupError`` naming it: a definition calling a service
    the local run has not wired is a set-up mistake, never a task failure to retry or catch.
    """

    def tasks(resource: str, parameters: Any) -> Any:
        for handler in handlers:
            if handler.handles(resource):
                return handler.perform(resource, parameters)
        raise LookupError(f"no local integration for task resource {resource}")

    return tasks


def lambda_invoke(functions: Mapping[str, Callable[[Any], Any]]) -> TaskHandler:
    """The optimized ``lambda:invoke`` integration over in-process functions.

    ``functions`` maps a FunctionName (an ARN or a bare name) to a callable taking the event.
    The raw result is the invoke response envelope (so definitions select ``$.Payload`` as they
    must when deployed); an exception raised by the function becomes ``TaskFailed`` with the
    exception's class name as error and the Lambda runtime's JSON error document as cause.
    """

    def perform(resource: str, parameters: Any) -> Any:
        if not isinstance(parameters, dict) or set(parameters) != {"FunctionName", "Payload"}:
            raise ValueError(
                f"{resource}: only Parameters with exactly FunctionName and Payload are "
                f"simulated, got {parameters!r}"
            )
        function = _find_function(functions, parameters["FunctionName"])
        request_id = str(uuid.uuid4())
        try:
            returned = function(_wire(parameters["Payload"]))
        except Exception as exc:
            document = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": request_id,
                # The runtime's trace starts in the handler, not in the code that called it.
                "stackTrace": traceback.format_tb(exc.__traceback__)[1:],
            }
            raise TaskFailed(type(exc).__name__, json.dumps(document)) from exc
        return {
            "ExecutedVersion": "$LATEST",
            "Payload": _wire(returned),
            "SdkHttpMetadata": {"HttpStatusCode": 200},
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": 200,
        }

    return TaskHandler(lambda resource: LAMBDA_INVOKE.fullmatch(resource) is not None, perform)


def aws_sdk(clients: Callable[[str], Any]) -> TaskHandler:
    """The ``aws-sdk:<service>:<apiAction>`` integration over boto3 clients.

    ``clients(service)`` returns the boto3 client for the Resource's service name. Parameter
    names are converted to the operation's botocore member names and the response back to the
    PascalCase names Step Functions returns, both by walking the operation's shapes. A service
    error with code ``C`` becomes ``TaskFailed("<ServiceId>.C[Exception]", <message>)``, the
    naming Step Functions documents for SDK integrations.
    """

    def perform(resource: str, parameters: Any) -> Any:
        from botocore import xform_name
        from botocore.exceptions import ClientError

        match = AWS_SDK.fullmatch(resource)
        if match is None:
            raise LookupError(f"not an aws-sdk task resource: {resource}")
        client = clients(match["service"])
        model = client.meta.service_model
        action = match["action"]
        operation = action[0].upper() + action[1:]
        if operation not in model.operation_names:
            raise LookupError(f"{resource}: {model.service_name} has no operation {operation}")
        shapes = model.operation_model(operation)
        request = _to_sdk({} if parameters is None else parameters, shapes.input_shape)
        try:
            response = getattr(client, xform_name(operation))(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            suffix = "" if code.endswith("Exception") else "Exception"
            prefix = str(model.service_id).replace(" ", "")
            raise TaskFailed(f"{prefix}.{code}{suffix}", str(error.get("Message", ""))) from exc
        response.pop("ResponseMetadata", None)
        return _from_sdk(response, shapes.output_shape)

    return TaskHandler(lambda resource: AWS_SDK.fullmatch(resource) is not None, perform)


def _find_function(functions: Mapping[str, Callable[[Any], Any]], name: Any) -> Callable[..., Any]:
    """Exact FunctionName first, else the one function whose bare name matches."""
    if not isinstance(name, str):
        raise LookupError(f"FunctionName must be a string, got {name!r}")
    if name in functions:
        return functions[name]
    found = [function for key, function in functions.items() if _bare(key) == _bare(name)]
    if len(found) != 1:
        raise LookupError(f"no local function for FunctionName {name!r}")
    return found[0]


def _bare(name: str) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>`` -> ``<name>``; anything else as is.

    A qualified ARN (``...:<name>:<alias>``) is kept whole: it must be registered exactly.
    """
    parts = name.split(":")
    return parts[6] if len(parts) == 7 and parts[0] == "arn" and parts[5] == "function" else name


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _to_sdk(value: Any, shape: Any) -> Any:
    """Step Functions' names -> botocore member names, following the input shape."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {_lower_first(member): member for member in shape.members}
        converted = {}
        for key, item in value.items():
            member = members.get(_lower_first(key))
            # An unknown name is passed on unchanged for botocore's validation to reject.
            converted[member or key] = (
                item if member is None else _to_sdk(item, shape.members[member])
            )
        return converted
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_sdk(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_sdk(item, shape.value) for key, item in value.items()}
    return value


def _from_sdk(value: Any, shape: Any) -> Any:
    """botocore's response -> Step Functions' PascalCase names and JSON values."""
    if isinstance(value, dt.datetime):
        instant = value.astimezone(dt.UTC) if value.tzinfo else value
        return instant.strftime("%Y-%m-%dT%H:%M:%S") + f".{instant.microsecond // 1000:03d}Z"
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    kind = getattr(shape, "type_name", None)
    if isinstance(value, dict) and kind == "map":
        return {key: _from_sdk(item, shape.value) for key, item in value.items()}
    if isinstance(value, dict):
        members = shape.members if kind == "structure" else {}
        return {
            key[:1].upper() + key[1:]: _from_sdk(item, members.get(key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_from_sdk(item, shape.member if kind == "list" else None) for item in value]
    return value


def _wire(value: Any) -> Any:
    """What survives a trip through JSON: handlers see exactly what crosses the wire."""
    return json.loads(json.dumps(value))
