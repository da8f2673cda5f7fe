"""The columnar sidecar (audit/sidecar.py): used only when it matches the chain, and the
reads are the same with it, without it, and with it damaged, stale or left half-written."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit import sidecar as sidecar_module
from orchestration_kernel.audit import trail as trail_module
from orchestration_kernel.audit.sidecar import ALIGN, SidecarPaths, bring_up_to_date

ROWS = 6 * ALIGN + 300  # above snapshot.MIN_ROWS; 300 rows past the last whole ALIGN


def _record(trail: AuditTrail, start: int, rows: int) -> None:
    for i in range(start, start + rows):
        trail.record(
            "call",
            run_id=f"run{i // 10:05d}",
            model="openai:gpt-4o-mini",
            status="ok",
            latency_ms=412.5 + i % 7,
            input_tokens=57,
            output_tokens=i,
            cost_usd=0.000123,
            detail={"n": i, "tags": ["a", i % 3]},
            prompt=f"Summarise report #{i} for alice@example.com",
            response="Revenue grew 12%.",
        )
    trail.flush()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sidecar-template")
    with pytest.MonkeyPatch.context() as patched:  # no sidecar yet: the tests append
        patched.setattr(sidecar_module, "APPEND_AT_ROWS", 10 * ROWS)
        trail = AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")
        _record(trail, 0, ROWS)
        trail.close()
    return folder


@pytest.fixture
def folder(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "trail"
    shutil.copytree(template, copy)
    return copy


def _open(folder: Path) -> AuditTrail:
    return AuditTrail(folder / "audit.sqlite", key_path=folder / "audit.key")


def _paths(folder: Path) -> SidecarPaths:
    return SidecarPaths.of(str(folder / "audit.sqlite"))


def _outputs(trail: AuditTrail, folder: Path, tag: str) -> dict[str, object]:
    """Every whole-trail read: the frame and each export's bytes."""
    out: dict[str, object] = {"frame": trail.to_dataframe()}
    for suffix in ("parquet", "csv", "jsonl"):
        path = folder / f"{tag}.{suffix}"
        trail.export(path)
        out[suffix] = path.read_bytes()
    return out


def _without_sidecar(trail: AuditTrail, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    with monkeypatch.context() as patched:
        patched.setattr(trail_module, "sidecar_table", lambda store, conn: None)
        return _outputs(trail, folder, "plain")


def _same(a: dict[str, object], b: dict[str, object]) -> None:
    pd.testing.assert_frame_equal(a["frame"], b["frame"], check_exact=True)  # type: ignore[arg-type]
    for suffix in ("parquet", "csv", "jsonl"):
        assert a[suffix] == b[suffix], suffix


def _uses_sidecar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the old whole-trail readers fail: a read that still works used the sidecar."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read from the snapshot, not the sidecar")

    monkeypatch.setattr(trail_module, "read_trail_parts", refuse)
    monkeypatch.setattr(trail_module, "read_whole_trail", refuse)


def test_the_sidecar_takes_settled_rows_in_whole_aligns_and_is_owner_only(folder: Path) -> None:
    trail = _open(folder)
    assert bring_up_to_date(trail._store) == 6 * ALIGN
    assert bring_up_to_date(trail._store) == 0  # the 300 left are fewer than ALIGN
    paths = _paths(folder)
    for path in (paths.data, paths.record, paths.lock):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    record = json.loads(paths.record.read_text())
    assert (record["rows"], record["last"]) == (6 * ALIGN, 6 * ALIGN)
    report = trail.verify()
    assert report.ok and report.sidecar.startswith("matches")
    trail.close()


def test_reads_are_the_same_from_the_sidecar_and_its_tail(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = _open(folder)
    plain = _without_sidecar(trail, folder, monkeypatch)
    bring_up_to_date(trail._store)
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "side"), plain)
    # A stale sidecar: rows committed since are read from SQLite after it.
    _record(trail, ROWS, 2 * ALIGN + 5)
    later = _without_sidecar(trail, folder, monkeypatch)
    assert len(later["frame"]) == ROWS + 2 * ALIGN + 5  # type: ignore[arg-type]
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "stale"), later)
    # The read appended the whole ALIGNs it took from SQLite.
    assert trail.verify().sidecar == f"matches (rows through seq {8 * ALIGN})"
    trail.close()


