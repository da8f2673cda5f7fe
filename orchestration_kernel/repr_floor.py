"""No credential in a repr: ``repr()`` and ``str()`` of the objects a user prints, masked.

The contract promises no API key in a repr, in any form. With the Guardian on, a reply
has been through its output check; with ``guardian=False`` nothing has, and pydantic's
and the dataclasses' own reprs print every field in full: ``repr(reply)`` showed a key the
model echoed, and so did a notebook's ``text/plain`` of a Reply (IPython prints ``repr``)
without ``%load_ext``. :func:`masked_repr` wraps a class's ``__repr__`` and ``__str__``
(and any ``_repr_*_`` named) so that what they return passes through the credential floor
(:func:`~.guardian.secrets_only.redact_secrets`, as every view's echo does). The object's
data is untouched: ``reply.text`` is what the model wrote.

This module sits at the bottom (``models`` uses it, and the Guardian imports ``models``),
so it imports nothing of ours: the floor is installed by the package's ``__init__``
(:func:`install`), which runs before any of its modules.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["install", "mask", "masked_repr"]

C = TypeVar("C", bound=type)

#: The credential floor, installed by ``orchestration_kernel/__init__.py``.
_floor: Callable[[str], str] | None = None


def install(floor: Callable[[str], str]) -> None:
    """Use ``floor`` (text → text with every credential masked) for every masked repr."""
    global _floor
    _floor = floor


def mask(text: str) -> str:
    """``text`` with every credential the floor finds masked."""
    floor = _floor
    return text if floor is None or not text else floor(text)


def _wrap(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "__masked__", False):
        return method

    @functools.wraps(method)
    def masked(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = method(self, *args, **kwargs)
        return mask(out) if isinstance(out, str) else out

    masked.__masked__ = True  # type: ignore[attr-defined]
    return masked


def masked_repr(*extra: str) -> Callable[[C], C]:
    """A class decorator: the class's ``__repr__`` and ``__str__`` (its own or inherited,
    a dataclass's generated one included: put it above ``@dataclass``), and each of
    ``extra`` it has (``"_repr_markdown_"``), return their text masked."""

    def decorate(cls: C) -> C:
        for name in ("__repr__", "__str__", *extra):
            method = getattr(cls, name, None)
            if method is None or method is object.__str__:
                # object.__str__ calls repr(): already masked, masking again is waste
                continue
            setattr(cls, name, _wrap(method))
        return cls

    return decorate
