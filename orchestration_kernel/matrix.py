"""``engine.matrix(models, template, items)``: one prompt template, many items, several models.

```python
items = ["What is 2+2?", "Name a prime."]          # a list, a pandas Series, a DataFrame, …
result = engine.matrix_sync(["gpt-4o", "claude-sonnet-4-6"], "Answer briefly: {item}", items)
result.to_dataframe()      # the input's index and columns, then one column per model
result.errors              # {(row, model): the error that replaced that reply}
```

A DataFrame runs one item per row: its columns interpolate as ``{column}`` (any name:
``{review text}``, ``{0}``) and the whole
row as ``{item}`` (a mapping, so ``{item[Some Column]}`` reaches any column). A Series
runs one item per value; it keeps its index, and a named Series also fills ``{name}``.
The named levels of either's index are names too (``{cat}`` after ``groupby("cat")``),
as ``DataFrame.query`` reads them; a column of the same name wins.
A list of mappings (``df.to_dict("records")``, parsed JSON) fills its keys as names too.
Placeholders follow the pipeline rules (:mod:`.pipeline.placeholders`); any other name
comes from ``namespace``. Every prompt is rendered before the first call, so a typo in
the template fails at once, naming the nearest names.

The run has one run id (every audit row of every cell carries it) and one status: the
worst of its cells. This module knows no engine: it is handed the ``compare`` coroutine
to call per item.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import ChainMap, Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .compare import total_cost
from .errors import ConfigurationError, RunCancelled
from .formatting import TextPrinter, format_cost, format_ms
from .matrix_labels import row_labels
from .models import Reply
from .near_attributes import NearAttributes
from .near_names import did_you_mean
from .offline import cost_if_real, reply_stood_in, stand_in_cost_text
from .outcomes import count_findings, worst_status
from .pipeline.placeholders import Template, compile_template
from .pipeline.scope import AccessError, Scope
from .repr_floor import mask, masked_repr
from .shown_text import shown
from .user_spec import check_concurrency

if TYPE_CHECKING:
    import pandas as pd

    from .compare import CompareTable

__all__ = [
    "MATRIX_MODES",
    "MatrixEvent",
    "MatrixInput",
    "MatrixResult",
    "doubled_names",
    "matrix_prompts",
    "refuse_all_blank",
    "refuse_same_prompt",
    "refuse_shadowed_column",
    "refuse_unread_items",
    "run_matrix",
    "whole_names",
]

#: The modes :func:`run_matrix` serves today; ``"batch"`` is reserved for the batch APIs.
MATRIX_MODES = ("interactive",)


def new_run_id() -> str:
    """A fresh run id (the same shape as a pipeline run's)."""
    return uuid.uuid4().hex[:16]


# -- the items -------------------------------------------------------------------------
@dataclass
class MatrixInput:
    """What :func:`matrix_prompts` made of ``(template, items)``: one prompt per item.

    ``source`` is the DataFrame or Series given (kept for :meth:`MatrixResult.to_dataframe`),
    ``index`` its index as a list (``None`` for a plain iterable).
    """

    items: list[Any]
    prompts: list[str]
    index: list[Any] | None = None
    source: Any = None
    #: A short label per item (its index entry, else its position); ``[""]`` for a
    #: single prompt that is not an item of anything (a plain compare).
    labels: list[str] = field(default_factory=list)
    #: Per placeholder (as written), the positions of the items that left it empty: a
    #: missing value (None, NaN, NaT, ``pd.NA``) renders as nothing. See :meth:`notes`.
    missing: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.labels:
            keys = self.index if self.index is not None else range(len(self.items))
            self.labels = row_labels(keys)

    def notes(self, what: str = "items") -> list[str]:
        """One line per placeholder some items left empty: their prompts go out with a
        blank where the value should be, which is rarely meant and costs a call each."""
        notes = []
        counts = Counter(self.labels) if self.missing else Counter()
        twice = {label for label, n in counts.items() if n > 1}
        # A label the index repeats names no row alone: its position (iloc) says which.
        named = [f"{k} at position {i}" if k in twice else k for i, k in enumerate(self.labels)]
        for raw, positions in self.missing.items():
            shown = ", ".join(named[i] for i in positions[:5])
            more = ", …" if len(positions) > 5 else ""
            notes.append(
                f"{raw} has no value (None/NaN) in {len(positions)} of {len(self.items)} "
                f"{what} ({shown}{more}): their prompts are sent with it blank. To leave "
                "them out, drop those rows first (e.g. df.dropna(subset=[...]))."
            )
        return notes

    @classmethod
    def single(cls, prompt: str) -> MatrixInput:
        """One prompt on its own: a compare is a matrix of one unlabelled row."""
        return cls(items=[prompt], prompts=[prompt], labels=[""])


def _is_dataframe(value: object) -> bool:
    return hasattr(value, "iterrows") and hasattr(value, "columns")


def _is_series(value: object) -> bool:
    return hasattr(value, "tolist") and hasattr(value, "index") and not _is_dataframe(value)


def _cell(value: object) -> object:
    """A cell of a DataFrame or Series as a prompt sees it: a missing value (NaN, NaT,
    ``pd.NA``) is ``None``, which renders as nothing (``null`` inside ``{item}``)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    try:
        missing = value != value  # NaN and NaT are the values unequal to themselves
    except TypeError:  # pd.NA refuses a truth value
        missing = True
    return None if missing is True or type(value).__name__ == "NAType" else value


def _rows(items: Any, what: str) -> tuple[list[Any], list[Mapping[str, Any]], list[Any] | None]:
    """``(items, per-item extra names, index)`` for any accepted kind of ``items``."""
    from .date_only import date_only_positions, date_values
    from .whole_numbers import whole_float_positions, whole_values  # numpy: with pandas

    if _is_dataframe(items):
        # Column by column, not ``iterrows``: a row Series takes one dtype for all its
        # cells, so ints became floats beside a float column and a NaN became NaT beside
        # a date. The row as a plain dict: {item} renders as JSON, {item[col]} any column.
        columns = [str(c) for c in items.columns]
        _refuse_duplicate_columns(columns, what)
        records = [
            dict(zip(columns, map(_cell, row), strict=True))
            for row in items.itertuples(index=False, name=None)
        ]
        for k in whole_float_positions(items):  # ints pandas made floats: 5, not 5.0
            column = columns[k]
            for record, value in zip(records, whole_values(items.iloc[:, k]) or (), strict=True):
                record[column] = value
        for k in date_only_positions(items):  # dates: 2024-01-01, not 2024-01-01 00:00:00
            column = columns[k]
            for record, day in zip(records, date_values(items.iloc[:, k]) or (), strict=True):
                record[column] = day
        # Every column is a name: ``{review text}`` and ``{0}`` reach theirs too.
        return list(records), _with_index_names(items.index, records), list(items.index.tolist())
    if _is_series(items):
        # ints pandas made floats (5, not 5.0); dates (2024-01-01, not ... 00:00:00)
        kept: list[Any] | None = whole_values(items)
        kept = kept if kept is not None else date_values(items)
        values = kept if kept is not None else [_cell(v) for v in items.tolist()]
        name = getattr(items, "name", None)
        extra = name if isinstance(name, str) and name else None
        by_name: list[Mapping[str, Any]] = [
            {extra: v} if extra and extra != "item" else {} for v in values
        ]
        return values, _with_index_names(items.index, by_name), list(items.index.tolist())
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        # A dict of questions is a common first try: say how to pass it.
        hint = (
            ": for a dict, pass pd.Series(it) (one item per value, its keys as the index) "
            "or list(it.values())"
            if isinstance(items, Mapping)
            else ""
        )
        raise ConfigurationError(
            f"{what} must be a list, a pandas Series or DataFrame, or another iterable of "
            f"items, not {type(items).__name__}{hint}"
        )
    values = list(items)
    # Records (``df.to_dict("records")``, parsed JSON): their keys are names, as a row's.
    return values, [_record_names(v) for v in values], None


#: Names an index level cannot take: the whole row (``{item}``, a pipeline's ``{input}``).
_WHOLE_ROW = frozenset({"item", "input"})


def _with_index_names(index: Any, names: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """``names`` (each row's columns) with the index's named levels added beneath them, as
    ``DataFrame.query`` reads them: ``df.groupby("cat").agg(...)`` keeps ``cat`` as its
    index, and ``{cat}`` is what its author writes. A column of the same name wins."""
    from .date_only import date_values
    from .whole_numbers import whole_values

    taken = set(names[0]) if names else set()
    levels = [
        (k, level)
        for k, level in enumerate(index.names)
        if isinstance(level, str) and level and level not in taken and level not in _WHOLE_ROW
    ]
    if not levels:
        return list(names)
    import pandas as pd  # the index is a pandas one: pandas is loaded

    columns: list[tuple[str, list[Any]]] = []
    for k, level in levels:
        values = pd.Series(index.get_level_values(k))
        kept: list[Any] | None = whole_values(values)
        kept = kept if kept is not None else date_values(values)
        columns.append((level, kept if kept is not None else [_cell(v) for v in values]))
    return [
        {**{level: values[i] for level, values in columns}, **row} for i, row in enumerate(names)
    ]


def _refuse_duplicate_columns(columns: list[str], what: str) -> None:
    """Two columns with one name (``a`` twice, or ``1`` beside ``"1"``) would be one name
    in the prompt, silently the last column's value: refuse before anything is sent."""
    twice = [name for name, count in Counter(columns).items() if count > 1]
    if twice:
        names = ", ".join(repr(c) for c in twice)
        raise ConfigurationError(
            f"{what} has more than one column named {names}: a prompt could not tell them "
            "apart. Rename or drop the repeats first, e.g. "
            "df.loc[:, ~df.columns.duplicated()] or df.columns = [...]"
        )


def whole_names(template: Template) -> set[str]:
    """The names ``template`` reads whole (``{item}``, not ``{item[col]}``)."""
    return {p.root for p in template.placeholders if not p.path}


def refuse_shadowed_column(
    columns: Mapping[str, Any], name: str, used: Iterable[str], what: str
) -> None:
    """A column called ``item`` (``input`` for a pipeline) cannot be reached as ``{item}``,
    which is the whole row: a prompt that reads ``{item}`` whole (``used``) would silently
    get the row as JSON where its author meant the column."""
    if name in columns and name in set(used):
        raise ConfigurationError(
            f"{what} has a column named {name!r}, but {{{name}}} is the whole row, not that "
            f"column. Reach the column as {{{name}[{name}]}}, or rename it first, e.g. "
            f"df.rename(columns={{{name!r}: '{name}_'}})"
        )


def refuse_same_prompt(template: Template, names: Mapping[str, Any], n: int, what: str) -> None:
    """A template that reads nothing of the items (no ``{item}``, no column) sends one
    prompt ``n`` times, a call each: almost always ``{{text}}`` written for ``{text}``
    (a Jinja habit) or a forgotten placeholder. Refuse before anything is sent."""
    roots = {p.root for p in template.placeholders}
    plain = (
        "" if template.interpolated else "--no-interpolate sends the prompt exactly as written. "
    )
    refuse_unread_items(roots, template.source, names, n, what, whole="item", why=plain)


def refuse_unread_items(
    roots: Iterable[str],
    source: str,
    names: Mapping[str, Any],
    n: int,
    what: str,
    *,
    whole: str,
    why: str = "",
) -> None:
    """Refuse ``n`` > 1 items none of whose fields (``names``, or ``{whole}``: ``item``
    for a prompt, ``input`` for a pipeline) any placeholder in ``roots`` reads."""
    fields = {whole, *names}
    if n < 2 or fields & set(roots):
        return
    shown = ["{" + name + "}" for name in sorted(names)[:6]]
    shown += ["…"] if len(names) > len(shown) else []
    way = ", ".join([*shown, "{" + whole + "}"]) + (" (the whole item)" if shown else "")
    escaped = next((raw for raw, name in doubled_names(source) if name in fields), None)
    written = next((m.group(0) for m in _WRITTEN.finditer(source) if m.group(1) in fields), None)
    items = "items" if what == "items" else f"items of {what}"
    if escaped and not why:
        why = f"{escaped} is a literal '{escaped[1:-1]}' here (doubled braces are the escape). "
    elif written and not why:
        why = (
            f"{written} is sent as written: a placeholder takes a name, .field or [key], "
            "not a call or an expression. "
        )
    raise ConfigurationError(
        f"The prompt uses nothing of the items, so all {n} {items} would get the same "
        f"prompt, a call each. {why}Name where each item goes: {way}."
    )


def refuse_all_blank(prompts: list[str], missing: Mapping[str, list[int]], what: str) -> None:
    """Refuse items that all render one prompt because a placeholder has no value in any
    of them (a column of None or NaN, ``df.note`` never filled): every call would send
    the same text with a blank where the item should be. A placeholder blank in only
    some items, or prompts that differ otherwise, are a note (:meth:`MatrixInput.notes`)."""
    n = len(prompts)
    empty = [raw for raw, rows in missing.items() if len(rows) == n]
    if n < 2 or not empty or len(set(prompts)) > 1:
        return
    items = "items" if what == "items" else f"items of {what}"
    shown = prompts[0] if len(prompts[0]) <= 80 else prompts[0][:79] + "…"
    raise ConfigurationError(
        f"{', '.join(empty)} {'has' if len(empty) == 1 else 'have'} no value (None/NaN) in "
        f"any of the {n} {items}, so every "
        f"one would get the same prompt, {shown!r}, a call each. Check the column (e.g. "
        "df[col].notna().sum()), or drop the empty rows first (df.dropna(subset=[...]))."
    )


#: ``{{ name }}`` / ``{{name}}``: a Jinja-style placeholder, an escape in our templates.
_DOUBLED = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def doubled_names(source: str) -> list[tuple[str, str]]:
    """``(as written, name)`` for each ``{{name}}`` / ``{{ name }}`` in ``source``: Jinja's
    placeholder, which our templates read as an escape for a literal ``{name}``."""
    return [(m.group(0), m.group(1)) for m in _DOUBLED.finditer(source)]


#: ``{review.upper()}``, ``{stars + 1}``: braces around a field that did not parse.
_WRITTEN = re.compile(r"(?<!\{)\{\s*([A-Za-z_]\w*)[^{}]*\}")


def _record_names(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    return {k: _cell(v) for k, v in value.items() if isinstance(k, str)}


def matrix_prompts(
    template: str | Template,
    items: Any,
    *,
    namespace: Mapping[str, Any] | None = None,
    interpolate: bool = True,
    what: str = "items",
) -> MatrixInput:
    """Render ``template`` once per item of ``items`` (see the module docstring).

    ``what`` names the items in error messages (``"--over df"`` from the magics). Raises
    :class:`ConfigurationError` for an empty or unsupported ``items`` or a placeholder
    that does not resolve — before anything is sent.
    """
    if isinstance(template, str):
        if not template.strip():
            raise ConfigurationError("the prompt template is empty")
        template = compile_template(template.strip(), interpolate=interpolate)
    values, extras, index = _rows(items, what)
    if not values:
        raise ConfigurationError(f"{what} is empty: there is nothing to run over")
    template = _with_columns(template, extras[0])
    refuse_shadowed_column(extras[0], "item", whole_names(template), what)
    base = dict(namespace or {})  # copied once: every row's ChainMap reads it, none writes
    prompts = []
    # Placeholders naming a whole item or column ({item}, {q}): an empty one is noted.
    plain = [p for p in template.placeholders if not p.path]
    missing: dict[str, list[int]] = {p.raw: [] for p in plain}  # in the prompt's order
    for position, (value, extra) in enumerate(zip(values, extras, strict=True)):
        row = {**extra, "item": value}
        names = ChainMap(row, base)
        try:
            prompts.append(template.render(Scope(has_input=False, namespace=names)))
        except AccessError as exc:
            label = index[position] if index is not None else position
            hint = literal_hint(template, names, no_interpolate=False)
            said = str(exc)
            if said.endswith(("?", ".")) and hint:  # one stop between them, not "?."
                hint = " " + hint.removeprefix(". ")
            raise ConfigurationError(f"In the prompt, for item {label!r}: {said}{hint}") from None
        for p in plain:
            if p.root in row and row[p.root] is None:
                missing[p.raw].append(position)
    # After rendering, so a misspelt column fails first, naming the near names.
    refuse_same_prompt(template, extras[0], len(values), what)
    missing = {raw: rows for raw, rows in missing.items() if rows}
    refuse_all_blank(prompts, missing, what)
    source = items if (_is_dataframe(items) or _is_series(items)) else None
    return MatrixInput(items=values, prompts=prompts, index=index, source=source, missing=missing)


def _with_columns(template: Template, names: Mapping[str, Any]) -> Template:
    """``template`` with ``{review text}`` (a name that is not an identifier, as a
    table's column may be) read as a placeholder when the table has that column."""
    odd = [
        name for name in names if not name.isidentifier() and "{" + name + "}" in template.source
    ]
    if not odd or not template.interpolated:
        return template
    return compile_template(template.source, fields=odd)


def literal_hint(template: Template, names: Mapping[str, Any], *, no_interpolate: bool) -> str:
    """How to send a ``{name}`` that names nothing as written: a prompt that pastes code
    (``f"...{password}..."``) meant its braces as text, not a name of this kernel."""
    unknown = next((p.raw for p in template.placeholders if p.root not in names), None)
    if unknown is None:
        return ""
    way = " or add --no-interpolate (every brace as written)" if no_interpolate else ""
    return f". To send {unknown} as written (pasted code), write {{{unknown}}}{way}"


# -- the result ------------------------------------------------------------------------
class NoSuchCell(ConfigurationError, LookupError):
    """``matrix.reply(row, model)`` for a row or a model the matrix does not have. A
    :class:`LookupError` too, as indexing a list or a dict past its keys is."""


@masked_repr()  # no key in a repr (guardian=False too)
@dataclass
class MatrixResult(NearAttributes):
    """Every model's reply (or error) for every item: ``tables[i]`` holds item ``i``."""

    models: list[str]
    items: list[Any]
    tables: list[CompareTable] = field(default_factory=list)
    index: list[Any] | None = None
    prompts: list[str] = field(default_factory=list)
    source: Any = None
    run_id: str | None = None

    # -- cells ---------------------------------------------------------------------
    def reply(self, row: int, model: str) -> Reply | BaseException:
        """The reply (or error) of ``model`` for the item at position ``row``. A row
        or model this matrix does not have raises :class:`NoSuchCell` (saying which it
        has), never an error object returned as if that cell had failed."""
        n = len(self.tables)
        if not isinstance(row, int) or not -n <= row < n:
            raise NoSuchCell(
                f"row {row!r} is not in this matrix: it has {n} item(s), rows 0 to {n - 1}"
            )
        if model not in self.models:
            raise NoSuchCell(
                f"{model!r} is not a model of this matrix ({', '.join(self.models)})."
                + did_you_mean(model, self.models)
            )
        return self.tables[row].replies.get(model, LookupError(f"no reply from {model}"))

    @property
    def replies(self) -> dict[tuple[int, str], Reply]:
        """``{(row, model): reply}`` for every cell that answered."""
        return {
            (i, m): r
            for i, t in enumerate(self.tables)
            for m, r in t.replies.items()
            if isinstance(r, Reply)
        }

    @property
    def cost_usd(self) -> float | None:
        """What the matrix cost, over every cell that answered, as
        ``PipelineResult.cost_usd``: ``None`` when any price is unknown; per model in
        :meth:`totals`."""
        return total_cost(self.replies.values())

    @property
    def errors(self) -> dict[tuple[int, str], BaseException]:
        """``{(row, model): error}`` for every cell that failed or was blocked."""
        return {
            (i, m): self.reply(i, m)  # type: ignore[misc]
            for i in range(len(self.tables))
            for m in self.models
            if not isinstance(self.reply(i, m), Reply)
        }

    def _cells(self) -> list[Reply | BaseException]:
        return [self.reply(i, m) for i in range(len(self.tables)) for m in self.models]

    @property
    def status(self) -> str:
        """The worst status of any cell: ``done``, ``blocked`` or ``failed``."""
        return worst_status(self._cells())

    @property
    def findings(self) -> int:
        """How many Guardian decisions other than ``allow`` the cells carry (blocks included)."""
        return count_findings(self._cells())

    # -- tables --------------------------------------------------------------------
    def row_labels(self) -> list[Any]:
        """How a view names each row: a DataFrame row by its index label, a Series item
        by its index label when the index is its own (not 0, 1, 2, ...), else the item.

        A Series with labels (``pd.Series(questions)`` of a dict, ``df.set_index("id").q``)
        was shown by its values, while the notes (``{item} has no value ... (z)``) and
        ``to_dataframe()`` named its labels, and a missing value showed as ``None``.
        A label is shown as a person reads it (:func:`~.matrix_labels.row_label`), so a
        MultiIndex row is ``a · 2024-01-01``, not a tuple of reprs."""
        if self.index is not None and self._labelled():
            return row_labels(self.index)
        return list(self.items)

    def _labelled(self) -> bool:
        """True when rows are named by the input's index labels (see :meth:`row_labels`)."""
        return self.index is not None and (
            _is_dataframe(self.source)
            or (_is_series(self.source) and self.index != list(range(len(self.index))))
        )

    def rows(self) -> list[dict[str, Any]]:
        """One dict per item: the item, then each model's output (or ``error: …``)."""
        out = []
        for i, item in enumerate(self.items[: len(self.tables)]):
            row: dict[str, Any] = {"item": item}
            for model in self.models:
                row[model] = _cell_text(self.reply(i, model))
            out.append(row)
        return out

    def totals(self) -> dict[str, dict[str, Any]]:
        """Per model: answers, errors, summed latency, tokens and cost (None if unknown)."""
        out: dict[str, dict[str, Any]] = {}
        for model in self.models:
            replies = [self.reply(i, model) for i in range(len(self.tables))]
            ok = [r for r in replies if isinstance(r, Reply)]
            costs = [r.cost_usd for r in ok]
            real = [cost_if_real(r) for r in ok]
            out[model] = {
                "answers": len(ok),
                "errors": len(replies) - len(ok),
                "latency_ms": sum(r.latency_ms for r in ok),
                "tokens": sum(r.usage.total_tokens for r in ok),
                "cost_usd": None if any(c is None for c in costs) else sum(costs),
                # Where a stand-in answered: the real model's price (None: unknown).
                "stood_in": sum(reply_stood_in(r) for r in ok),
                "cost_if_real_usd": None if any(c is None for c in real) else sum(real),
            }
        return out

    def to_dataframe(self) -> pd.DataFrame:
        """The input beside the answers: a DataFrame's own columns (a Series as one
        column, a list as ``item``), indexed like the input, then one column per model
        holding its reply text (``error: …`` where that cell failed). Your columns keep
        their dtypes; the frame displays integers pandas made floats (a missing value) as
        integers and masks credentials (:class:`~.shown_frame.ShownFrame`)."""
        n = len(self.tables)
        frame = input_frame(self.source, self.items, self.index, n)
        for model in self.models:
            frame[reply_column(frame, model)] = [_cell_text(self.reply(i, model)) for i in range(n)]
        from .shown_frame import ShownFrame  # shown: 5 not 5.0, keys masked; values intact

        return ShownFrame(frame)

    def _repr_markdown_(self) -> str:
        # Rows named as the live view names them: a DataFrame's by its index label, not
        # by the dict of its columns ({'review': ..., 'stars': ...}) the prompts were made of.
        head = ["row" if self._labelled() else "item", *self.models]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        labels, rows = self.row_labels(), self.rows()
        previous = -1
        for k in _shown_rows(len(rows)):  # as many as pandas would show of a frame
            if k != previous + 1:
                more = f"… {k - previous - 1:,} more rows (`.to_dataframe()` has every one)"
                lines.append("| " + " | ".join([more, *("…" for _ in self.models)]) + " |")
            previous = k
            label = _md_cell(labels[k], limit=_LABEL_CHARS)  # the user's own text: a pointer
            lines.append(
                "| " + " | ".join([label, *(_md_cell(rows[k][m]) for m in self.models)]) + " |"
            )
        totals = self.totals()
        lines.append("| **total** | " + " | ".join(_total(totals[m]) for m in self.models) + " |")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: TextPrinter, cycle: bool) -> None:
        """A plain-text frontend (terminal IPython, jupyter console, text/plain in a
        saved notebook) shows the summary table, not the repr of every call inside."""
        printer.text(mask(self._repr_markdown_()))

    def __str__(self) -> str:
        """``print(...)`` in a plain script shows the summary table, as a notebook does,
        not the repr of every call inside (``repr()`` keeps that)."""
        return self._repr_markdown_()


def input_frame(source: Any, items: list[Any], index: list[Any] | None, n: int) -> pd.DataFrame:
    """The first ``n`` items as a DataFrame: a DataFrame's own rows, a Series as one
    column, records as their keys, any other list as ``item`` (indexed like ``index`` when
    there is one)."""
    import pandas as pd

    frame: pd.DataFrame
    if _is_dataframe(source):
        frame = source.iloc[:n].copy()
        return frame
    if _is_series(source):
        frame = source.iloc[:n].to_frame(name=source.name if source.name is not None else "item")
        return frame
    head = items[:n]
    if head and all(isinstance(i, Mapping) for i in head):  # records: their keys as columns
        frame = pd.DataFrame.from_records(head)
    else:
        frame = pd.DataFrame({"item": head})
    if index is not None:
        frame.index = pd.Index(index[:n])
    return frame


def reply_column(frame: pd.DataFrame, model: str) -> str:
    """The name of ``model``'s answer column beside the input ``frame``: the model's name,
    or ``"<model> (reply)"`` when the input already has a column by that name."""
    return model if model not in frame.columns else f"{model} (reply)"


def _cell_text(reply: Any) -> str:
    return reply.text if isinstance(reply, Reply) else f"error: {type(reply).__name__}: {reply}"


#: How much of an item a matrix's table shows as the row's name (a review, a document).
_LABEL_CHARS = 80


def _shown_rows(n: int) -> list[int]:
    """The positions of ``n`` rows a matrix's table shows: all while pandas would show a
    frame of ``n`` rows whole (``display.max_rows``), else its first and last
    ``display.min_rows``, as pandas does. A 2,000-item matrix was a 1 MB table."""
    import pandas as pd

    from .shown_frame import shown_positions

    limit = pd.get_option("display.max_rows")
    return [int(k) for k in shown_positions(n, limit or None, pd.get_option("display.min_rows"))]


def _md_cell(value: Any, limit: int | None = None) -> str:
    # An item or a reply, as a notebook shows it: no credential (guardian off too), then
    # cut (a cut never leaves part of a key unmasked).
    text = shown(str(value)).replace("|", "\\|").replace("\n", " ")
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _total(t: dict[str, Any]) -> str:
    if t.get("stood_in"):
        cost = stand_in_cost_text(t["cost_usd"], t["cost_if_real_usd"], stand_in=True)
    else:
        cost = format_cost(t["cost_usd"], unknown="cost unknown")
    return f"{t['answers']} ok, {t['errors']} failed, {format_ms(t['latency_ms'])}, {cost}"


# -- the run ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MatrixEvent:
    """A cell starting (``reply`` is ``None``) or ending, for a live view."""

    kind: str  # "cell_start" | "cell_end"
    row: int
    label: str
    model: str
    reply: Reply | BaseException | None = None

    @property
    def step(self) -> str:
        """The cell's name in a run view: ``label · model``, or the model for a compare."""
        return f"{self.label} · {self.model}" if self.label else self.model


Compare = Callable[..., Awaitable["CompareTable"]]


def check_mode(mode: str, cluster: Any) -> None:
    """Refuse modes and cluster settings this version does not serve (clear, before any call)."""
    if mode not in MATRIX_MODES:
        known = (*MATRIX_MODES, "batch")  # "batch" is taken before this check, by matrix()
        raise ConfigurationError(
            f"matrix mode {mode!r} is not supported here.{did_you_mean(str(mode), known)} "
            f"Modes: {', '.join(known)}."
        )
    if cluster is not None:
        raise ConfigurationError("matrix(cluster=...) is not supported yet; leave it unset")


async def run_matrix(
    compare: Compare,
    models: Sequence[str],
    prepared: MatrixInput,
    *,
    concurrency: int = 8,
    run_id: str | None = None,
    observer: Callable[[MatrixEvent], Any] | None = None,
    **kwargs: Any,
) -> MatrixResult:
    """Call ``compare(models, prompt, run_id=…, step=…, **kwargs)`` once per item,
    ``concurrency`` items at a time; an error in one cell never cancels the others."""
    check_concurrency(concurrency)
    models = list(models)
    run_id = run_id or new_run_id()
    gate = asyncio.Semaphore(concurrency)
    labels = prepared.labels

    def tell(event: MatrixEvent) -> None:
        if observer is not None:
            observer(event)

    async def one(row: int, prompt: str) -> CompareTable:
        async with gate:
            for model in models:
                tell(MatrixEvent("cell_start", row, labels[row], model))
            step = labels[row] or None
            table = await compare(models, prompt, run_id=run_id, step=step, **kwargs)
            table.run_id = run_id
        for model in models:
            reply = table.replies.get(model, LookupError(f"no reply from {model}"))
            tell(MatrixEvent("cell_end", row, labels[row], model, reply))
        return table

    finished: dict[int, CompareTable] = {}

    async def kept(row: int, prompt: str) -> CompareTable:
        finished[row] = table = await one(row, prompt)
        return table

    try:
        tables = await asyncio.gather(*(kept(i, p) for i, p in enumerate(prepared.prompts)))
    except asyncio.CancelledError:
        # An interrupt: the cells that answered were paid for, so they are kept, as a
        # pipeline keeps its finished steps; every other cell says it was cancelled.
        partial = _matrix_result(models, prepared, _cancelled_tables(models, prepared, finished))
        partial.run_id = run_id
        done = len(finished)
        raise RunCancelled(
            f"run {run_id} was cancelled: {done} of {len(prepared.prompts)} items had answered "
            "(kept in the partial result, e.g. _orchestrate or --out)",
            partial,
        ) from None
    result = _matrix_result(models, prepared, list(tables))
    result.run_id = run_id
    return result


def _matrix_result(
    models: list[str], prepared: MatrixInput, tables: list[CompareTable]
) -> MatrixResult:
    return MatrixResult(
        models=models,
        items=prepared.items,
        tables=tables,
        index=prepared.index,
        prompts=prepared.prompts,
        source=prepared.source,
    )


def _cancelled_tables(
    models: list[str], prepared: MatrixInput, finished: Mapping[int, CompareTable]
) -> list[CompareTable]:
    """One table per item: the finished ones, and for the rest a cancelled cell per model."""
    from .compare import CompareTable

    return [
        finished.get(row)
        or CompareTable(
            prompt=prompt, replies={m: RunCancelled("cancelled before it answered") for m in models}
        )
        for row, prompt in enumerate(prepared.prompts)
    ]
