"""The JSON value type shared by the core: what ``json.loads`` can return."""

from __future__ import annotations

__all__ = ["JSONValue"]

JSONValue = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]
