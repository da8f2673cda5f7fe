"""The public API does not break while the code underneath moves.

``public_api.json`` (next to this file) is a snapshot of every public name the package
shows: the ``__all__`` of ``orchestration_kernel`` and of each subpackage, every module a
heading of ``docs/API_REFERENCE.md`` names, and the modules README.md and CONTRACT.md
import from. For each name it records the kind, the parameters of its signature (name,
kind, default) and, for a class, the same for each public member.

The check is compatibility, not equality, so additive work lands freely: every recorded
name still exists at its recorded path, every recorded parameter is still there with the
same kind, position and default, a parameter added since has a default, and every
recorded class member is still there. Refresh the snapshot after a deliberate, additive
change with ``python tests/unit/test_public_api.py --write``; a name that moved must be
re-exported at its old path instead.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = Path(__file__).with_name("public_api.json")
DOCS = Path(__file__).resolve().parents[2] / "docs"

#: Modules whose ``__all__`` is public: the package, its subpackages and the documented modules.
MODULES = (
    "orchestration_kernel",
    "orchestration_kernel.errors",
    "orchestration_kernel.models",
    "orchestration_kernel.engine",
    "orchestration_kernel.compare",
    "orchestration_kernel.matrix",
    "orchestration_kernel.streaming",
    "orchestration_kernel.retry",
    "orchestration_kernel.secrets",
    "orchestration_kernel.session",
    "orchestration_kernel.runtime",
    "orchestration_kernel.audit",
    "orchestration_kernel.bus",
    "orchestration_kernel.guardian",
    "orchestration_kernel.magics",
    "orchestration_kernel.pipeline",
    "orchestration_kernel.routing",
    "orchestration_kernel.widgets",
    "orchestration_kernel.providers.base",
    "orchestration_kernel.providers.local",
    "orchestration_kernel.providers.sim",
    "orchestration_kernel.providers.registry",
    "orchestration_kernel.providers.credentials",
)

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _default(value: Any) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    return _ADDRESS.sub("", repr(value))


def _parameters(obj: Any) -> list[list[Any]] | None:
    """``[[name, kind, default], ...]`` or ``None`` when there is no signature to read."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [[p.name, p.kind.name, _default(p.default)] for p in signature.parameters.values()]


