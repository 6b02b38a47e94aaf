"""The error every construct-level setting check raises, in a module of its own.

Settings, environment, bucket and event-rule checks all live in separate modules and all raise
this one type; keeping it here lets each of them import it without importing the construct
(``personalize_data_deletion.DeletionConfigError`` is still the name users catch).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


class DeletionConfigError(ValueError):
    """A construct setting that would make a deletion unsafe or impossible."""


def refuse_unknown_keywords(
    options: Mapping[str, object], known: Collection[str], call: str
) -> None:
    """``**options`` typed with a ``TypedDict`` accept any keyword at run time: refuse one the
    type does not declare, with the ``TypeError`` Python gives for a named parameter."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"{call}() got an unexpected keyword argument {unknown[0]!r}")


__all__ = ["DeletionConfigError", "refuse_unknown_keywords"]
