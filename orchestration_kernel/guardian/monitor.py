"""Output checks while a reply streams in.

The monitor keeps the raw text and releases it a whole word at a time: the trailing
partial token is held back until whitespace follows it, so a key split across chunks is
never shown half-way — by the time it is released it is complete, and the synchronous
output policies have redacted it. When a check changes text already shown (a redaction
reaching back, or a block), the monitor emits ``("replace", text)``. :meth:`finish` runs
every output policy (async ones too) on the full text: the final text is always the
checked text.

Long replies are not rescanned from the start on every chunk: text more than
``commit_after`` characters back is committed at a paragraph break that no finding
crosses, and later checks start there.
"""

from __future__ import annotations

from typing import Protocol

from .context import GuardContext, Stage, Verdict

__all__ = ["Event", "OutputChecker", "OutputMonitor"]


class OutputChecker(Protocol):
    """What the monitor needs of a guardian (:class:`~.guardian.Guardian` is one); a
    Protocol, so this module never imports the guardian."""

    def check_sync(self, text: str, ctx: GuardContext, stage: Stage) -> Verdict: ...

    async def check_output(self, text: str, ctx: GuardContext) -> Verdict: ...


#: ``("text", s)``: append s. ``("replace", s)``: the whole shown text becomes s.
Event = tuple[str, str]

_WHITESPACE = (" ", "\n", "\t", "\r")


def _last_whitespace_end(text: str, start: int) -> int:
    """Index just past the last whitespace at or after ``start`` (``start`` if none)."""
    best = max(text.rfind(ch, start) for ch in _WHITESPACE)
    return best + 1 if best >= start else start


class OutputMonitor:
    """Checks one streamed reply. Use :meth:`feed` per chunk, then ``await finish()``."""

    def __init__(
        self,
        guardian: OutputChecker,
        ctx: GuardContext,
        *,
        placeholder: str = "",
        commit_after: int = 4096,
    ) -> None:
        self._guardian = guardian
        self._ctx = ctx
        self.placeholder = placeholder
        self.commit_after = commit_after
        self._raw = ""
        self._released = 0  # raw characters checked and released so far
        self._base = 0  # raw characters committed (never rescanned)
        self._base_checked = ""  # their checked text
        self._shown = ""
        self.blocked = False
        #: Events :meth:`finish` computed to bring the display to the final text.
        self.final_events: list[Event] = []

    @property
    def shown(self) -> str:
        """The text shown so far (checked)."""
        return self._shown

    @property
    def raw_length(self) -> int:
        """How many characters have arrived (the raw text itself is not exposed)."""
        return len(self._raw)

    def feed(self, chunk: str) -> list[Event]:
        """Take one chunk; return the display events it causes (possibly none)."""
        self._raw += chunk
        if self.blocked:
            return []
        cut = _last_whitespace_end(self._raw, self._released)
        if cut <= self._released:
            return []
        self._released = cut
        region = self._raw[self._base : cut]
        verdict = self._guardian.check_sync(region, self._ctx, "output")
        if verdict.blocked:
            return self._block()
        checked = self._base_checked + verdict.text
        self._commit(region, verdict)
        return self._show(checked)

    async def finish(self) -> Verdict:
        """Check the whole reply with every output policy. The verdict's text is the final
        text; :attr:`final_events` holds the events that bring the display to it."""
        verdict = await self._guardian.check_output(self._raw, self._ctx)
        if verdict.blocked:
            self.final_events = [] if self.blocked else self._block()
        else:
            self.blocked = False
            self.final_events = self._show(verdict.text)
        return verdict

    def _block(self) -> list[Event]:
        self.blocked = True
        self._shown = self.placeholder
        return [("replace", self.placeholder)]

    def _show(self, checked: str) -> list[Event]:
        shown = self._shown
        self._shown = checked
        if checked.startswith(shown):
            tail = checked[len(shown) :]
            return [("text", tail)] if tail else []
        return [("replace", checked)]

    def _commit(self, region: str, verdict: Verdict) -> None:
        """Move the committed base forward to a paragraph break no finding crosses."""
        if len(region) <= self.commit_after:
            return
        limit = len(region) - self.commit_after // 4
        spans = verdict.overall.spans if verdict.overall else []
        pos = region.rfind("\n\n", 0, limit)
        while pos > 0 and any(s.start < pos + 2 and s.end > pos for s in spans):
            pos = region.rfind("\n\n", 0, pos)
        if pos <= 0:
            return
        cut = pos + 2
        # Check the head alone: with no finding across the cut, its checked text is
        # exactly the start of the region's.
        self._base_checked += self._guardian.check_sync(region[:cut], self._ctx, "output").text
        self._base += cut
