"""Lazy public faces: a package names what it exports and where, and imports it on first
use — so ``import orchestration_kernel`` (and its widgets) stay fast."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` for ``exports`` (name → module, absolute or
    relative to ``package``); a name is imported once, then cached in ``namespace``."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        # What tab completion offers: the exports, the package's own names and its loaded
        # submodules — not the typing names its imports leave behind (Any, TYPE_CHECKING).
        public = set(namespace.get("__all__", ()))
        return sorted(
            name
            for name, value in {**namespace, **dict.fromkeys(exports)}.items()
            if name in exports
            or name in public
            or name.startswith("__")
            or (isinstance(value, ModuleType) and not name.startswith("_"))
        )

    return __getattr__, __dir__
