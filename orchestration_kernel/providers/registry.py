"""The table of providers: one :class:`ProviderInfo` per provider says where its key and
base URL come from, which adapter class serves it (imported lazily), which bare model
names it claims, which SDK modules its exceptions come from, and its OpenTelemetry name.
Everything else that knows about providers (name inference in :mod:`..routing.names`,
error mapping in :mod:`._sdk`, the audit's OTel names, the engine's catalogue notes)
reads it from here.

:data:`PROVIDERS` is the read-only built-in table. Other packages add providers through
the entry-point group ``orchestration_kernel.providers`` (see :func:`plugin_providers`).
A :class:`ProviderRegistry` (one per engine) holds both and adds named
OpenAI-compatible servers on top; module-level functions take the table to use, so
nothing here is global mutable state.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
import re
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

from ..errors import ConfigurationError, MissingKeyError
from ..secrets import Secret, lookup_secret
from .base import Provider
from .credentials import TokenProvider, as_token_provider

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROVIDERS",
    "ProviderInfo",
    "ProviderRegistry",
    "create_provider",
    "default_providers",
    "infer_provider",
    "plugin_providers",
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
    ``model_pattern``: a regular expression for the bare model names it claims
    (``gpt-4o`` → openai); ``model_prefixes`` is the simpler form, used when no pattern
    is given. ``sdk_modules``: the top-level modules whose exceptions its adapter lets
    through, mapped onto our errors (and so retried) — miss one and its errors escape as
    bugs. ``otel_name``: its ``gen_ai.provider.name``. ``catalogued``: the model
    catalogue lists its models, so a name the catalogue lacks earns a warning.
    ``synonyms``: other spellings of its prefix (``google:`` for gemini).
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
    model_pattern: str = ""
    sdk_modules: tuple[str, ...] = ()
    otel_name: str | None = None
    catalogued: bool = False
    synonyms: tuple[str, ...] = ()

    def claims(self, model: str) -> bool:
        """True when the bare model name ``model`` belongs to this provider."""
        lowered = model.lower()
        if self.model_pattern:
            return _pattern(self.model_pattern).match(lowered) is not None
        return any(lowered.startswith(prefix) for prefix in self.model_prefixes)

    @property
    def env_hint(self) -> list[str]:
        """The variables to name when the key is missing."""
        return list(self.key_env)


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


#: The entry-point group other packages register providers in (see :func:`plugin_providers`).
ENTRY_POINT_GROUP = "orchestration_kernel.providers"

_OPENAI_ADAPTER = "orchestration_kernel.providers.openai:OpenAIProvider"
_COMPATIBLE_ADAPTER = "orchestration_kernel.providers.compatible:CompatibleProvider"


def _builtin() -> dict[str, ProviderInfo]:
    infos = [
        ProviderInfo(
            "openai",
            ("OPENAI_API_KEY",),
            "OPENAI_BASE_URL",
            _OPENAI_ADAPTER,
            label="OpenAI",
            # o1, o3-mini, o4 …: a digit then '-' or the end ("o3pro" is nobody's).
            model_pattern=r"^(gpt-|chatgpt-|o[1-9](-|$))",
            sdk_modules=("openai",),
            otel_name="openai",
            catalogued=True,
        ),
        ProviderInfo(
            "anthropic",
            ("ANTHROPIC_API_KEY",),
            "ANTHROPIC_BASE_URL",
            "orchestration_kernel.providers.anthropic:AnthropicProvider",
            ("claude-",),
            label="Anthropic",
            sdk_modules=("anthropic",),
            otel_name="anthropic",
            catalogued=True,
        ),
        ProviderInfo(
            "gemini",
            ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            "GOOGLE_GEMINI_BASE_URL",
            "orchestration_kernel.providers.gemini:GeminiProvider",
            ("gemini-",),
            label="Google Gemini",
            sdk_modules=("google",),
            otel_name="gcp.gemini",
            catalogued=True,
            synonyms=("google",),
        ),
        ProviderInfo(
            "perplexity",
            ("PERPLEXITY_API_KEY",),
            "PERPLEXITY_BASE_URL",
            "orchestration_kernel.providers.perplexity:PerplexityProvider",
            ("sonar",),
            label="Perplexity",
            sdk_modules=("perplexity",),
            otel_name="perplexity",
            catalogued=True,
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
    options: Mapping[str, object] | None = None,
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
        sdk_modules=("openai",),
    )


#: The built-in providers, read-only.
PROVIDERS: Mapping[str, ProviderInfo] = MappingProxyType(_builtin())


def _infos_from(obj: object) -> list[ProviderInfo]:
    """What an entry point may name: a ProviderInfo, several, or a callable giving either."""
    if callable(obj) and not isinstance(obj, ProviderInfo):
        obj = obj()
    items = [obj] if isinstance(obj, ProviderInfo) else list(obj)  # type: ignore[call-overload]
    for item in items:
        if not isinstance(item, ProviderInfo):
            raise TypeError(f"expected ProviderInfo, got {type(item).__name__}")
    return items


@functools.lru_cache(maxsize=4)
def _plugins(path: tuple[str, ...]) -> Mapping[str, ProviderInfo]:
    """The providers installed packages declare (``path``: the ``sys.path`` scanned)."""
    found: dict[str, ProviderInfo] = {}
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        where = f"{point.name} = {point.value}" + (f" ({point.dist.name})" if point.dist else "")
        try:
            infos = _infos_from(point.load())
        except Exception as exc:  # one broken plugin must not take the kernel down
            warnings.warn(
                f"provider plugin {where} in entry-point group {ENTRY_POINT_GROUP!r} "
                f"could not be loaded and is skipped: {type(exc).__name__}: {exc}",
                stacklevel=3,
            )
            continue
        for info in infos:
            if info.name in PROVIDERS or info.name in found:
                warnings.warn(
                    f"provider plugin {where} declares {info.name!r}, which is already "
                    "taken; it is skipped",
                    stacklevel=3,
                )
                continue
            found[info.name] = info
    return MappingProxyType(found)


def plugin_providers() -> Mapping[str, ProviderInfo]:
    """The providers other packages declare in the entry-point group
    ``orchestration_kernel.providers``, by name (read-only).

    An entry point names a :class:`ProviderInfo`, an iterable of them, or a callable
    returning either. One that fails to load, or that reuses a taken name, is skipped
    with a warning naming it. The scan is cached per ``sys.path``.
    """
    return _plugins(tuple(sys.path))


def default_providers() -> Mapping[str, ProviderInfo]:
    """The built-in providers and the installed plugins' (read-only)."""
    return MappingProxyType({**PROVIDERS, **plugin_providers()})


