"""The worker plugin that carries the caller's keys to each worker, once.

Keys never travel in the task graph: a task names the configuration's fingerprint and
the worker's engine finds its keys here. The scheduler hands the plugin to every worker
(and to workers that join later); ``setup`` keeps the keys in this worker process's
memory only. The plugin's repr names providers, never values.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping

from distributed import WorkerPlugin

from .worker import forget_keys, keep_keys, worker_keys

__all__ = ["KeepThroughInterrupts", "KeyPlugin", "worker_keys"]


class KeyPlugin(WorkerPlugin):
    """Gives each worker the keys for one engine configuration (``name`` identifies it)."""

    def __init__(self, name: str, keys: Mapping[str, str]) -> None:
        self.name = name
        self._keys = dict(keys)

    def setup(self, worker: object = None) -> None:
        """Keep the keys in this worker process (never on disk, never logged)."""
        keep_keys(self.name, self._keys)

    def teardown(self, worker: object = None) -> None:
        """Forget the keys, and the engines built with them, when the plugin is removed
        or the worker closes."""
        forget_keys(self.name)

    def __repr__(self) -> str:
        return f"KeyPlugin({self.name!r}, providers={sorted(self._keys)})"


class KeepThroughInterrupts(WorkerPlugin):
    """Makes the workers of the kernel's own ``cluster="local"`` ignore SIGINT.

    Jupyter interrupts a kernel by sending SIGINT to its whole process group, and the
    local cluster's worker processes are in it: a Ctrl-C (the stop button) that should
    stop one cell killed every worker, and the next cell waited for workers that never
    came back. The kernel still gets the interrupt and cancels the job's partitions;
    the workers stay up for the rerun.
    """

    name = "orchestration-keep-through-interrupts"

    def setup(self, worker: object = None) -> None:
        """Ignore SIGINT in this worker process (signals are set on the main thread,
        where a worker process runs its event loop)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
