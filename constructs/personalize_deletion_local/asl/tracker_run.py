"""Run the tracker's real state machine definition locally, on a simulated clock.

The definition comes from the synthesized template (or from the construct's own builder, which
the tests hold equal to it); its Lambda step runs the runtime package in-process and its
``aws-sdk:personalize`` step calls Personalize through a real boto3 client (the test double
behind it). Used by the tests and by the rehearsal, so both exercise the same definition the
stack deploys, not a hand-written copy of its flow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .engine import run_execution
from .results import Clock, ExecutionResult
from .tasks import aws_sdk, combine, lambda_invoke

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitute(definition: str, substitutions: Mapping[str, str]) -> dict[str, Any]:
    """Apply CloudFormation ``DefinitionSubstitutions`` to a definition string and parse it.

    Every ``${Name}`` must have a value: a placeholder left over would reach Step Functions
    as literal text, so it is an error here too.
    """
    missing = sorted({name for name in _PLACEHOLDER.findall(definition)} - set(substitutions))
    if missing:
        raise KeyError(f"definition substitutions missing for {', '.join(missing)}")
    return json.loads(_PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], definition))


@dataclass
class TrackerRun:
    """One tracker definition with what its tasks reach: functions by ARN, clients by service."""

    definition: Mapping[str, Any]
    state_machine_arn: str
    functions: Mapping[str, Callable[[Any], Any]]
    clients: Mapping[str, Any]
    clock: Clock

    def execute(self, name: str, execution_input: Any) -> ExecutionResult:
        """Run execution ``name`` from start to end; the clock moves through every wait."""
        return run_execution(
            self.definition,
            execution_input,
            tasks=combine(
                lambda_invoke(self.functions),
                aws_sdk(lambda service: self.clients[service]),
            ),
            clock=self.clock,
            execution_name=name,
            state_machine_arn=self.state_machine_arn,
        )
