"""Prompt templates: ``{name}``, ``{name.field}``, ``{name[key]}``, and every other brace literal.

The rules (CONTRACT.md):

- An identifier-shaped placeholder — ``{input}``, ``{analysis}``, ``{triage.output}``,
  ``{views[claude-3]}``, ``{In[3]}`` — is interpolated and must resolve when the spec loads.
- Any other brace is literal, so JSON (``{"a": 1}``) and code (``{x: 1}``, ``{ x }``) pass
  through untouched, and a placeholder may sit inside JSON: ``{"q": {input}}``.
- ``{{`` gives ``{``. ``}}`` gives ``}`` when it closes an escaped ``{{``; otherwise it is
  literal, so nested JSON such as ``{"a": {"b": 1}}`` is never mangled.

Over a table, a column whose name is not an identifier (``review text``, ``0``) is
reached as ``{review text}`` too: :func:`compile_template` takes such names as
``fields``. Every other unescaped ``{...}`` is kept in :attr:`Template.literal_braces`,
so a caller can point out ``{stars:>5}`` or ``{stars!r}`` (format specs are not applied).

Templates are compiled once, at load time; rendering is a join over precompiled parts.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .scope import Scope, format_value, get_attr, get_item

__all__ = ["Placeholder", "Template", "compile_template", "resolve"]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
#: A key: ``claude-3``, ``Some Column`` (single spaces inside), or quoted.
_KEY = r"(?:[\w.:\-/@]+(?: [\w.:\-/@]+)*|'[^'\]\n]*'|\"[^\"\]\n]*\")"
_PLACEHOLDER = re.compile(rf"\{{({_IDENT})((?:\.{_IDENT}|\[{_KEY}\])*)\}}")
_SEGMENT = re.compile(rf"\.({_IDENT})|\[({_KEY})\]")
#: An unescaped brace pair on one line that is not a placeholder (JSON, code, a typo).
_LITERAL_BRACE = re.compile(r"\{([^{}\n]{1,200})\}")


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``{...}`` to interpolate: its root name and the field/key path after it."""

    raw: str
    root: str
    #: ``("attr", "field")`` for ``.field``, ``("item", "key")`` for ``[key]``.
    path: tuple[tuple[str, str], ...]
    #: Where the placeholder starts in the template text (0-based).
    offset: int

    @property
    def first(self) -> tuple[str, str] | None:
        """The first access after the root, if any."""
        return self.path[0] if self.path else None


def _parse_path(text: str) -> tuple[tuple[str, str], ...]:
    path = []
    for m in _SEGMENT.finditer(text):
        if m.group(1) is not None:
            path.append(("attr", m.group(1)))
        else:
            key = m.group(2)
            if key[:1] in "'\"":
                key = key[1:-1]
            path.append(("item", key))
    return tuple(path)


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled prompt: literal text and placeholders, in order."""

    source: str
    parts: tuple[str | Placeholder, ...]
    #: Whether braces were read at all (``False``: every character is literal).
    interpolated: bool = True
    #: The text inside each unescaped ``{...}`` left literal, in order.
    literal_braces: tuple[str, ...] = ()

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        """The placeholders, in order of appearance."""
        return tuple(p for p in self.parts if isinstance(p, Placeholder))

    @property
    def names(self) -> frozenset[str]:
        """The root names the template refers to."""
        return frozenset(p.root for p in self.parts if isinstance(p, Placeholder))

    def render(self, scope: Scope) -> str:
        """The text with every placeholder replaced (raises ``AccessError`` if one fails)."""
        return "".join(
            p if isinstance(p, str) else format_value(resolve(p, scope)) for p in self.parts
        )


def resolve(placeholder: Placeholder, scope: Scope) -> object:
    """The value a placeholder names in ``scope``."""
    value = scope.get(placeholder.root)
    for kind, key in placeholder.path:
        value = get_attr(value, key) if kind == "attr" else get_item(value, key)
    return value


def compile_template(
    text: str, *, interpolate: bool = True, fields: Collection[str] = ()
) -> Template:
    """Compile ``text``; with ``interpolate=False`` every character is literal.

    ``fields`` are names that are not identifiers (a table's column ``review text``):
    ``{review text}`` written exactly is a placeholder for that name.
    """
    if not interpolate or ("{" not in text and "}}" not in text):
        return Template(text, (text,) if text else (), interpolate)
    parts: list[str | Placeholder] = []
    buf: list[str] = []
    literals: list[str] = []
    escaped_open = 0  # escaped '{{' not yet closed by '}}'
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{":
            if text.startswith("{{", i):
                buf.append("{")
                escaped_open += 1
                i += 2
                continue
            found = _placeholder_at(text, i, fields)
            if found is not None:
                if buf:
                    parts.append("".join(buf))
                    buf.clear()
                parts.append(found)
                i += len(found.raw)
                continue
            literal = _LITERAL_BRACE.match(text, i)
            if literal:
                literals.append(literal.group(1))
        elif ch == "}" and escaped_open and text.startswith("}}", i):
            buf.append("}")
            escaped_open -= 1
            i += 2
            continue
        buf.append(ch)
        i += 1
    if buf:
        parts.append("".join(buf))
    return Template(text, tuple(parts), True, tuple(literals))


def _placeholder_at(text: str, i: int, fields: Collection[str]) -> Placeholder | None:
    m = _PLACEHOLDER.match(text, i)
    if m:
        return Placeholder(m.group(0), m.group(1), _parse_path(m.group(2)), i)
    literal = _LITERAL_BRACE.match(text, i) if fields else None
    if literal and literal.group(1) in fields:
        return Placeholder(literal.group(0), literal.group(1), (), i)
    return None
