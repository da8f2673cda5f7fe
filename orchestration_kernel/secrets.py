"""Keys and tokens held as secrets, and where they are looked up.

A :class:`Secret` never shows its value in ``repr``, ``str``, logs or pickles. Its value
is normalised once, where it is read: surrounding whitespace (the newline a key file
ends with) is dropped, since SDKs and servers drop it too, and a provider echoing the
key it received must echo exactly the value we know to mask. Every secret made is
remembered (its value only, in this process) so :func:`mask` can hide every form of it
from messages and log records (see :mod:`.log_redaction`).
Keys are looked up in the order CONTRACT.md gives: given in code, the environment,
a ``.env`` file in the working directory, the system keyring. ``make test`` turns
the last two off with ``ORCHESTRATION_NO_DOTENV=1`` and ``ORCHESTRATION_NO_KEYRING=1``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote, quote_plus

from . import log_redaction
from .errors import UsageError

__all__ = [
    "MASK",
    "Secret",
    "guard_logs",
    "lookup_secret",
    "mask",
    "read_dotenv",
    "secret_forms",
]

#: What a secret is replaced with.
MASK = "********"
#: Shorter values are not masked on their own (they would blot out ordinary words).
MIN_MASKED = 4
#: Secrets this short are masked where named, not in every message (see :func:`mask`).
_REMEMBERED_MIN = 8
#: How many distinct secret values are remembered for masking (oldest forgotten first).
_KNOWN_MAX = 1024
#: value -> its forms (see :func:`secret_forms`), for masking.
_known: dict[str, tuple[str, ...]] = {}
_known_lock = threading.Lock()
_PLAIN_RUN = re.compile(r"[A-Za-z0-9._~+/=:-]{8,}")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")


def _remember(value: str) -> None:
    if len(value) < _REMEMBERED_MIN:
        return
    forms = tuple(secret_forms(value))
    with _known_lock:
        first = not _known
        _known.pop(value, None)
        _known[value] = forms
        while len(_known) > _KNOWN_MAX:
            del _known[next(iter(_known))]
    if first:  # from now on there is a key to keep out of the SDKs' logs
        guard_logs()


def guard_logs() -> None:
    """Mask keys in the SDK and HTTP loggers' records (see :mod:`.log_redaction`); call
    again after an SDK is imported, so its loggers are covered by name too."""
    log_redaction.install(mask)


def secret_forms(value: str) -> list[str]:
    """Every way ``value`` may be written where it leaks, longest first: as given,
    stripped, escaped as Python or JSON show it, URL-encoded, base64 (HTTP Basic), and,
    for a value with characters that escaping changes, each run of 8+ plain characters
    between them (escaped twice, as in the repr of an exception quoting a header, the
    value is no longer one piece)."""
    forms = {value, value.strip()}
    for v in list(forms):
        forms.update(
            (repr(v)[1:-1], json.dumps(v)[1:-1], quote(v, safe=""), quote_plus(v), _b64(v))
        )
        forms.update(run for run in _PLAIN_RUN.findall(v) if run != v)
    return sorted((f for f in forms if len(f) >= MIN_MASKED), key=len, reverse=True)


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii")


def mask(text: str, values: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` with every form of ``values`` and of every secret made in this process,
    and any bearer token, replaced by ``********``."""
    with _known_lock:
        known = list(_known.values())
    extra = [tuple(secret_forms(v)) for v in values if v and v.strip() not in _known]
    for forms in (*extra, *known):
        for form in forms:
            if form in text:
                text = text.replace(form, MASK)
    return _BEARER.sub(r"\1" + MASK, text)


class Secret:
    """A string that will not print itself. Call :meth:`get` where the value is needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get()
        elif isinstance(value, str):
            value = value.strip()
            _remember(value)
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

    def __reduce__(self) -> NoReturn:
        raise UsageError("a Secret cannot be pickled")


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
    """Find a credential: ``explicit``, then each env var, then ``.env``, then the keyring.

    Values are normalised (see :class:`Secret`); one that is only whitespace counts as unset.
    """
    if isinstance(explicit, Secret):
        if explicit:
            return explicit
    elif explicit and explicit.strip():
        return Secret(explicit)
    for var in env_vars:
        if os.environ.get(var, "").strip():
            return Secret(os.environ[var])
    dotenv = read_dotenv()
    for var in env_vars:
        if dotenv.get(var, "").strip():
            return Secret(dotenv[var])
    for var in env_vars:
        found = _keyring_lookup(service, var)
        if found and found.strip():
            return Secret(found)
    return None
