"""Sets in an audit row's ``detail``, in an order that does not depend on the hash seed.

A ``set`` iterates in an order that depends on ``PYTHONHASHSEED`` (for strings), so a
detail holding one was encoded differently, and hashed differently, in two processes. The
row encoder (:mod:`.rows`) asks :func:`stable_order` for a set's members before encoding
them, as a JSON list. The order is by each member's text (``str``, as a top-level set was
always sorted), ties and members holding sets of their own by their canonical JSON.

Only values that hold a set take this path: every other row encodes byte for byte as it
did before (the chain's canonical encoding is unchanged).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_default", "stable_order"]


def stable_order(members: set[Any] | frozenset[Any]) -> list[Any]:
    """The members of ``members``, sorted as the module docstring says."""
    return sorted(members, key=_sort_key)


def json_default(value: object) -> object:
    """The ``default=`` of the audit's JSON encoding: a set as its members in
    :func:`stable_order` (encoded as a list), anything else as its ``str``."""
    if isinstance(value, set | frozenset):
        return stable_order(value)
    return str(value)


def _sort_key(value: object) -> tuple[str, str]:
    canonical = json.dumps(value, default=json_default, ensure_ascii=False, sort_keys=True)
    return (canonical if _holds_set(value) else str(value), canonical)


def _holds_set(value: object) -> bool:
    if isinstance(value, frozenset):
        return True
    return isinstance(value, tuple) and any(_holds_set(v) for v in value)
