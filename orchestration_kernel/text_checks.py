"""Text that cannot be encoded, caught where it enters, with the input named.

A Python ``str`` may hold a lone surrogate (``"\\ud800"``): decoding bytes with
``errors="surrogateescape"`` makes them, and so do some JSON parsers. It is not a
character, and UTF-8 cannot encode it, so it fails deep inside whatever writes it (the
SDK's request body, SQLite, a socket) as a bare ``UnicodeEncodeError``. The checks here
find it first, in one C-level scan per string, and raise an
:class:`~orchestration_kernel.errors.InvalidInputError` naming the input, the place in it
and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .errors import InvalidInputError

__all__ = ["check_data", "check_prompt", "check_text", "check_texts", "surrogate_at"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_at(text: str) -> int | None:
    """The index of the first lone surrogate in ``text``, or ``None``."""
    if text.isascii():
        return None
    found = _SURROGATE.search(text)
    return found.start() if found else None


def _fail(what: str, text: str, at: int) -> InvalidInputError:
    return InvalidInputError(
        f"{what} holds {text[at]!r} at character {at}: a lone surrogate, which is not a "
        "character and cannot be encoded as UTF-8. It usually comes from decoding bytes "
        "with errors='surrogateescape'; decode with errors='replace', or remove it.",
        what=what,
    )


def check_text(text: object, what: str) -> None:
    """Raise :class:`InvalidInputError` naming ``what`` if ``text`` (a str) cannot be encoded."""
    if isinstance(text, str):
        at = surrogate_at(text)
        if at is not None:
            raise _fail(what, text, at)


def check_texts(items: Iterable[tuple[str, object]]) -> None:
    """:func:`check_text` on each ``(what, text)`` pair."""
    for what, text in items:
        check_text(text, what)


def check_data(value: object, what: str, encoded: str | None = None) -> None:
    """Check every string (keys included) in nested dicts, lists and tuples.

    ``encoded`` is the value's JSON text when the caller has it: one scan of it decides,
    and the data is walked only to name the place of a surrogate it found.
    """
    if encoded is not None and surrogate_at(encoded) is None:
        return
    stack: list[tuple[object, str]] = [(value, what)]
    seen: set[int] = set()
    while stack:  # iterative: data may nest deeper than the stack allows
        item, where = stack.pop()
        if isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, Mapping | list | tuple) and id(item) not in seen:
            seen.add(id(item))
            pairs = item.items() if isinstance(item, Mapping) else enumerate(item)
            for key, sub in pairs:
                check_text(key, f"a key of {where}")
                stack.append((sub, f"{where}[{key!r}]"))


def check_prompt(messages: Iterable[object], system: str | None) -> None:
    """Check a call's system prompt and each message's content (``.content`` of each)."""
    check_text(system, "the system prompt")
    for i, message in enumerate(messages):
        check_text(getattr(message, "content", None), f"message {i} of the prompt")
