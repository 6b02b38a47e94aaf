"""The comparators of Choice rules for the local ASL interpreter, and how each one compares.

Why it is separate: the set of supported comparators is needed both by the load-time validation
(``validate`` rejects any other) and by the engine (``engine`` picks a rule's comparator and
evaluates it), and comparing values of every type by Step Functions' rules is a concern of its
own, apart from walking the states.
"""

from __future__ import annotations

import operator
import re
from typing import Any

from .paths import instant, is_number

__all__ = ["COMPARATORS", "compare"]

_ORDER = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
COMPARATORS = {f"{kind}{op}" for kind in ("String", "Numeric", "Timestamp") for op in _ORDER}
COMPARATORS |= {"BooleanEquals"}
COMPARATORS |= {f"{name}Path" for name in COMPARATORS} | {"StringMatches"}
COMPARATORS |= {"IsNull", "IsPresent", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"}


def compare(comparator: str, value: Any, operand: Any) -> bool:
    """One comparator; a value of the wrong type makes it false, never an error."""
    checks = {
        "IsNull": lambda: value is None,
        "IsString": lambda: isinstance(value, str),
        "IsNumeric": lambda: is_number(value),
        "IsBoolean": lambda: isinstance(value, bool),
        "IsTimestamp": lambda: instant(value) is not None,
    }
    if comparator in checks:
        return checks[comparator]() == operand
    if comparator == "BooleanEquals":
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    if comparator == "StringMatches":
        pattern = "".join(
            ".*" if part == "*" else re.escape(part[-1])
            for part in re.findall(r"\\.|\*|[^\\*]", operand)
        )
        return isinstance(value, str) and re.fullmatch(pattern, value, re.DOTALL) is not None
    kind = next(kind for kind in ("String", "Numeric", "Timestamp") if comparator.startswith(kind))
    if kind == "String" and not (isinstance(value, str) and isinstance(operand, str)):
        return False
    if kind == "Numeric" and not (is_number(value) and is_number(operand)):
        return False
    if kind == "Timestamp":
        value, operand = instant(value), instant(operand)
        if value is None or operand is None:
            return False
    return _ORDER[comparator[len(kind) :]](value, operand)
