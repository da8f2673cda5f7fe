"""Ready-made summaries of an audit frame: per model, per Guardian policy, per provider.

Each takes the typed frame :meth:`AuditTrail.to_dataframe` returns and gives a small
DataFrame with a plain RangeIndex, sorted so the biggest item comes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["decisions_by_policy", "errors_by_provider", "summary_by_model"]

_ACTIONS = ("allow", "warn", "redact", "block")


def summary_by_model(frame: pd.DataFrame) -> pd.DataFrame:
    """Per provider and model, over ``call`` events: calls, errors, replays, tokens, cost,
    and latency / time-to-first-token p50 and p95.

    ``cost_usd`` is the sum of the known costs; ``cost_unknown`` counts successful calls
    whose price was unknown (unknown is not free).
    """
    import pandas as pd

    calls = frame[frame["event"] == "call"].copy()
    keys = ["provider", "model"]
    if calls.empty:
        return pd.DataFrame(
            columns=[
                *keys,
                "calls",
                "errors",
                "replayed",
                "input_tokens",
                "output_tokens",
                "cost_usd",
                "cost_unknown",
                "latency_p50_ms",
                "latency_p95_ms",
                "ttft_p50_ms",
                "ttft_p95_ms",
            ]
        )
    calls[keys] = calls[keys].astype(object).fillna("")
    calls["is_error"] = calls["error_type"].notna()
    calls["cost_missing"] = calls["cost_usd"].isna() & ~calls["is_error"]
    grouped = calls.groupby(keys, sort=False)
    out = grouped.agg(
        calls=("event", "size"),
        errors=("is_error", "sum"),
        replayed=("replayed", lambda s: int(s.fillna(False).sum())),
        input_tokens=("input_tokens", "sum"),
        output_tokens=("output_tokens", "sum"),
        cost_usd=("cost_usd", "sum"),
        cost_unknown=("cost_missing", "sum"),
        latency_p50_ms=("latency_ms", lambda s: s.quantile(0.5)),
        latency_p95_ms=("latency_ms", lambda s: s.quantile(0.95)),
        ttft_p50_ms=("ttft_ms", lambda s: s.quantile(0.5)),
        ttft_p95_ms=("ttft_ms", lambda s: s.quantile(0.95)),
    )
    return out.sort_values(["calls", "cost_usd"], ascending=False).reset_index()


def decisions_by_policy(frame: pd.DataFrame) -> pd.DataFrame:
    """Per Guardian policy and stage: how many decisions of each action, and the total."""
    import pandas as pd

    rows = frame[frame["event"] == "guardian"].copy()
    if rows.empty:
        return pd.DataFrame(columns=["policy", "stage", *_ACTIONS, "total"])
    rows["policy"] = rows["guardian_policy"].astype(object).fillna("")
    rows["stage"] = rows["detail"].map(_stage)
    counts = pd.crosstab([rows["policy"], rows["stage"]], rows["guardian_action"].fillna("allow"))
    for action in _ACTIONS:
        if action not in counts.columns:
            counts[action] = 0
    extra = [c for c in counts.columns if c not in _ACTIONS]
    counts = counts[[*_ACTIONS, *extra]]
    counts["total"] = counts.sum(axis=1)
    counts.columns.name = None
    return counts.sort_values("total", ascending=False).reset_index()


def _stage(detail: object) -> str:
    return str(detail.get("stage", "")) if isinstance(detail, dict) else ""


def errors_by_provider(frame: pd.DataFrame) -> pd.DataFrame:
    """Per provider and error type, over ``call`` events: how many, the share of that
    provider's calls, and when first and last seen."""
    import pandas as pd

    calls = frame[frame["event"] == "call"].copy()
    cols = ["provider", "error_type", "errors", "share_of_calls", "first_seen", "last_seen"]
    calls["provider"] = calls["provider"].astype(object).fillna("")
    failed = calls[calls["error_type"].notna()]
    if failed.empty:
        return pd.DataFrame(columns=cols)
    out = (
        failed.groupby(["provider", "error_type"], sort=False)
        .agg(
            errors=("event", "size"),
            first_seen=("timestamp", "min"),
            last_seen=("timestamp", "max"),
        )
        .reset_index()
    )
    totals = calls.groupby("provider").size()
    out["share_of_calls"] = out["errors"] / out["provider"].map(totals)
    out["error_type"] = out["error_type"].astype(object)
    return out[cols].sort_values("errors", ascending=False).reset_index(drop=True)
