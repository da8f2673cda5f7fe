"""``%%orchestrate --compare m1 m2 … [--over VAR]``: one prompt on several models.

Without ``--over`` the result is the engine's :class:`~orchestration_kernel.compare.CompareTable`.
With ``--over`` the prompt runs once per item of a list or a pandas Series, and the
result is a :class:`CompareMatrix`: one row per item, one column per model.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ConfigurationError
from ..matrix import MatrixResult
from ..pipeline.placeholders import Template, compile_template
from ..pipeline.scope import AccessError, Scope

__all__ = ["CompareMatrix", "items_of", "prompt_template", "render_prompt"]


#: The ``--over`` result is the core's :class:`~orchestration_kernel.matrix.MatrixResult`.
CompareMatrix = MatrixResult


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
