"""A dry run: what a pipeline would do, without calling any model.

For each step: its models (resolved to ``provider:model``), whether each would be real
or simulated, what it waits for, and an estimated cost. Output tokens are unknown before
a call, so the estimate assumes the step's ``max_tokens`` or :data:`ASSUMED_OUTPUT_TOKENS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec, Protocol, TypeVar

from ..formatting import counted, format_cost
from .engine_face import PipelineEngine
from .loader import CompiledPipeline

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ASSUMED_OUTPUT_TOKENS", "PipelinePlan", "PlannedStep", "make_plan"]

#: The reply length a plan assumes for a step without ``max_tokens``.
ASSUMED_OUTPUT_TOKENS = 256

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Printer(Protocol):
    """What ``_repr_pretty_`` uses of IPython's pretty printer (not imported: core)."""

    def text(self, obj: str) -> None: ...


@dataclass
class PlannedStep:
    """One step of a plan."""

    name: str
    models: list[str]
    resolved: list[str | None]
    simulated: list[bool | None]
    depends_on: list[str]
    when: str | None
    est_input_tokens: int
    est_output_tokens: int
    est_cost_usd: float | None
    problems: list[str] = field(default_factory=list)
    #: Who would answer each model: ``real provider``, ``local model`` or ``offline simulator``.
    served_by: list[str | None] = field(default_factory=list)

    def serving(self) -> list[str]:
        """Per model: ``real``, ``simulated`` or ``local model`` (an offline stand-in)."""
        served = self.served_by or [None] * len(self.simulated)
        return [
            "local model" if by == "local model" else ("simulated" if sim else "real")
            for sim, by in zip(self.simulated, served, strict=True)
        ]


@dataclass
class PipelinePlan:
    """The plan of a pipeline: steps in run order, levels that run concurrently, cost."""

    name: str | None
    steps: list[PlannedStep]
    levels: list[list[str]]

    @property
    def est_cost_usd(self) -> float | None:
        """Estimated total, ``None`` when any model's price is unknown."""
        costs = [s.est_cost_usd for s in self.steps]
        return None if any(c is None for c in costs) else float(sum(c or 0.0 for c in costs))

    @property
    def real(self) -> list[str]:
        """Models that would reach a real provider."""
        return sorted(
            {
                r or m
                for s in self.steps
                for m, r, sim in zip(s.models, s.resolved, s.simulated, strict=True)
                if sim is False
            }
        )

    @property
    def simulated(self) -> list[str]:
        """Models the offline simulator would serve."""
        return sorted(
            {
                r or m
                for s in self.steps
                for m, r, sim in zip(s.models, s.resolved, s.simulated, strict=True)
                if sim
            }
        )

    def to_records(self) -> list[dict[str, object]]:
        """One row per step."""
        return [
            {
                "step": s.name,
                "models": ", ".join(s.models),
                "resolved": ", ".join(r or "?" for r in s.resolved),
                "simulated": ", ".join(s.serving()),
                "depends_on": ", ".join(s.depends_on),
                "when": s.when,
                "est_input_tokens": s.est_input_tokens,
                "est_output_tokens": s.est_output_tokens,
                "est_cost_usd": s.est_cost_usd,
            }
            for s in self.steps
        ]

    def to_dataframe(self) -> pd.DataFrame:
        """The plan as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame.from_records(self.to_records())

    def _repr_markdown_(self) -> str:
        cost = format_cost(self.est_cost_usd)
        steps = counted(len(self.steps), "step")
        head = f"**Plan: {self.name or 'pipeline'}** · {steps} · est. {cost}"
        lines = [
            head,
            "",
            "| step | models | real/simulated | after | when | est. cost |",
            "|---|---|---|---|---|---|",
        ]
        for r, s in zip(self.to_records(), self.steps, strict=True):
            c = format_cost(s.est_cost_usd)
            lines.append(
                f"| {r['step']} | {r['resolved']} | {r['simulated']} | "
                f"{r['depends_on'] or '-'} | {r['when'] or ''} | {c} |"
            )
        notes = [note for step in self.steps for note in step.problems]
        lines += ["", *(f"- note: {note}" for note in notes)] if notes else []
        lines += [
            "",
            f"Real: {', '.join(self.real) or 'none'} · "
            f"simulated: {', '.join(self.simulated) or 'none'}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._repr_markdown_()

    def _repr_pretty_(self, printer: _Printer, cycle: bool) -> None:
        """Terminal IPython shows the plan as its table, not a dataclass repr."""
        printer.text(str(self))


def _try(fn: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R | None:
    """``fn(*args)``, or None when the engine cannot answer (a plan never fails on it)."""
    with contextlib.suppress(Exception):
        return fn(*args, **kwargs)
    return None


def make_plan(
    compiled: CompiledPipeline, engine: PipelineEngine, default_model: str | None
) -> PipelinePlan:
    """Plan ``compiled`` on ``engine`` without calling anything."""
    spec = compiled.spec
    out_tokens: dict[str, int] = {}
    steps = []
    for name in compiled.dag.order:
        step = spec.step(name)
        models = step.models or [spec.model or default_model or "?"]
        template = compiled.prompts[name]
        text = template.source if template is not None else step.task or ""
        upstream = sum(out_tokens.get(d, 0) for d in compiled.dag.deps[name])
        est_in = (_try(engine.estimate_tokens, text) or len(text) // 4) + upstream
        est_out = step.max_tokens or ASSUMED_OUTPUT_TOKENS
        out_tokens[name] = est_out * len(models)
        costs = [_try(engine.estimate_cost, m, est_in, est_out) for m in models]
        steps.append(PlannedStep(
            name=name, models=models, resolved=[_try(engine.resolve, m) for m in models],
            simulated=[_try(engine.is_simulated, m) for m in models],
            served_by=[_try(engine.served_by, m) for m in models],
            depends_on=list(compiled.dag.deps[name]), when=step.when,
            est_input_tokens=est_in, est_output_tokens=est_out,
            est_cost_usd=None if None in costs else float(sum(c or 0.0 for c in costs)),
            problems=[n for n in (_try(engine.model_note, m) for m in models) if n],
        ))  # fmt: skip
    return PipelinePlan(spec.name, steps, compiled.dag.levels())
