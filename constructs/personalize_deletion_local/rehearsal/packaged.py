"""The handler code a stack deploys, loaded from ``cdk.out`` and wired as the stack wires it.

Why from ``cdk.out``: the rehearsal must run what would be uploaded (the Lambda asset), not the
source tree, and reach it the way the stack does: the request's ``ServiceToken`` names the
Provider framework's function, whose environment names our ``onEvent``/``isComplete``
functions, whose environment configures them. Anything in that chain the rehearsal cannot
follow makes the stack "unsupported" rather than played with guesses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3

from ..provider_framework import ProviderFramework, UserFunction, Waiter
from .errors import RehearsalError, Unsupported
from .resolver import Resolver
from .world import RUNTIME_PACKAGE, SimClock

_MODULES = (
    "handlers",
    "lifecycle",
    "notifications",
    "personalize_api",
    "scopes",
    "staging",
    "tracker_steps",
    "tracking",
)


@dataclass
class Runtime:
    """The packaged ``personalize_deletion_runtime``, imported from its asset folder."""

    directory: Path
    modules: dict[str, ModuleType]

    def __getattr__(self, name: str) -> ModuleType:
        try:
            return self.modules[name]
        except KeyError:
            raise AttributeError(name) from None


_LOADED: dict[Path, Runtime] = {}


def load_runtime(directory: Path) -> Runtime:
    """Import the packaged handler from ``directory``, isolated from any source-tree copy
    (and from other stacks' copies: each folder is imported once, then reused)."""
    directory = directory.resolve()
    if directory in _LOADED:
        return _LOADED[directory]
    prefix = RUNTIME_PACKAGE
    saved = {n: m for n, m in sys.modules.items() if n == prefix or n.startswith(prefix + ".")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(directory))
    try:
        modules = {name: importlib.import_module(f"{prefix}.{name}") for name in _MODULES}
        origin = Path(modules["handlers"].__file__ or "").resolve()
        if directory not in origin.parents:
            raise RehearsalError(f"imported {origin}, not the packaged code in {directory}")
    finally:
        sys.path.remove(str(directory))
        for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
            del sys.modules[name]
        sys.modules.update(saved)
    _LOADED[directory] = Runtime(directory, modules)
    return _LOADED[directory]


def asset_directory(resolver: Resolver, function_id: str) -> Path:
    """The folder of a Lambda function's code asset (by ``aws:asset:path`` or by S3 key)."""
    template = resolver.template
    resource = template.resources[function_id]
    asset_path = resource.get("Metadata", {}).get("aws:asset:path")
    if asset_path and (template.directory / asset_path).is_dir():
        return template.directory / asset_path
    key = str(resolver.resolve(resource.get("Properties", {}).get("Code", {}).get("S3Key", "")))
    for asset in template.assets.values():
        keys = {d.get("objectKey") for d in asset.get("destinations", {}).values()}
        folder = template.directory / asset.get("source", {}).get("path", "")
        if key in keys and folder.is_dir():
            return folder
    raise Unsupported(f"the code of {template.path_of(function_id)} is not a folder in cdk.out")


@dataclass
class Provider:
    """One Provider framework of a stack, with our handlers behind it."""

    framework_id: str
    runtime: Runtime
    services: Any
    step_services: Any
    """What the tracker's step runs with: the same clients, its own function's environment."""
    framework: ProviderFramework
    waiter: Waiter
    on_event_name: str
    deadline_seconds: int


def provider_for(
    resolver: Resolver,
    service_token: Any,
    clock: SimClock,
    tracker: Any,
    write_metric: Callable[[str], None],
) -> Provider:
    """Follow a request's ``ServiceToken`` to the framework, the waiter and our handlers,
    with boto3 clients made now (the caller has the stack's endpoints in the environment).

    ``tracker`` is the stack's tracker (or ``None``); ``write_metric`` receives the
    embedded-metric-format lines the notifier writes."""
    template = resolver.template
    framework_id = _function_of(service_token)
    if framework_id is None or framework_id not in template.resources:
        raise Unsupported(f"ServiceToken {json.dumps(service_token)} is not a function here")
    framework_env = _environment(resolver, framework_id)
    functions = {
        site: _user_function(resolver, framework_env.get(variable), site)
        for site, variable in (
            ("on_event", "USER_ON_EVENT_FUNCTION_ARN"),
            ("is_complete", "USER_IS_COMPLETE_FUNCTION_ARN"),
        )
    }
    on_event_id, on_event_arn = functions["on_event"]
    runtime = load_runtime(asset_directory(resolver, on_event_id))
    env = _environment(resolver, on_event_id)
    lifecycle = runtime.lifecycle

    def client(service: str) -> Any:
        return boto3.client(service, config=runtime.handlers.CLIENT_CONFIG)

    services = lifecycle.Services(
        jobs=runtime.personalize_api.PersonalizeJobs(client("personalize")),
        storage=runtime.staging.Storage(client("s3")),
        notifier=runtime.notifications.Notifier(client("events"), write=write_metric),
        scopes=runtime.scopes.scopes_from(env),
        tracker=runtime.tracking.Tracker(client("stepfunctions"), tracker.arn) if tracker else None,
        clock=clock,
        deadline_seconds=int(env["HANDLER_DEADLINE_SECONDS"]),
        tracking_timeout_seconds=int(env["TRACKING_TIMEOUT_SECONDS"]),
    )
    waiter = _waiter(resolver, framework_env.get("WAITER_STATE_MACHINE_ARN"))
    _, is_complete_arn = functions["is_complete"]
    framework = ProviderFramework(
        UserFunction(on_event_arn, lambda event: lifecycle.on_event(event, services)),
        UserFunction(is_complete_arn, lambda event: lifecycle.is_complete(event, services)),
        waiter=waiter,
        wait=clock.advance,
    )
    return Provider(
        framework_id=framework_id,
        runtime=runtime,
        services=services,
        step_services=_step_services(resolver, tracker, runtime, services),
        framework=framework,
        waiter=waiter,
        on_event_name=on_event_arn.split(":")[-1],
        deadline_seconds=services.deadline_seconds,
    )


def _step_services(resolver: Resolver, tracker: Any, runtime: Runtime, services: Any) -> Any:
    """The handlers' services as the tracker's step function would build them from its own
    environment (``None`` without a tracker): what it lacks there, it lacks here too."""
    if tracker is None:
        return None
    step_id, _ = _user_function(resolver, tracker.function_arn, "track", "tracker")
    env = _environment(resolver, step_id)
    try:
        timeout = runtime.handlers.tracking_timeout_seconds(env)
    except RuntimeError as exc:
        raise RehearsalError(
            f"the tracker's step {resolver.template.path_of(step_id)}: {exc}"
        ) from exc
    return dataclasses.replace(
        services,
        scopes=runtime.scopes.scopes_from(env),
        tracker=None,
        tracking_timeout_seconds=timeout,
    )


def _function_of(value: Any) -> str | None:
    """The logical id in ``{"Fn::GetAtt": [id, "Arn"]}`` (or ``Ref``)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Fn::GetAtt":
            return str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
        if key == "Ref":
            return str(arg)
    return None


def _environment(resolver: Resolver, function_id: str) -> dict[str, str]:
    properties = resolver.template.resources[function_id].get("Properties", {})
    variables = properties.get("Environment", {}).get("Variables", {})
    what = f"environment of {resolver.template.path_of(function_id)}"
    return {k: str(v) for k, v in resolver.strict(variables, what).items()}


def _user_function(
    resolver: Resolver, arn: str | None, site: str, owner: str = "provider"
) -> tuple[str, str]:
    """``(logical id, ARN)`` of the function the ``owner`` (the provider's framework, or the
    tracker) invokes for ``site``; it must run this library's handler."""
    for logical_id, resource in resolver.template.resources.items():
        if resource.get("Type") == "AWS::Lambda::Function" and resolver.arn_of(logical_id) == arn:
            handler = str(resource.get("Properties", {}).get("Handler", ""))
            if handler != f"{RUNTIME_PACKAGE}.handlers.{site}":
                raise Unsupported(
                    f"the {owner}'s {site} function {resolver.template.path_of(logical_id)} "
                    f"runs {handler!r}, not {RUNTIME_PACKAGE}.handlers.{site}"
                )
            return logical_id, str(arn)
    invoker = "the Provider framework" if owner == "provider" else f"the {owner}"
    raise Unsupported(f"{invoker} invokes {arn}, which is not a function here")


def _waiter(resolver: Resolver, arn: str | None) -> Waiter:
    """The retry policy of the framework's waiter state machine (its isComplete task)."""
    for logical_id, resource in resolver.template.resources.items():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        if resolver.arn_of(logical_id) != arn:
            continue
        definition = resolver.resolve(resource.get("Properties", {}).get("DefinitionString", ""))
        with contextlib.suppress(ValueError, KeyError, TypeError, IndexError):
            retry = json.loads(definition)["States"]["framework-isComplete-task"]["Retry"][0]
            return Waiter(
                interval_seconds=float(retry["IntervalSeconds"]),
                max_attempts=int(retry["MaxAttempts"]),
                backoff_rate=float(retry.get("BackoffRate", 1)),
            )
    raise Unsupported(f"the Provider framework's waiter {arn} was not found or not understood")


__all__ = ["Provider", "Runtime", "asset_directory", "load_runtime", "provider_for"]
