"""Fast scanning primitives the detectors share.

Python's ``re`` searches quickly only when a pattern starts with a literal; a leading
``\\b``, look-behind, character class or case-insensitive alternation makes it try every
position (tens of µs per pattern on a 2 KB prompt). So the detectors use two tricks:

- **Anchors**: find a literal trigger with ``str.find`` (C speed), then ``match`` the full
  pattern at that spot only; word boundaries before the trigger are checked here.
- **Skeletons**: a byte copy of the text with every ASCII digit turned into ``0`` and
  every letter into ``A``/``a``, so number-shaped patterns start with a literal
  (``0000[ -]?0000``) and positions stay the same as in the text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Anchored", "fold", "is_word_char", "skeleton"]

_SKELETON_TABLE = bytes.maketrans(
    (string.digits + string.ascii_uppercase + string.ascii_lowercase).encode(),
    b"0" * 10 + b"A" * 26 + b"a" * 26,
)


def skeleton(text: str) -> bytes:
    """One byte per character: digits → ``0``, letters → ``A``/``a``, non-ASCII → ``?``."""
    return text.encode("ascii", "replace").translate(_SKELETON_TABLE)


def fold(text: str) -> str | None:
    """``text.lower()`` when lower-casing keeps every position, else ``None``."""
    low = text.lower()
    return low if len(low) == len(text) else None


def is_word_char(ch: str) -> bool:
    """Letters, digits and ``_``."""
    return ch.isalnum() or ch == "_"


@dataclass(frozen=True)
class Anchored:
    """A pattern that can only match where one of its literal ``triggers`` starts.

    ``boundary``: characters that must not precede the trigger (a word character always
    counts when ``word_start`` is set).
    """

    triggers: tuple[str, ...]
    pattern: re.Pattern[str]
    word_start: bool = True
    boundary: str = ""

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match, found by trigger position (may overlap between triggers)."""
        for trigger in self.triggers:
            pos = text.find(trigger)
            while pos >= 0:
                if self._starts_ok(text, pos):
                    m = self.pattern.match(text, pos)
                    if m:
                        yield m
                pos = text.find(trigger, pos + 1)

    def search(self, text: str) -> re.Match[str] | None:
        """The first match found, or ``None``."""
        return next(self.finditer(text), None)

    def _starts_ok(self, text: str, pos: int) -> bool:
        if pos == 0:
            return True
        before = text[pos - 1]
        if self.word_start and is_word_char(before):
            return False
        return before not in self.boundary
