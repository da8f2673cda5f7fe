"""Private homes and files, atomic exports, and clear errors for bad files (issue 14,
items 4, 5 and 9)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail, read_back
from orchestration_kernel.bus import ContextBus
from orchestration_kernel.errors import OrchestrationError, StorageError
from orchestration_kernel.session import default_home
from orchestration_kernel.storage import files

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix
def test_a_new_home_is_0700_and_every_file_in_it_0600(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "fresh" / "home"
    monkeypatch.setenv("ORCHESTRATION_HOME", str(home))
    assert default_home() == home and mode(home) == 0o700
    with AuditTrail(home / "audit.sqlite", session_id="s") as trail:
        trail.record("run_start", run_id="r", prompt="a private prompt")
        trail.flush()
        exported = trail.export(home / "out" / "rows.parquet")
        csv = trail.export(tmp_path / "rows.csv")
    bus = ContextBus(home / "bus.sqlite", session_id="s")
    bus.set_context_sync({"secret": "plans"})
    bus.close_sync()
    made = [p for p in home.rglob("*") if p.is_file()] + [csv]
    names = {p.name for p in made}
    assert {"audit.sqlite", "audit.key", "bus.sqlite", "rows.parquet", "rows.csv"} <= names
    assert {p.name: oct(mode(p)) for p in made} == {p.name: oct(0o600) for p in made}
    assert exported.name == "rows.parquet"


@posix
def test_an_existing_home_readable_by_others_warns_once(tmp_path: Path, caplog) -> None:
    home = tmp_path / "shared"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    with caplog.at_level(logging.WARNING, "orchestration_kernel.storage"):
        files.private_dir(home)
        files.private_dir(home)
    warnings = [r.getMessage() for r in caplog.records if str(home) in r.getMessage()]
    assert len(warnings) == 1 and "chmod 700" in warnings[0]
    assert mode(home) == 0o755  # the user's choice is left alone


KILL_MID_EXPORT = textwrap.dedent(
    """
    import os, signal, sys
    import pandas as pd
    from orchestration_kernel.audit import AuditTrail
    real = pd.DataFrame.to_csv
    def dying(self, path, *a, **k):
        with open(path, "w") as f:
            f.write("seq,half a row")
            f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    pd.DataFrame.to_csv = dying
    trail = AuditTrail(sys.argv[1], key_path=sys.argv[2], session_id="s")
    trail.export(sys.argv[3])
    """
)


@posix
def test_a_kill_mid_export_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    db, key, out = tmp_path / "a.sqlite", tmp_path / "a.key", tmp_path / "runs.csv"
    with AuditTrail(db, key_path=key, session_id="s") as trail:
        for i in range(5):
            trail.record("call", run_id=f"r{i}", prompt="p")
        trail.export(out)
    before = out.read_bytes()
    done = subprocess.run(
        [sys.executable, "-c", KILL_MID_EXPORT, str(db), str(key), str(out)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    assert out.read_bytes() == before
    assert list(read_back(out).run_id) == [f"r{i}" for i in range(5)]


# -- bad files: a clear error naming the file, never a bare sqlite3 error ---------------


def garble(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def make_audit(path: Path) -> None:
    with AuditTrail(path, session_id="s") as trail:
        for i in range(300):
            trail.record("call", run_id=f"r{i}", prompt="x" * 500)


def make_bus(path: Path) -> None:
    bus = ContextBus(path, session_id="s")
    for i in range(50):
        bus.update_context_sync({f"k{i}": "v" * 500})
    bus.close_sync()


def foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    conn.commit()
    conn.close()


def open_audit(path: Path) -> None:
    with AuditTrail(path, session_id="s") as trail:
        trail.to_dataframe()


def open_bus(path: Path) -> None:
    bus = ContextBus(path, session_id="s")
    try:
        bus.get_context_sync()
    finally:
        bus.close_sync()


@pytest.mark.parametrize("opener,maker", [(open_audit, make_audit), (open_bus, make_bus)])
@pytest.mark.parametrize("damage", ["garbled", "truncated", "foreign"])
def test_a_damaged_or_foreign_database_is_a_storage_error_naming_it(
    tmp_path: Path, opener, maker, damage: str
) -> None:
    path = tmp_path / "store.sqlite"
    if damage == "foreign":
        foreign(path)
    else:
        maker(path)
        for side in ("-wal", "-shm"):
            Path(str(path) + side).unlink(missing_ok=True)
        (garble if damage == "garbled" else truncate)(path)
    with pytest.raises(StorageError) as caught:
        opener(path)
    assert str(path) in str(caught.value)
    assert "move" in str(caught.value).lower()  # says what to do
    assert not isinstance(caught.value, sqlite3.Error)


@contextlib.contextmanager
def read_only_folder(path: Path):
    """A folder nobody can write: a read-only tmpfs as root (modes do not stop root)."""
    path.mkdir()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip("cannot mount a read-only tmpfs here")
        try:
            yield path
        finally:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        return
    os.chmod(path, 0o500)
    try:
        yield path
    finally:
        os.chmod(path, 0o700)


@posix
@pytest.mark.parametrize("opener", [open_audit, open_bus])
def test_a_read_only_home_is_a_storage_error_naming_it(tmp_path: Path, opener) -> None:
    with read_only_folder(tmp_path / "ro") as home, pytest.raises(StorageError) as caught:
        opener(home / "store.sqlite")
    assert str(home) in str(caught.value)  # the key or the database, by full path
    assert "read-only" in str(caught.value) or "writable" in str(caught.value)


def test_a_binary_key_file_is_an_error_naming_it(tmp_path: Path) -> None:
    key = tmp_path / "audit.key"
    key.write_bytes(bytes(range(256)))
    os.chmod(key, 0o600)
    with pytest.raises(OrchestrationError) as caught:
        AuditTrail(tmp_path / "a.sqlite", key_path=key, session_id="s")
    assert str(key) in str(caught.value) and "not a valid key" in str(caught.value)


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    AuditTrail(path, session_id="s").close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE audit_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="newer than this release"):
        AuditTrail(path, session_id="s")


def test_a_database_damaged_while_open_is_a_storage_error_on_read(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    make_audit(path)
    trail = AuditTrail(path, session_id="s")
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536  # the header's page size (1: 64 KiB)
    data[page : 2 * page] = os.urandom(page)  # a page of the table, garbled under us
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError) as caught:
        trail.to_dataframe()
        trail.verify()
    assert str(path) in str(caught.value) and "not a database" in str(caught.value)
    with contextlib.suppress(StorageError):
        trail.close()
