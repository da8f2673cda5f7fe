"""Reading a routing config file (JSON, YAML or TOML, by suffix) into a mapping.

A file is read as strictly as a pipeline spec: YAML through the bounded loader (an alias
bomb or absurd nesting is refused while it is read, not after), a key given twice is an
error naming its line (YAML and TOML) rather than the last one silently winning, and a
provider key written into the file is refused: files name the key's environment variable
(``api_key_env``), so that no key sits in a plain file.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigurationError

if TYPE_CHECKING:
    import yaml

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
    except _Repeated as exc:
        raise ConfigurationError(f"Config file {path}{exc.where}: {exc.message}") from None
    except Exception as exc:  # each parser has its own error class; all mean "bad file"
        raise ConfigurationError(
            f"Config file {path} is not valid {suffix[1:]}: {_reason(exc, text)}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"Config file {path} must hold a mapping at the top level.")
    _refuse_written_keys(data, path)
    return data


def section(raw: Mapping[str, object], key: str, within: str = "") -> dict[str, object]:
    """``raw[key]`` as a dict (``{}`` when missing or empty); a clear error otherwise."""
    value = raw.get(key) or {}
    if not isinstance(value, Mapping):
        where = f"{within}.{key}" if within else key
        raise ConfigurationError(f"Config {where!r} must be a mapping, not {type(value).__name__}.")
    return dict(value)


class _Repeated(ValueError):
    """A mapping key given twice in the file (``where`` is ``, line L, column C`` if known)."""

    def __init__(self, key: str, where: str = "") -> None:
        super().__init__(key)
        self.message = f"the key {key!r} appears twice (a later one would silently win)"
        self.where = where


def _parse(text: str, suffix: str) -> object:
    if suffix == ".json":
        return json.loads(text, object_pairs_hook=_json_object)
    if suffix == ".toml":
        return tomllib.loads(text)  # TOML itself refuses a key defined twice
    # Lazily: only config files need YAML. The pipeline's loader bounds the expanded size
    # and depth while it composes (a few hundred bytes of aliases can stand for millions).
    from ..yaml_bounds import BoundedLoader

    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_repeated_keys(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _json_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _Repeated(key)
    return dict(pairs)


def _refuse_repeated_keys(root: yaml.Node) -> None:
    """Every mapping of the composed YAML, its keys once each (walked without recursion:
    the bounded loader caps the depth, but a walk need not rely on it)."""
    import yaml

    todo = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen and key != "<<":
                    mark = key_node.start_mark
                    raise _Repeated(key, f", line {mark.line + 1}, column {mark.column + 1}")
                seen.add(key)
                todo.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)


def _reason(exc: Exception, text: str) -> str:
    """A parser's complaint, with YAML's line and column first and a hint for a tab."""
    import yaml

    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or str(exc)
    if exc.context:
        what = f"{what} ({exc.context})"
    if mark is None:
        return what
    line = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
    hint = "; YAML indents with spaces, not tabs" if "\t" in line[: mark.column + 1] else ""
    return f"line {mark.line + 1}, column {mark.column + 1}: {what}{hint}"


#: The mapping keys that would hold a secret itself rather than the name of a variable.
_KEY_FIELDS = frozenset({"api_key", "apikey", "client_secret"})


def _refuse_written_keys(data: Mapping[str, object], path: Path) -> None:
    """Refuse a provider key written into the file, naming where (never its value)."""
    todo: list[tuple[str, object]] = [("", data)]
    while todo:
        where, value = todo.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                at = f"{where}.{key}" if where else str(key)
                if str(key).lower() in _KEY_FIELDS and item not in (None, ""):
                    raise ConfigurationError(
                        f"Config file {path}: {at} holds a secret. Keys are never read from a "
                        "file: put it in an environment variable and name that variable "
                        "instead (api_key_env: OPENAI_KEY_TEAM_B)."
                    )
                todo.append((at, item))
        elif isinstance(value, list):
            todo.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
