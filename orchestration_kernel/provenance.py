"""Where an output came from, in a form a saved notebook keeps: run id, models, tokens,
cost and the audit's head hash.

``%%orchestrate`` puts :func:`provenance` into each output's metadata (under
``"orchestration"``), so a notebook read months later says which run produced a cell,
which models actually answered (``gpt-4`` may have meant ``openai:gpt-4o``), what it
cost, and the audit hash that run's rows are chained under (``audit.verify()`` checks it).
"""

from __future__ import annotations

from typing import Any

__all__ = ["METADATA_KEY", "provenance"]

#: The key under an output's metadata.
METADATA_KEY = "orchestration"


def _replies(result: object) -> list[Any]:
    """Every reply or error a result holds (a pipeline's calls, a compare's, a matrix's)."""
    if hasattr(result, "steps"):
        return [c for s in result.steps for c in getattr(s, "calls", None) or []]
    if hasattr(result, "tables"):
        return [r for t in result.tables for r in t.replies.values()]
    if hasattr(result, "replies"):
        return list(result.replies.values())
    return [result] if hasattr(result, "usage") else []


def provenance(result: Any, audit: Any = None) -> dict[str, Any]:
    """``{"run_id", "status", "models", "input_tokens", "output_tokens", "cost_usd",
    "simulated", "audit_head"}`` for a pipeline result, compare table, matrix or reply.

    ``models`` maps each requested name to the ``provider:model`` that answered.
    ``cost_usd`` is ``None`` when any answered call's price is unknown.
    """
    models: dict[str, str] = {}
    inputs = outputs = 0
    cost: float | None = 0.0
    simulated = False
    for reply in _replies(result):
        usage = getattr(reply, "usage", None)
        if usage is None:
            continue  # an error: nothing answered
        resolved = getattr(reply, "resolved_model", None)
        if resolved:
            models.setdefault(str(getattr(reply, "model", resolved)), str(resolved))
        inputs += usage.input_tokens
        outputs += usage.output_tokens
        value = getattr(reply, "cost_usd", None)
        cost = None if cost is None or value is None else cost + value
        simulated = simulated or bool(getattr(reply, "simulated", False))
    head = None
    if audit is not None:
        try:
            audit.flush()
            head = audit.head_hash
        except Exception:  # provenance must never break a cell: the hash is then unknown
            head = None
    return {
        "run_id": getattr(result, "run_id", None),
        "status": getattr(result, "status", None),
        "models": models,
        "input_tokens": inputs,
        "output_tokens": outputs,
        "cost_usd": cost,
        "simulated": simulated,
        "audit_head": head,
    }
