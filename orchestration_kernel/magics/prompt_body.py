"""A cell body that is one prompt where ``%%orchestrate`` expects pipeline steps.

``%%orchestrate gpt-4o`` over ``Summarise: {doc}`` is the first cell many people type:
the YAML reads it as a mapping (``Summarise:``) or fails on its braces, and the spec error
that follows (``the spec has no 'steps:' list``) says nothing of ``--compare``, which is
what sends a prompt as it is. This module tells the two kinds of body apart.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigurationError

__all__ = ["looks_like_prompt", "prompt_cell_error"]

#: A line that starts a step or sets a key a pipeline (or one of its steps) knows.
_SPEC_LINE = re.compile(
    r"^\s*(?:-\s|-$|(?:steps|name|model|models|prompt|system|when|depends_on|on_error|"
    r"fallbacks|default|format|schema|timeout|context|task|description|max_tokens|"
    r"temperature)\s*:)"
)


def looks_like_prompt(body: str) -> bool:
    """Whether ``body`` reads as prose for a model rather than YAML steps: no line starts
    a step (``- ``) or sets a key a pipeline knows (``steps:``, ``model:``, ...)."""
    lines = [line for line in body.splitlines() if line.strip()]
    return bool(lines) and not any(_SPEC_LINE.match(line) for line in lines)


def prompt_cell_error(
    engine: Any, name: str | None, default_model: str | None
) -> ConfigurationError:
    """The error for a prompt body in a pipeline cell, with the line that would send it.
    ``name`` (the magic's positional word) is often a model the user meant to send it to."""
    model = name if name and _is_model(engine, name) else (default_model or "gpt-4o-mini")
    named = (
        f" ('{name}' after %%orchestrate names the pipeline, not a model.)"
        if name and model == name
        else ""
    )
    return ConfigurationError(
        "This cell is one prompt, not pipeline steps (YAML). To send it as it is, write "
        f"%%orchestrate --compare {model} on the first line.{named} For steps, see "
        "%orchestrate help."
    )


def _is_model(engine: Any, name: str) -> bool:
    try:
        engine.resolve(name)
    except Exception:  # an unknown name: not a model, so not the one to suggest
        return False
    return True
