"""A fan-out step's output, one labelled section per model, a failed model's included.

Under ``on_error: skip`` a fan-out step goes on when some of its models fail: each failed
model's output is the step's ``default`` (``""`` without one). Its section of the rendered
output (``### claude-3``, what the cell shows and ``{views}`` reads) was then empty, or
held only the default: nothing said that the model had failed, nor why. Now the section
says so in one line, ``error: Class: message`` as a matrix cell does (never a traceback:
our errors' messages are written to be shown, and every view masks credentials on top),
before the default if there is one. ``step.outputs[model]`` (``{views[claude-3]}``)
stays the default: the value the spec asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

__all__ = ["failure_note", "labelled", "sections"]

#: At most this much of an error's message is shown in a section (a list of attempts
#: can run long; the step's ``error`` keeps it whole).
_NOTE_CHARS = 300


class _Call(Protocol):
    """What is read of a call (a ``ModelCall``)."""

    @property
    def model(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_type(self) -> str | None: ...


def failure_note(call: _Call) -> str | None:
    """``error: AuthenticationError: invalid key`` for a call that did not answer (the form
    a matrix cell takes), ``None`` for one that did. The message's first line only, cut at
    a bound."""
    if call.status == "done":
        return None
    lines = (call.error or "").strip().splitlines()
    message = lines[0] if lines else ""
    if len(message) > _NOTE_CHARS or len(lines) > 1:
        message = message[:_NOTE_CHARS].rstrip() + "…"
    kind = call.error_type or call.status
    return f"error: {kind}: {message}" if message else f"error: {kind}"


def sections(outputs: Mapping[str, str], calls: Iterable[_Call]) -> dict[str, str]:
    """Each model's section text: its output, or for a failed model its
    :func:`failure_note` followed by the output it was given (the default)."""
    notes = {c.model: failure_note(c) for c in calls}
    out = {}
    for model, text in outputs.items():
        note = notes.get(model)
        out[model] = text if note is None else f"{note}\n{text}" if text else note
    return out


def labelled(outputs: Mapping[str, str], calls: Iterable[_Call]) -> str:
    """The step's rendered output: ``### model`` and its section, for each model."""
    return "\n\n".join(f"### {m}\n{t}" for m, t in sections(outputs, calls).items())
