"""The writer's content and request hashes from prefix states, and a caller's encoding
of the queue taken a chunk at a time. What is stored does not change."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.chain import ChainKey
from orchestration_kernel.audit.rows import EncodedRow, Pending
from orchestration_kernel.audit.writer import ENCODE_CHUNK, _drop_through


def test_prefix_hashes_equal_the_mac_of_the_prefixed_text() -> None:
    key = ChainKey(os.urandom(32))
    for text in ("", "a", "naïve 請求", "lone \ud800 surrogate", "x" * 10_000):
        assert key.content_hash(text) == key.mac(f"content|{text}")
        assert key.request_hash(text) == key.mac(f"request|{text}")


def test_encoding_ahead_leaves_a_batch_a_drainer_took(tmp_path: Path) -> None:
    """A caller encoding the queue while a drainer takes a batch goes on behind that
    batch: at most the chunk in hand is encoded twice, not the drainer's whole batch."""
    trail = AuditTrail(tmp_path / "a.sqlite", key_path=tmp_path / "k", flush_interval=60)
    for i in range(300):
        trail.record("call", run_id=f"r{i}", prompt=f"prompt {i}", response="ok")
    writer = trail._writer
    real = writer.encoder.encode
    encoded: list[Pending] = []

    def encode(item: Pending) -> EncodedRow:
        if not encoded:  # meanwhile a drainer takes the first 200 records as its batch
            with writer._lock:
                _drop_through(writer._unencoded, writer._pending[199].number)
        encoded.append(item)
        return real(item)

    writer.encoder.encode = encode  # type: ignore[method-assign]
    trail.encode_pending()
    assert len(encoded) == ENCODE_CHUNK + 100
    assert [item[2]["run_id"] for item in encoded[ENCODE_CHUNK:]] == [
        f"r{i}" for i in range(200, 300)
    ]
    trail.flush()
    assert trail.verify().ok
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    try:
        runs = [r[0] for r in conn.execute("SELECT run_id FROM audit_events ORDER BY seq")]
    finally:
        conn.close()
    assert runs == [f"r{i}" for i in range(300)]
    trail.close()
