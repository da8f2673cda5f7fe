"""How a view reaches the screen: a MIME bundle with HTML and plain text always, the
widget view where a widget frontend may exist, and one display that can be replaced.

Every view subclasses :class:`View`. A live view (a run) sends the widget view whenever it
is inside a kernel, since its final state replaces it; a static view (a comparison, the
audit) sends it only where a widget frontend is known (:func:`widget_frontend`) or when
asked (``widget=True``). ``display(view)`` (or a bare ``view`` at the end of
a cell) shows it; :meth:`View.show` shows it with a ``display_id`` so that
:meth:`View.refresh` can later replace what was shown (``update_display``). That is what
makes a saved notebook, nbconvert, GitHub's preview, nbval and a terminal show the
finished state rather than the state at display time.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["WIDGET_MIME", "View", "in_ipython", "in_kernel", "widget_frontend"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def in_ipython() -> bool:
    """True inside IPython (a terminal or a kernel)."""
    return _shell() is not None


def in_kernel() -> bool:
    """True inside a Jupyter kernel, where a widget frontend may be listening.

    A kernel cannot know whether its frontend renders widgets (JupyterLab does, nbclient
    does not), so a view in a kernel sends the widget view *and* its HTML and text:
    each frontend picks what it can show.
    """
    return getattr(_shell(), "kernel", None) is not None


def widget_frontend() -> bool:
    """True when a widget-capable frontend is known to be listening to this kernel.

    JupyterLab and Notebook 7 (ipywidgets 8) open a ``jupyter.widget.control`` comm when
    they connect, which ipywidgets records if it was imported by then. A ``False`` may be
    wrong (ipywidgets was imported later); a ``True`` is not.
    """
    if not in_kernel():
        return False
    module = sys.modules.get("ipywidgets")
    widget = getattr(module, "Widget", None)
    return getattr(widget, "_control_comm", None) is not None


class View:
    """A displayable view: HTML and text always, an ipywidget where one may be shown."""

    #: Set by subclasses that replace their live widget by static HTML once final.
    final: bool = False
    #: Send the widget view too: ``None`` decides by :meth:`_widget_wanted`; or force it.
    use_widget: bool | None = None
    #: Kept in the output's metadata under ``"orchestration"`` (a run's provenance).
    metadata: dict[str, Any] | None = None
    _handle: Any = None

    def _widget_wanted(self) -> bool:
        """Static views send the widget view only where a widget frontend is known: a
        widget view in a notebook saved without widget state shows as an error in
        JupyterLab, while the HTML shows everywhere. ``view.widget`` is always there."""
        return widget_frontend()

    # -- what subclasses provide -----------------------------------------------------
    def _html(self) -> str:
        raise NotImplementedError

    def _text(self) -> str:
        raise NotImplementedError

    @property
    def widget(self) -> Any:
        """The ipywidgets view (built on first use)."""
        raise NotImplementedError

    # -- display -----------------------------------------------------------------------
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> Any:
        data: dict[str, Any] = {"text/plain": self._text(), "text/html": self._html()}
        wanted = self._widget_wanted() if self.use_widget is None else self.use_widget
        if wanted and not self.final:
            model_id = getattr(self.widget, "model_id", None)
            if model_id:
                data[WIDGET_MIME] = {"version_major": 2, "version_minor": 0, "model_id": model_id}
        if self.metadata:
            return data, {"orchestration": self.metadata}
        return data

    def __repr__(self) -> str:
        return self._text()

    def show(self) -> Any:
        """Display the view once, with a ``display_id``; later :meth:`refresh` replaces it.

        Outside IPython (a plain script) there is nowhere to show it: nothing happens.
        """
        if self._handle is None and in_ipython():
            from IPython.display import display

            self._handle = display(self, display_id=True)
        return self._handle

    @property
    def shown(self) -> bool:
        """True once :meth:`show` has displayed the view."""
        return self._handle is not None

    def refresh(self) -> None:
        """Replace the displayed output by the view's current state (``update_display``)."""
        if self._handle is not None:
            self._handle.update(self)
