"""Which widget view shows which result — one table per session.

A :class:`ViewRegistry` maps a result class to a view factory (``factory(result) ->
view``). Each session keeps one (``views_for(session)``, a service under
``"widget_views"``), filled with the built-ins: a ``CompareTable`` shows as a
:class:`~.compare_view.CompareView`, a ``MatrixResult`` as a
:class:`~.matrix_view.MatrixView`. ``%%orchestrate`` asks it for the view of a cell's
result; add one with ``views_for().register(MyResult, MyView)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..session import Session

__all__ = ["ViewFactory", "ViewRegistry", "views_for"]

#: Builds the view of one result.
ViewFactory = Callable[[Any], Any]


def _compare(result: Any) -> Any:
    from .compare_view import CompareView

    return CompareView(result)


def _matrix(result: Any) -> Any:
    from .matrix_view import MatrixView

    return MatrixView(result)


class ViewRegistry:
    """Result classes and the views that show them; the most specific class wins."""

    def __init__(self, builtins: bool = True) -> None:
        self._factories: dict[type, ViewFactory] = {}
        if builtins:
            from ..compare import CompareTable
            from ..matrix import MatrixResult

            self.register(CompareTable, _compare)
            self.register(MatrixResult, _matrix)

    def register(self, result_type: type, factory: ViewFactory) -> None:
        """Show results of ``result_type`` (and its subclasses) with ``factory(result)``."""
        from ..errors import ConfigurationError

        if not isinstance(result_type, type) or not callable(factory):
            raise ConfigurationError(
                f"register needs a result class and a view factory; got {result_type!r}, "
                f"{factory!r}"
            )
        self._factories[result_type] = factory

    def view(self, result: Any) -> Any:
        """The view of ``result``, or ``None`` when no registered class matches."""
        for cls in type(result).__mro__:
            factory = self._factories.get(cls)
            if factory is not None:
                return factory(result)
        return None

    def types(self) -> list[type]:
        """The result classes with a view."""
        return list(self._factories)


def views_for(session: Session | None = None) -> ViewRegistry:
    """The session's view table (made with the built-ins on first use)."""
    registry: ViewRegistry = (session or Session.current()).service("widget_views", ViewRegistry)
    return registry
