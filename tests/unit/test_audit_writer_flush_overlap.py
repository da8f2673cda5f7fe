"""``flush()`` encodes what is queued while the writer thread is still committing.

A caller of ``flush()`` (the audit bench, a read, ``close``) first encodes the records
nobody has encoded yet, in its own thread, and only then waits for the drain lock: the
writer thread's commit (SQLite and the sync let go of the GIL) and the caller's encoding
overlap instead of running one after the other. What is stored does not change.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from orchestration_kernel.audit import AuditTrail


def test_flush_encodes_while_the_writer_thread_commits(tmp_path: Path) -> None:
    encoded = threading.Event()

    def redact(text: str) -> str:
        if text == "second":
            encoded.set()
        return text

    path = tmp_path / "a.sqlite"
    trail = AuditTrail(path, session_id="s", redactor=redact, flush_interval=0.01)
    store = trail._store
    real_append = store.append
    inside, release = threading.Event(), threading.Event()

    def append(rows: Any) -> Any:
        if threading.current_thread().name == "audit-writer" and not release.is_set():
            inside.set()
            release.wait(30)  # the writer thread holds its commit (and the drain lock)
        return real_append(rows)

    store.append = append  # type: ignore[method-assign]
    try:
        trail.record("call", prompt="first")
        assert inside.wait(30)  # the writer thread is committing "first"
        trail.record("call", prompt="second")
        flusher = threading.Thread(target=trail.flush)
        flusher.start()
        # "second" is encoded by the flushing thread while the writer's commit is held.
        assert encoded.wait(30)
        release.set()
        flusher.join(30)
        assert not flusher.is_alive()
        assert trail.verify().ok
    finally:
        release.set()
        trail.close()
    conn = sqlite3.connect(path)
    try:
        prompts = [r[0] for r in conn.execute("SELECT prompt FROM audit_events ORDER BY seq")]
    finally:
        conn.close()
    assert prompts == ["first", "second"]
