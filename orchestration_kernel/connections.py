"""Which adapter instance serves a deployment: keys, base URLs, offline mode and caching.

Adapters (and so their SDK clients) are made on first use, on the runtime loop, and
kept for the runtime's life; :meth:`ProviderSet.aclose` closes them. Offline mode
decides here whether a provider is real or an offline stand-in serves it: the ``local``
model or the ``sim`` simulator, as ``ORCHESTRATION_OFFLINE_MODEL`` says (see :mod:`.offline`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any, Literal

from .errors import ConfigurationError, MissingKeyError
from .offline import OfflineModel, offline_model_from_env
from .providers.base import Provider
from .providers.sim import SimProvider, SimulatorConfig
from .secrets import Secret, lookup_secret

__all__ = ["OfflineMode", "ProviderSet", "offline_mode_from_env"]

OfflineMode = Literal["off", "on", "auto"]

_ON = {"1", "true", "on", "yes", "all"}
_OFF = {"", "0", "false", "off", "no"}


def offline_mode_from_env(value: str | bool | None = None) -> OfflineMode:
    """Read ``ORCHESTRATION_OFFLINE``: ``1``/``on`` → on, ``auto`` → auto, unset/``0`` → off.
    A given ``value`` wins; ``True``/``False`` mean on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    raw = (os.environ.get("ORCHESTRATION_OFFLINE", "") if value is None else value).strip().lower()
    if raw in _ON:
        return "on"
    if raw == "auto":
        return "auto"
    if raw in _OFF:
        return "off"
    raise ConfigurationError(
        f"ORCHESTRATION_OFFLINE={raw!r} is not understood; use 1 (all simulated), auto "
        f"(simulate providers without a key) or 0 (all real)"
    )


