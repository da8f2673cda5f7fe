"""What a pipeline run produced: one :class:`StepResult` per step and the run's totals.

Results are plain pydantic models (serialisable, comparable) that the runner fills in as
the run goes, so a failed or cancelled run still carries an exact partial result.

Totals: ``latency_ms`` is the run's wall time; tokens are summed over every call;
``cost_usd`` is ``None`` as soon as any call that ran has an unknown price, because
unknown is not free (``cost_known_usd`` sums the calls whose price is known).
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field, PrivateAttr

from ..errors import UnknownNameError
from ..formatting import TextPrinter, counted, format_cost, format_ms
from ..models import Attempt, Decision, Usage
from ..near_attributes import NearAttributes
from ..offline import model_label, stand_in_cost_text, stood_in
from ..repr_floor import mask, masked_repr
from ..shown_text import shown
from ..storage.commit import Commit

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FoldRecord", "ModelCall", "PipelineResult", "StepResult", "StepStatus", "assign"]

StepStatus = Literal["pending", "running", "done", "failed", "skipped", "blocked", "cancelled"]
RunStatus = Literal["running", "done", "failed", "cancelled"]

#: Statuses after which a step will not change again.
FINAL_STATUSES = frozenset({"done", "failed", "skipped", "blocked", "cancelled"})


def _strictest(decisions: list[Decision]) -> str:
    return max(decisions, key=lambda d: d.rank).action if decisions else "allow"


def assign(model: BaseModel, values: dict[str, object]) -> None:
    """Set several fields at once, as plain attribute assignment would (these models do
    not validate on assignment), without pydantic's per-attribute ``__setattr__`` cost."""
    model.__dict__.update(values)
    model.__pydantic_fields_set__.update(values)


def _sum_cost(costs: list[float | None]) -> float | None:
    """The sum, or ``None`` if any cost is unknown."""
    return None if any(c is None for c in costs) else float(sum(c or 0.0 for c in costs))


def _cost_text(calls: list[ModelCall], cost: float | None, *, unknown: str = "unknown") -> str:
    """``cost`` as the summary shows it; where an offline stand-in answered, what the
    models asked for would charge (``est. if real``, or ``unknown if real``), never $0."""
    stand_ins = [c for c in calls if c.ran and stood_in(c.model, c.provider, c.simulated)]
    if not stand_ins:
        return format_cost(cost, unknown=unknown)
    return stand_in_cost_text(cost, _if_real(calls), stand_in=True)


def _if_real(calls: list[ModelCall]) -> float | None:
    """What the models asked for would charge for these calls: a real call's own cost, a
    stand-in's at the real model's price (``None`` when any is unknown)."""
    return _sum_cost(
        [
            c.cost_if_real_usd if stood_in(c.model, c.provider, c.simulated) else c.cost_usd
            for c in calls
            if c.ran
        ]
    )


def _stand_in_cost(step: StepResult) -> dict[str, object]:
    """A step's ``cost_if_real_usd`` and ``cost_note`` (see ``to_records``)."""
    stand_ins = [c for c in step.calls if c.ran and stood_in(c.model, c.provider, c.simulated)]
    if not stand_ins:
        return {"cost_if_real_usd": step.cost_usd, "cost_note": None}
    who = "the offline simulator" if all(c.simulated for c in stand_ins) else "the local model"
    unpriced = [c.resolved_model or c.model for c in stand_ins if c.cost_if_real_usd is None]
    note = (
        f"answered by {who}; no price is known for {', '.join(unpriced)}"
        if unpriced
        else f"answered by {who}; estimated at the real models' prices"
    )
    return {"cost_if_real_usd": _if_real(step.calls), "cost_note": note}


@masked_repr()
class ModelCall(BaseModel):
    """One model's call within a step (a fan-out step has one per model)."""

    model: str
    resolved_model: str | None = None
    provider: str | None = None
    status: Literal["done", "failed", "blocked", "cancelled"] = "done"
    output: str | None = None
    #: The parsed reply of a ``format: json`` step.
    data: object = None
    error: str | None = None
    error_type: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    simulated: bool = False
    #: With the simulator standing in: the real model's price for this usage (views show
    #: it as "est. if real"; ``cost_usd`` stays the true cost, 0).
    cost_if_real_usd: float | None = None

    @property
    def ran(self) -> bool:
        """True when the call reached a provider (its cost counts, known or not)."""
        return self.status == "done" or bool(self.attempts)


class FoldRecord(BaseModel):
    """What a ``context: session`` fold dropped to fit a model's context window."""

    step: str
    model: str
    strategy: Literal["truncate", "summarize"]
    window_tokens: int | None = None
    kept_turns: int
    dropped_turns: int
    dropped_tokens: int
    summary_model: str | None = None
    summary: str | None = None


