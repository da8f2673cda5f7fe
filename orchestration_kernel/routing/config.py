"""Reading a routing config file (JSON, YAML or TOML, by suffix) into a mapping."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigurationError

__all__ = ["read_config_file", "section"]

_SUFFIXES = ".json, .yaml, .yml or .toml"


def read_config_file(path: str | Path) -> dict[str, object]:
    """Parse ``path`` by its suffix. Raises :class:`ConfigurationError` with the reason."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml", ".toml"):
        raise ConfigurationError(f"Config file {path} must end in {_SUFFIXES}.")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"Cannot read config file {path}: {exc.strerror}.") from None
    try:
        data = _parse(text, suffix)
    except Exception as exc:  # each parser has its own error class; all mean "bad file"
        raise ConfigurationError(f"Config file {path} is not valid {suffix[1:]}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"Config file {path} must hold a mapping at the top level.")
    return data


def section(raw: Mapping[str, object], key: str, within: str = "") -> dict[str, object]:
    """``raw[key]`` as a dict (``{}`` when missing or empty); a clear error otherwise."""
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        where = f"{within}.{key}" if within else key
        raise ConfigurationError(f"Config {where!r} must be a mapping, not {type(value).__name__}.")
    return dict(value)


def _parse(text: str, suffix: str) -> object:
    if suffix == ".json":
        return json.loads(text)
    if suffix == ".toml":
        return tomllib.loads(text)
    import yaml  # lazily: only config files need it

    return yaml.safe_load(text)
