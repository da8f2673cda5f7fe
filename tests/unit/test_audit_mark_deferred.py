"""The batch writer wakes the runs waiting for a commit before it writes the high-water
mark: the mark is tamper evidence (not fsynced, allowed to lag), not part of "committed"."""

from __future__ import annotations

from pathlib import Path

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.mark import HighWaterMark


def _mark(trail: AuditTrail) -> HighWaterMark:
    mark = trail._store.mark
    assert mark is not None
    return mark


async def test_a_run_is_woken_before_the_mark_is_written_and_the_mark_follows(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s", flush_interval=30.0)
    mark = _mark(trail)
    seen: list[tuple[int, int]] = []  # (waiters still waiting, seq) at each mark write
    write = mark.advance

    def advancing(seq: int, head: str) -> None:
        seen.append((len(trail._writer._waiters), seq))
        write(seq, head)

    mark.advance = advancing  # type: ignore[method-assign]
    for i in range(3):
        trail.record("run_end", run_id=f"r{i}", status="done")
        head = await trail.aflush()  # returns once the rows are committed
        assert trail.verify().ok  # a read flushes: by then the mark is written
        assert mark.read() == (i + 1, head)
    assert [s for _, s in seen] == [1, 2, 3]
    assert all(waiting == 0 for waiting, _ in seen)  # nobody waited for the mark write
    trail.close()


def test_a_store_without_the_writer_writes_its_mark_in_append(tmp_path: Path) -> None:
    from orchestration_kernel.audit.store import AuditStore

    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    trail.close()
    plain = AuditStore(trail._store.path, trail._store.key)
    assert plain.defer_mark is False
    row = trail._encoder.encode((1.0, "call", {"run_id": "r"}, None, True))
    stored = plain.append([row])
    assert _store_mark(plain).read() == (stored[-1][0], stored[-1][-1])
    plain.advance_mark()  # nothing due: a no-op
    assert _store_mark(plain).read() == (stored[-1][0], stored[-1][-1])
    plain.close()


def test_a_deferred_mark_is_written_by_advance_mark(tmp_path: Path) -> None:
    from orchestration_kernel.audit.store import AuditStore

    trail = AuditTrail(tmp_path / "audit.sqlite", session_id="s")
    trail.close()
    store = AuditStore(trail._store.path, trail._store.key)
    store.defer_mark = True
    row = trail._encoder.encode((1.0, "call", {"run_id": "r"}, None, True))
    stored = store.append([row])
    assert _store_mark(store).read() is None  # committed; the mark not yet written
    store.advance_mark()
    assert _store_mark(store).read() == (stored[-1][0], stored[-1][-1])
    store.close()


def _store_mark(store: object) -> HighWaterMark:
    mark = getattr(store, "mark", None)
    assert isinstance(mark, HighWaterMark)
    return mark
