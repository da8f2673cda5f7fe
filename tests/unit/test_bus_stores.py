"""The Store contract, run against every bundled backend, and the handoff metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestration_kernel.bus import MemoryStore, SQLiteStore, Store, Turn
from orchestration_kernel.bus.metrics import HandoffStats, percentile
from orchestration_kernel.errors import ConfigurationError


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    s: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "b.sqlite")
    await s.open()
    yield s
    await s.close()


def test_bundled_stores_implement_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryStore(), Store)
    assert isinstance(SQLiteStore(tmp_path / "x.sqlite"), Store)


async def test_message_log_reads_in_order_after_a_position(store: Store) -> None:
    seqs = [await store.append_message(f"t.{i}", {"i": i}, "s", float(i)) for i in range(5)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    after = await store.read_messages(seqs[1], limit=2)
    assert [m.data["i"] for m in after] == [2, 3]
    assert all(m.durable and m.session_id == "s" for m in after)
    assert await store.read_messages(seqs[-1], limit=10) == []


async def test_offsets_start_at_zero_and_never_move_back(store: Store) -> None:
    assert await store.get_offset("c") == 0
    await store.set_offset("c", 5)
    await store.set_offset("c", 3)
    assert await store.get_offset("c") == 5
    assert await store.get_offset("other") == 0


async def test_context_versions_merge_replace_and_keep_history(store: Store) -> None:
    assert await store.read_context("s") is None
    v1 = await store.write_context("s", {"a": 1}, merge=True, ts=1.0)
    v2 = await store.write_context("s", {"b": 2}, merge=True, ts=2.0)
    v3 = await store.write_context("s", {"c": 3}, merge=False, ts=3.0)
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert v2.data == {"a": 1, "b": 2}
    latest = await store.read_context("s")
    assert latest is not None and latest.data == {"c": 3}
    history = await store.context_history("s")
    assert [h.data for h in history] == [{"a": 1}, {"a": 1, "b": 2}, {"c": 3}]
    assert await store.context_history("nobody") == []


async def test_conversation_and_sessions(store: Store) -> None:
    await store.append_turns("s1", [Turn("user", "hi", None, 1.0)])
    await store.append_turns("s1", [Turn("assistant", "hello", "gpt-4", 2.0)])
    await store.write_context("s2", {"k": "v"}, merge=True, ts=1.0)
    turns = await store.conversation("s1")
    assert [t.as_dict()["content"] for t in turns] == ["hi", "hello"]
    assert turns[1].model == "gpt-4"
    assert await store.sessions() == ["s1", "s2"]


async def test_values_must_be_json_compatible(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="JSON-compatible"):
        await store.append_message("t", object(), None, 0.0)
    with pytest.raises(ConfigurationError, match="JSON-compatible"):
        await store.write_context("s", {"x": {1, 2}}, merge=True, ts=0.0)
    assert await store.read_context("s") is None


async def test_store_reprs_name_the_backend(store: Store) -> None:
    assert type(store).__name__ in repr(store)


async def test_sqlite_store_refuses_use_after_close(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "nested" / "dir" / "b.sqlite")
    await store.open()
    await store.open()  # idempotent
    await store.close()
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.get_offset("c")


async def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "b.sqlite")
    await store.open()
    rows = await store._call(store._fetch, "PRAGMA journal_mode", ())
    assert rows[0][0].lower() == "wal"
    await store.close()


def test_percentiles_interpolate() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_handoff_stats_window_and_reset() -> None:
    stats = HandoffStats(window=10)
    assert stats.stats() == {"count": 0, "p50": None, "p95": None, "p99": None}
    for v in range(20):
        stats.record(float(v))
    summary = stats.stats()
    assert summary["count"] == 20
    assert summary["p50"] is not None and summary["p50"] >= 10  # only the recent window
    with pytest.raises(ValueError):
        stats.record(-1.0)
    stats.reset()
    assert stats.stats()["count"] == 0


async def test_numpy_numbers_are_stored_as_the_numbers_they_are(store: Store) -> None:
    # df.stars.sum() is an int64: refusing it made every pandas aggregate a chore.
    import numpy as np

    data = {"n": np.int64(3), "mean": np.float32(0.5), "ok": np.bool_(True)}
    version = await store.write_context("s", data, merge=False, ts=1.0)
    assert version.data == {"n": 3, "mean": 0.5, "ok": True}
    assert type(version.data["n"]) is int
    with pytest.raises(ConfigurationError, match=r"array\.tolist\(\)"):
        await store.write_context("s", {"a": np.arange(3)}, merge=False, ts=2.0)
    with pytest.raises(ConfigurationError, match="JSON-compatible"):
        await store.write_context("s", {"x": np.float64("nan")}, merge=False, ts=3.0)