def _tamper_data(folder: Path) -> None:
    data = _paths(folder).data
    raw = bytearray(data.read_bytes())
    at = raw.find(b"Summarise report #1")
    raw[at : at + 9] = b"FORGED!!!"
    data.write_bytes(bytes(raw))


def _forge_record(folder: Path) -> None:
    path = _paths(folder).record
    record = json.loads(path.read_text())
    record["last"] -= ALIGN  # claims fewer rows: the MAC no longer holds
    path.write_text(json.dumps(record))


def _truncate(folder: Path) -> None:
    data = _paths(folder).data
    os.truncate(data, data.stat().st_size - 100)


@pytest.mark.parametrize("damage", [_tamper_data, _forge_record, _truncate])
def test_a_damaged_sidecar_is_ignored_and_verify_says_so(
    folder: Path, monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    trail = _open(folder)
    bring_up_to_date(trail._store)
    plain = _without_sidecar(trail, folder, monkeypatch)
    damage(folder)  # type: ignore[operator]
    report = trail.verify()
    assert report.ok, "the database is intact: the sidecar is only a cache"
    assert report.sidecar.startswith("ignored"), report.sidecar
    got = _outputs(trail, folder, "damaged")
    _same(got, plain)
    assert not got["frame"]["prompt"].str.contains("FORGED").any()  # type: ignore[index]
    # The next append rebuilds it from the database, and it is used again.
    bring_up_to_date(trail._store)
    assert trail.verify().sidecar.startswith("matches")
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "rebuilt"), plain)
    trail.close()


def test_an_edit_of_the_database_makes_the_sidecar_stale(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row edited with raw SQL (its triggers dropped first): reads show the database's
    rows, as they did before the sidecar existed; verify reports the broken chain."""
    trail = _open(folder)
    bring_up_to_date(trail._store)
    conn = sqlite3.connect(folder / "audit.sqlite")
    conn.executescript(
        "DROP TRIGGER audit_events_no_update; "
        "UPDATE audit_events SET model = 'edited' WHERE seq = 10"
    )
    conn.close()
    frame = trail.to_dataframe()
    assert frame.loc[frame["seq"] == 10, "model"].item() == "edited"
    plain = _without_sidecar(trail, folder, monkeypatch)
    _same(_outputs(trail, folder, "edited"), plain)
    report = trail.verify()
    assert not report.ok and report.first_broken == 10
    assert report.sidecar.startswith("ignored")
    trail.close()


def test_a_prune_retires_the_sidecar_until_it_is_rebuilt(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = _open(folder)
    bring_up_to_date(trail._store)
    # Rows are pruned by age: a cutoff just after row 1,000's timestamp.
    monkeypatch.setattr(trail_module, "prune", _prune_first(1000))
    assert trail.prune(timedelta(days=1)) == 1000
    plain = _without_sidecar(trail, folder, monkeypatch)
    assert trail.verify().sidecar.startswith("ignored")
    _same(_outputs(trail, folder, "pruned"), plain)
    assert bring_up_to_date(trail._store) > 0
    assert trail.verify().sidecar.startswith("matches")
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "pruned-rebuilt"), plain)
    trail.close()


def _prune_first(rows: int):  # type: ignore[no-untyped-def]
    """``retention.prune`` with a cutoff just after row ``rows``'s timestamp."""
    from orchestration_kernel.audit import retention

    def prune(store, encoder, older_than, identity=None):  # type: ignore[no-untyped-def]
        with store.reading() as conn:
            cutoff = conn.execute(
                "SELECT timestamp FROM audit_events WHERE seq = ?", (rows + 1,)
            ).fetchone()[0]
        original = retention.format_timestamp
        retention.format_timestamp = lambda moment: cutoff  # type: ignore[assignment]
        try:
            return retention.prune(store, encoder, older_than, identity)
        finally:
            retention.format_timestamp = original

    return prune


_KILLED_APPEND = """
import os, signal, sys
from orchestration_kernel.audit import AuditTrail, sidecar
folder = sys.argv[1]
trail = AuditTrail(folder + "/audit.sqlite", key_path=folder + "/audit.key")
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the data is written, the record is not
sidecar._write_record = killed
sidecar.bring_up_to_date(trail._store)
"""


def test_a_kernel_killed_mid_append_leaves_a_sidecar_that_still_matches(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = _open(folder)
    bring_up_to_date(trail._store)
    _record(trail, ROWS, 3 * ALIGN)
    before = _paths(folder).data.stat().st_size
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_APPEND, str(folder)], capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL
    assert _paths(folder).data.stat().st_size > before  # bytes past what the record covers
    assert trail.verify().sidecar == f"matches (rows through seq {6 * ALIGN})"
    plain = _without_sidecar(trail, folder, monkeypatch)
    assert bring_up_to_date(trail._store) == 3 * ALIGN  # overwrites what the kill left
    assert trail.verify().sidecar == f"matches (rows through seq {9 * ALIGN})"
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "after-kill"), plain)
    trail.close()


