"""``engine.compare(models, prompt)``: one prompt on several models at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .formatting import TextPrinter
from .models import Reply
from .near_attributes import NearAttributes
from .offline import cost_if_real, model_label, stand_in_cost_note, stand_in_cost_text
from .outcomes import count_findings, worst_status
from .repr_floor import mask, masked_repr
from .shown_text import shown
from .storage.commit import Commit

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CompareTable", "Completer", "run_compare", "total_cost"]


class Completer(Protocol):
    """What a comparison needs: something that completes one prompt on one model."""

    async def complete(self, model: str, prompt: Any, **kwargs: Any) -> Reply:
        """One call; returns the checked reply or raises."""
        ...


def total_cost(replies: Iterable[Reply]) -> float | None:
    """The replies' summed ``cost_usd``, or ``None`` if any of them is unknown."""
    costs = [r.cost_usd for r in replies]
    return None if any(c is None for c in costs) else float(sum(c or 0.0 for c in costs))


@masked_repr()  # its replies' text and errors, shown: no key (guardian=False too)
@dataclass
class CompareTable(NearAttributes):
    """One reply (or the error that replaced it) per model, in the order asked."""

    prompt: str
    replies: dict[str, Reply | BaseException] = field(default_factory=dict)
    #: The run id every call of the comparison was audited under (``None`` if not given).
    run_id: str | None = None
    #: Awaitable: every reply's audit rows are committed (see ``Reply.committed``).
    committed: Commit = field(default_factory=Commit.settled, init=False, repr=False, compare=False)

    @property
    def ok(self) -> dict[str, Reply]:
        """The models that answered."""
        return {m: r for m, r in self.replies.items() if isinstance(r, Reply)}

    @property
    def errors(self) -> dict[str, BaseException]:
        """The models that failed, with their errors."""
        return {m: r for m, r in self.replies.items() if not isinstance(r, Reply)}

    @property
    def status(self) -> str:
        """The worst outcome of any model: ``done``, ``blocked`` or ``failed``."""
        return worst_status(self.replies.values())

    @property
    def findings(self) -> int:
        """How many Guardian decisions other than ``allow`` the replies (and blocks) carry."""
        return count_findings(self.replies.values())

    @property
    def cost_usd(self) -> float | None:
        """What the comparison cost, summed over the models that answered, as
        ``PipelineResult.cost_usd``: ``None`` when any of their prices is unknown (unknown
        is not free); 0 where an offline stand-in answered (``rows()`` has the estimate)."""
        return total_cost(self.ok.values())

    def fastest(self) -> str | None:
        """The model with the lowest latency among those that answered."""
        ok = self.ok
        return min(ok, key=lambda m: ok[m].latency_ms) if ok else None

    def cheapest(self) -> str | None:
        """The model with the lowest known cost among those that answered."""
        priced = {m: r.cost_usd for m, r in self.ok.items() if r.cost_usd is not None}
        return min(priced, key=lambda m: priced[m]) if priced else None

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per model: output, latency, tokens, cost, decision, error."""
        out = []
        for model, r in self.replies.items():
            if isinstance(r, Reply):
                out.append(
                    {
                        "model": model,
                        "resolved_model": r.resolved_model,
                        "provider": r.provider,
                        "simulated": r.simulated,
                        "output": r.text,
                        "latency_ms": r.latency_ms,
                        "ttft_ms": r.ttft_ms,
                        "input_tokens": r.usage.input_tokens,
                        "output_tokens": r.usage.output_tokens,
                        "cost_usd": r.cost_usd,
                        # What the model asked for would charge (NaN where a stand-in
                        # answered for a model with no price), and why, for stand-ins.
                        "cost_if_real_usd": cost_if_real(r),
                        "cost_note": stand_in_cost_note(r),
                        "guardian_action": r.guardian_action,
                        "error": None,
                    }
                )
            else:
                out.append({"model": model, "output": None, "error": f"{type(r).__name__}: {r}"})
        return out

    def to_dataframe(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame, one row per model (the cost columns numeric,
        NaN where unknown; ``simulated`` a ``boolean``, NA for a model that failed). It
        displays token counts beside a failed model's row as integers and masks
        credentials (:class:`~.shown_frame.ShownFrame`)."""
        import pandas as pd

        frame = pd.DataFrame(self.rows())
        for column in ("cost_usd", "cost_if_real_usd", "latency_ms", "ttft_ms"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column]).astype("float64")
        # One failed model leaves None here: a nullable boolean keeps `frame[frame.simulated]`
        # a mask (an object column raised).
        if "simulated" in frame:
            frame["simulated"] = frame["simulated"].astype("boolean")
        from .shown_frame import ShownFrame  # tokens shown as 12, not 12.0, beside an error

        return ShownFrame(frame)

    def _repr_markdown_(self) -> str:
        lines = ["| model | output | latency ms | tokens | cost |", "|---|---|---|---|---|"]
        for row in self.rows():
            if row["error"]:
                lines.append(f"| {row['model']} | **error**: {shown(row['error'])} | | | |")
                continue
            stand_in = row["cost_note"] is not None
            cost = stand_in_cost_text(row["cost_usd"], row["cost_if_real_usd"], stand_in=stand_in)
            text = shown(str(row["output"])).replace("|", "\\|").replace("\n", " ")
            tokens = row["input_tokens"] + row["output_tokens"]
            model = model_label(row["model"], row["provider"], row["simulated"])
            lines.append(f"| {model} | {text} | {row['latency_ms']:.0f} | {tokens} | {cost} |")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: TextPrinter, cycle: bool) -> None:
        """A plain-text frontend (terminal IPython, jupyter console, text/plain in a
        saved notebook) shows the summary table, not the repr of every call inside."""
        printer.text(mask(self._repr_markdown_()))

    def __str__(self) -> str:
        """``print(...)`` in a plain script shows the summary table, as a notebook does,
        not the repr of every call inside (``repr()`` keeps that)."""
        return self._repr_markdown_()


async def run_compare(
    engine: Completer, models: Sequence[str], prompt: Any, kwargs: dict[str, Any]
) -> CompareTable:
    """Call every model concurrently through ``engine.complete`` (anything that completes,
    see :class:`Completer`); an error in one does not cancel the others."""
    audit = getattr(engine, "audit", None)  # an engine's audit trail, if it has one
    if audit is not None:
        audit.check_writable()  # fail fast: no compare runs unaudited
    results = await asyncio.gather(
        *(engine.complete(m, prompt, **kwargs) for m in models), return_exceptions=True
    )
    table = CompareTable(prompt=prompt if isinstance(prompt, str) else str(prompt))
    for model, result in zip(models, results, strict=True):
        if isinstance(result, asyncio.CancelledError):
            raise result
        table.replies[model] = result
    if audit is not None:
        table.committed = audit.commit_point()
    return table
