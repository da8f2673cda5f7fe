"""Chat logs the user asks us to analyse (issue 20): their turns are data, not forged turns.

"Summarise this chat log:" then "User: ... / Assistant: ..." lines: a line-start
"Assistant:" is a forged model turn in an attack, but a turn of the log in a request to
summarise, classify, translate, extract from ... a transcript, unless that turn drops
its rules, shows its prompt or says it is unbound. "flag the '<end of session>' markers":
a session marker named, or closing a log with nothing after it, opens no injected part.
The checks here are the structural ``accept`` tests of :mod:`.injection`'s signals; each
reads a bounded window (linear on floods).
"""

from __future__ import annotations

import re

__all__ = ["harmless_turn", "session_marker_in_use"]

#: A request to analyse a chat log: a data verb, then (on the same line) what it is.
_CHATLOG_REQUEST = re.compile(
    r"(?i)\b(?:summari[sz]e|classify|categori[sz]e|translate|extract|analy[sz]e|review|label"
    r"|tag|count|flag|annotate|anonymi[sz]e|redact|rate|score|evaluate|list|detect|highlight"
    r"|proofread|clean\s+up)\b[^\n]{0,120}?\b(?:chat\s*logs?|chats?|transcripts?|conversations?"
    r"|dialogues?|messages?|logs?|threads?|exchanges?)\b"
)
#: How far into a text the chat-log request may start, or before its end ("... summarise
#: the conversation above") it may close it (bounded: every match looks once).
_CHATLOG_REQUEST_WITHIN = 300


#: A turn that drops its rules, shows its prompt or says it is unbound: a forged reply.
_TURN_ATTACK = re.compile(
    r"(?i)\b(?:ignor|disregard|forget|bypass|overrid|break|drop|abandon)\w*\b[^\n]{0,40}?"
    r"\b(?:my|your|its|all|any|every|previous|prior|earlier|original|these|those)\s+"
    r"(?:[\w-]+\s+){0,2}(?:rules?|instructions?|guidelines?|restrictions?|filters?|polic(?:y|ies)|programming"
    r"|safeguards?|safety|prompt)\b|\b(?:system\s+prompt|developer\s+mode|jailbr\w*"
    r"|unrestricted|uncensored|unfiltered|no\s+(?:restrictions|limits|filters|rules))\b"
)
#: How much of a turn is read for :data:`_TURN_ATTACK` (bounded: linear on floods).
_TURN_WITHIN = 300


def harmless_turn(text: str, match: re.Match[str]) -> bool:
    """Whether a role marker is a harmless turn of a chat log the user asks us to
    analyse: the request to summarise/classify/translate/... a transcript opens the text,
    before it, or closes it, after it; and the turn neither drops its rules nor shows its
    prompt."""
    head = text[: min(match.start(), _CHATLOG_REQUEST_WITHIN)]
    tail = max(match.end(), len(text) - _CHATLOG_REQUEST_WITHIN)
    if _CHATLOG_REQUEST.search(head) is None and _CHATLOG_REQUEST.search(text, tail) is None:
        return False
    return _TURN_ATTACK.search(text, match.end(), match.end() + _TURN_WITHIN) is None


#: "flag '<end of session>' markers": a session marker named, not used.
_MARKER_NAMED = re.compile(
    r"""\s*(?:['"`’”]\s*)?(?:markers?|tags?|tokens?|lines?|strings?|delimiters?)\b"""
)


_NON_SPACE = re.compile(r"\S")


def session_marker_in_use(text: str, match: re.Match[str]) -> bool:
    """Whether "<end of session>" closes a turn before what follows: bracketed, something
    after it, and not named as a marker ("count the <end of chat> markers")."""
    if not text[max(0, match.start() - 2) : match.start()].rstrip().endswith(("<", "[")):
        return False
    # a search, not a copy of the rest: each match looks only up to the next word
    follows = _NON_SPACE.search(text, match.end()) is not None
    return follows and not _MARKER_NAMED.match(text, match.end())
