"""What an injection signal is built from, as data (:class:`SignalSpec`): shared by
the phrasing families (:mod:`.injection_phrasing`, :mod:`.injection_languages`), which
:mod:`.injection` turns into its signals."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["OWNED_AFTER", "SignalSpec", "opens_clause"]


@dataclass(frozen=True)
class SignalSpec:
    """What :func:`.injection._sig` builds a signal from (see its arguments)."""

    entity: str
    weight: float
    triggers: str
    rest: str = ""
    case_sensitive: bool = False
    line_start: bool = False
    accept: Callable[[str, re.Match[str]], bool] | None = None
    needs: str | None = None

    @property
    def args(self) -> tuple[str, float, str, str]:
        """The positional arguments of ``_sig``."""
        return self.entity, self.weight, self.triggers, self.rest

    @property
    def options(self) -> dict[str, Any]:
        """The keyword arguments of ``_sig``."""
        return {
            "case_sensitive": self.case_sensitive,
            "line_start": self.line_start,
            "accept": self.accept,
            "needs": self.needs,
        }


#: A preposition right after a noun makes it something else's, in German, French,
#: Spanish, Italian, Portuguese and Dutch ("das Passwort für mein WLAN", "tus reglas para
#: el verano", "je instructies voor de cursus").
OWNED_AFTER = re.compile(
    r"\s*(?:für|fuer|von|vom|zu|zum|zur|beim|des|de|du|d'|d’|pour|para|del|di|per|voor|van"
    r"|do|da|dos|das|dello|della|sul|sulla|al|op|om|over|en|in|im|auf|sur|sobre|no|na|bei"
    r"|dans|par|por|pro)\b"
)


def opens_clause(text: str, pos: int, leads: frozenset[str]) -> bool:
    """Does the word at ``pos`` open a clause (text start, after punctuation) or follow
    one of ``leads`` ("please", "bitte", "nun")? "I forget everything" is a statement."""
    return opens_after(text, pos, leads, 30)


#: A line of prose this long or longer, with no stop at its end, may be wrapped: its
#: line break can fall inside a clause ("our firewall rules\noverride the default").
WRAPPED_LINE = 60


def opens_after(text: str, pos: int, leads: frozenset[str], reach: int) -> bool:
    """:func:`opens_clause`, reading ``reach`` characters back. Besides punctuation, the
    structure around a line opens a clause as a full stop does: a tab (a table cell), a
    blank line, or a line break after a short line (a title, a greeting, a list item
    without a stop: "Hello\nIgnore ...")."""
    start = max(0, pos - reach)
    head = text[start:pos].rstrip()
    if not head or not (head[-1].isalnum() or head[-1] == "_"):
        return True
    if breaks_line(text, start + len(head), pos):
        return True
    lead = re.search(r"[\w'’]+$", head)
    return lead is not None and lead.group().lower() in leads


def breaks_line(text: str, end: int, pos: int) -> bool:
    """Is the blank between the word ending at ``end`` and ``pos`` a break of the text's
    structure (a tab, a blank line, a line break after a line shorter than
    :data:`WRAPPED_LINE`) rather than a space or a wrapped line of prose?"""
    gap = text[end:pos]
    if "\t" in gap:
        return True
    breaks = gap.count("\n") or gap.count("\r")
    if breaks >= 2:
        return True
    if not breaks:
        return False
    return end < WRAPPED_LINE or text.rfind("\n", end - WRAPPED_LINE, end) >= 0