@masked_repr()
class StepResult(BaseModel):
    """One step of one run."""

    name: str
    model: str | list[str] | None = None
    provider: str | None = None
    status: StepStatus = "pending"
    output: str | None = None
    #: Per-model outputs of a fan-out step, keyed by the model name as the spec wrote it.
    outputs: dict[str, str] | None = None
    #: The parsed output of a ``format: json`` step (per model for a fan-out).
    data: object = None
    calls: list[ModelCall] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = None
    decisions: list[Decision] = Field(default_factory=list)
    error: str | None = None
    error_type: str | None = None
    #: Why the step was skipped, blocked or cancelled, in words.
    reason: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    #: The values a ``when:`` condition saw, by sub-expression.
    when_values: dict[str, object] | None = None
    simulated: bool = False
    prompt: str | None = None

    @property
    def guardian(self) -> str:
        """The strictest Guardian action on the step (``allow`` when none)."""
        return _strictest(self.decisions)

    def summary_row(self) -> list[str]:
        """Name, model, status, latency, tokens, cost and Guardian action, as shown."""
        model = ", ".join(self.model) if isinstance(self.model, list) else (self.model or "")
        return [
            self.name,
            model_label(model, self.provider, self.simulated),
            self.status,
            format_ms(self.latency_ms),
            str(self.usage.total_tokens),
            _cost_text(self.calls, self.cost_usd, unknown=""),
            self.guardian,
        ]

    def _repr_pretty_(self, printer: TextPrinter, cycle: bool) -> None:
        """A notebook shows one summary line and the output once, not the repr of the
        prompt, every call and every attempt (a long output three times over)."""
        name, model, status, latency, tokens, cost, guardian = self.summary_row()
        parts = [name, model, status, latency, f"{tokens} tokens", cost, f"guardian {guardian}"]
        line = " · ".join(part for part in parts if part)
        why = f"\n{self.reason or self.error}" if (self.reason or self.error) else ""
        printer.text(mask(f"step {line}{why}" + (f"\n{self.output}" if self.output else "")))

    @property
    def text(self) -> str:
        """The output as text (``""`` when the step produced none)."""
        return self.output or ""

    def absorb(self, calls: list[ModelCall]) -> None:
        """Fill the step's aggregates from its calls."""
        if len(calls) == 1:  # the common case, without the general case's sums and lists
            self._absorb_one(calls)
            return
        providers = list(dict.fromkeys(c.provider for c in calls if c.provider))
        ran = [c for c in calls if c.ran]
        latencies = [c.latency_ms for c in calls if c.latency_ms is not None]
        ttfts = [c.ttft_ms for c in calls if c.ttft_ms is not None]
        assign(self, {
            "calls": calls,
            "provider": ", ".join(providers) or None,
            "attempts": [a for c in calls for a in c.attempts],
            "decisions": [d for c in calls for d in c.decisions],
            "usage": sum((c.usage for c in calls), Usage()),
            "cost_usd": _sum_cost([c.cost_usd for c in ran]) if ran else None,
            "latency_ms": max(latencies) if latencies else self.latency_ms,
            "ttft_ms": min(ttfts) if ttfts else None,
            "simulated": any(c.simulated for c in calls),
        })  # fmt: skip

    def _absorb_one(self, calls: list[ModelCall]) -> None:
        """:meth:`absorb` for a step of one call: the same values, taken as they are."""
        call = calls[0]
        assign(self, {
            "calls": calls,
            "provider": call.provider or None,
            "attempts": list(call.attempts),
            "decisions": list(call.decisions),
            "usage": call.usage,
            "cost_usd": (None if call.cost_usd is None else float(call.cost_usd))
            if call.ran else None,
            "latency_ms": self.latency_ms if call.latency_ms is None else call.latency_ms,
            "ttft_ms": call.ttft_ms,
            "simulated": call.simulated,
        })  # fmt: skip


