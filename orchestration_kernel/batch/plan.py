"""The plan shown before a batch job is submitted: rows × models, batches per provider,
estimated tokens, and the cost at the batch price beside the interactive price.

Above the confirm threshold (``confirm_above=``, else ``ORCHESTRATION_BATCH_CONFIRM_USD``,
else $5) a job needs ``confirm=True``; otherwise :class:`ConfirmationRequired` is raised
carrying the plan. Nothing ever waits on ``input()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..errors import ConfigurationError, ConfirmationRequired
from ..formatting import format_cost
from ..offline import stand_in_cost_text

__all__ = ["DEFAULT_CONFIRM_USD", "BatchPlan", "PlanLine", "confirm_threshold", "estimate_tokens"]

DEFAULT_CONFIRM_USD = 5.0
#: prompts estimated one by one up to this many rows; a sample scales above it
_EXACT_ROWS = 20_000
_SAMPLE = 2_000
#: the output estimate per item when the job sets no max_tokens
DEFAULT_OUTPUT_TOKENS = 256


def confirm_threshold(value: float | None = None) -> float:
    """The USD above which a job needs ``confirm=True``."""
    if value is not None:
        return float(value)
    raw = os.environ.get("ORCHESTRATION_BATCH_CONFIRM_USD")
    if not raw:
        return DEFAULT_CONFIRM_USD
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(
            f"ORCHESTRATION_BATCH_CONFIRM_USD={raw!r} is not a number of dollars"
        ) from None


class TokenEstimator(Protocol):
    """What :func:`estimate_tokens` needs of the engine."""

    def estimate_tokens(self, text: str, model: str | None = None) -> int: ...


def estimate_tokens(
    engine: TokenEstimator, prompts: list[str], system: str | None, model: str
) -> int:
    """Estimated input tokens of every prompt (a sample scaled by characters when large)."""
    extra = engine.estimate_tokens(system, model) if system else 0
    if len(prompts) <= _EXACT_ROWS:
        return sum(engine.estimate_tokens(p, model) for p in prompts) + extra * len(prompts)
    step = len(prompts) // _SAMPLE
    sample = prompts[::step][:_SAMPLE]
    chars = sum(len(p) for p in sample) or 1
    tokens = sum(engine.estimate_tokens(p, model) for p in sample)
    total_chars = sum(len(p) for p in prompts)
    return round(tokens * total_chars / chars) + extra * len(prompts)


@dataclass
class PlanLine:
    """One model's part of the plan."""

    model: str
    ref: str
    way: str  # "OpenAI Batch API", "concurrent calls", ...
    items: int
    chunks: int
    input_tokens: int
    output_tokens: int
    batch_cost: float | None  # what this job will cost (batch price, or interactive without one)
    interactive_cost: float | None
    simulated: bool = False
    #: USD per million tokens at the price this job pays (input, output); None if unknown
    unit_prices: tuple[float | None, float | None] = (None, None)


