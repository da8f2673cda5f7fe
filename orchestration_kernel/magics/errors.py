"""User mistakes in a cell: a short clean message, never a traceback from our internals.

IPython lets an exception render itself through ``_render_traceback_`` (ipyparallel
uses it for remote errors). We attach one to *our* domain errors as they leave a magic,
so the cell still fails — Run All and nbval stop, ``Err[n]`` records it and ``%tb``
still shows the full traceback to whoever wants it — but the output is one short block:
``SpecError: Invalid pipeline spec: line 3, column 9: ...``. Anything that is not one
of our domain errors is an internal bug and keeps its ordinary traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..errors import ConfigurationError, OrchestrationError, SpecError, SpecProblem

__all__ = ["clean_errors", "is_clean", "render_clean", "yaml_error_to_spec"]

_RED = "\x1b[0;31m"
_RESET = "\x1b[0m"


def render_clean(exc: BaseException) -> list[str]:
    """The lines shown for a clean error: its class name and its message."""
    return [f"{_RED}{type(exc).__name__}{_RESET}: {exc}"]


def is_clean(exc: BaseException) -> bool:
    """True when ``exc`` already renders as a short message."""
    return "_render_traceback_" in getattr(exc, "__dict__", {})


def _make_clean(exc: BaseException) -> BaseException:
    # An instance attribute: only this error object renders short, never its class.
    exc._render_traceback_ = lambda: render_clean(exc)  # type: ignore[attr-defined]
    return exc


def yaml_error_to_spec(exc: Any) -> SpecError:
    """A PyYAML error as a :class:`SpecError` naming the line and column (1-based)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return SpecError([SpecProblem(f"YAML: {problem}", line, column)])


def _domain_error(exc: BaseException) -> BaseException | None:
    """The error to show cleanly, or ``None`` for an internal bug."""
    if isinstance(exc, OrchestrationError):
        return exc
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a dependency
        return None
    if isinstance(exc, yaml.YAMLError):
        return yaml_error_to_spec(exc)
    return None


@contextlib.contextmanager
def clean_errors() -> Iterator[None]:
    """Let our domain errors leave the block rendering as one short message.

    Every :class:`OrchestrationError` has a message written to be shown (and free of
    secrets), so all of them render short: a provider outage is not a bug in the
    user's code either. Other exceptions pass through untouched.
    """
    try:
        yield
    except Exception as exc:
        if is_clean(exc):
            raise
        shown = _domain_error(exc)
        if shown is None:
            raise
        if shown is exc:
            raise _make_clean(exc) from None
        raise _make_clean(shown) from exc


def usage(message: str) -> ConfigurationError:
    """A clean :class:`ConfigurationError` for a mistake in the magic's own arguments."""
    return _make_clean(ConfigurationError(message))  # type: ignore[return-value]