@masked_repr()  # no key in a repr (guardian=False too)
class PipelineResult(NearAttributes, BaseModel):
    """A run: its id, final output, every step, and totals."""

    run_id: str
    pipeline: str | None = None
    session_id: str | None = None
    status: RunStatus = "running"
    output: str | None = None
    steps: list[StepResult] = Field(default_factory=list)
    folds: list[FoldRecord] = Field(default_factory=list)
    started_at: float | None = None
    ended_at: float | None = None
    latency_ms: float | None = None
    error: str | None = None
    #: The audit chain's head hash after the run (``None`` without an audit trail).
    head_hash: str | None = None
    handoffs_ms: list[float] = Field(default_factory=list)
    _committed: Commit | None = PrivateAttr(default=None)

    @property
    def committed(self) -> Commit:
        """Awaitable: the run's audit rows are committed. A run that returned has already
        committed them (it raises ``AuditWriteError`` when it cannot), so this is settled
        on a returned result; it is here so code can treat replies and runs alike."""
        return self._committed or Commit.settled()

    # -- reading ------------------------------------------------------------------
    def step(self, name: str) -> StepResult:
        """The step called ``name``."""
        for s in self.steps:
            if s.name == name:
                return s
        raise UnknownNameError.of("step", name, [s.name for s in self.steps])

    def __getitem__(self, name: str) -> StepResult:
        return self.step(name)

    @property
    def outputs(self) -> dict[str, str | None]:
        """Each step's output by name."""
        return {s.name: s.output for s in self.steps}

    @property
    def usage(self) -> Usage:
        """Tokens summed over every call of every step."""
        return sum((s.usage for s in self.steps), Usage())

    @property
    def cost_usd(self) -> float | None:
        """The run's cost, or ``None`` when any call's price is unknown."""
        return _sum_cost([c.cost_usd for s in self.steps for c in s.calls if c.ran])

    @property
    def cost_known_usd(self) -> float:
        """The cost of the calls whose price is known."""
        return float(sum(c.cost_usd or 0.0 for s in self.steps for c in s.calls))

    @property
    def simulated(self) -> bool:
        """True when any step was answered by the offline simulator."""
        return any(s.simulated for s in self.steps)

    @property
    def decisions(self) -> list[Decision]:
        """Every Guardian decision of the run."""
        return [d for s in self.steps for d in s.decisions]

    @property
    def totals(self) -> dict[str, float | None]:
        """Latency, tokens and cost of the run, as one mapping."""
        usage = self.usage
        return {
            "latency_ms": self.latency_ms,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "cost_usd": self.cost_usd,
            "cost_known_usd": self.cost_known_usd,
            "steps": len(self.steps),
            "done": sum(s.status == "done" for s in self.steps),
        }

    def to_records(self) -> list[dict[str, object]]:
        """One flat row per step (what :meth:`to_dataframe` shows). ``cost_usd`` is what
        was spent; ``cost_if_real_usd`` what the models asked for would charge (``None``
        where an offline stand-in answered for a model with no price) and ``cost_note``
        why, where a stand-in answered."""
        return [
            {
                "run_id": self.run_id,
                "pipeline": self.pipeline,
                "step": s.name,
                "model": ", ".join(s.model) if isinstance(s.model, list) else s.model,
                "provider": s.provider,
                "status": s.status,
                "output": s.output,
                "attempts": len(s.attempts),
                "latency_ms": s.latency_ms,
                "ttft_ms": s.ttft_ms,
                "input_tokens": s.usage.input_tokens,
                "output_tokens": s.usage.output_tokens,
                "cost_usd": s.cost_usd,
                **_stand_in_cost(s),
                "guardian": s.guardian,
                "error": s.error,
                "reason": s.reason,
                "simulated": s.simulated,
                "started_at": s.started_at,
                "ended_at": s.ended_at,
            }
            for s in self.steps
        ]

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame, one row per step (pandas is imported here, not before);
        ``started_at``/``ended_at`` are UTC timestamps, as the audit frame's ``timestamp``.
        A :class:`~orchestration_kernel.shown_frame.ShownFrame`: its display masks
        credentials and shows token counts beside a failed step as integers."""
        import pandas as pd

        frame = pd.DataFrame.from_records(self.to_records())
        for column in ("cost_usd", "cost_if_real_usd"):  # numeric, NaN where unknown
            if column in frame:
                frame[column] = pd.to_numeric(frame[column]).astype("float64")
        for column in ("started_at", "ended_at"):  # UTC timestamps, as the audit frame's
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], unit="s", utc=True).dt.as_unit("us")
        from ..shown_frame import ShownFrame  # as every result frame: masked, ints as ints

        return ShownFrame(frame)

    # -- display ------------------------------------------------------------------
    def _summary_rows(self) -> list[list[str]]:
        return [s.summary_row() for s in self.steps]

    def _headline(self) -> str:
        cost = _cost_text([c for s in self.steps for c in s.calls], self.cost_usd)
        latency = format_ms(self.latency_ms, unknown="?")
        name = self.pipeline or "pipeline"
        steps = counted(len(self.steps), "step")
        return (
            f"{name} · run {self.run_id} · {self.status} · {steps} · {latency} · "
            f"{self.usage.total_tokens} tokens · {cost}"
        )

    #: A class constant (ClassVar: pydantic would otherwise make it a private attribute
    #: and deep-copy it into every result it builds).
    _HEADER: ClassVar[tuple[str, ...]] = (
        "step", "model", "status", "latency", "tokens", "cost", "guardian",
    )  # fmt: skip

    def _repr_markdown_(self) -> str:
        lines = [f"**{self._headline()}**", "", "| " + " | ".join(self._HEADER) + " |"]
        lines.append("|" + "---|" * len(self._HEADER))
        lines += ["| " + " | ".join(r) + " |" for r in self._summary_rows()]
        if self.output:
            lines += ["", shown(self.output)]  # no credential in a notebook output
        return "\n".join(lines)

    def _repr_pretty_(self, printer: TextPrinter, cycle: bool) -> None:
        """A plain-text frontend (terminal IPython, jupyter console, text/plain in a
        saved notebook) shows the summary table, not the repr of every call inside."""
        printer.text(mask(self._repr_markdown_()))

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEADER)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
            for r in self._summary_rows()
        )
        out = f"<pre>{html.escape(shown(self.output))}</pre>" if self.output else ""
        return (
            f"<div><b>{html.escape(self._headline())}</b><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{out}</div>"
        )

    def __str__(self) -> str:
        return self.output or ""

    def to_json(self) -> str:
        """The whole result as JSON."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False)
