"""A ``Reply`` left as a cell's value shows its text through the credential floor.

A :class:`~orchestration_kernel.models.Reply` displays itself (``_repr_markdown_``, and
pydantic's ``repr`` with every field), and ``models`` sits below the Guardian, so it
cannot mask with the Guardian's detectors itself (that would be an import cycle). With
the extension loaded, IPython's formatters for ``Reply`` (registered by name, so loading
imports nothing) show the same output with credentials masked
(:mod:`orchestration_kernel.shown_text`): with ``guardian=False`` a reply that echoes a
key would otherwise land in the saved notebook. The object keeps the text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["show_replies_masked"]

_MODULE, _CLASS = "orchestration_kernel.models", "Reply"


def _markdown(reply: Any) -> str:
    from ..shown_text import shown

    return shown(str(reply._repr_markdown_()))


def _pretty(reply: Any, printer: Any, cycle: bool) -> None:
    from ..shown_text import shown

    printer.text(shown(repr(reply)))


def show_replies_masked(ipython: Any) -> None:
    """Register the masked ``Reply`` formatters with ``ipython``'s display formatter."""
    formatters = ipython.display_formatter.formatters
    formatters["text/markdown"].for_type_by_name(_MODULE, _CLASS, _markdown)
    formatters["text/plain"].for_type_by_name(_MODULE, _CLASS, _pretty)
