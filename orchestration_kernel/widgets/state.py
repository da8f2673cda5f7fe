"""What a run view knows: one :class:`StepState` per step, folded from pipeline events.

This module is pure Python (no ipywidgets), so the HTML/text renderers, the widgets and
the tests share one model of a run. Events may arrive on the runtime loop's thread while
the cell's thread renders, so every change and every read holds the state's lock and
readers take :meth:`RunState.snapshot` copies.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..offline import stood_in as _stood_in
from ..pipeline.fan_out_text import sections

__all__ = ["FINAL_STATUSES", "STATUSES", "RunState", "StepState", "findings"]

#: Every status a step can show, in the order a run moves through them.
STATUSES = ("pending", "running", "done", "failed", "skipped", "blocked", "cancelled")
#: Statuses after which a step does not change again.
FINAL_STATUSES = frozenset(STATUSES[2:])
#: Errors that mean the run was stopped, not that it failed.
_CANCELLATIONS = frozenset({"RunCancelled", "KeyboardInterrupt", "CancelledError"})


@dataclass
class StepState:
    """One step as the views show it."""

    name: str
    models: list[str] = field(default_factory=list)
    provider: str = ""
    #: ``provider:model`` that answered, per call (``openai:gpt-4o`` for ``gpt-4``).
    resolved: list[str] = field(default_factory=list)
    status: str = "pending"
    simulated: bool = False
    #: Streamed (then final) text per model; a fan-out step has several.
    texts: dict[str, str] = field(default_factory=dict)
    latency_ms: float | None = None
    ttft_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    #: Guardian decisions (``models.Decision`` or anything with action/policy/stage/reasons).
    decisions: list[Any] = field(default_factory=list)
    #: Why the step was skipped, failed, blocked or cancelled.
    note: str = ""
    attempts: int = 0
    #: Bumped on every change, so a throttled renderer knows what is stale.
    version: int = 0
    #: What the calls would have cost on the real model (the simulator stood in).
    cost_if_real_usd: float | None = None

    @property
    def model(self) -> str:
        """The model(s) as the spec wrote them."""
        return ", ".join(self.models)

    @property
    def stood_in(self) -> bool:
        """An offline stand-in answered (the simulator, or the local model for another
        model): its cost is shown as the real model's, or as unknown, never as $0."""
        return _stood_in(self.model, self.provider, self.simulated)

    @property
    def answered_by(self) -> str:
        """What answered (``openai:gpt-4o``; several for a fan-out)."""
        return ", ".join(self.resolved)

    @property
    def text(self) -> str:
        """The text, labelled per model for a fan-out step."""
        if len(self.texts) <= 1:
            return next(iter(self.texts.values()), "")
        return "\n\n".join(f"[{m}] {t}" for m, t in self.texts.items())

    @property
    def total_tokens(self) -> int | None:
        """Input plus output tokens, once known."""
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)

    @property
    def cost_unknown(self) -> bool:
        """True when the step called a model whose price is unknown (unknown is not free)."""
        return self.cost_usd is None and self.status == "done" and not self._free

    @property
    def _free(self) -> bool:
        # A step that made no call (a `when:` skip, a default) costs nothing, knowably.
        return self.attempts == 0 and self.total_tokens in (None, 0)

    @property
    def guardian(self) -> str:
        """The strictest Guardian action (``allow`` when there is none)."""
        ranks = {"allow": 0, "warn": 1, "redact": 2, "block": 3}
        actions = [str(getattr(d, "action", "allow")) for d in self.decisions]
        return max(actions, key=lambda a: ranks.get(a, 0), default="allow")

    def apply_delta(self, model: str, kind: str, text: str) -> None:
        """Fold one streamed delta: append, discard (``reset``) or replace."""
        if kind == "reset":
            self.texts[model] = ""
        elif kind == "replace":
            self.texts[model] = text
        else:
            self.texts[model] = self.texts.get(model, "") + text
        if self.status == "pending":
            self.status = "running"

    def absorb(self, step: Any) -> None:
        """Copy what a ``StepResult`` (or a look-alike) says, keeping what it leaves out."""
        self.status = str(getattr(step, "status", None) or self.status)
        self.models = _models(getattr(step, "model", None)) or self.models
        self.provider = getattr(step, "provider", None) or self.provider
        calls = getattr(step, "calls", None) or []
        resolved = [c.resolved_model for c in calls if getattr(c, "resolved_model", None)]
        self.resolved = list(dict.fromkeys(resolved)) or self.resolved
        if_real = [c.cost_if_real_usd for c in calls if getattr(c, "cost_if_real_usd", None)]
        self.cost_if_real_usd = float(sum(if_real)) if if_real else self.cost_if_real_usd
        self.simulated = bool(getattr(step, "simulated", False)) or self.simulated
        for attr in ("latency_ms", "ttft_ms", "cost_usd"):
            value = getattr(step, attr, None)
            if value is not None:
                setattr(self, attr, float(value))
        usage = getattr(step, "usage", None)
        if usage is not None and (usage.input_tokens or usage.output_tokens):
            self.input_tokens, self.output_tokens = usage.input_tokens, usage.output_tokens
        self.attempts = len(getattr(step, "attempts", None) or []) or self.attempts
        self.decisions = list(getattr(step, "decisions", None) or self.decisions)
        self._absorb_text(step)
        note = getattr(step, "reason", None) or getattr(step, "error", None)
        self.note = str(note) if note else self.note

    def absorb_reply(self, model: str, reply: Any) -> None:
        """Fold one call's outcome: a ``Reply``, or the error that replaced it (a
        Guardian block keeps its decisions). A compare's cells are shown this way."""
        self.models = self.models or [model]
        self.decisions = list(getattr(reply, "decisions", None) or [])
        if not hasattr(reply, "text"):
            blocked = type(reply).__name__ == "GuardianBlocked"
            self.status = "blocked" if blocked else "failed"
            self.note = f"{type(reply).__name__}: {reply}"
            return
        self.status = "done"
        self.provider = reply.provider or self.provider
        self.resolved = [reply.resolved_model] if reply.resolved_model else self.resolved
        self.simulated = bool(reply.simulated)
        self.latency_ms, self.ttft_ms = reply.latency_ms, reply.ttft_ms
        self.cost_usd = reply.cost_usd
        self.cost_if_real_usd = (reply.extras or {}).get("cost_if_real_usd")
        self.input_tokens = reply.usage.input_tokens
        self.output_tokens = reply.usage.output_tokens
        self.attempts = len(reply.attempts or []) or 1
        self.texts = {model: reply.text}

    def _absorb_text(self, step: Any) -> None:
        outputs = getattr(step, "outputs", None)
        if outputs:
            # A failed model's text says that it failed and why (fan_out_text).
            texts = {str(k): str(v) for k, v in outputs.items()}
            self.texts = sections(texts, getattr(step, "calls", None) or ())
        elif getattr(step, "output", None) is not None:
            self.texts = {self.model: str(step.output)}


