"""What ``{...}`` placeholders see in a cell: the user's variables, ``In``, ``Out`` and ``Err``.

``In`` and ``Out`` are IPython's own history. ``Err`` is ours: the error of every cell
that failed, by execution count, recorded by a ``post_run_cell`` event hook that only
*reads* ``result.error_in_exec``. It needs no ``set_custom_exc``: the one exception hook
the extension sets only shortens how a ``ConfigurationError`` is shown (:mod:`.errors`),
and debuggers and ``%tb`` behave as before.
"""

from __future__ import annotations

import traceback
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CellError", "ErrorLog", "interpolation_namespace"]


@dataclass(frozen=True)
class CellError:
    """The error one cell raised: its type, message, traceback text and the cell's code."""

    cell: int
    error_type: str
    message: str
    traceback: str
    source: str

    def __str__(self) -> str:
        return self.traceback or f"{self.error_type}: {self.message}"


def _format(exc: BaseException) -> str:
    tb = exc.__traceback__
    # The first frame is IPython's own ``exec`` of the cell: noise to a reader.
    if tb is not None and tb.tb_next is not None and "IPython" in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


class ErrorLog:
    """Errors by cell, from a ``post_run_cell`` hook. ``records`` is what ``Err`` shows."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        #: ``Err``: execution count -> the error's text (traceback included).
        self.records: dict[int, str] = {}
        self.errors: dict[int, CellError] = {}

    def post_run_cell(self, result: Any) -> None:
        """The IPython event hook: record the cell's error, if it raised one."""
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        count = getattr(result, "execution_count", None)
        if exc is None or count is None:
            return
        info = getattr(result, "info", None)
        source = getattr(info, "raw_cell", "") or ""
        self.record(count, exc, source)

    def record(self, cell: int, exc: BaseException, source: str = "") -> CellError:
        """Keep ``exc`` as cell ``cell``'s error (the oldest are dropped past ``limit``)."""
        error = CellError(cell, type(exc).__name__, str(exc), _format(exc), source)
        self.errors[cell] = error
        self.records[cell] = str(error)
        while len(self.errors) > self.limit:
            oldest = min(self.errors)
            del self.errors[oldest]
            del self.records[oldest]
        return error

    @property
    def last(self) -> CellError | None:
        """The most recent error, or ``None``."""
        return self.errors[max(self.errors)] if self.errors else None

    def get(self, cell: int) -> CellError | None:
        """Cell ``cell``'s error, or ``None``."""
        return self.errors.get(cell)


def interpolation_namespace(user_ns: Mapping[str, Any], errors: ErrorLog) -> Mapping[str, Any]:
    """The names a cell's placeholders see: ``Err`` first, then the user namespace.

    A live view, not a copy: a variable set after this call is seen by the run.
    """
    return ChainMap({"Err": errors.records}, user_ns)  # type: ignore[arg-type]
