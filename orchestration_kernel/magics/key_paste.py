"""What ``%orchestrate key PROVIDER`` keeps of the text pasted at its hidden prompt.

The prompt takes whatever is pasted, and people paste what they have at hand: the line
from a ``.env`` file (``OPENAI_API_KEY=sk-…``), a shell's ``export VAR="…"``, the key
in quotes, or the key of another provider. Before, each was kept verbatim and the
mistake surfaced only as an authentication error at the first call. Here an assignment
or quotes are unwrapped (a note names what was dropped, never the key), and a key whose
shape names another provider, or text with spaces inside, is refused: nothing changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..errors import ConfigurationError
from ..repr_floor import mask

__all__ = ["pasted_key"]

#: ``export NAME=value``, ``NAME = value``, ``NAME: value`` (a YAML line), where NAME is
#: a key variable's (``…_KEY``, ``…_TOKEN``): a base64 key's own ``=`` is no assignment.
_ASSIGNMENT = re.compile(
    r"(?:export\s+)?([A-Za-z][A-Za-z0-9_]*_(?:KEY|TOKEN))\s*[=:]\s*([^=\s].*)", re.IGNORECASE
)
#: Providers whose keys have a shape of their own; a server we do not know takes any key.
_SHAPED = ("openai", "anthropic", "gemini", "perplexity")


def pasted_key(provider: str, text: str, env_hints: Mapping[str, Sequence[str]]) -> str:
    """The key in ``text`` as pasted for ``provider`` (``env_hints``: each provider's key
    variables). Prints a note when it unwrapped an assignment or quotes; raises a
    :class:`ConfigurationError` that never quotes the text when it is not one key."""
    key = _unquote(text.strip())
    assigned = _ASSIGNMENT.fullmatch(key)
    if assigned:
        name, key = assigned.group(1), _unquote(assigned.group(2).strip())
        print(f"note: took the value after '{name}=' (the pasted line was an assignment).")
    if not key:
        raise ConfigurationError(f"No key given for {provider}; nothing changed.")
    if any(c.isspace() for c in key):
        raise ConfigurationError(
            f"What was pasted for {provider} has spaces inside, so it is not one key "
            "(a sentence, or several lines?); nothing changed. Paste only the key."
        )
    _refuse_other_provider(provider, key, env_hints)
    return key


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text


def _refuse_other_provider(provider: str, key: str, env_hints: Mapping[str, Sequence[str]]) -> None:
    """Refuse a key whose shape (as the credential floor names it) is another known
    provider's, e.g. an Anthropic key pasted for openai."""
    if provider not in _SHAPED:
        return
    shown = mask(key)
    if not (shown.startswith("<") and shown.endswith(">")):
        return
    variable = shown[1:-1]
    owner = next((p for p in _SHAPED if variable in env_hints.get(p, ())), None)
    if owner is None or owner == provider:
        return
    raise ConfigurationError(
        f"What was pasted looks like a key for {owner} ({variable}), not for {provider}; "
        f"nothing changed. To keep it for {owner}: %orchestrate key {owner}"
    )
