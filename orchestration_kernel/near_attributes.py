"""A result's missing attribute names the near ones: ``result.cost`` says ``Did you mean
'cost_usd'?``, ``result.to_df()`` says ``'to_dataframe'``.

Python suggests near names only where it prints the traceback itself, and only for an
``AttributeError`` that carries ``name`` and ``obj``: IPython's notebook traceback shows
neither, and a pydantic model's error (``PipelineResult``) has neither, after two frames
of pydantic. The results a notebook gets (a pipeline's, a comparison's, a matrix's, a
pipeline over rows') answer a mistyped attribute with one line naming the near ones,
shown by IPython without frames (the ``_render_traceback_`` protocol, as
:mod:`.interrupt_note` uses; nothing here imports IPython). It stays an
``AttributeError``, so ``hasattr`` and ``getattr(x, name, default)`` work as before.
"""

from __future__ import annotations

import difflib
from typing import Any

__all__ = ["NearAttributes", "no_attribute"]


#: A little looser than :func:`.near_names.nearest`: ``to_df`` is ``to_dataframe``.
_CUTOFF = 0.55


def _own(cls: type, name: str) -> bool:
    """True unless ``name`` comes from pydantic's ``BaseModel`` (``construct``, ``dict``,
    ``schema``...: deprecated or generic, never what a mistyped result name meant)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return not klass.__module__.startswith("pydantic")
    return True  # an instance attribute: a field


def _frame_use(name: str) -> str | None:
    """How ``name`` is used on a pandas DataFrame (``to_csv(...)``, ``shape``), or None
    where it is not a public DataFrame attribute. pandas is a dependency of every result
    that has ``to_dataframe``."""
    import pandas as pd

    found = None if name.startswith("_") else getattr(pd.DataFrame, name, None)
    if found is None:
        return None
    return f"{name}(...)" if callable(found) else name  # a property (shape) is not called


def no_attribute(obj: object, name: str) -> AttributeError:
    """The ``AttributeError`` for ``obj.name``, naming ``obj``'s near public attributes."""
    public = [a for a in dir(obj) if not a.startswith("_") and _own(type(obj), a)]
    close = difflib.get_close_matches(name, public, n=3, cutoff=_CUTOFF)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    use = _frame_use(name) if "to_dataframe" in public else None
    if use is not None:  # result.to_csv(...): its frame was meant (before near to_json)
        hint = f" It is not a DataFrame: {name} is on its frame, .to_dataframe().{use}"
    exc = AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}.{hint}")
    exc.name, exc.obj = name, obj
    exc._render_traceback_ = lambda: [f"\x1b[0;31mAttributeError\x1b[0m: {exc}"]  # type: ignore[attr-defined]
    return exc


class NearAttributes:
    """Mix-in: a missing public attribute raises :func:`no_attribute`'s error. Put it
    before ``BaseModel``: pydantic's own ``__getattr__`` (private attributes) is asked
    first, and a private or dunder name fails as it always did."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        parent = getattr(super(), "__getattr__", None)
        if parent is not None:
            try:
                return parent(name)
            except AttributeError:
                if name.startswith("_"):
                    raise
        elif name.startswith("_"):
            raise AttributeError(name)
        raise no_attribute(self, name) from None
