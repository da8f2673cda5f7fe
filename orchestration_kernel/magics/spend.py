"""Asking before a costly ``--over`` cell runs with real keys.

A batch job above the confirm threshold already needs ``--yes``. An interactive
``--compare ... --over df`` or a pipeline ``--over df`` sends every row at once at full
price, so it asks the same question under the same threshold
(``ORCHESTRATION_BATCH_CONFIRM_USD``, else $5): only the models a real provider would
answer count (the simulator and the local model cost nothing), and a model whose price is
unknown is named rather than guessed. Nothing is sent before the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfirmationRequired
from ..formatting import format_cost

__all__ = ["confirm_compare_over", "confirm_pipeline_over"]

_REAL = "real provider"


def confirm_compare_over(engine: Any, models: Sequence[str], prompts: Sequence[str]) -> None:
    """Refuse a ``--compare --over`` whose real-key cost is above the threshold."""
    from ..batch.plan import DEFAULT_OUTPUT_TOKENS

    real = [m for m in models if engine.served_by(m) == _REAL]
    if not real:
        return
    tokens = _input_tokens(engine, prompts)
    costs = {m: engine.estimate_cost(m, tokens, DEFAULT_OUTPUT_TOKENS * len(prompts)) for m in real}
    what = f"{len(prompts):,} items × {len(real)} real model{'s' if len(real) > 1 else ''}"
    _ask(costs, what, batch_hint=True)


#: Above this many prompts the input estimate scales an evenly spaced sample of them:
#: the question needs the order of magnitude, and 100,000 estimates take seconds.
_SAMPLE = 2_000


def _input_tokens(engine: Any, prompts: Sequence[str]) -> int:
    step = max(1, len(prompts) // _SAMPLE)
    sample = prompts[::step]
    return round(sum(engine.estimate_tokens(p) for p in sample) * len(prompts) / len(sample))


def confirm_pipeline_over(engine: Any, plan: Any, rows: int) -> None:
    """Refuse a pipeline ``--over`` whose real-key cost (the first row's plan × rows) is
    above the threshold."""
    costs: dict[str, float | None] = {}
    for step in plan.steps:
        for model, served in zip(step.models, step.served_by or [], strict=False):
            if served != _REAL:
                continue
            cost = engine.estimate_cost(model, step.est_input_tokens, step.est_output_tokens)
            known = costs.get(model, 0.0)
            costs[model] = None if cost is None or known is None else known + cost * rows
    _ask(costs, f"{rows:,} rows through {len(plan.steps)} step(s)", batch_hint=False)


def _ask(costs: Mapping[str, float | None], what: str, *, batch_hint: bool) -> None:
    from ..batch.plan import confirm_threshold

    known = {m: c for m, c in costs.items() if c is not None}
    total, limit = sum(known.values()), confirm_threshold()
    if total <= limit:
        return
    by_model = ", ".join(f"{m} {format_cost(c)}" for m, c in known.items())
    unpriced = [m for m, c in costs.items() if c is None]
    if unpriced:  # named, not guessed: the total is a floor
        by_model += f"; not counted, price unknown: {', '.join(unpriced)}"
    ways = "add --yes to the magic's line to run it, or --dry-run to see the plan"
    if batch_hint:
        ways += "; --batch runs it as a batch job at batch prices"
    raise ConfirmationRequired(
        f"this cell would cost about {format_cost(total)} with real keys ({what}: {by_model}), "
        f"above the {format_cost(limit)} confirm threshold (ORCHESTRATION_BATCH_CONFIRM_USD). "
        f"Nothing was sent: {ways}."
    )