def _members(cls: type) -> dict[str, Any]:
    """A class's public members: methods with their parameters, other attributes by kind."""
    out: dict[str, Any] = {}
    for name, raw in sorted(vars_chain(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(raw, property):
            out[name] = "property"
        elif isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
            out[name] = _parameters(getattr(cls, name))
        else:
            out[name] = "attribute"
    for field in getattr(cls, "model_fields", None) or {}:
        out.setdefault(field, "field")
    for field in getattr(cls, "__dataclass_fields__", None) or {}:
        if not field.startswith("_"):
            out.setdefault(field, "field")
    return out


def vars_chain(cls: type) -> dict[str, Any]:
    """Attributes defined by ``cls`` and its bases inside this package (not pydantic's)."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("orchestration_kernel"):
            out.update(vars(klass))
    return out


def describe(obj: Any) -> dict[str, Any]:
    """What the snapshot records of one public object."""
    if inspect.isclass(obj):
        entry: dict[str, Any] = {"kind": "class", "parameters": _parameters(obj)}
        if issubclass(obj, BaseException):
            entry["bases"] = sorted(
                b.__name__ for b in obj.__mro__[1:] if b.__module__.startswith("orchestration")
            )
        entry["members"] = _members(obj)
        return entry
    if callable(obj):
        return {"kind": "function", "parameters": _parameters(obj)}
    return {"kind": "value"}


def public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return sorted(n for n in names if n != "__version__")


def snapshot() -> dict[str, dict[str, Any]]:
    """The current public API, module by module."""
    out: dict[str, dict[str, Any]] = {}
    for path in MODULES:
        module = importlib.import_module(path)
        out[path] = {name: describe(getattr(module, name)) for name in public_names(module)}
    return out


# -- compatibility ------------------------------------------------------------------


def signature_breaks(
    where: str, old: list[list[Any]] | None, new: list[list[Any]] | None
) -> list[str]:
    """How ``new`` breaks callers written against ``old`` (empty when it does not)."""
    if old is None or new is None:
        return [] if old is None else [f"{where}: lost its signature"]
    problems = []
    by_name = {p[0]: (i, p) for i, p in enumerate(new)}
    positional = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
    for i, (name, kind, default) in enumerate(old):
        if name not in by_name:
            if kind.startswith("VAR_"):
                problems.append(f"{where}: lost *{name}")
            elif not any(p[1] == "VAR_KEYWORD" for p in new) or kind in positional:
                problems.append(f"{where}: parameter {name!r} was removed")
            continue
        j, (_, new_kind, new_default) = by_name[name]
        if new_kind != kind and not (kind == "POSITIONAL_OR_KEYWORD" and new_kind != "VAR_KEYWORD"):
            problems.append(f"{where}: parameter {name!r} changed kind {kind} -> {new_kind}")
        if kind in positional and j != i:
            problems.append(f"{where}: parameter {name!r} moved from position {i} to {j}")
        if default is not None and default != new_default:  # a required one may gain one
            problems.append(f"{where}: default of {name!r} changed {default} -> {new_default}")
    old_names = {p[0] for p in old}
    for name, kind, default in new:
        if name not in old_names and default is None and not kind.startswith("VAR_"):
            problems.append(f"{where}: new parameter {name!r} has no default")
    return problems


def breaks(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    """Every way ``new`` breaks the API recorded in ``old``."""
    problems: list[str] = []
    for module, names in old.items():
        for name, was in names.items():
            where = f"{module}.{name}"
            now = new.get(module, {}).get(name)
            if now is None:
                problems.append(f"{where}: no longer exported")
                continue
            if now["kind"] != was["kind"]:
                problems.append(f"{where}: was a {was['kind']}, now a {now['kind']}")
                continue
            problems += signature_breaks(where, was.get("parameters"), now.get("parameters"))
            for base in was.get("bases", []):
                if base not in now.get("bases", []):
                    problems.append(f"{where}: no longer a subclass of {base}")
            for member, shape in (was.get("members") or {}).items():
                current = (now.get("members") or {}).get(member)
                if current is None:
                    problems.append(f"{where}.{member}: removed")
                elif isinstance(shape, list):
                    got = current if isinstance(current, list) else None
                    problems += signature_breaks(f"{where}.{member}", shape, got)
    return problems


# -- tests --------------------------------------------------------------------------


def test_public_api_is_compatible_with_the_snapshot() -> None:
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert breaks(recorded, snapshot()) == []


def test_snapshot_covers_what_the_docs_import() -> None:
    """Every ``from orchestration_kernel.X import Y`` in README/CONTRACT/docs is in the snapshot."""
    recorded = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    texts = [p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")]
    readme = DOCS.parent / "README.md"
    contract = Path("/work/shared/CONTRACT.md")
    texts += [p.read_text(encoding="utf-8") for p in (readme, contract) if p.exists()]
    missing = []
    for text in texts:
        for module, names in re.findall(
            r"from (orchestration_kernel[\w.]*) import ([\w, ]+)", text
        ):
            for name in (n.strip() for n in names.split(",")):
                owner = recorded.get(module)
                if owner is not None and name and name not in owner:
                    missing.append(f"{module}.{name}")
    assert missing == []


@pytest.mark.parametrize(
    ("old", "new", "broken"),
    [
        ([["a", "POSITIONAL_OR_KEYWORD", None]], [["a", "POSITIONAL_OR_KEYWORD", None]], False),
        ([["a", "POSITIONAL_OR_KEYWORD", None]], [["b", "POSITIONAL_OR_KEYWORD", None]], True),
        ([["a", "KEYWORD_ONLY", "1"]], [["a", "KEYWORD_ONLY", "2"]], True),
        (
            [["a", "KEYWORD_ONLY", "1"]],
            [["a", "KEYWORD_ONLY", "1"], ["r", "KEYWORD_ONLY", "None"]],
            False,
        ),
        (
            [["a", "KEYWORD_ONLY", "1"]],
            [["a", "KEYWORD_ONLY", "1"], ["r", "KEYWORD_ONLY", None]],
            True,
        ),
    ],
)
def test_the_check_tells_a_break_from_an_addition(old: Any, new: Any, broken: bool) -> None:
    assert bool(signature_breaks("f", old, new)) is broken


def test_a_required_parameter_that_gains_a_default_is_no_break() -> None:
    old = {"m": {"f": {"kind": "function", "parameters": [["ctx", "POSITIONAL_OR_KEYWORD", None]]}}}
    optional = {
        "m": {"f": {"kind": "function", "parameters": [["ctx", "POSITIONAL_OR_KEYWORD", "None"]]}}
    }
    assert breaks(old, optional) == []
    assert breaks(optional, old) == ["m.f: default of 'ctx' changed None -> None"]


def test_a_removed_name_or_member_is_a_break() -> None:
    old = {"m": {"F": {"kind": "class", "parameters": [], "members": {"go": []}}}}
    assert breaks(old, {"m": {}}) == ["m.F: no longer exported"]
    renamed = {"m": {"F": {"kind": "class", "parameters": [], "members": {"run": []}}}}
    assert breaks(old, renamed) == ["m.F.go: removed"]


if __name__ == "__main__" and "--write" in sys.argv:
    SNAPSHOT.write_text(json.dumps(snapshot(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
