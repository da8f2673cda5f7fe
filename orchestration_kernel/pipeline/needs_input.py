"""Does a pipeline need an input? Where does it use ``{input}``?

A spec whose prompt says ``"Analyze: {input}"`` run without an input would send
"Analyze: " — an empty prompt that still costs money and looks like a model's fault.
:func:`input_uses` finds every use of ``input`` in prompts and system prompts (a
``when:`` condition may test for an optional input) with its YAML position, so a run
without an input fails before any call, naming the step and the line (see
``Pipeline.execute`` and the ``--input`` check of ``%%orchestrate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SpecError, SpecProblem

if TYPE_CHECKING:
    from .loader import CompiledPipeline

__all__ = ["input_uses", "missing_input_error"]


def input_uses(compiled: CompiledPipeline) -> list[SpecProblem]:
    """Every place a prompt reads ``input``: one problem-shaped record per use, in order."""
    uses: list[SpecProblem] = []
    for i, step in enumerate(compiled.spec.steps):
        name = step.name or ""
        for key, templates in (("prompt", compiled.prompts), ("system", compiled.systems)):
            template = templates.get(name)
            for ph in template.placeholders if template is not None else ():
                if ph.root == "input":
                    line, col = compiled.positions.offset_mark(("steps", i, key), ph.offset)
                    uses.append(SpecProblem(f"step {name!r} uses {ph.raw}", line, col))
    return uses


def missing_input_error(compiled: CompiledPipeline, how: str) -> SpecError | None:
    """The error for running ``compiled`` without an input, or ``None`` if it needs none.

    ``how`` says how to give one (``"pass it: pipeline.run(text)"``, ``"add --input EXPR"``).
    """
    if compiled.spec.input is not None:
        return None
    uses = input_uses(compiled)
    if not uses:
        return None
    problems = [
        SpecProblem(f"{u.message}, but no input was given: {how}", u.line, u.column) for u in uses
    ]
    return SpecError(problems, source=compiled.source)
