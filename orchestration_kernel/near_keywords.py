"""A mistyped keyword names the near ones: ``audit.to_dataframe(modle="gpt-4o")`` says
``Did you mean 'model'?``.

Python 3.11 answers a keyword a function does not take with a bare ``TypeError`` and no
suggestion, in a traceback through our code. The methods a notebook calls with filter
keywords are wrapped by :func:`near_keywords`: an unknown keyword raises
:class:`~.errors.UsageError` (a ``TypeError`` too, so ``except TypeError`` still works),
naming the near keywords and all it takes, before the method runs. The check is one set
comparison, done only when keywords are given.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .errors import UsageError
from .near_names import did_you_mean

__all__ = ["near_keywords"]

F = TypeVar("F", bound=Callable[..., Any])

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def near_keywords(func: F) -> F:
    """Wrap ``func`` (which takes no ``**kwargs``) so that an unknown keyword raises a
    :class:`UsageError` naming the near ones."""
    params = inspect.signature(func).parameters.values()
    names = [p.name for p in params if p.kind in _NAMED and p.name not in ("self", "cls")]
    known = frozenset(names)

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if kwargs and not known.issuperset(kwargs):
            unknown = next(name for name in kwargs if name not in known)
            raise UsageError(
                f"{func.__qualname__}() takes no argument {unknown!r}."
                f"{did_you_mean(unknown, names)} It takes: {', '.join(names)}."
            )
        return func(*args, **kwargs)

    return cast(F, checked)
