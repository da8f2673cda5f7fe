"""``%%orchestrate --compare m1 m2 … [--over VAR]``: one prompt on several models.

Without ``--over`` the result is the engine's :class:`~orchestration_kernel.compare.CompareTable`.
With ``--over`` the prompt runs once per item of a list or a pandas Series, and the
result is a :class:`CompareMatrix`: one row per item, one column per model.
"""

from __future__ import annotations

import html
from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError
from ..formatting import format_cost, format_ms
from ..pipeline.placeholders import Template, compile_template
from ..pipeline.scope import AccessError, Scope

__all__ = ["CompareMatrix", "items_of", "prompt_template", "render_prompt"]


@dataclass
class CompareMatrix:
    """``--over`` results: ``tables[i]`` holds every model's reply for ``items[i]``."""

    models: list[str]
    items: list[Any]
    tables: list[Any] = field(default_factory=list)
    index: list[Any] | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One dict per item: the item, then each model's output (or its error)."""
        out = []
        for item, table in zip(self.items, self.tables, strict=False):
            row: dict[str, Any] = {"item": item}
            for model in self.models:
                reply = table.replies.get(model)
                text = getattr(reply, "text", None)
                row[model] = text if text is not None else f"error: {reply}"
            out.append(row)
        return out

    def totals(self) -> dict[str, dict[str, Any]]:
        """Per model: answers, errors, summed latency, tokens and cost (None if unknown)."""
        out: dict[str, dict[str, Any]] = {}
        for model in self.models:
            replies = [t.replies.get(model) for t in self.tables]
            ok = [r for r in replies if hasattr(r, "text")]
            costs = [r.cost_usd for r in ok]
            out[model] = {
                "answers": len(ok),
                "errors": len(replies) - len(ok),
                "latency_ms": sum(r.latency_ms for r in ok),
                "tokens": sum(r.usage.total_tokens for r in ok),
                "cost_usd": None if any(c is None for c in costs) else sum(costs),
            }
        return out

    def to_dataframe(self) -> Any:
        """A DataFrame: one row per item (indexed like the Series, if any), one column per model."""
        import pandas as pd

        frame = pd.DataFrame.from_records(self.rows())
        if self.index is not None:
            frame.index = pd.Index(self.index)
        return frame

    def _repr_markdown_(self) -> str:
        head = ["item", *self.models]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows():
            lines.append("| " + " | ".join(_cell(row[h]) for h in head) + " |")
        totals = self.totals()
        lines.append("| **total** | " + " | ".join(_total(totals[m]) for m in self.models) + " |")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in ["item", *self.models])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>"
            for row in self.rows()
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _total(t: dict[str, Any]) -> str:
    cost = format_cost(t["cost_usd"], unknown="cost unknown")
    return f"{t['answers']} ok, {t['errors']} failed, {format_ms(t['latency_ms'])}, {cost}"


def items_of(name: str, namespace: Mapping[str, Any]) -> tuple[list[Any], list[Any] | None]:
    """The items of ``--over VAR`` and, for a pandas Series, its index."""
    if name not in namespace:
        from .args import suggest

        public = [k for k in namespace if not str(k).startswith("_")]
        close = suggest(name, public)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ConfigurationError(f"--over {name!r}: no such variable.{hint}")
    value = namespace[name]
    if hasattr(value, "tolist") and hasattr(value, "index"):  # a pandas Series / column
        return list(value.tolist()), list(value.index.tolist())
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence | set):
        raise ConfigurationError(
            f"--over {name!r} must be a list or a pandas Series, not {type(value).__name__}"
        )
    items = list(value)
    if not items:
        raise ConfigurationError(f"--over {name!r} is empty: there is nothing to compare over")
    return items, None


def prompt_template(body: str, *, interpolate: bool) -> Template:
    """The cell body as a prompt template (every brace literal without interpolation)."""
    text = body.strip()
    if not text:
        raise ConfigurationError("--compare needs a prompt: write it in the cell body")
    return compile_template(text, interpolate=interpolate)


def render_prompt(template: Template, namespace: Mapping[str, Any], item: Any = None) -> str:
    """The prompt for one item; an unknown name is a clean error naming the nearest ones."""
    names: Mapping[str, Any] = namespace if item is None else ChainMap({"item": item}, namespace)
    try:
        return template.render(Scope(has_input=False, namespace=names))
    except AccessError as exc:
        raise ConfigurationError(f"In the prompt: {exc}") from None
