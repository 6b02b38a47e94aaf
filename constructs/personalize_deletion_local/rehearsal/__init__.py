"""Rehearse a deployment's whole deletion lifecycle locally, without an AWS account.

The app is synthesized with the real CDK CLI; every stack of the cloud assembly (Stage
assemblies and nested stacks included) is played, in deployment order, against local
stand-ins (moto's S3, Step Functions, EventBridge and SQS, and the Personalize double) with
the handler code packaged in ``cdk.out``, through the one Provider framework emulation the
tests hold against the real ``framework.js``. Time is simulated. One verdict covers every
stack. One concern per module: ``assembly`` (reading cdk.out), ``synth``, ``resolver``
(intrinsic functions), ``world`` (local services), ``packaged`` (the handlers as deployed),
``stack_run`` (a template made ready), ``phases`` (create/rollback, tracker, update, delete),
``tracker`` and ``report`` (what is printed).
"""

from __future__ import annotations

from pathlib import Path

from .assembly import read_assembly
from .errors import RehearsalError, Unsupported
from .phases import Options, Rehearsal
from .synth import synthesize
from .world import Out, Seed, World


def rehearse(
    app_dir: Path,
    *,
    scenario: str = "handoff",
    cdk_out: Path | None = None,
    synth: bool = True,
    context: tuple[str, ...] = (),
    stacks: tuple[str, ...] = (),
    seeds: tuple[Seed, ...] = (),
    request_scenarios: dict[str, str] | None = None,
    show_receipts: bool = False,
    out: Out = print,
) -> int:
    """Run the rehearsal; returns the process exit status (see :mod:`..cli`)."""
    app_dir = app_dir.resolve()
    cdk_out = (cdk_out or app_dir / "cdk.out").resolve()
    if synth:
        synthesize(app_dir, cdk_out, context=context, stacks=stacks, out=out)
    assembly = read_assembly(cdk_out, stacks)
    world = World(scenario, seeds)
    out(f"local S3, Step Functions, EventBridge and SQS (moto): {world.moto_url}")
    out(
        f"scenario: {scenario}"
        + "".join(f"; {n}: {s}" for n, s in (request_scenarios or {}).items())
    )
    try:
        options = Options(scenario, dict(request_scenarios or {}), show_receipts)
        return Rehearsal(assembly, world, options, out).run()
    finally:
        world.close()


__all__ = ["RehearsalError", "Seed", "Unsupported", "rehearse"]