class ProviderSet:
    """Makes and caches adapters; knows which providers are simulated."""

    def __init__(
        self,
        *,
        offline: OfflineMode | str | bool | None = None,
        keys: Mapping[str, str | Secret] | None = None,
        base_urls: Mapping[str, str] | None = None,
        simulator: SimulatorConfig | None = None,
        options: Mapping[str, dict[str, Any]] | None = None,
        credentials: Mapping[str, Any] | None = None,
    ) -> None:
        self._credentials: dict[str, Any] = {}
        self.offline: OfflineMode = offline_mode_from_env(offline)
        self._keys = {k: Secret(v) for k, v in (keys or {}).items()}
        self._base_urls = dict(base_urls or {})
        self._options = {k: dict(v) for k, v in (options or {}).items()}
        self.simulator = SimProvider(config=simulator or SimulatorConfig())
        self._offline_model: OfflineModel | None = None
        self._adapters: dict[tuple[str, str | None, int], Provider] = {}
        from .providers.registry import ProviderRegistry

        #: The providers this engine knows: built-ins plus registered compatible servers.
        self.registry = ProviderRegistry()
        for provider, credential in (credentials or {}).items():
            self.set_credential(provider, credential)

    # -- configuration -------------------------------------------------------------
    def set_key(self, provider: str, key: str | Secret) -> None:
        """Keep ``key`` for ``provider`` (in memory only) and drop its cached adapters.

        An unknown provider (a typo would keep the key where no call looks) or an empty
        key is refused, naming the provider, never the key."""
        self.registry[provider]  # an unknown name raises, with the nearest names
        secret = Secret(key)
        if not secret.get().strip():
            raise ConfigurationError(f"The key given for {provider} is empty; nothing changed.")
        self._keys[provider] = secret
        for cache_key in [k for k in self._adapters if k[0] == provider]:
            self._adapters.pop(cache_key)

    def set_credential(self, provider: str, credential: object) -> None:
        """Authenticate ``provider`` with a refreshable token (a callable returning a token
        and its expiry, or a :class:`TokenProvider`) instead of a key."""
        from .providers.credentials import as_token_provider

        self._credentials[provider] = as_token_provider(credential)
        for cache_key in [k for k in self._adapters if k[0] == provider]:
            self._adapters.pop(cache_key)

    @property
    def base_urls(self) -> dict[str, str]:
        """The base URL set for each provider (a copy: change one with a new engine)."""
        return dict(self._base_urls)

    def options_for(self, provider: str) -> dict[str, Any] | None:
        """The adapter options set for ``provider`` (a copy), or ``None`` when none were."""
        options = self._options.get(provider)
        return None if options is None else dict(options)

    @property
    def provider_options(self) -> dict[str, dict[str, Any]]:
        """The adapter options set for each provider (copies)."""
        return {name: dict(options) for name, options in self._options.items()}

    def credential_for(self, provider: str) -> Any:
        """The refreshable credential set for ``provider``, if any."""
        return self._credentials.get(provider)

    def set_offline(self, mode: OfflineMode | str) -> None:
        """Switch offline mode: ``on``, ``off`` or ``auto``."""
        self.offline = offline_mode_from_env(str(mode))

    @property
    def offline_model(self) -> OfflineModel:
        """The stand-in that serves offline: ``local`` or ``sim`` (``ORCHESTRATION_OFFLINE_MODEL``,
        read on first use)."""
        if self._offline_model is None:
            self._offline_model = offline_model_from_env()
        return self._offline_model

    def set_offline_model(self, model: str) -> None:
        """Choose the offline stand-in: ``local`` (the embedded model) or ``sim``."""
        self._offline_model = offline_model_from_env(model)

    def known(self, provider: str) -> bool:
        """True when ``provider`` is registered."""
        return provider in self.registry

    def key_for(self, provider: str, explicit: str | Secret | None = None) -> Secret | None:
        """The credential for ``provider``: explicit, engine keys, environment, .env, keyring."""
        info = self.registry.table.get(provider)
        env = list(info.key_env) if info else []
        if self._options.get(provider, {}).get("azure"):
            env = ["AZURE_OPENAI_API_KEY", *env]  # Azure OpenAI's own key comes first
        found = lookup_secret(env, explicit or self._keys.get(provider))
        return found or (info.api_key if info else None)

    def has_key(self, provider: str, explicit: str | Secret | None = None) -> bool:
        """True when ``provider`` needs no key or has one."""
        info = self.registry.table.get(provider)
        if info is None or not info.key_required or provider in self._credentials:
            return True
        return self.key_for(provider, explicit) is not None

    def is_simulated(self, provider: str, explicit_key: str | Secret | None = None) -> bool:
        """Would a call to ``provider`` be served by an offline stand-in right now?"""
        if provider == "sim":
            return True
        if provider == "local":
            return False  # the local model is offline already: it serves itself
        if self.offline == "on":
            return True
        if self.offline == "auto":
            return not self.has_key(provider, explicit_key)
        return False

    # -- adapters ------------------------------------------------------------------
    def adapter(
        self,
        provider: str,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        credential: object = None,
    ) -> Provider:
        """The adapter for ``provider`` (or the offline stand-in serving it)."""
        credential = credential or self._credentials.get(provider)
        if self.is_simulated(provider, api_key) and credential is None:
            if provider == "sim" or self.offline_model == "sim":
                return self.simulator
            provider, api_key, base_url = "local", None, None
        base = base_url or self._base_urls.get(provider)
        key = self.key_for(provider, api_key) if credential is None else None
        cache_key = (provider, base, hash(key) if key else id(credential))
        adapter = self._adapters.get(cache_key)
        if adapter is None:
            if credential is None and key is None and not self.has_key(provider):
                raise MissingKeyError(provider, self.registry[provider].env_hint)
            adapter = self.registry.create(
                provider,
                api_key=key,
                base_url=base,
                credential=credential,
                options=self._options.get(provider),
            )
            self._adapters[cache_key] = adapter
        return adapter

    async def aclose(self) -> None:
        """Close every adapter made so far."""
        adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            with contextlib.suppress(Exception):  # closing must not mask why we close
                await adapter.aclose()
