"""``Commit`` (what ``reply.committed`` is) and ``atomic_path`` on their own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orchestration_kernel.errors import AuditWriteError
from orchestration_kernel.storage.commit import Commit
from orchestration_kernel.storage.files import atomic_path


def later(outcome: BaseException | None, delay: float = 0.05):
    """A register function whose writer answers from another thread, a little later."""

    def register(notify) -> None:
        threading.Timer(delay, notify, args=(outcome,)).start()

    return register


async def test_awaiting_a_commit_returns_or_raises_what_the_writer_said() -> None:
    await Commit(later(None))
    with pytest.raises(AuditWriteError, match="disk full"):
        await Commit(later(AuditWriteError("disk full", "/x/audit.sqlite", "disk full")))
    await Commit.settled()
    assert "settled" in repr(Commit.settled())


def test_waiting_on_a_commit_from_plain_code() -> None:
    Commit(later(None)).wait(timeout=10)
    Commit.settled().wait()
    with pytest.raises(AuditWriteError):
        Commit(later(AuditWriteError("no", None, None))).wait(timeout=10)
    with pytest.raises(TimeoutError):
        Commit(lambda notify: None).wait(timeout=0.01)  # a writer that never answers


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.suffix == ".csv" and tmp.parent == folder
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in folder.iterdir()] == ["out.csv"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
