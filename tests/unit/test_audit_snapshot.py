"""The whole trail read through a private snapshot into Arrow (``audit.snapshot``) gives
the very frame, export and file the stdlib path gives, whatever the rows hold; and it
leaves nothing behind."""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestration_kernel.audit import AuditTrail, snapshot
from orchestration_kernel.audit.export import read_back
from orchestration_kernel.audit.frames import KINDS, frame_from_rows
from orchestration_kernel.audit.query import select_sql
from orchestration_kernel.audit.store import ALL_COLUMNS

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def through_snapshot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every whole read goes through the snapshot (small trails too); its temporary
    folders go under the returned path."""
    monkeypatch.setattr(snapshot, "MIN_ROWS", 1)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    return temp


def _record_plain(trail: AuditTrail, rows: int) -> None:
    for i in range(rows):
        trail.record(
            "call" if i % 7 else "guardian",
            run_id=f"run{i // 5}",
            model=["openai:gpt-4o", "anthropic:claude", "名前 🚀"][i % 3],
            attempt=None if i % 4 == 0 else i,
            latency_ms=[412.5, 0.1 + 0.2, 1e-05, 1e16, -0.0, 5e-324, None][i % 7],
            cost_usd=None if i % 3 else 1.5e-05 * i,
            input_tokens=[2**53 + 1, 2**63 - 1, -(2**63), 0, None][i % 5],
            status="error" if i % 11 == 0 else "ok",
            error_type="ValueError" if i % 11 == 0 else None,  # NULL in the first rows
            replayed=None if i % 2 else bool(i % 4),
            prompt=f'line\none\ttab "quoted" \\ é {i}' if i % 5 else "",
            response="\u2028 \x7f \x00 nul" if i % 9 == 0 else f"reply {i}",
            guardian_reasons=["pii", "é"] if i % 6 == 0 else None,
            detail={"n": i, "big": 2**70, "f": 0.1 * i, "s": "ü", "nested": {"a": [1, None]}},
        )


def _stdlib_frame(trail: AuditTrail, decode_json: bool = True) -> pd.DataFrame:
    sql, params = select_sql()
    return frame_from_rows(trail._rows(sql, params), decode_json=decode_json)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.dtypes) == list(b.dtypes)


def test_a_plain_trail_is_read_through_the_snapshot_into_the_same_frame(
    tmp_path: Path, through_snapshot: Path
) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 300)
        trail.flush()
        assert snapshot.read_whole_trail(trail._store) is not None  # the fast path is taken
        for decode_json in (True, False):
            _same(trail._frame(*select_sql(), True, decode_json), _stdlib_frame(trail, decode_json))
        _same(trail.to_dataframe(), _stdlib_frame(trail))
    assert list(through_snapshot.iterdir()) == []  # every snapshot removed


def test_the_snapshot_is_private_while_it_exists(
    tmp_path: Path, through_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int]] = []
    take = snapshot._snapshot

    def spy(store: object, copy: Path) -> bool:
        taken = take(store, copy)  # type: ignore[arg-type]
        seen.append((stat.S_IMODE(copy.parent.stat().st_mode), stat.S_IMODE(copy.stat().st_mode)))
        return taken

    monkeypatch.setattr(snapshot, "_snapshot", spy)
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 20)
        trail.to_dataframe()
    assert seen == [(0o700, 0o600)]
    assert list(through_snapshot.iterdir()) == []


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_exports_are_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 200)
        monkeypatch.setattr(snapshot, "MIN_ROWS", 10**9)  # the stdlib path
        before = trail.export(tmp_path / f"before{suffix}")
        monkeypatch.setattr(snapshot, "MIN_ROWS", 1)
        after = trail.export(tmp_path / f"after{suffix}")
    _same(read_back(after), read_back(before))
    if suffix == ".parquet":
        old, new = pq.read_table(before), pq.read_table(after)
        assert new.equals(old) and new.schema.metadata == old.schema.metadata
    else:
        assert after.read_bytes() == before.read_bytes()


def _insert_raw(path: Path, rows: list[dict[str, object]]) -> None:
    """Rows written behind the trail's back (no hash chain: reads do not care)."""
    conn = sqlite3.connect(path)
    start = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_events").fetchone()[0] + 1
    for seq, given in enumerate(rows, start):
        row = {"seq": seq, "prev_hash": "p", "hash": "h", **given}
        names = ", ".join(row)
        conn.execute(
            f"INSERT INTO audit_events ({names}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    conn.commit()
    conn.close()


ODD = [
    {"input_tokens": "12"},  # numeric text: an integer by affinity
    {"input_tokens": "twelve"},  # text in an INTEGER column
    {"input_tokens": 2.5},  # a fraction in an INTEGER column
    {"replayed": 3.0},  # an integral real: an integer by affinity
    {"latency_ms": "fast"},  # text in a REAL column
    {"latency_ms": 7},  # an integer in a REAL column: a real by affinity
    {"model": 7},  # a number in a TEXT column: text by affinity
    {"model": 2.5},
    {"model": b"bytes as text"},  # a blob of UTF-8 in a TEXT column
    {"model": b"\xff\xfe"},  # a blob that is not UTF-8
    {"detail": b'{"a": 1}'},  # a blob in a JSON column
    {"detail": "not json"},
    {"detail": 12},  # a number in a JSON column: text by affinity
    {"guardian_reasons": b"[]"},
    {"timestamp": b"2026-01-01T00:00:00+00:00"},
    {"timestamp": 1700000000},  # text by affinity
    {"cost_usd": b"\x00"},
    {"attempt": b"\x01"},
    {"error_type": "late text after NULLs"},
]


@pytest.mark.parametrize("batch_rows", ["65536", "2"])  # the odd row in the first batch, or later
@pytest.mark.parametrize("odd", ODD, ids=[repr(o)[:40] for o in ODD])
def test_a_trail_with_an_odd_value_reads_as_the_stdlib_reads_it(
    tmp_path: Path,
    through_snapshot: Path,
    odd: dict[str, object],
    batch_rows: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(snapshot, "_BATCH_ROWS", batch_rows)
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 30)
        trail.flush()
        _insert_raw(tmp_path / "a.sqlite", [{"timestamp": "2026-01-01T00:00:00+00:00", **odd}])
        expected = {}
        for decode_json in (True, False):
            try:
                expected[decode_json] = _stdlib_frame(trail, decode_json)
            except Exception as exc:  # e.g. text SQLite cannot decode: the same error
                expected[decode_json] = exc
        for decode_json, want in expected.items():
            if isinstance(want, Exception):
                with pytest.raises(type(want)):
                    trail._frame(*select_sql(), True, decode_json)
            else:
                _same(trail._frame(*select_sql(), True, decode_json), want)
    assert list(through_snapshot.iterdir()) == []


def test_text_that_is_not_utf8_reads_the_same_both_ways(
    tmp_path: Path, through_snapshot: Path
) -> None:
    from orchestration_kernel.audit.odd_cells import AuditReadWarning

    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 30)
        trail.flush()
        conn = sqlite3.connect(tmp_path / "a.sqlite")
        conn.execute(
            "INSERT INTO audit_events (seq, model, prev_hash, hash) "
            "VALUES (1000, CAST(x'ff' AS TEXT), 'p', 'h')"
        )
        conn.commit()
        conn.close()
        # Read with a replacement character and a warning naming the row (odd_cells).
        with pytest.warns(AuditReadWarning, match=r"seq 1000 \(model\)"):
            stdlib = _stdlib_frame(trail)
        with pytest.warns(AuditReadWarning, match=r"seq 1000 \(model\)"):
            snapshotted = trail.to_dataframe()
        _same(snapshotted, stdlib)
        assert stdlib["model"].iloc[-1] == "\ufffd"
    assert list(through_snapshot.iterdir()) == []


