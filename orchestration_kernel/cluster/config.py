"""A serialisable copy of an engine's configuration, and the keys kept apart from it.

A cluster worker builds its own :class:`~orchestration_kernel.engine.OrchestrationEngine`
from :func:`engine_config`: offline mode and stand-in (``local`` or ``sim``), endpoints,
provider options, OpenAI-compatible servers, aliases, pools (with their limits), retry
and timeout settings, the Guardian's policies and settings, the audit's content-logging
switch. It is plain JSON-able data
and **never holds a key**: :func:`engine_keys` collects those separately, for the worker
plugin (:mod:`.plugin`) to carry once to each worker.

```python
config = engine.config()                          # a dict; json.dumps(config) works
twin = OrchestrationEngine.from_config(config, keys={"openai": "sk-…"})
```
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError
from ..privacy import keeps_content

__all__ = [
    "CONFIG_VERSION",
    "config_fingerprint",
    "engine_config",
    "engine_from_config",
    "engine_keys",
    "limited_deployments",
]

#: Bumped when the shape of :func:`engine_config` changes.
CONFIG_VERSION = 1

#: Deployment fields a config keeps (the key stays out; ``api_key_env`` names are kept).
_DEPLOYMENT_FIELDS = (
    "id", "provider", "model", "api_key_env", "base_url", "weight", "rpm", "tpm",
    "max_in_flight", "params",
)  # fmt: skip


def engine_config(engine: Any) -> dict[str, Any]:
    """The engine's configuration as plain data, without keys (see the module docstring).

    Raises :class:`ConfigurationError` for what cannot travel: a Guardian with custom
    policy objects, or a refreshable credential (a worker cannot refresh the caller's).
    """
    providers = engine.providers
    credentials = sorted(p for p in providers.registry.names() if providers.credential_for(p))
    if credentials:
        raise ConfigurationError(
            f"provider(s) {', '.join(credentials)} use a refreshable credential, which cannot "
            "be sent to cluster workers; give those providers a key instead"
        )
    from ..providers.registry import PROVIDERS

    compatible = [
        {
            "name": info.name,
            "base_url": info.default_base_url,
            "label": info.label,
            "options": dict(info.options),
        }
        for name, info in sorted(providers.registry.table.items())
        if name not in PROVIDERS
    ]
    router = engine.router
    pools = {
        name: {
            "strategy": pool.strategy,
            "deployments": [
                {f: _plain(getattr(d, f)) for f in _DEPLOYMENT_FIELDS} for d in pool.deployments
            ],
        }
        for name, pool in router.pools.items()
    }
    return {
        "version": CONFIG_VERSION,
        "offline": providers.offline,
        # Which stand-in serves offline: a worker's own environment must not decide.
        "offline_model": providers.offline_model,
        "base_urls": providers.base_urls,
        "provider_options": providers.provider_options,
        "compatible": compatible,
        "aliases": router.resolver.aliases,
        "pools": pools,
        "retry": dataclasses.asdict(engine.retry),
        "timeouts": dataclasses.asdict(engine.timeouts),
        "simulator": _plain(dataclasses.asdict(providers.simulator.config)),
        "stream": engine.default_stream,
        "guardian": _guardian_config(engine.guardian),
        "content_logging": keeps_content(engine),
    }


def engine_keys(engine: Any, config: Mapping[str, Any]) -> dict[str, str]:
    """Every key the configuration needs, by provider name and ``pool:NAME:ID`` deployment:
    what the engine was given, or found in the environment, a ``.env`` or the keyring."""
    providers = engine.providers
    keys: dict[str, str] = {}
    for name in providers.registry.names():
        found = providers.key_for(name)
        if found:
            keys[name] = found.get()
    for pool in engine.router.pools.values():
        for deployment in pool.deployments:
            if deployment.api_key:
                keys[_deployment_key(pool.name, deployment.id)] = deployment.api_key.get()
    return keys


def engine_from_config(
    config: Mapping[str, Any],
    *,
    engine_class: type,
    keys: Mapping[str, str] | None = None,
    audit: Any = False,
    session: Any = None,
    limit_share: int = 1,
    **overrides: Any,
) -> Any:
    """An ``engine_class`` (the :class:`OrchestrationEngine` or a subclass; this package
    never imports the engine, which imports it) built from :func:`engine_config`'s output
    and ``keys``.

    ``limit_share`` divides every pool deployment's ``rpm``, ``tpm`` and ``max_in_flight``
    (rounded down, at least 1): a cluster of N workers without a shared limiter gives each
    worker 1/N of each quota. ``overrides`` go to the engine (``audit``, ``redis`` …).
    """
    from ..guardian import Guardian
    from ..providers.base import Timeouts
    from ..retry import RetryPolicy

    if config.get("version") != CONFIG_VERSION:
        raise ConfigurationError(
            f"engine config version {config.get('version')!r} is not {CONFIG_VERSION}: "
            "the caller and the workers run different versions of orchestration-kernel"
        )
    keys = dict(keys or {})
    provider_keys = {k: v for k, v in keys.items() if ":" not in k}  # providers hold no ':'

    guardian: Any = False
    if config["guardian"] is not None:
        # As keywords: Guardian(config=...) would lose to its own keyword defaults.
        guardian = Guardian(config["guardian"]["policies"], **config["guardian"]["config"])
    simulator = dict(config["simulator"])
    if isinstance(simulator.get("latency"), list):
        simulator["latency"] = tuple(simulator["latency"])
    engine = engine_class(
        session=session,
        offline=config["offline"],
        keys=provider_keys,
        base_urls=config["base_urls"],
        provider_options=config["provider_options"],
        aliases=config["aliases"],
        retry=RetryPolicy(**config["retry"]),
        timeouts=Timeouts(**config["timeouts"]),
        simulator=simulator,
        stream=config["stream"],
        guardian=guardian,
        audit=audit,
        content_logging=config["content_logging"],
        **overrides,
    )
    if config.get("offline_model"):  # absent from configs made before it was kept
        engine.providers.set_offline_model(config["offline_model"])
    for server in config["compatible"]:
        engine.providers.registry.register_compatible(
            server["name"], server["base_url"], label=server["label"], options=server["options"]
        )
        engine.router.resolver.add_provider(server["name"])
        if server["name"] in provider_keys:
            engine.set_key(server["name"], provider_keys[server["name"]])
    add_pools(engine, config, keys, limit_share)
    return engine


def add_pools(
    engine: Any, config: Mapping[str, Any], keys: Mapping[str, str], limit_share: int = 1
) -> None:
    """Add (or replace) ``config``'s pools on ``engine``, each limit divided by
    ``limit_share`` (see :func:`engine_from_config`). Replacing keeps the deployments'
    ids, so their rate windows and in-flight counts carry on under the new limits."""
    for name, pool in config["pools"].items():
        deployments = []
        for spec in pool["deployments"]:
            spec = {k: v for k, v in spec.items() if v is not None}
            spec["api_key_env"] = list(spec.get("api_key_env") or []) or None
            if spec["api_key_env"] is None:
                spec.pop("api_key_env")
            if _deployment_key(name, spec["id"]) in keys:
                spec["api_key"] = keys[_deployment_key(name, spec["id"])]
            for limit in ("rpm", "tpm", "max_in_flight"):
                if spec.get(limit):
                    spec[limit] = max(1, int(spec[limit]) // max(1, limit_share))
            deployments.append(spec)
        engine.add_pool(name, deployments, strategy=pool["strategy"])


def config_fingerprint(config: Mapping[str, Any]) -> str:
    """A short stable digest of a configuration (workers cache one engine per digest)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def limited_deployments(config: Mapping[str, Any]) -> list[str]:
    """The ids of the pool deployments with an rpm, tpm or in-flight limit."""
    return [
        str(d["id"])
        for pool in config["pools"].values()
        for d in pool["deployments"]
        if d.get("rpm") or d.get("tpm") or d.get("max_in_flight")
    ]


def _deployment_key(pool: str, deployment: str) -> str:
    # Provider names never hold ':', so this cannot collide with a provider's key.
    return f"pool:{pool}:{deployment}"


def _guardian_config(guardian: Any) -> dict[str, Any] | None:
    if guardian is None:
        return None
    names = []
    for policy in getattr(guardian, "_policies", []):
        name = getattr(policy, "name", None)
        try:
            from ..guardian import Guardian

            Guardian([name])
        except Exception:
            name = None
        if not isinstance(name, str):
            raise ConfigurationError(
                f"the Guardian's policy {policy!r:.60} is a custom object, which cannot be "
                "sent to cluster workers; use the built-in policies by name"
            )
        names.append(name)
    return {"policies": names, "config": guardian.config.model_dump(mode="json")}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
