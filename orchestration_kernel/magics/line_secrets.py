"""No credential on the magic's line: refused before anything runs or echoes it.

A key pasted where a name goes (``%orchestrate key openai sk-…``, ``--job sk-…``,
``%orchestrate session sk-…``) was taken as that name: a session id or a job name
stored on disk and shown back, or quoted whole in the error that named the bad value
(``Unknown provider 'sk-…'``) and kept in the notebook's saved outputs. A cell's *body*
goes through the Guardian like every prompt; the line is ours to read, so we look at it
once, with the same credential floor every view uses, and refuse it with one message
that shows the line masked and says where a key goes instead.
"""

from __future__ import annotations

from ..repr_floor import mask
from .errors import usage

__all__ = ["refuse_line_secrets"]

#: How much of the masked line the message quotes (a pasted text is long).
_QUOTE = 160


def refuse_line_secrets(line: str, expanded: str) -> None:
    """Raise a clean :class:`~orchestration_kernel.errors.ConfigurationError` when the
    magic's line (as typed, or with ``$name``/``{name}`` expanded) holds a credential."""
    for text, how in ((line, "holds"), (expanded, "expands to text that holds")):
        shown = mask(text)
        if shown != text:
            raise usage(_message(shown, how))


def _message(shown: str, how: str) -> str:
    quoted = shown.strip()
    if len(quoted) > _QUOTE:
        quoted = quoted[: _QUOTE - 1] + "…"
    words = quoted.split()
    where = (
        f"'%orchestrate key {words[1]}' asks for it in a hidden prompt"
        if len(words) > 1 and words[0] == "key" and words[1].isidentifier()
        else "'%orchestrate key PROVIDER' asks for it in a hidden prompt"
    )
    return (
        f"The magic's line {how} what looks like an API key (masked: {quoted!r}); nothing "
        f"ran and nothing was stored. A key never goes on the line: {where}, or set the "
        "provider's variable (e.g. OPENAI_API_KEY) before starting the kernel. The typed "
        "line stays in this notebook's input history: clear the cell, and rotate the key "
        "if the notebook is shared."
    )