def _random_value(rng: random.Random, kind: str, odd: bool) -> object:
    pick = rng.random()
    if pick < 0.25:
        return None
    if pick < 0.95 or not odd:  # the column's own kind
        if kind in ("int", "bool"):
            return rng.choice([0, 1, -1, 2**53 + 1, 2**63 - 1, -(2**63), rng.randint(-99, 99)])
        if kind == "float":
            return rng.choice([0.1 + 0.2, -0.0, 5e-324, 1e308, rng.random() * 1e6, 3.0])
        if kind == "json":
            return rng.choice(['{"a": 1}', "[1, 2.5, null]", '"é\\u2028"', "null", "{}"])
        if kind == "time":
            return rng.choice(["2026-11-25T10:00:00.000001+00:00", "2026-01-01T00:00:00Z"])
        return rng.choice(["", "text", "é 🚀", "a\x00b", "12", "line\nbreak"])
    return rng.choice([1, 2.5, "x", b"bytes", b"\xc3\xa9", "2.5", "7"])  # anything else


@pytest.mark.parametrize("seed", range(12))
def test_random_trails_read_alike_both_ways(
    tmp_path: Path, through_snapshot: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "_BATCH_ROWS", str(1 + seed % 7 * 10))  # odd values late too
    monkeypatch.setattr(snapshot, "PARTS", 1 + seed % 3)
    monkeypatch.setattr(snapshot, "SPLITS", 1 + seed % 5)  # parts typed one by one
    rng = random.Random(seed)
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s") as trail:
        trail.record("call")  # the schema
        trail.flush()
        # Half the trails are plain (every value of its column's kind), half not.
        odd = seed % 2 == 0
        columns = [c for c in ALL_COLUMNS if c not in ("seq", "prev_hash", "hash")]
        rows = [
            {c: _random_value(rng, KINDS[c], odd) for c in columns}
            for _ in range(rng.randint(1, 60))
        ]
        _insert_raw(path, rows)
        if not odd:
            assert snapshot.read_whole_trail(trail._store) is not None
        for decode_json in (True, False):
            try:
                want: pd.DataFrame | Exception = _stdlib_frame(trail, decode_json)
            except Exception as exc:
                want = exc
            if isinstance(want, Exception):
                with pytest.raises(type(want)):
                    trail._frame(*select_sql(), True, decode_json)
            else:
                _same(trail._frame(*select_sql(), True, decode_json), want)


