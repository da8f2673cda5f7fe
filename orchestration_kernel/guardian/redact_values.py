"""Redacting what a notebook hands the Guardian besides text: pandas columns and tables,
missing values and numbers (``df.notes.map(guardian.redact)`` meets all three).

A Series or DataFrame is redacted cell by cell; a missing value (``None``, NaN, ``pd.NA``,
``NaT``) is returned as it is, since there is nothing in it; a number is redacted by its
digits (an SSN or a card kept as an integer is still personal), and returned unchanged
when nothing in it is. Anything else is a :class:`ConfigurationError`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from ..errors import ConfigurationError

__all__ = ["redact_value"]


def redact_value(value: object, redact: Callable[[str], str]) -> object:
    """``value`` redacted with ``redact`` (which takes text), as the module says."""
    if _is_missing(value):
        return value
    cell_map = getattr(value, "map", None)
    if callable(cell_map) and hasattr(value, "index"):  # a pandas Series or DataFrame
        # Each cell: text through ``redact``; a missing value or number as above.
        return cell_map(
            lambda cell: redact(cell) if isinstance(cell, str) else redact_value(cell, redact)
        )
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        digits = _digits(value)
        redacted = redact(digits)
        return value if redacted == digits else redacted
    raise ConfigurationError(
        f"redact() takes text, a pandas Series or DataFrame, or a number, not "
        f"{type(value).__name__}"
    )


def _digits(value: numbers.Number) -> str:
    # A card number in a float column is 4111111111111111.0: its digits are the integer's.
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        if number.is_integer() and abs(number) < 2**63:
            return str(int(number))
    return str(value)


def _is_missing(value: object) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(value, float) and math.isnan(value)
