"""The models an engine can run, one row each: what ``%orchestrate models`` shows.

Each catalogued model once (its aliases beside it, not as rows of their own), with its
provider, context window, prices, whether its provider's key is set and where from —
given in code, the environment, a ``.env`` file or the system keyring; never the key —
or the variable to set, and what serves it now: the real provider or the offline
simulator standing in. Providers that take any model name (the simulator, OpenAI-compatible
servers such as Ollama) follow as ``name:<any model>``, one row each, then pools.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from .addresses import shown_address
from .keystore import KEYRING_SERVICE, HasProviders
from .secrets import lookup_secret, read_dotenv

if TYPE_CHECKING:
    from .routing import Router
    from .routing.catalogue import Catalogue

__all__ = ["key_source", "model_rows"]


def key_source(engine: HasProviders, provider: str) -> tuple[str, str]:
    """``(where the key comes from, the variable)`` for ``provider``: ``code``,
    ``environment``, ``.env``, ``keyring``, ``not needed`` or ``not set`` (then the
    variable is the one to set). The key itself is never read into the answer."""
    info = engine.providers.registry.table.get(provider)
    if info is None or not info.key_required:
        return "not needed", ""
    env = list(info.key_env)
    first = env[0] if env else ""
    if engine.providers.credential_for(provider) is not None:
        return "code (token)", ""
    for var in env:
        if os.environ.get(var):
            return "environment", var
    dotenv = read_dotenv()
    for var in env:
        if dotenv.get(var):
            return ".env", var
    for var in env:
        # Neither the environment nor .env has it: a hit now can only be the keyring.
        if lookup_secret([var], service=KEYRING_SERVICE) is not None:
            return "keyring", var
    if engine.providers.has_key(provider):
        return "code", ""
    return "not set", first


class ListsModels(HasProviders, Protocol):
    """An engine, as far as the model list goes."""

    @property
    def router(self) -> Router: ...

    @property
    def catalogue(self) -> Catalogue: ...

    def resolve(self, name: str) -> str: ...

    def served_by(self, name: str) -> str: ...


def model_rows(engine: ListsModels, query: str | None = None) -> list[dict[str, Any]]:
    """One row per model (then per pool), filtered by ``query`` (a case-insensitive
    substring of the id, the provider or an alias)."""
    aliases: dict[str, list[str]] = {}
    for alias in engine.router.resolver.aliases:
        try:
            target = engine.resolve(alias)
        except Exception:  # an alias to something unknown: listed nowhere
            continue
        aliases.setdefault(target, []).append(alias)
    keys: dict[str, tuple[str, str]] = {}
    rows = []
    for info in sorted(engine.catalogue, key=lambda i: i.id):
        provider, _, name = info.id.partition(":")
        if name == "*" or info.simulated:
            continue
        if provider not in keys:
            keys[provider] = key_source(engine, provider)
        source, var = keys[provider]
        rows.append(
            {
                "model": info.id,
                "provider": provider,
                "aliases": ", ".join(sorted(aliases.get(info.id, []))),
                "context_window": info.context_window,
                "input_per_1m": info.input_price,
                "output_per_1m": info.output_price,
                "key": _key_text(source, var),
                "served_by": engine.served_by(info.id),
                "status": "retired"
                if getattr(info, "retired", False)
                else ("deprecated" if info.deprecated else ""),
            }
        )
    rows.extend(_open_ended_rows(engine, {str(r["provider"]) for r in rows}, keys))
    for pool in sorted(engine.router.pools):
        rows.append({"model": pool, "provider": "pool", "aliases": "", "key": "",
                     "served_by": "pool", "status": ""})  # fmt: skip
    if query:
        q = query.lower()
        rows = [
            r for r in rows if any(q in str(r[k]).lower() for k in ("model", "provider", "aliases"))
        ]
    return rows


def _open_ended_rows(
    engine: ListsModels, listed: set[str], keys: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """One row per provider that answers to any model name and has no catalogued model
    of its own (``sim:<any model>``, ``ollama:<any model>``), so that such a provider is
    findable by name; without it ``%orchestrate models sim`` matched nothing."""
    rows = []
    for name, info in engine.providers.registry.table.items():
        if name in listed:
            continue
        source, var = keys.get(name) or key_source(engine, name)
        served = engine.served_by(f"{name}:any")
        url = _base_url(engine, name, info)
        if served == "real provider" and url:
            served = f"{info.label or name} at {shown_address(url)}"
        rows.append({"model": f"{name}:<any model>", "provider": name, "aliases": "",
                     "key": _key_text(source, var), "served_by": served, "status": ""})  # fmt: skip
    return rows


def _base_url(engine: ListsModels, name: str, info: Any) -> str | None:
    """The URL ``name`` would be asked at: given in code, ``<NAME>_BASE_URL``, its default."""
    given = getattr(engine.providers, "base_urls", {}).get(name)
    from_env = os.environ.get(info.base_url_env) if info.base_url_env else None
    return given or from_env or info.default_base_url


def _key_text(source: str, var: str) -> str:
    if source == "not set":
        return f"not set: set {var}" if var else "not set"
    return f"{source} ({var})" if var else source
