"""Status lines for a slow moment the user did not ask for: the local model starting.

The embedded model's first start (llama.cpp loading its weights in a process of its own)
takes a few seconds, 5–13 s on a busy machine, inside whatever call needed it. Without a
word the cell just hangs. :func:`report` says what is happening: to every listener
(the magics add one that shows the line in the running cell and updates it when the wait
is over, :mod:`orchestration_kernel.magics.status_view`), to the log, and, where nobody
listens (a script, a notebook without the extension), once per process as an
:class:`~orchestration_kernel.offline.OfflineNotice`, as the other offline notes are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["StatusListener", "add_status_listener", "report"]

log = logging.getLogger("orchestration_kernel.status")

#: Called with ``(message, done)``: ``done`` is False when a wait begins, True when it ends.
StatusListener = Callable[[str, bool], None]

_listeners: list[StatusListener] = []
_lock = threading.Lock()


def add_status_listener(listener: StatusListener) -> Callable[[], None]:
    """Call ``listener`` with every status line from now on; returns what removes it."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def report(message: str, *, done: bool = False, key: str = "status") -> None:
    """Tell the listeners (or, with none, the user once per ``key``) ``message``. A
    listener that fails is logged, never raised: a status line must not break a call."""
    log.info(message)
    with _lock:
        listeners = list(_listeners)
    if not listeners:
        if not done:
            from .offline import notice_once

            notice_once(key, message)
        return
    for listener in listeners:
        try:
            listener(message, done)
        except Exception:  # a display problem must not fail the call
            log.debug("a status listener failed", exc_info=True)
