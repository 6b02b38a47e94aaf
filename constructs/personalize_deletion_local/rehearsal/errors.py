"""The two ways a rehearsal cannot give a verdict, kept apart from a deployment's failure.

``RehearsalError``: it could not run at all (synth failed, no cloud assembly, bad option).
``Unsupported``: it ran, but something in a stack is beyond what it can play faithfully; that
stack gets the verdict "unsupported" (never "passed").
"""

from __future__ import annotations


class RehearsalError(RuntimeError):
    """The rehearsal itself could not run (synth failed, assembly unreadable, bad option)."""


class Unsupported(RuntimeError):
    """A stack holds something the rehearsal cannot play faithfully; the message says what."""
