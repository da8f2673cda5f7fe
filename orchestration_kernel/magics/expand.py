"""``$name`` and ``{name}`` in a ``%orchestrate`` line, expanded in one pass.

IPython expands variables in every magic's line before the magic sees it, with a
pattern whose look-ahead rescans the rest of the line at every character: a 160 KB line
took minutes (quadratic), and any other brace (``--input {'a': 1}``) was mangled or made
the whole expansion give up. ``%orchestrate`` opts out (``@no_var_expand``) and expands
only the forms its users write, here, in time linear in the line:

- ``$name`` and ``$name.attr`` (not inside single quotes, as IPython), ``$$name`` is
  the literal ``$name``;
- ``{name}`` and ``{name.attr}`` (anywhere, as IPython);
- the value is ``format(value, "")`` of the user's variable; a name that is not defined
  (or an attribute that fails) stays as written, so ``$5`` and ``{'a': 1}`` are literal.

``--input`` and ``--over`` take Python expressions already (``--input text``), so a
variable needs no ``$`` there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["expand_line"]

_NAME = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
# One alternation, no look-ahead: each character is read a bounded number of times.
_TOKEN = re.compile(rf"\$\$({_NAME})|\$({_NAME})|\{{({_NAME})\}}|'")


def expand_line(line: str, namespace: Mapping[str, Any]) -> str:
    """``line`` with ``$name``/``{name}`` replaced by the variables' values (see the
    module docstring); everything else exactly as written."""
    if "$" not in line and "{" not in line:
        return line  # the common line: nothing to read twice
    out: list[str] = []
    last = 0
    quoted = False
    for match in _TOKEN.finditer(line):
        escaped, dollar, braced = match.groups()
        if escaped is None and dollar is None and braced is None:  # a single quote
            quoted = not quoted
            continue
        if escaped is not None:
            value: str | None = "$" + escaped
        elif dollar is not None:
            value = None if quoted else _value(dollar, namespace)
        else:
            value = _value(braced, namespace)
        if value is not None:
            out.append(line[last : match.start()])
            out.append(value)
            last = match.end()
    out.append(line[last:])
    return "".join(out)


def _value(path: str, namespace: Mapping[str, Any]) -> str | None:
    """``format(value, "")`` of ``name.attr…`` in ``namespace``, or ``None`` when any part
    is missing or fails (the text then stays as written)."""
    name, *attrs = path.split(".")
    if name not in namespace:
        return None
    try:
        value = namespace[name]
        for attr in attrs:
            value = getattr(value, attr)
        return format(value, "")
    except Exception:  # the user's object: whatever it raises, the text stays
        return None
