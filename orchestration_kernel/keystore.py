"""Saving a provider key in the system keyring (the ``[keyring]`` extra), safely.

``%orchestrate key PROVIDER --save`` stores the key where the engine already looks for
it (service ``orchestration-kernel``, named after the provider's key variable, e.g.
``OPENAI_API_KEY``), so the next kernel finds it without asking. Only a secure backend
will do — the macOS Keychain, Windows Credential Locker, the Secret Service or KWallet:
where the keyring would fall back to a plain-text file, or has no backend at all, saving
is refused with a clear message, never quietly done in the clear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigurationError
from .secrets import Secret

if TYPE_CHECKING:
    from .connections import ProviderSet

__all__ = ["KEYRING_SERVICE", "check_secure_keyring", "save_key"]

#: The keyring service name keys are stored under (``lookup_secret``'s default).
KEYRING_SERVICE = "orchestration-kernel"

#: Backends known to store secrets in the clear (keyrings.alt), whatever their priority.
_PLAINTEXT = ("plaintext", "fail", "null", "uncrypted", "unencrypted")


def _backends(backend: object) -> list[Any]:
    """The backends a (possibly chained) keyring writes to."""
    inner = getattr(backend, "backends", None)
    return list(inner) if inner else [backend]


def check_secure_keyring() -> Any:
    """The keyring module, if its backend keeps secrets encrypted; else a clear error."""
    try:
        import keyring
    except ImportError:
        raise ConfigurationError(
            "Saving a key needs the system keyring: pip install 'orchestration-kernel[keyring]'. "
            "Nothing was saved; set the provider's variable (or a .env file) instead."
        ) from None
    backend = keyring.get_keyring()
    usable = [
        b
        for b in _backends(backend)
        if getattr(b, "priority", 0) >= 1
        and not any(word in type(b).__name__.lower() for word in _PLAINTEXT)
        and not any(word in type(b).__module__.lower() for word in _PLAINTEXT)
    ]
    if not usable:
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        raise ConfigurationError(
            f"No secure system keyring is available here (the backend is {name}), and a key "
            "is never saved in plain text. Nothing was saved. Without --save, "
            "'%orchestrate key PROVIDER' keeps a key for this kernel only; set the provider's "
            "environment variable (or a .env file) to keep it across restarts."
        )
    return keyring


class HasProviders(Protocol):
    """An engine, as far as keys go: its provider connections."""

    @property
    def providers(self) -> ProviderSet: ...


def save_key(engine: HasProviders, provider: str, key: Secret) -> str:
    """Store ``key`` for ``provider`` in the keyring; returns the name it is stored under."""
    keyring = check_secure_keyring()
    info = engine.providers.registry.table.get(provider)
    if info is None or not info.key_env:
        raise ConfigurationError(f"{provider!r} takes no key: there is nothing to save")
    name: str = info.key_env[0]
    try:
        keyring.set_password(KEYRING_SERVICE, name, key.get())
    except Exception as exc:  # the backend refused: say so without the key
        raise ConfigurationError(
            f"The system keyring refused to store the key ({type(exc).__name__}); nothing saved"
        ) from None
    return name
