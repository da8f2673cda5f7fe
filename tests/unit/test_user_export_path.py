"""An audit export to a path that cannot be written says so, in one line (session 16).

``engine.audit.export("/proc/nope/runs.parquet")`` raised ``FileNotFoundError`` from inside
``Path.mkdir`` or ``tempfile.mkstemp``, with their frames and a temporary file's name
instead of the path given. Now it is an ``ExportError`` (a ``StorageError``, still an
``OSError`` with the same errno) naming the path, the cause and what to do; a notebook
shows it without our frames, and nothing is left behind.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.errors import ExportError, StorageError


@pytest.fixture
def trail(tmp_path: Path) -> AuditTrail:
    trail = AuditTrail(tmp_path / "audit.db")
    trail.record("run_start", run_id="r1", pipeline="demo")
    trail.flush()
    return trail


@pytest.mark.parametrize(
    "where, cause",
    [
        ("/proc/nope/runs.parquet", "its folder does not exist, or cannot hold new files"),
        ("{tmp}/a-file/runs.csv", "a part of the path is a file, not a folder"),
        ("{tmp}/a-folder", "the path is a folder"),
    ],
)
def test_an_unwritable_path_is_named_with_its_cause(
    trail: AuditTrail, tmp_path: Path, where: str, cause: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-folder.jsonl").mkdir()
    target = where.format(tmp=tmp_path).replace("a-folder", "a-folder.jsonl")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(ExportError) as caught:
        trail.export(target)
    error = caught.value
    assert str(error).startswith(f"Cannot write the export to {target!r}: {cause}.")
    assert isinstance(error, StorageError) and isinstance(error, OSError)
    assert error.path == target and error.errno is not None
    assert error.__suppress_context__  # shown alone, not after pathlib's own traceback
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no temporary file left


def test_permission_denied_is_said_so(
    trail: AuditTrail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration_kernel.audit.trail as trail_module

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(trail_module, "atomic_path", refuse)
    with pytest.raises(ExportError, match="permission denied") as caught:
        trail.export(tmp_path / "runs.csv")
    assert caught.value.errno == errno.EACCES


def test_a_writable_path_still_exports(trail: AuditTrail, tmp_path: Path) -> None:
    written = trail.export(tmp_path / "new" / "runs.csv")
    assert written.exists() and "r1" in written.read_text()
