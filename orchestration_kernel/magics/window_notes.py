"""A ``--compare`` prompt longer than a model's context window: said before the run.

A real provider refuses such a call (``ContextWindowExceeded``), but the offline
simulator answered a 250,000-token prompt to ``gpt-4o`` (a 128,000-token window) as
``done``, with "$0.63 est. if real" for a call that could not be made. The note names the
model, the prompt's size and the window; the run goes on (a real provider answers for
itself, and a model with a larger window may be among the others).
"""

from __future__ import annotations

from typing import Any

__all__ = ["window_notes"]


def window_notes(engine: Any, models: list[str], prompts: list[str]) -> list[str]:
    """One note per model whose context window the longest of ``prompts`` exceeds."""
    if not prompts:
        return []
    longest = max(prompts, key=len)  # tokens grow with characters: one estimate is enough
    notes = []
    for model in models:
        window = engine.context_window(model)
        if window is None:
            continue
        tokens = engine.estimate_tokens(longest, engine.resolve(model))
        if tokens <= window:
            continue
        which = "the prompt" if len(prompts) == 1 else "the longest prompt"
        stand_in = engine.is_simulated(model)
        outcome = (
            "the offline stand-in answers anyway, but a real call would be refused"
            if stand_in
            else "the provider will refuse it (ContextWindowExceeded)"
        )
        notes.append(
            f"{which} is about {tokens:,} tokens; {model} ({engine.resolve(model)}) takes "
            f"{window:,}: {outcome}. Shorten it, or pick a model with a larger window "
            "('%orchestrate models' lists each one's context)."
        )
    return notes