def _models(model: Any) -> list[str]:
    if isinstance(model, (list, tuple)):
        return [str(m) for m in model]
    return [str(model)] if model else []


class RunState:
    """The steps of one run and its totals, built from its events, safe across threads."""

    def __init__(self, title: str = "pipeline") -> None:
        self.title = title
        self.run_id: str | None = None
        self.status = "pending"
        self.steps: dict[str, StepState] = {}
        self.latency_ms: float | None = None
        self.error: str | None = None
        self.output: str | None = None
        self._lock = threading.RLock()

    # -- changes ---------------------------------------------------------------------
    def step(self, name: str | None) -> StepState:
        """The step called ``name``, created when first seen."""
        key = name or "output"
        with self._lock:
            if key not in self.steps:
                self.steps[key] = StepState(key)
            return self.steps[key]

    def apply(self, event: Any) -> set[str]:
        """Fold one ``PipelineEvent`` in; the names of the steps it changed.

        ``"*"`` in the answer means the structure changed (new rows, the run's status).
        """
        kind = getattr(event, "kind", "")
        with self._lock:
            self.run_id = getattr(event, "run_id", None) or self.run_id
            if kind == "run_start":
                return self._start(event.data)
            if kind == "delta":
                return self._delta(event)
            if kind in ("step_start", "step_end"):
                return self._step_event(event, started=kind == "step_start")
            if kind in ("cell_start", "cell_end"):  # a compare's or a matrix's cell
                return self._cell_event(event)
            if kind == "run_end" and event.data is not None:
                self.absorb(event.data)
                return {"*", *self.steps}
        return set()

    def _start(self, plan: Any) -> set[str]:
        self.status = "running"
        for item in _plan_items(plan):
            step = self.step(item.get("name"))
            step.models = _models(item.get("model")) or step.models
            step.version += 1
        return {"*", *self.steps}

    def _delta(self, event: Any) -> set[str]:
        step = self.step(event.step)
        delta = event.data
        kind = str(getattr(delta, "kind", "text"))
        text = str(getattr(delta, "text", "" if delta is None else delta))
        model = event.model or step.model
        step.apply_delta(model, kind, text)
        step.version += 1
        return {step.name}

    def _step_event(self, event: Any, *, started: bool) -> set[str]:
        new = (event.step or "output") not in self.steps
        step = self.step(event.step)
        if started:
            step.status = "running"
            step.models = step.models or _models(event.model)
        if event.data is not None:
            step.absorb(event.data)
        step.version += 1
        return {"*", step.name} if new else {step.name}

    def _cell_event(self, event: Any) -> set[str]:
        new = event.step not in self.steps
        self.status = "running" if self.status == "pending" else self.status
        step = self.step(event.step)
        if event.kind == "cell_start":
            step.status = "running"
            step.models = step.models or [event.model]
        else:
            step.absorb_reply(event.model, event.reply)
        step.version += 1
        return {"*", step.name} if new else {step.name}

    def absorb(self, result: Any) -> None:
        """Take the final state of a ``PipelineResult`` (or anything with ``steps``)."""
        with self._lock:
            for step in getattr(result, "steps", None) or []:
                state = self.step(step.name)
                state.absorb(step)
                state.version += 1
            self.run_id = getattr(result, "run_id", None) or self.run_id
            self.status = str(getattr(result, "status", None) or self.status)
            self.latency_ms = getattr(result, "latency_ms", None) or self.latency_ms
            self.error = getattr(result, "error", None) or self.error
            self.output = getattr(result, "output", None) or self.output

    def end(self, error: BaseException | None = None) -> None:
        """The run is over: steps left unfinished take its fate."""
        with self._lock:
            if error is not None:
                cancelled = type(error).__name__ in _CANCELLATIONS
                fate = "cancelled" if cancelled else "failed"
                self.status = fate
                self.error = self.error or f"{type(error).__name__}: {error}"
                for step in self.steps.values():
                    if step.status not in FINAL_STATUSES:
                        step.status = fate
                        step.version += 1
            elif self.status in ("pending", "running"):
                self.status = "done"

    # -- reading ---------------------------------------------------------------------
    def snapshot(self) -> RunState:
        """A consistent copy to render from another thread."""
        with self._lock:
            copied = copy.copy(self)
            copied.steps = {k: copy.deepcopy(v) for k, v in self.steps.items()}
            copied._lock = threading.RLock()
            return copied

    @property
    def finished(self) -> bool:
        """True once the run has ended."""
        return self.status in ("done", "failed", "cancelled")

    def totals(self) -> dict[str, Any]:
        """Steps done, tokens, cost (``None`` if any finished step's cost is unknown),
        Guardian decisions that did not allow, and latency."""
        with self._lock:
            steps = list(self.steps.values())
            costs = [s.cost_usd for s in steps if s.cost_usd is not None]
            unknown = any(s.cost_unknown for s in steps)
            return {
                "steps": len(steps),
                "done": sum(s.status == "done" for s in steps),
                "input_tokens": sum(s.input_tokens or 0 for s in steps),
                "output_tokens": sum(s.output_tokens or 0 for s in steps),
                "cost_usd": None if unknown else float(sum(costs)),
                "decisions": sum(len(findings(s.decisions)) for s in steps),
                "latency_ms": self.latency_ms,
                "simulated": any(s.simulated for s in steps),
                "stood_in": any(s.stood_in for s in steps),
                "cost_if_real_usd": _if_real(steps),
            }