def sdk_modules(providers: Iterable[ProviderInfo] | None = None) -> frozenset[str]:
    """Every SDK module the given providers (default: built-ins and plugins) declare."""
    infos = default_providers().values() if providers is None else providers
    return frozenset(module for info in infos for module in info.sdk_modules)


def otel_names(providers: Mapping[str, ProviderInfo] = PROVIDERS) -> dict[str, str]:
    """Our provider names → their ``gen_ai.provider.name``, for those that declare one."""
    return {name: info.otel_name for name, info in providers.items() if info.otel_name}


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
    instance: Provider = adapter(
        api_key=key,
        base_url=base_url or env_url or info.default_base_url,
        credential=token,
        name=info.name,
        options={**info.options, **(options or {})},
    )
    if info.sdk_modules and hasattr(instance, "sdk_modules"):
        # The adapter maps (and so retries) exceptions from the SDKs its info declares.
        instance.sdk_modules = frozenset(instance.sdk_modules) | set(info.sdk_modules)
    return instance


def infer_provider(model: str, providers: Mapping[str, ProviderInfo] = PROVIDERS) -> str | None:
    """The provider a bare model name belongs to (``gpt-4o`` → ``openai``), or None."""
    for info in providers.values():
        if info.claims(model):
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
    """The providers one engine knows: the built-ins, the installed plugins'
    (:func:`plugin_providers`) and registered compatible servers."""

    def __init__(self, base: Mapping[str, ProviderInfo] | None = None) -> None:
        self._infos: dict[str, ProviderInfo] = dict(default_providers() if base is None else base)

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
