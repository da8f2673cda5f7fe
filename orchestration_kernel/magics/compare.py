"""``%%orchestrate --compare m1 m2 … [--over EXPR]``: one prompt on several models.

Without ``--over`` the result is the engine's :class:`~orchestration_kernel.compare.CompareTable`.
With ``--over`` the prompt runs once per item of any expression ``--input`` takes (a
list, ``df.review``, ``df["review"]``, a whole DataFrame: one item per row, its columns
as ``{column}``), through the core's :func:`~orchestration_kernel.matrix.matrix_prompts`;
the result is a :class:`~orchestration_kernel.matrix.MatrixResult`.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ConfigurationError
from ..matrix import MatrixResult, doubled_names, literal_hint
from ..pipeline.placeholders import Template, compile_template
from ..pipeline.scope import AccessError, Scope
from .args import evaluate_input

__all__ = [
    "CompareMatrix",
    "doubled_brace_notes",
    "expression_notes",
    "format_spec_notes",
    "over_items",
    "pipeline_notes",
    "prompt_template",
    "render_prompt",
]

#: The ``--over`` result is the core's :class:`~orchestration_kernel.matrix.MatrixResult`.
CompareMatrix = MatrixResult


def over_items(expr: str, user_ns: Mapping[str, Any]) -> Any:
    """The value of ``--over EXPR`` (checked by ``matrix_prompts`` for its kind)."""
    value = evaluate_input(expr, user_ns, option="--over")
    if isinstance(value, str) and value == expr and not expr.isidentifier():
        raise ConfigurationError(
            f"--over {expr!r} is not a Python expression: give a list, a Series or a "
            "DataFrame (e.g. --over df.review)"
        )
    return value


def prompt_template(body: str, *, interpolate: bool) -> Template:
    """The cell body as a prompt template (every brace literal without interpolation)."""
    text = body.strip()
    if not text:
        raise ConfigurationError("--compare needs a prompt: write it in the cell body")
    return compile_template(text, interpolate=interpolate)


#: ``{name:spec}`` or ``{name!r}``: an f-string habit the prompt rules leave literal.
_WITH_SPEC = re.compile(r"\s*([^!:\s][^!:]*?)\s*[!:]")


def format_spec_notes(template: Template, names: Iterable[str]) -> list[str]:
    """A note for each literal ``{name:spec}``/``{name!r}`` whose ``name`` is one the
    prompt could use: it is sent as written, which is rarely what was meant."""
    known = set(names)
    notes = []
    for inner in template.literal_braces:
        m = _WITH_SPEC.match(inner)
        if m and m.group(1) in known:
            # A format spec is short; anything longer is cut, since a prompt may hold a key.
            shown = inner if len(inner) <= m.end() + 6 else inner[: m.end()] + "…"
            notes.append(
                f"{{{shown}}} is sent as written: placeholders take no format spec or "
                f"conversion. Write {{{m.group(1)}}}, formatting the value beforehand if "
                "needed."
            )
    return notes


#: ``{df.describe()}``, ``{price * 2}``: an f-string expression starting with a name.
_EXPRESSION = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:\.\s*[A-Za-z_]\w*\s*)*[(+\-*/%<>=&|]")


def expression_notes(template: Template, names: Iterable[str]) -> list[str]:
    """A note for each literal ``{name.method()}``/``{name * 2}`` whose first name the
    prompt could use: placeholders are names, never code, so the model gets the braces
    as written (an f-string habit; the notebook computes nothing inside a prompt)."""
    known = set(names)
    notes = []
    for inner in template.literal_braces:
        m, spec = _EXPRESSION.match(inner), _WITH_SPEC.match(inner)
        if not m or m.group(1) not in known or (spec and spec.group(1) in known):
            continue  # ``{name:spec}`` has its own note
        shown = inner if len(inner) <= 40 else inner[:40] + "…"  # a prompt may hold a key
        code = f'f"{{{shown}}}"' if spec else shown  # ``{x.mean():.2f}``: keep its format
        notes.append(
            f"{{{shown}}} is sent as written: a placeholder is a name, not code to run. "
            f"Compute it first (e.g. value = {code}) and write {{value}}."
        )
    return notes


def doubled_brace_notes(template: Template, names: Iterable[str]) -> list[str]:
    """A note for each ``{{name}}`` whose ``name`` the prompt could use: Jinja's spelling
    of a placeholder is our escape, so the model gets a literal ``{name}``."""
    if not template.interpolated:
        return []
    known = set(names)
    found = {raw: name for raw, name in doubled_names(template.source) if name in known}
    return [
        f"{raw} is sent as a literal {{{name}}}: doubled braces are the escape, not a "
        f"placeholder. To insert {name}, write {{{name}}}."
        for raw, name in found.items()
    ]


def pipeline_notes(compiled: Any, names: Iterable[str], columns: Iterable[str] = ()) -> list[str]:
    """Notes on a pipeline's prompts: a format spec on a known name (see
    :func:`format_spec_notes`), or ``{review text}`` naming a row's column that is not an
    identifier, which a pipeline reaches as ``{input[review text]}``."""
    odd = {c for c in columns if not c.isidentifier()}
    known = [*names, *columns, *compiled.prompts, "input"]
    notes = []
    for step, template in [*compiled.prompts.items(), *compiled.systems.items()]:
        if template is None:
            continue
        where = f"step {step!r}: "
        notes += [where + note for note in format_spec_notes(template, known)]
        notes += [where + note for note in doubled_brace_notes(template, known)]
        notes += [where + note for note in expression_notes(template, known)]
        notes += [
            f"{where}{{{inner}}} is sent as written; a row's column {inner!r} is "
            f"{{input[{inner}]}} in a pipeline."
            for inner in template.literal_braces
            if inner in odd
        ]
    return notes


def render_prompt(template: Template, namespace: Mapping[str, Any], item: Any = None) -> str:
    """The prompt for one item; an unknown name is a clean error naming the nearest ones."""
    names: Mapping[str, Any] = namespace if item is None else ChainMap({"item": item}, namespace)
    if "item" in template.names and "item" not in names:  # {item} is what --over fills
        raise ConfigurationError(
            "In the prompt: {item} is one item of --over: add --over EXPR (a list, a Series "
            "or a DataFrame) to run the prompt once per item, or write {{item}} for the "
            "literal text"
        )
    try:
        return template.render(Scope(has_input=False, namespace=names))
    except AccessError as exc:
        hint = literal_hint(template, names, no_interpolate=True)
        raise ConfigurationError(f"In the prompt: {exc}{hint}") from None
