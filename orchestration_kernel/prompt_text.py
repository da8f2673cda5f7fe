"""A prompt as the audit stores it: each part on a line of its own behind its role label.

The ``prompt`` column of a ``call`` row reads ``[system] …`` / ``[user] …`` one part per
line. The labels are ours; the parts are what the user (or a pipeline step) wrote and
what the Guardian's input check has just scanned, as one text joined by newlines. A
:class:`LabelledText` is that column's text (a ``str``, equal to what was always
stored) which also remembers its parts, so that a redactor that declares it may
(:func:`labels_apart`) redacts the user's text — the very text its memo already holds —
and adds the labels outside it, instead of scanning the labelled text a second time.
The stored result is the same: ``scripts/audit_label_equivalence.py`` compares the two
over the Guardian's equivalence corpora.

This module imports nothing of ours: the recorder (above the audit) builds these and
the audit's row encoder (below the engine) reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["LABELS_APART", "LabelledText", "labels_apart"]

#: The attribute a redactor sets (to ``True``) to say: a role label before a text changes
#: nothing it finds in the text, and it finds nothing in a label — so ``"[user] " +
#: redact(text)`` is what ``redact("[user] " + text)`` gives.
LABELS_APART = "redacts_labels_apart"


def labels_apart(redactor: Callable[[str], str] | None) -> bool:
    """Whether ``redactor`` declares :data:`LABELS_APART` (a bound method reads its
    function's attribute)."""
    return redactor is not None and getattr(redactor, LABELS_APART, False) is True


class LabelledText(str):
    """``"\\n".join(label + text for label, text in parts)``, remembering ``parts``."""

    parts: tuple[tuple[str, str], ...]  # (a str subclass cannot have __slots__)

    def __new__(cls, parts: Sequence[tuple[str, str]]) -> LabelledText:
        self = super().__new__(cls, "\n".join(label + text for label, text in parts))
        self.parts = tuple(parts)
        return self

    def __reduce__(self) -> tuple[type[LabelledText], tuple[tuple[tuple[str, str], ...]]]:
        # Pickled (a cluster worker's captured rows) and copied from its parts: str's
        # own way would hand __new__ the joined text.
        return (LabelledText, (self.parts,))

    def redacted(self, redact: Callable[[str], str]) -> str:
        """What ``redact(str(self))`` gives, for a redactor that :func:`labels_apart`.

        One part: its label, then the part redacted (a memo hit when the Guardian has
        just checked it). Several: they were checked as one text joined by newlines, so
        a finding in one may rest on context in another; when that joined text has
        nothing to take out, the labelled text is stored as it is, else the labelled
        text is redacted whole, as before.
        """
        parts = self.parts
        if len(parts) == 1:
            label, text = parts[0]
            return label + redact(text)
        joined = "\n".join(text for _, text in parts)
        if redact(joined) == joined:
            return str(self)
        return redact(str(self))
