"""Keys and tokens held as secrets, and where they are looked up.

A :class:`Secret` never shows its value in ``repr``, ``str``, logs or pickles.
Keys are looked up in the order CONTRACT.md gives: given in code, the environment,
a ``.env`` file in the working directory, the system keyring. ``make test`` turns
the last two off with ``ORCHESTRATION_NO_DOTENV=1`` and ``ORCHESTRATION_NO_KEYRING=1``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["Secret", "lookup_secret", "read_dotenv"]


class Secret:
    """A string that will not print itself. Call :meth:`get` where the value is needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.get()
        self._value = value

    def get(self) -> str:
        """The secret value. Pass it straight to the SDK; never format it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def read_dotenv(path: Path | None = None) -> dict[str, str]:
    """Parse ``KEY=value`` lines of a ``.env`` file (quotes stripped, ``export`` allowed)."""
    path = path or Path.cwd() / ".env"
    if os.environ.get("ORCHESTRATION_NO_DOTENV") == "1" or not path.is_file():
        return {}
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def _keyring_lookup(service: str, name: str) -> str | None:
    if os.environ.get("ORCHESTRATION_NO_KEYRING") == "1":
        return None
    try:
        import keyring  # optional extra
    except ImportError:
        return None
    try:
        return keyring.get_password(service, name)
    except Exception:  # a broken backend must not break a call
        return None


def lookup_secret(
    env_vars: list[str], explicit: str | Secret | None = None, service: str = "orchestration-kernel"
) -> Secret | None:
    """Find a credential: ``explicit``, then each env var, then ``.env``, then the keyring."""
    if explicit:
        return Secret(explicit) if not isinstance(explicit, Secret) else explicit
    for var in env_vars:
        if os.environ.get(var):
            return Secret(os.environ[var])
    dotenv = read_dotenv()
    for var in env_vars:
        if dotenv.get(var):
            return Secret(dotenv[var])
    for var in env_vars:
        found = _keyring_lookup(service, var)
        if found:
            return Secret(found)
    return None
