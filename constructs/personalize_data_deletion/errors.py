"""The error every construct-level setting check raises, in a module of its own.

Settings, environment, bucket and event-rule checks all live in separate modules and all raise
this one type; keeping it here lets each of them import it without importing the construct
(``personalize_data_deletion.DeletionConfigError`` is still the name users catch).
"""

from __future__ import annotations


class DeletionConfigError(ValueError):
    """A construct setting that would make a deletion unsafe or impossible."""


__all__ = ["DeletionConfigError"]
