"""``context: session``: the session's conversation, folded to fit the next model's window.

The newest turns are kept; older ones are dropped (``truncate``, the default) or
summarised by a model of the user's choice (``summarize``; the summary goes into the
system prompt, which every provider accepts in one place). What was dropped is returned
as a :class:`FoldRecord` for the run result and the audit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..models import Message
from .engine_face import PipelineEngine
from .result import FoldRecord

__all__ = ["Folded", "fold_conversation", "turns_to_messages"]

#: Tokens kept free for the reply when the step sets no ``max_tokens``.
DEFAULT_REPLY_RESERVE = 1024


@dataclass
class Folded:
    """The conversation to send, the system prompt to use, and what the fold dropped."""

    messages: list[Message]
    system: str | None
    record: FoldRecord | None


def turns_to_messages(turns: Sequence[Mapping[str, object]]) -> list[Message]:
    """Bus turns (role, content, model) as chat messages; tool turns are read as user text."""
    out = []
    for turn in turns:
        role = turn.get("role")
        content = str(turn.get("content") or "")
        if role not in ("system", "user", "assistant"):
            role, content = "user", f"[{role}] {content}"
        out.append(Message(role=role, content=content))
    return out


def _window(engine: PipelineEngine, models: Sequence[str]) -> int | None:
    windows = [w for w in (engine.context_window(m) for m in models) if w]
    return min(windows) if windows else None


async def fold_conversation(
    engine: PipelineEngine,
    history: list[Message],
    *,
    step: str,
    models: Sequence[str],
    prompt: str,
    system: str | None,
    max_tokens: int | None,
    strategy: str,
    summary_model: str | None,
) -> Folded:
    """Fit ``history`` plus ``prompt`` into the smallest window of ``models``."""
    window = _window(engine, models)
    if window is None or not history:
        return Folded(history, system, None)
    budget = window - (max_tokens or DEFAULT_REPLY_RESERVE) - engine.estimate_tokens(prompt)
    budget -= engine.estimate_tokens(system) if system else 0
    sizes = [engine.estimate_tokens(m.content) + 4 for m in history]  # + role overhead
    kept = 0
    used = 0
    for size in reversed(sizes):
        if used + size > budget:
            break
        used += size
        kept += 1
    if kept == len(history):
        return Folded(history, system, None)
    dropped = history[: len(history) - kept]
    record = FoldRecord(
        step=step, model=", ".join(models), strategy="truncate", window_tokens=window,
        kept_turns=kept, dropped_turns=len(dropped), dropped_tokens=sum(sizes[: len(dropped)]),
    )  # fmt: skip
    kept_messages = history[len(dropped) :]
    if strategy != "summarize":
        return Folded(kept_messages, system, record)
    summariser = summary_model or models[0]
    summary = await _summarise(engine, summariser, dropped)
    record.strategy, record.summary_model, record.summary = "summarize", summariser, summary
    note = f"Summary of the earlier conversation:\n{summary}"
    return Folded(kept_messages, f"{system}\n\n{note}" if system else note, record)


async def _summarise(engine: PipelineEngine, model: str, dropped: list[Message]) -> str:
    transcript = "\n".join(f"{m.role}: {m.content}" for m in dropped)
    reply = await engine.complete(
        model,
        "Summarise this conversation in a few sentences, keeping facts, names and "
        f"decisions:\n\n{transcript}",
    )
    return str(reply.text)
