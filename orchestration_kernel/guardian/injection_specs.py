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
    head = text[max(0, pos - 30) : pos].rstrip()
    if not head or not (head[-1].isalnum() or head[-1] == "_"):
        return True
    lead = re.search(r"[\w'’]+$", head)
    return lead is not None and lead.group().lower() in leads
