"""Near names for "did you mean" hints: one rule for every unknown-name message.

Exact-case matches first (difflib, cutoff 0.6), then case-insensitive ones, so ``PII``
finds ``pii`` and ``modle`` finds ``model``.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping

__all__ = ["IPYTHON_NAMES", "data_names", "did_you_mean", "nearest"]

#: Names IPython puts in every user namespace. Never what a misspelt variable meant
#: (``questionz`` is nearer ``get_ipython`` than nothing, ``amount`` nearer ``Out``), so
#: suggestions drawn from a user's namespace leave them out.
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "open", "get_ipython"})


def nearest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``name`` (difflib), best first."""
    import difflib  # here: only a mistake needs it, and importing the errors should be quick

    pool = [c for c in dict.fromkeys(candidates) if c]
    close = difflib.get_close_matches(name, pool, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n, 0.6)]
    return close


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``" Did you mean 'a' or 'b'?"`` for the candidates near ``name``; ``""`` if none is."""
    close = nearest(name, candidates)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


#: What a namespace holds that is code, not data: never what a misspelt ``{questionz}``
#: or ``--over questionz`` meant (``Session`` is as near ``questions`` as the list is).
_CODE = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def is_code(value: object) -> bool:
    """True for a module, class or function: what a namespace holds that is not data."""
    return isinstance(value, _CODE)


def data_names(namespace: Mapping[str, object]) -> list[str]:
    """The names in a user's namespace worth suggesting for a value: public, not IPython's
    own, and not a module, class or function."""
    return [
        str(k)
        for k, v in namespace.items()
        if not str(k).startswith("_") and str(k) not in IPYTHON_NAMES and not isinstance(v, _CODE)
    ]