@dataclass
class BatchPlan:
    """What a batch job will do and cost (shown before submit; ``str()`` is a table)."""

    name: str
    rows: int
    lines: list[PlanLine] = field(default_factory=list)
    output_per_item: int = DEFAULT_OUTPUT_TOKENS
    threshold: float = DEFAULT_CONFIRM_USD

    @property
    def cost(self) -> float | None:
        """Total USD at the price the job pays; None when a model's price is unknown."""
        costs = [line.batch_cost for line in self.lines if not line.simulated]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def interactive_cost(self) -> float | None:
        """What the same calls would cost one by one."""
        costs = [line.interactive_cost for line in self.lines if not line.simulated]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    def needs_confirmation(self) -> bool:
        """True when the cost is above the threshold, or unknown."""
        cost = self.cost
        return cost is None or cost > self.threshold

    def require(self, confirm: bool) -> None:
        """Raise :class:`ConfirmationRequired` (carrying this plan) unless confirmed or cheap."""
        if confirm or not self.needs_confirmation():
            return
        cost = self.cost
        why = (
            "its cost is unknown (a model has no price in the catalogue)"
            if cost is None
            else f"it costs an estimated {format_cost(cost)}, above the "
            f"{format_cost(self.threshold)} threshold"
        )
        raise ConfirmationRequired(
            f"batch job {self.name!r} was not submitted: {why}. Pass confirm=True "
            f"(--yes in %%orchestrate) to go ahead.\n{self}",
            plan=self,
        )

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data (kept in the job's manifest, so a resumed job has it)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchPlan:
        """The plan :meth:`to_dict` gave (JSON turned its tuples into lists)."""
        fields = dict(data)
        lines = [
            PlanLine(**{**line, "unit_prices": tuple(line.get("unit_prices") or (None, None))})
            for line in fields.pop("lines", [])
        ]
        return cls(**fields, lines=lines)

    def rows_table(self) -> list[dict[str, Any]]:
        """The plan as one dict per model."""
        return [
            {
                "model": line.model,
                "runs as": line.way + (" (simulated)" if line.simulated else ""),
                "items": line.items,
                "batches": line.chunks,
                "input tokens (est.)": line.input_tokens,
                "output tokens (est.)": line.output_tokens,
                # A simulated line costs nothing: its figure is what it would cost, and
                # says so (beside a $0.00 total it read as a price paid).
                "cost": stand_in_cost_text(line.batch_cost, line.batch_cost, stand_in=sim),
                "interactive cost": stand_in_cost_text(
                    line.interactive_cost, line.interactive_cost, stand_in=sim
                ),
            }
            for line in self.lines
            for sim in (line.simulated,)
        ]

    def _if_real(self) -> str:
        """``; simulated: $x est. if real`` when some lines are simulated, else ``""``."""
        costs = [line.batch_cost for line in self.lines if line.simulated]
        if not costs:
            return ""
        known = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
        return f"; simulated: {stand_in_cost_text(known, known, stand_in=True)}"

    def __str__(self) -> str:
        head = (
            f"Batch job {self.name!r}: {self.rows} rows × {len(self.lines)} models "
            f"(output estimated at {self.output_per_item} tokens an item)"
        )
        rows = self.rows_table()
        cols = list(rows[0]) if rows else []
        widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
        lines = [head, "  ".join(c.ljust(widths[c]) for c in cols)]
        lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
        lines.append(
            f"total: {format_cost(self.cost)} (interactive: {format_cost(self.interactive_cost)})"
            f"{self._if_real()}; confirm threshold {format_cost(self.threshold)}"
        )
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = self.rows_table()
        cols = list(rows[0]) if rows else []
        out = [f"**Batch job `{self.name}`**: {self.rows} rows × {len(self.lines)} models", ""]
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "---|" * len(cols))
        out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
        out.append("")
        out.append(
            f"total **{format_cost(self.cost)}** (interactive {format_cost(self.interactive_cost)})"
            + self._if_real()
        )
        return "\n".join(out)


def line_costs(
    catalogue: Any, ref: str, items: int, input_tokens: int, output_tokens: int, discounted: bool
) -> tuple[float | None, float | None, tuple[float | None, float | None]]:
    """``(cost paid, interactive cost, unit prices paid)`` for ``items`` calls of ``ref``
    with these token totals: the prices of the tier the average prompt falls in, applied
    to the totals (so the plan's figure is the audit's arithmetic on the same tokens)."""
    info = catalogue.get(ref)
    if info is None:
        return None, None, (None, None)
    priced = info.prices_for(round(input_tokens / items) if items else 0)
    factor = 1.0 - (info.batch_discount or 0.0) if discounted else 1.0
    units = (
        None if priced.input_price is None else priced.input_price * factor,
        None if priced.output_price is None else priced.output_price * factor,
    )
    if priced.input_price is None or priced.output_price is None:
        return None, None, units
    fees = (priced.request_fee or 0.0) * items
    interactive = input_tokens * priced.input_price + output_tokens * priced.output_price
    interactive = interactive / 1_000_000 + fees
    return interactive * factor, interactive, units