def test_two_kernels_on_one_trail_append_in_turn(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _open(folder), _open(folder)
    assert bring_up_to_date(first._store) == 6 * ALIGN
    _record(second, ROWS, ALIGN)
    _record(first, ROWS + ALIGN, ALIGN)
    assert bring_up_to_date(second._store) == 2 * ALIGN
    plain = _without_sidecar(first, folder, monkeypatch)
    for trail in (first, second):
        with monkeypatch.context() as patched:
            _uses_sidecar(patched)
            _same(_outputs(trail, folder, "two"), plain)
    # While one holds the lock, the other's append is skipped, not waited for.
    with sidecar_module._locked(_paths(folder).lock) as mine:
        assert mine
        _record(second, ROWS + 2 * ALIGN, ALIGN)
        assert bring_up_to_date(first._store) == 0
    first.close()
    second.close()


def test_the_checkpoint_thread_appends_after_a_checkpoint(folder: Path) -> None:
    trail = _open(folder)
    checkpointer = trail._store._checkpointer
    assert checkpointer is not None
    runs = checkpointer.runs
    checkpointer.request()
    import time

    deadline = time.monotonic() + 60
    while checkpointer.runs == runs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert trail.verify().sidecar == f"matches (rows through seq {6 * ALIGN})"
    trail.close()


def _checkpoint_hook(trail: AuditTrail):  # type: ignore[no-untyped-def]
    checkpointer = trail._store._checkpointer
    assert checkpointer is not None and len(checkpointer.after) == 1
    return checkpointer.after[0]


def test_rows_this_writer_committed_are_appended_without_reading_them_back(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = _open(folder)
    _record(trail, ROWS, ALIGN - 300)  # 7 whole ALIGNs in all
    # Up to date, from SQLite (most rows were written by another trail object).
    assert bring_up_to_date(trail._store) == 7 * ALIGN
    _record(trail, 7 * ALIGN, 3 * ALIGN)
    with monkeypatch.context() as patched:

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("read back from SQLite")

        patched.setattr(sidecar_module, "rows_after", refuse)
        assert _checkpoint_hook(trail)() == 3 * ALIGN
    plain = _without_sidecar(trail, folder, monkeypatch)
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "settled"), plain)
    trail.close()


@pytest.mark.parametrize("value", [-0.0, float("nan")])
def test_a_float_sqlite_gives_back_otherwise_is_read_back_from_sqlite(
    folder: Path, monkeypatch: pytest.MonkeyPatch, value: float
) -> None:
    """SQLite stores NaN as NULL and -0.0 as 0.0: the rows as the writer gave them would
    not be the rows a read gives; such a batch is read back from the database."""
    trail = _open(folder)
    bring_up_to_date(trail._store)
    _record(trail, ROWS, ALIGN)
    trail.record("call", latency_ms=value, cost_usd=value, prompt="odd float")
    _record(trail, ROWS + ALIGN + 1, ALIGN)
    assert _checkpoint_hook(trail)() == 2 * ALIGN
    plain = _without_sidecar(trail, folder, monkeypatch)
    frame = plain["frame"]
    odd = frame.loc[frame["prompt"] == "odd float"]  # type: ignore[index]
    assert odd["cost_usd"].isna().all() or (odd["cost_usd"] == 0.0).all()
    with monkeypatch.context() as patched:
        _uses_sidecar(patched)
        _same(_outputs(trail, folder, "odd-float"), plain)
    trail.close()
