"""The final output of a cell, in the format ``-f`` asks for.

- ``markdown`` (default): the output rendered as Markdown;
- ``text``: the output as plain text;
- ``json``: pretty-printed JSON (the parsed output when it is JSON, else a summary);
- ``code``: the output inserted as the next cell (``shell.set_next_input``), as jupyter-ai does.

The rendered value is returned to IPython as the cell's result, so ``Out[n]`` holds the
text and ``{Out[n]}`` in a later prompt gives exactly what was shown.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..provenance import METADATA_KEY
from ..shown_text import shown
from .errors import make_clean
from .faithful import faithful_markdown

__all__ = ["Rendered", "extract_code", "output_text", "render", "to_jsonable"]

_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)


class Rendered(str):
    """Text that IPython shows in a given format; as a ``str`` it is the plain text.

    ``faithful``: the text is a model's, shown exactly as written (``$`` and ``<tag>``
    escaped in the Markdown, see :mod:`.faithful`). ``metadata``: the output's metadata
    (the run's provenance), kept in the saved notebook.

    What is *shown* has its credentials masked (:mod:`~orchestration_kernel.shown_text`:
    with ``guardian=False`` a reply that echoes a key would otherwise land in the saved
    output); the ``str`` itself keeps the model's text, for ``{Out[n]}`` in a later prompt.
    """

    format: str = "markdown"
    faithful: bool = False
    metadata: dict[str, Any] | None = None

    def __new__(
        cls,
        text: str,
        format: str = "markdown",
        *,
        faithful: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> Rendered:
        obj = super().__new__(cls, text)
        obj.format = format
        obj.faithful = faithful
        obj.metadata = metadata
        return obj

    def _shown(self) -> str:
        return shown(str(self))

    def _markdown(self) -> str | None:
        if self.format == "markdown":
            return faithful_markdown(self._shown()) if self.faithful else self._shown()
        if self.format == "json":
            return f"```json\n{self._shown()}\n```"
        return None

    def _repr_markdown_(self) -> str | None:
        return self._markdown()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        data = {"text/plain": self._shown()}
        markdown = self._markdown()
        if markdown is not None:
            data["text/markdown"] = markdown
        if self.metadata:
            return data, {METADATA_KEY: self.metadata}
        return data

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self._shown())

    def __getattr__(self, name: str) -> Any:
        # Only reached for a name a str does not have. A run's output is what ``_`` and
        # ``Out[n]`` hold, so ``_.to_dataframe()`` after a run cell met a bare
        # "'Rendered' object has no attribute": say where the run's result is instead.
        # Still an AttributeError (hasattr and getattr(x, name, default) work as for a
        # str), shown as the one-line message, without this frame.
        if name.startswith("_"):  # IPython's and pandas' probes (_repr_html_, ...)
            raise AttributeError(name)
        if not (self.metadata or {}).get("run_id"):  # help, models, context: no run
            raise make_clean(AttributeError(f"str object has no attribute {name!r}"))
        raise make_clean(
            AttributeError(
                f"_ and Out[n] hold the text the cell showed (a str, for {{Out[n]}} in a "
                f"later prompt), which has no .{name}. The run's result is in _orchestrate "
                f"(or the variable given to --out): _orchestrate.{name}"
            )
        )


def output_text(result: Any) -> str:
    """The final text of a result: a pipeline's output, a reply's text, or ``str()``."""
    for attr in ("output", "text"):
        value = getattr(result, attr, None)
        if isinstance(value, str):
            return value
    rows = getattr(result, "rows", None)
    if callable(rows):  # a compare table or matrix: one line per model (and item)
        return "\n".join(_row_line(row) for row in rows())
    return "" if result is None else str(result)


def _row_line(row: dict[str, Any]) -> str:
    if "item" in row:
        return " | ".join(f"{k}: {v}" for k, v in row.items())
    value = row.get("output") if row.get("error") is None else f"error: {row['error']}"
    return f"{row.get('model')}: {value}"


def to_jsonable(result: Any) -> Any:
    """What ``-f json`` shows: the output parsed, if it is JSON; else a compact summary."""
    text = output_text(result)
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        pass
    rows = getattr(result, "rows", None)
    if callable(rows):  # a compare table or matrix
        return rows()
    summary: dict[str, Any] = {"output": text}
    for attr in ("run_id", "pipeline", "status"):
        value = getattr(result, attr, None)
        if value is not None:
            summary[attr] = value
    outputs = getattr(result, "outputs", None)
    if isinstance(outputs, dict):
        summary["steps"] = outputs
    return summary


def extract_code(text: str) -> str:
    """The code in a reply: the fenced blocks joined, or the whole text when there are none."""
    blocks = _FENCE.findall(text)
    return "\n\n".join(b.strip("\n") for b in blocks) if blocks else text.strip()


def render(
    result: Any, format: str, shell: Any, *, provenance: dict[str, Any] | None = None
) -> Any:
    """The cell's value for ``result`` in ``format`` (``None`` for ``code``), carrying
    ``provenance`` in its output metadata."""
    if format == "code":
        # The next cell is saved with the notebook too: no credential in it either.
        shell.set_next_input(shown(extract_code(output_text(result))), replace=False)
        return None
    if format == "json":
        text = json.dumps(to_jsonable(result), indent=2, ensure_ascii=False, default=str)
        return Rendered(text, "json", metadata=provenance)
    if format == "markdown" and not hasattr(result, "output"):
        view = compare_view(result)
        if view is not None:
            view.metadata = provenance
            return view  # side by side, fastest and cheapest marked
    return Rendered(output_text(result), format, faithful=True, metadata=provenance)


def compare_view(result: Any) -> Any:
    """The widgets' view of a compare table, an ``--over`` matrix or any result class
    registered in the session's view table (``widgets.views_for()``), or ``None``."""
    from ..widgets.views import views_for

    return views_for().view(result)
