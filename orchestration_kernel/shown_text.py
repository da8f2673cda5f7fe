"""What a view shows of text a model or a user wrote: with every credential masked.

The contract promises no API key in a notebook output, in any form, and a saved notebook
is a file on disk that gets shared. With the Guardian on, a reply has been through its
output check already; with ``guardian=False`` nothing has, and a model that echoes a key
from its prompt would put it in the cell's output. So every view (the compare and matrix
views, a run's live table, a cell's rendered reply, an ``--over`` frame) passes the text it
shows through the credential floor (:func:`~.guardian.secrets_only.redact_secrets`, the
secrets policy's detectors alone, as the audit uses when there is no Guardian). Only what
is shown is masked: the objects the user gets in Python (``reply.text``, a frame's cells)
keep what the model wrote.
"""

from __future__ import annotations

import numbers
from typing import Any

__all__ = ["shown", "shown_value"]


def shown(text: str) -> str:
    """``text`` as a view shows it: every credential the secrets policy finds masked."""
    if not text:
        return text
    from .guardian.secrets_only import redact_secrets  # the detectors load on first view

    return redact_secrets(text)


def shown_value(value: Any) -> Any:
    """A cell as a view shows it: text masked (:func:`shown`); a number, a missing value
    or a boolean as it is; anything else (a dict, a list) as its masked ``str`` when that
    holds a credential, else as it is."""
    if isinstance(value, str):
        return shown(value)
    if value is None or isinstance(value, numbers.Number | bool):
        return value
    text = str(value)
    masked = shown(text)
    return value if masked == text else masked
