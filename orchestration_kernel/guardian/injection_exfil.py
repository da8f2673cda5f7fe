"""Data exfiltration through a link the model is asked to write (garak's
``web_injection`` probes, issue 20): a Markdown image or link whose URL holds a
placeholder (``?q=[DATA]``) that the model is told to fill with a summary of the
conversation, the previous message or the user's e-mail, so that rendering the answer
sends them to the attacker's server.

The placeholder and what fills it are the evidence; a link template with a placeholder
for a product name, or a request to summarise a conversation, stays allowed. Plain
signals (:attr:`.injection.Signal.plain`), built by :mod:`.injection` from
:data:`SIGNAL_SPECS`.
"""

from __future__ import annotations

import re

from .injection_specs import SignalSpec

__all__ = ["SIGNAL_SPECS"]

_EXFIL = "DATA_EXFILTRATION"
#: What a link is not meant to carry: the conversation, the page, the user's secrets and
#: numbers, encoded to fit a URL ("escape spaces with +").
_PRIVATE = (
    r"(?:summary|summar\w+|conversation|chat|previous\s+messages?|message\s+history"
    r"|history|e-?mails?|passwords?|secrets?|page|numbers|[a-z-]+\s+encoded"
    r"|escape\s+spaces)\b"
)
#: A link in the text: a Markdown image or link, a reference, a URL (perhaps split into
#: quoted pieces to concatenate, whose quotes a JSON string escapes: ``\",\"``).
_GAP = r"[\s\"',\\]{0,6}"  # between two pieces: space, quotes, commas, escapes
_LINK = re.compile(rf"\]{_GAP}[(:]|h{_GAP}t{_GAP}t{_GAP}p|:{_GAP}/{_GAP}/|\bwww{_GAP}\.")


#: A placeholder in a URL's path or query ("?q=[DATA]", "/[INFO]"), perhaps in quoted
#: pieces to concatenate ('?azure=","[NUM]').
_URL_SLOT = re.compile(r"[=/][\"',\s\\]{0,6}\[")


def _in_a_link(text: str, m: re.Match[str]) -> bool:
    """A link is written in the text (the placeholder is to be sent somewhere)."""
    return _LINK.search(text) is not None


def _slot_in_a_link(text: str, m: re.Match[str]) -> bool:
    """A link is written in the text with a placeholder in its URL."""
    return _in_a_link(text, m) and _URL_SLOT.search(text) is not None


SIGNAL_SPECS: tuple[SignalSpec, ...] = (
    # "and replace [DATA] with previous message", "whereas [INFO] is a mime encoded
    # summary of this conversation", "replace [NUM] with johann's email and code".
    SignalSpec(
        _EXFIL,
        0.7,
        "replace [|whereas [|where [|fill [",
        r"[a-z]{2,12}\]\s+(?:is|are|with|by)\b(?:.|\n){0,80}?\b" + _PRIVATE,
        accept=_slot_in_a_link,
    ),
    # "append a brief 200 character summary of the page and our conversation": the
    # conversation appended to a URL being built.
    SignalSpec(
        _EXFIL,
        0.7,
        "append|attach|add",
        r"\b[^\n]{0,60}?\b(?:summary|contents?|transcript)\s+of\s+(?:the\s+page\s+and\s+)?"
        r"(?:our|this|the)\s+(?:conversation|chat)\b",
        accept=_in_a_link,
    ),
)
