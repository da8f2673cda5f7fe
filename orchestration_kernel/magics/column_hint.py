"""A misspelt column in ``--over df.revew`` / ``--input df["revew"]`` names the near columns.

The expression failed with pandas' own words (``'DataFrame' object has no attribute
'revew'``, or ``KeyError: 'revew'``), which say what is missing but not what is there:
the hint adds the frame's nearest column names, or lists its columns when none is near.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from ..near_names import nearest

__all__ = ["column_hint"]

#: At most this many columns are listed when none is near the misspelt one.
_LISTED = 10


def column_hint(tree: ast.Expression, exc: BaseException, scope: Mapping[str, Any]) -> str:
    """`` Did you mean the column 'review'?`` when ``exc`` is a missing attribute or key of
    a DataFrame (or a Series' index label); ``""`` otherwise."""
    missing, owner = _missing(tree, exc, scope)
    columns = _columns(owner)
    if missing is None or columns is None:
        return ""
    close = nearest(missing, columns)
    if close:
        return f" Did you mean the column {' or '.join(repr(c) for c in close)}?"
    shown = ", ".join(map(repr, columns[:_LISTED])) + (", ..." if len(columns) > _LISTED else "")
    return f" Its columns are: {shown}." if columns else ""


def _missing(
    tree: ast.Expression, exc: BaseException, scope: Mapping[str, Any]
) -> tuple[str | None, Any]:
    """The name that was not found, and the object it was looked up on."""
    if isinstance(exc, AttributeError) and isinstance(getattr(exc, "name", None), str):
        return exc.name, getattr(exc, "obj", None)
    body = tree.body
    if isinstance(exc, KeyError) and isinstance(body, ast.Subscript):
        key = body.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and _plain(body.value):
            try:  # names and attributes only (checked above): nothing runs twice
                owner = eval(compile(ast.Expression(body.value), "<hint>", "eval"), dict(scope))
            except Exception:
                return None, None
            return key.value, owner
    return None, None


def _plain(node: ast.expr) -> bool:
    """``df`` or ``data.frame``: a name with attributes, nothing called or indexed."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _columns(owner: Any) -> list[str] | None:
    """A DataFrame's column names as text, else ``None``."""
    columns = getattr(owner, "columns", None)
    if columns is None or not hasattr(owner, "iloc"):
        return None
    return [str(c) for c in columns]
