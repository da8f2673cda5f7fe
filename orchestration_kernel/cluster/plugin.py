"""The worker plugin that carries the caller's keys to each worker, once.

Keys never travel in the task graph: a task names the configuration's fingerprint and
the worker's engine finds its keys here. The scheduler hands the plugin to every worker
(and to workers that join later); ``setup`` keeps the keys in this worker process's
memory only. The plugin's repr names providers, never values.
"""

from __future__ import annotations

from collections.abc import Mapping

from distributed import WorkerPlugin

__all__ = ["KeyPlugin", "worker_keys"]

#: This process's keys, by plugin name (filled by :meth:`KeyPlugin.setup` on a worker).
_KEYS: dict[str, dict[str, str]] = {}


class KeyPlugin(WorkerPlugin):
    """Gives each worker the keys for one engine configuration (``name`` identifies it)."""

    def __init__(self, name: str, keys: Mapping[str, str]) -> None:
        self.name = name
        self._keys = dict(keys)

    def setup(self, worker: object = None) -> None:
        """Keep the keys in this worker process (never on disk, never logged)."""
        _KEYS[self.name] = dict(self._keys)

    def teardown(self, worker: object = None) -> None:
        """Forget the keys when the plugin is removed or the worker closes."""
        _KEYS.pop(self.name, None)

    def __repr__(self) -> str:
        return f"KeyPlugin({self.name!r}, providers={sorted(self._keys)})"


def worker_keys(name: str) -> dict[str, str] | None:
    """The keys the plugin ``name`` left in this process, or ``None`` if it never ran here."""
    return _KEYS.get(name)
