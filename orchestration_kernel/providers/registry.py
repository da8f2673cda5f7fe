"""The table of providers: where each one's key and base URL come from, which adapter
class serves it (imported lazily), and which bare model names it claims.

:data:`PROVIDERS` is the read-only built-in table. A :class:`ProviderRegistry` (one per
engine) adds named OpenAI-compatible servers on top of it; module-level functions take
the table to use, so nothing here is global mutable state.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import ConfigurationError, MissingKeyError
from ..secrets import Secret, lookup_secret
from .base import Provider
from .credentials import TokenProvider, as_token_provider

__all__ = [
    "PROVIDERS",
    "ProviderInfo",
    "ProviderRegistry",
    "create_provider",
    "infer_provider",
    "register_compatible",
    "split_model",
]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class ProviderInfo:
    """How to reach one provider.

    ``key_env``: variables looked up for the key, in order. ``key_required``: False for
    servers that take no key (local, sim, most compatible servers). ``adapter``:
    ``"module:Class"``, imported only when the provider is first used.
    """

    name: str
    key_env: tuple[str, ...]
    base_url_env: str | None
    adapter: str
    model_prefixes: tuple[str, ...] = ()
    key_required: bool = True
    default_base_url: str | None = None
    #: A key given when a compatible server was registered (held as a secret).
    api_key: Secret | None = field(default=None, repr=False)
    #: Adapter options (a dict, so it takes no part in the info's hash).
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    label: str = ""

    @property
    def env_hint(self) -> list[str]:
        """The variables to name when the key is missing."""
        return list(self.key_env)


_OPENAI_ADAPTER = "orchestration_kernel.providers.openai:OpenAIProvider"
_COMPATIBLE_ADAPTER = "orchestration_kernel.providers.compatible:CompatibleProvider"


def _builtin() -> dict[str, ProviderInfo]:
    infos = [
        ProviderInfo(
            "openai",
            ("OPENAI_API_KEY",),
            "OPENAI_BASE_URL",
            _OPENAI_ADAPTER,
            ("gpt-", "chatgpt-", "o1", "o3", "o4", "o5"),
            label="OpenAI",
        ),
        ProviderInfo(
            "anthropic",
            ("ANTHROPIC_API_KEY",),
            "ANTHROPIC_BASE_URL",
            "orchestration_kernel.providers.anthropic:AnthropicProvider",
            ("claude-",),
            label="Anthropic",
        ),
        ProviderInfo(
            "gemini",
            ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            "GOOGLE_GEMINI_BASE_URL",
            "orchestration_kernel.providers.gemini:GeminiProvider",
            ("gemini-",),
            label="Google Gemini",
        ),
        ProviderInfo(
            "perplexity",
            ("PERPLEXITY_API_KEY",),
            "PERPLEXITY_BASE_URL",
            "orchestration_kernel.providers.perplexity:PerplexityProvider",
            ("sonar",),
            label="Perplexity",
        ),
        ProviderInfo(
            "local",
            (),
            None,
            "orchestration_kernel.providers.local:LocalModelProvider",
            key_required=False,
            label="local model",
        ),
        ProviderInfo(
            "sim",
            (),
            None,
            "orchestration_kernel.providers.sim:SimProvider",
            key_required=False,
            label="simulator",
        ),
    ]
    # Common OpenAI-compatible servers at their usual local addresses.
    for name, url, label in (
        ("ollama", "http://localhost:11434/v1", "Ollama"),
        ("vllm", "http://localhost:8000/v1", "vLLM"),
        ("llamacpp", "http://localhost:8080/v1", "llama.cpp"),
        ("lmstudio", "http://localhost:1234/v1", "LM Studio"),
    ):
        infos.append(register_compatible(name, url, label=label))
    return {info.name: info for info in infos}


def register_compatible(
    name: str,
    base_url: str | None,
    api_key: str | Secret | None = None,
    *,
    label: str = "",
    options: Mapping[str, Any] | None = None,
) -> ProviderInfo:
    """The :class:`ProviderInfo` of a named OpenAI-compatible server.

    Its key may come from ``api_key`` or ``<NAME>_API_KEY``, and its URL from
    ``<NAME>_BASE_URL`` over ``base_url``. Add the result to a :class:`ProviderRegistry`
    (``registry.add(info)``, or call :meth:`ProviderRegistry.register_compatible`).
    """
    if not _NAME.match(name):
        raise ConfigurationError(
            f"provider name {name!r} must be lower-case letters, digits, '-' or '_' "
            "(it is the prefix in 'name:model')"
        )
    env = name.upper().replace("-", "_")
    return ProviderInfo(
        name=name,
        key_env=(f"{env}_API_KEY",),
        base_url_env=f"{env}_BASE_URL",
        adapter=_COMPATIBLE_ADAPTER,
        key_required=False,
        default_base_url=base_url,
        api_key=Secret(api_key) if api_key else None,
        options=dict(options or {}),
        label=label or f"OpenAI-compatible server {name}",
    )


#: The built-in providers, read-only.
PROVIDERS: Mapping[str, ProviderInfo] = MappingProxyType(_builtin())


def _get(name: str, providers: Mapping[str, ProviderInfo]) -> ProviderInfo:
    info = providers.get(name)
    if info is None:
        near = difflib.get_close_matches(name, list(providers), n=3)
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        raise ConfigurationError(
            f"Unknown provider {name!r}.{hint} Known providers: {', '.join(sorted(providers))}. "
            "Register an OpenAI-compatible server with register_compatible(name, base_url)."
        )
    return info


def _import_adapter(path: str) -> type:
    module, _, cls = path.partition(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def create_provider(
    name: str | ProviderInfo,
    *,
    api_key: str | Secret | None = None,
    base_url: str | None = None,
    credential: TokenProvider | Any = None,
    options: dict[str, Any] | None = None,
    providers: Mapping[str, ProviderInfo] = PROVIDERS,
) -> Provider:
    """Build the adapter for provider ``name``: the key from code, the environment, ``.env``
    or the keyring; the base URL from ``base_url``, the environment or the default.

    Raises :class:`MissingKeyError` before any request when a provider needs a key and
    has neither a key nor a ``credential`` (a :class:`TokenProvider` or token callable).
    """
    info = name if isinstance(name, ProviderInfo) else _get(name, providers)
    token = as_token_provider(credential)
    key = lookup_secret(list(info.key_env), api_key) if info.key_env else None
    key = key or (Secret(api_key) if api_key else None) or info.api_key
    if info.key_required and not key and token is None:
        raise MissingKeyError(info.name, info.env_hint)
    env_url = os.environ.get(info.base_url_env) if info.base_url_env else None
    adapter = _import_adapter(info.adapter)
    instance = adapter(
        api_key=key,
        base_url=base_url or env_url or info.default_base_url,
        credential=token,
        name=info.name,
        options={**info.options, **(options or {})},
    )
    return instance  # type: ignore[no-any-return]


def infer_provider(model: str, providers: Mapping[str, ProviderInfo] = PROVIDERS) -> str | None:
    """The provider a bare model name belongs to (``gpt-4o`` → ``openai``), or None."""
    lowered = model.lower()
    for info in providers.values():
        if any(lowered.startswith(prefix) for prefix in info.model_prefixes):
            return info.name
    return None


def split_model(
    spec: str, providers: Mapping[str, ProviderInfo] = PROVIDERS
) -> tuple[str | None, str]:
    """``"provider:model"`` → ``(provider, model)``; a bare name → ``(inferred or None, name)``.

    Only a known provider name counts as a prefix, so ``llama3.2:8b`` stays one model name.
    """
    head, sep, rest = spec.partition(":")
    if sep and head in providers:
        return head, rest
    return infer_provider(spec, providers), spec


class ProviderRegistry:
    """The providers one engine knows: the built-ins plus registered compatible servers."""

    def __init__(self, base: Mapping[str, ProviderInfo] = PROVIDERS) -> None:
        self._infos: dict[str, ProviderInfo] = dict(base)

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def __getitem__(self, name: str) -> ProviderInfo:
        return _get(name, self._infos)

    def names(self) -> list[str]:
        """Every provider name, sorted."""
        return sorted(self._infos)

    @property
    def table(self) -> Mapping[str, ProviderInfo]:
        """A read-only view of the table."""
        return MappingProxyType(self._infos)

    def add(self, info: ProviderInfo) -> ProviderInfo:
        """Add (or replace) a provider."""
        self._infos[info.name] = info
        return info

    def register_compatible(
        self,
        name: str,
        base_url: str | None,
        api_key: str | Secret | None = None,
        **kwargs: Any,
    ) -> ProviderInfo:
        """Register a named OpenAI-compatible server (see :func:`register_compatible`)."""
        if name in PROVIDERS and PROVIDERS[name].adapter != _COMPATIBLE_ADAPTER:
            raise ConfigurationError(f"{name!r} is a built-in provider; choose another name")
        return self.add(register_compatible(name, base_url, api_key, **kwargs))

    def create(self, name: str, **kwargs: Any) -> Provider:
        """Build the adapter for ``name`` (see :func:`create_provider`)."""
        return create_provider(name, providers=self._infos, **kwargs)

    def infer(self, model: str) -> str | None:
        """The provider a bare model name belongs to, or None."""
        return infer_provider(model, self._infos)

    def split(self, spec: str) -> tuple[str | None, str]:
        """``provider:model`` or a bare name, split (see :func:`split_model`)."""
        return split_model(spec, self._infos)