@pytest.mark.parametrize("splits", [1, 2, 3, 5, 8])
def test_json_cells_that_parse_only_together_read_alike_however_the_parts_fall(
    tmp_path: Path, through_snapshot: Path, splits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``to_dataframe()`` decodes the JSON of each part of the snapshot while later ones
    are read (``frames.typed_in_part``). Cells that are not JSON one by one but parse as
    the right number of values once joined (``[1`` then ``2],3``) decode as the stdlib
    path decodes them whether a part boundary falls between them or not: a part that does
    not parse leaves the whole column to the path it always took."""
    monkeypatch.setattr(snapshot, "SPLITS", splits)
    path = tmp_path / "a.sqlite"
    with AuditTrail(path, session_id="s") as trail:
        _record_plain(trail, 4)
        trail.flush()
        _insert_raw(path, [{"detail": "[1"}, {"detail": "2],3"}, {"detail": '{"ok": 1}'}])
        _insert_raw(path, [{"detail": '{"n": 9}'}, {"timestamp": "2026-01-01 00:00:00"}])
        read = snapshot.read_trail_parts(trail._store, lambda table: table.num_rows)
        assert read is not None and sum(read[1]) == read[0].num_rows == 9
        assert len(read[1]) == len(snapshot._split(1, 9, splits))  # parts: seq ranges
        for decode_json in (True, False):
            _same(trail._frame(*select_sql(), True, decode_json), _stdlib_frame(trail, decode_json))


def test_without_the_driver_the_stdlib_path_reads(
    tmp_path: Path, through_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "adbc_driver_sqlite.dbapi", None)  # import fails
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 30)
        trail.flush()
        assert snapshot.read_whole_trail(trail._store) is None
        _same(trail.to_dataframe(), _stdlib_frame(trail))


def test_a_trail_above_the_threshold_takes_the_snapshot_by_default(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, snapshot.MIN_ROWS)
        trail.flush()
        table = snapshot.read_whole_trail(trail._store)
        assert table is not None and table.num_rows == snapshot.MIN_ROWS
        _same(trail.to_dataframe(), _stdlib_frame(trail))
        assert os.path.exists(tmp_path / "a.sqlite")


def test_snapshots_taken_while_the_writer_commits_are_consistent_and_harm_nothing(
    tmp_path: Path, through_snapshot: Path
) -> None:
    import threading

    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=0.01) as trail:
        _record_plain(trail, 50)
        trail.flush()
        stop = threading.Event()

        def write() -> None:
            while not stop.is_set():
                _record_plain(trail, 20)
                trail.flush()

        writer = threading.Thread(target=write)
        writer.start()
        try:
            for _ in range(8):
                table = snapshot.read_whole_trail(trail._store)
                assert table is not None
                seqs = table.column("seq").to_pylist()
                assert seqs == list(range(1, len(seqs) + 1))  # one snapshot: no gap, no tear
                frame = trail.to_dataframe()
                assert frame["seq"].tolist() == list(range(1, len(frame) + 1))
        finally:
            stop.set()
            writer.join()
        assert trail.verify().status == "intact"
        _same(trail.to_dataframe(), _stdlib_frame(trail))
    assert list(through_snapshot.iterdir()) == []


def test_a_memory_trail_or_a_full_temporary_disk_reads_the_stdlib_way(
    tmp_path: Path, through_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from collections import namedtuple

    with AuditTrail(":memory:", session_id="s") as trail:
        _record_plain(trail, 30)
        trail.flush()
        assert snapshot.read_whole_trail(trail._store) is None
        assert len(trail.to_dataframe()) == 30
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1, 1, 0))
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as trail:
        _record_plain(trail, 30)
        trail.flush()
        assert snapshot.read_whole_trail(trail._store) is None
        _same(trail.to_dataframe(), _stdlib_frame(trail))
    assert list(through_snapshot.iterdir()) == []
