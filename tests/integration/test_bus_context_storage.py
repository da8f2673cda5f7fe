"""The bus on disk: contexts stored as changes (linear, not quadratic), every version
still readable; a step's turns commit together (issue 14, items 6 and 8)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel.bus import ContextBus
from orchestration_kernel.errors import StorageError

pytestmark = pytest.mark.timeout(300)


def on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def test_many_small_updates_grow_the_file_linearly(tmp_path: Path) -> None:
    path = tmp_path / "bus.sqlite"
    bus = ContextBus(path, session_id="s")
    n = 2000
    for i in range(n):
        bus.update_context_sync({f"key{i}": f"value {i:06d} " + "x" * 40})
    context = bus.get_context_sync()
    assert len(context) == n and list(context)[:3] == ["key0", "key1", "key2"]
    assert bus.context_version_sync() == n
    bus.close_sync()
    # ~60 bytes of data per update: a few MB at most (full copies would be ~130 MB).
    assert on_disk(path) < 2 * 1024 * 1024


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_every_version_is_rebuilt_exactly(tmp_path: Path, kind: str) -> None:
    bus = ContextBus(tmp_path / "bus.sqlite" if kind == "sqlite" else "memory", session_id="s")
    written = [
        bus.set_context_sync({"a": 1, "b": {"nested": [1, 2]}}),
        bus.update_context_sync({"c": "three"}),
        bus.update_context_sync({"a": 10}),  # a changed key keeps its place
        bus.set_context_sync({"z": None}),  # a replace drops the others
        bus.update_context_sync({"y": True}),
    ]
    history = bus.context_history_sync()
    assert [h.version for h in history] == [1, 2, 3, 4, 5]
    assert [h.data for h in history] == [w.data for w in written]
    assert list(history[2].data.items()) == [("a", 10), ("b", {"nested": [1, 2]}), ("c", "three")]
    assert bus.get_context_sync() == {"z": None, "y": True}
    written[-1].data["y"] = "changed by the caller"  # callers hold copies, never the store's
    assert bus.get_context_sync() == {"z": None, "y": True}
    assert bus.get_context_sync("another-session") == {}
    bus.close_sync()


def test_a_steps_turns_commit_together_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "bus.sqlite"
    bus = ContextBus(path, session_id="s")
    bus.append_turns_sync(None, [("user", "first", None)])
    conn = sqlite3.connect(path)  # a failure on the second row of a batch
    conn.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON turns WHEN new.content = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'the disk failed here'); END"
    )
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match=str(path)):
        bus.append_turns_sync(
            None, [("user", "question", None), ("assistant", "poison", "m"), ("user", "more", None)]
        )
    assert [t["content"] for t in bus.conversation_sync()] == ["first"]
    bus.close_sync()