def _if_real(steps: list[StepState]) -> float | None:
    """The real models' price for a run a stand-in answered in part (``None`` when no
    stand-in answered or a stood-in step's real price is unknown). A stood-in step that
    failed after its calls (JSON that missed its schema twice) counts as its row shows
    it: those calls would have been billed."""
    simulated = [
        s for s in steps if s.stood_in and (s.status == "done" or s.cost_if_real_usd is not None)
    ]
    if not simulated or any(s.cost_if_real_usd is None for s in simulated):
        return None
    real = [s.cost_usd or 0.0 for s in steps if not s.stood_in]
    return float(sum(s.cost_if_real_usd or 0.0 for s in simulated) + sum(real))


def findings(decisions: Iterable[Any]) -> list[Any]:
    """The decisions worth showing: those that did not allow.

    The Guardian adds, per stage, an overall decision (policy ``guardian``) that repeats
    its policies' reasons; it is kept only when no single policy's decision explains it.
    """
    objected = [d for d in decisions if getattr(d, "action", "allow") != "allow"]
    explained = {d.stage for d in objected if getattr(d, "policy", "") != "guardian"}
    return [d for d in objected if d.policy != "guardian" or d.stage not in explained]


def _plan_items(plan: Any) -> list[dict[str, Any]]:
    """The steps of a ``run_start`` plan: dicts, objects with ``name``/``model``, or a
    mapping with ``steps``."""
    items = plan.get("steps", []) if isinstance(plan, dict) else plan
    out = []
    for item in items or []:
        if isinstance(item, dict):
            out.append(item)
        else:
            out.append({"name": getattr(item, "name", None), "model": getattr(item, "model", None)})
    return out
