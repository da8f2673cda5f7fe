"""The providers' public face: what a provider is and how another package adds one.

- :class:`Provider`: the protocol every adapter implements (``complete``, ``stream``,
  ``aclose``); :class:`SDKAdapter` (from :mod:`.sdk`) is the base most adapters extend.
- :class:`ProviderInfo`: the one table row per provider — key and URL variables, adapter
  class, the bare model names it claims, its SDK modules, its OpenTelemetry name.
- :class:`Timeouts`: what the engine gives every call.
- :data:`ENTRY_POINT_GROUP` (``orchestration_kernel.providers``): a package declares its
  ``ProviderInfo`` there and every engine knows the provider (see docs/ARCHITECTURE.md).

Names are imported on first use, so importing one adapter module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .base import Provider, Timeouts
    from .registry import (
        ENTRY_POINT_GROUP,
        PROVIDERS,
        ProviderInfo,
        ProviderRegistry,
        default_providers,
        plugin_providers,
        register_compatible,
    )
    from .sdk import SDKAdapter

_EXPORTS = {
    "Provider": ".base",
    "Timeouts": ".base",
    "SDKAdapter": ".sdk",
    "ENTRY_POINT_GROUP": ".registry",
    "PROVIDERS": ".registry",
    "ProviderInfo": ".registry",
    "ProviderRegistry": ".registry",
    "default_providers": ".registry",
    "plugin_providers": ".registry",
    "register_compatible": ".registry",
}

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROVIDERS",
    "Provider",
    "ProviderInfo",
    "ProviderRegistry",
    "SDKAdapter",
    "Timeouts",
    "default_providers",
    "plugin_providers",
    "register_compatible",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
