"""User mistakes in a cell: a short clean message, never a traceback from our internals.

IPython lets an exception render itself through ``_render_traceback_`` (ipyparallel
uses it for remote errors). We attach one to *our* domain errors as they leave a magic,
so the cell still fails — Run All and nbval stop, ``Err[n]`` records it and ``%tb``
still shows the full traceback to whoever wants it — but the output is one short block:
``SpecError: Invalid pipeline spec: line 3, column 9: ...``. Anything that is not one
of our domain errors is an internal bug and keeps its ordinary traceback.

A user mistake made through the Python API in a cell (``await engine.complete("gpt-4o",
["hi"])``, ``trail.export("a.xlsx")``: a :class:`ConfigurationError`) shows the cell's own
lines and the message, cut where the call enters this package, through IPython's custom
exception hook (:func:`install_api_mistakes`). So does every other of our domain errors
raised there — the Guardian blocking a prompt, a provider outage after every retry, a
garbled or full database — for the same reason the magics show them short: each message
says what happened and what to do, and forty frames of our runtime add nothing to it.
``%tb`` still shows the whole traceback.
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, OrchestrationError, SpecError, SpecProblem
from ..repr_floor import mask

__all__ = [
    "clean_errors",
    "install_api_mistakes",
    "is_clean",
    "make_clean",
    "remove_api_mistakes",
    "render_clean",
    "spec_excerpt",
    "yaml_error_to_spec",
]

_RED = "\x1b[0;31m"
_RESET = "\x1b[0m"


def render_clean(exc: BaseException) -> list[str]:
    """The lines shown for a clean error: its class name and its message; for a spec,
    the body lines it names, with a caret under each column."""
    # Our messages quote what the user gave (a name, a path, an address): a key pasted
    # there is masked here, as every view's echo is, before it lands in saved outputs.
    shown = f"{_RED}{type(exc).__name__}{_RESET}: {mask(str(exc))}"
    if isinstance(exc, SpecError) and exc.source:
        # A quoted line is the user's own, but it lands in the saved outputs: no key there.
        excerpt = "".join(f"\n{line}" for line in spec_excerpt(exc.errors, exc.source))
        shown += mask(excerpt)
    return [shown]


#: How many problems get their line quoted (the message lists every one).
_EXCERPTS = 10


def spec_excerpt(problems: list[SpecProblem], source: str) -> list[str]:
    """The lines of ``source`` (a cell's body) that ``problems`` name, each with a caret
    at its column: line numbers count from the first line under ``%%orchestrate``, and a
    user looking at the cell should not have to count."""
    lines = source.splitlines()
    seen: set[tuple[int, int]] = set()
    out: list[str] = []
    for problem in problems:
        line, column = problem.line, problem.column or 1
        if line is None or not 0 < line <= len(lines) or (line, column) in seen:
            continue
        seen.add((line, column))
        if len(seen) > _EXCERPTS:
            break
        text = lines[line - 1]
        # Tabs stay tabs under the line, so the caret lines up however they are shown.
        pad = "".join(c if c == "\t" else " " for c in text[: column - 1])
        label = f"  line {line} |"
        out += [f"{label} {text}", f"{' ' * (len(label) - 1)}| {pad}^"]
    return ["", *out] if out else []  # a blank line between the message and the excerpt


def is_clean(exc: BaseException) -> bool:
    """True when ``exc`` already renders as a short message."""
    return "_render_traceback_" in getattr(exc, "__dict__", {})


def _mask_message(exc: BaseException) -> None:
    """Mask a credential in ``exc``'s message in place: a kernel sends ``str(exc)`` as the
    error's ``evalue``, which the notebook saves beside what we render."""
    args = exc.args
    if args and isinstance(args[0], str):
        masked = mask(args[0])
        if masked != args[0]:
            exc.args = (masked, *args[1:])


def _make_clean(exc: BaseException) -> BaseException:
    _mask_message(exc)
    # An instance attribute: only this error object renders short, never its class.
    exc._render_traceback_ = lambda: render_clean(exc)  # type: ignore[attr-defined]
    return exc


def make_clean(exc: BaseException) -> BaseException:
    """``exc``, which IPython now shows as its one-line message, without our frames; it
    keeps its class, so ``except``/``hasattr`` treat it as before."""
    return _make_clean(exc)


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


_PACKAGE = str(Path(__file__).resolve().parent.parent) + "/"


def _before_the_package(tb: types.TracebackType | None) -> types.TracebackType | None:
    """A copy of the chain ``tb`` up to the first frame inside this package: the user's
    own frames (and IPython's first one, which its formatter skips), none of ours."""
    kept: list[types.TracebackType] = []
    while tb is not None:
        if kept and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE):
            break
        kept.append(tb)
        tb = tb.tb_next
    chain: types.TracebackType | None = None
    for frame in reversed(kept):
        chain = types.TracebackType(chain, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return chain


def _show_api_mistake(
    shell: Any, etype: type[BaseException], value: BaseException, tb: Any, tb_offset: Any = None
) -> None:
    # Kept for %tb and %debug, which read the last error from sys.
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    _mask_message(value)
    if is_clean(value):
        stb = render_clean(value)
    else:
        short = _before_the_package(tb)
        stb = shell.InteractiveTB.structured_traceback(etype, value, short, tb_offset=tb_offset)
        if isinstance(value, SpecError) and value.source:  # create_pipeline(yaml) in a cell
            stb = [*stb, mask("\n".join(spec_excerpt(value.errors, value.source)))]
    shell._showtraceback(etype, value, stb)
    if shell.call_pdb:  # %pdb on: the debugger opens as for any other error
        shell.debugger(force=True)


#: What a cell's Python API call shows without our frames: every domain error of ours.
API_ERRORS: tuple[type[BaseException], ...] = (OrchestrationError,)


def install_api_mistakes(shell: Any) -> None:
    """Show our domain errors (:data:`API_ERRORS`) raised in a cell without our frames,
    unless the shell already has a custom exception handler of someone else's."""
    if shell.custom_exceptions:
        return
    shell.set_custom_exc(API_ERRORS, _show_api_mistake)


def remove_api_mistakes(shell: Any) -> None:
    """Undo :func:`install_api_mistakes` (only if the handler is still ours)."""
    if shell.custom_exceptions == API_ERRORS:
        shell.set_custom_exc((), None)
