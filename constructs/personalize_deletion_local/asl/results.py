"""What an execution of the interpreter leaves behind: its clock's interface, every state visit
and the result ``DescribeExecution`` would give, kept apart from the engine that produces them
so that the rehearsal and the benchmarks read results without the engine's internals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


class Clock(Protocol):
    """Simulated time: Wait states and retry delays advance it instead of sleeping."""

    def now(self) -> float:
        """Epoch seconds."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        ...


@dataclass
class Visit:
    """One entry into a state: what it received, produced or failed with, how often retried."""

    state: str
    type: str
    entered_at: float
    input: Any
    output: Any | None = None
    error: str | None = None
    retries: int = 0
    resource: str | None = None
    """A Task's Resource, ``None`` for other states."""
    calls: int = 0
    """How often a Task called its resource (1 + retries, unless its Parameters failed)."""


@dataclass
class ExecutionResult:
    """How an execution ended, with every state visit, as ``DescribeExecution`` would say."""

    status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT"]
    output: Any | None
    error: str | None
    cause: str | None
    started_at: float
    stopped_at: float
    visits: list[Visit] = field(default_factory=list)
    transitions: int = 0
    """One per state entered plus one per retry attempt: what a standard workflow bills."""

    @property
    def history_events(self) -> int:
        """The events a standard workflow's history would hold for this run: the execution's
        start and end, each state's entered and exited (a Fail state ends the execution
        instead of exiting), and each Task call's scheduled, started and succeeded or failed.
        Step Functions fails an execution whose history would exceed 25,000 events."""
        events = 2
        for visit in self.visits:
            events += (1 if visit.type == "Fail" else 2) + 3 * visit.calls
        return events

    def states(self) -> list[str]:
        """The names of the states entered, in order."""
        return [visit.state for visit in self.visits]

    def task_calls(self, resource_prefix: str = "") -> int:
        """How many times a Task resource starting with ``resource_prefix`` was called."""
        return sum(
            visit.calls
            for visit in self.visits
            if visit.resource is not None and visit.resource.startswith(resource_prefix)
        )
