"""AuditTrail: recording, redaction, content logging, commit promises, keys and errors."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from orchestration_kernel.audit import EVENT_KINDS, AuditTrail
from orchestration_kernel.audit.rows import REDACTION_FAILED
from orchestration_kernel.errors import AuditWriteError, ConfigurationError, OrchestrationError
from orchestration_kernel.session import Session
from tests.waiting import until, wait_until


@pytest.fixture
def trail(tmp_path: Path):
    t = AuditTrail(tmp_path / "audit.sqlite", session_id="sess-1", identity="tester")
    yield t
    t.close()


def rows(path: Path, sql: str = "SELECT * FROM audit_events ORDER BY seq") -> list[sqlite3.Row]:
    """Read the database with a separate connection, as another process would."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_records_every_event_kind_with_ids_on_every_row(trail: AuditTrail, tmp_path: Path):
    for kind in sorted(EVENT_KINDS):
        trail.record(kind, run_id="run-1", status="ok")
    trail.flush()
    stored = rows(tmp_path / "audit.sqlite")
    assert [r["event"] for r in stored] == sorted(EVENT_KINDS)
    assert {(r["run_id"], r["session_id"], r["identity"]) for r in stored} == {
        ("run-1", "sess-1", "tester")
    }
    assert [r["seq"] for r in stored] == list(range(1, len(EVENT_KINDS) + 1))
    assert trail.verify().ok


def test_explicit_columns_override_trail_defaults(trail: AuditTrail):
    trail.record("step", session_id="other", identity="alice", step="s1")
    row = trail.to_dataframe().iloc[0]
    assert (row["session_id"], row["identity"], row["step"]) == ("other", "alice", "s1")


def test_unknown_event_and_column_are_rejected(trail: AuditTrail):
    with pytest.raises(ValueError, match="Unknown audit event"):
        trail.record("teleport")
    with pytest.raises(TypeError, match="Unknown audit column"):
        trail.record("call", colour="red")
    assert trail.to_dataframe().empty


def test_redactor_applies_to_prompt_response_and_every_detail_string(trail: AuditTrail):
    trail.redactor = lambda text: text.replace("alice@example.com", "[EMAIL]")
    trail.record(
        "call",
        prompt="mail alice@example.com",
        response="sent to alice@example.com",
        detail={"when": {"saw": ["alice@example.com", 3]}, "n": 1},
    )
    row = trail.to_dataframe().iloc[0]
    assert row["prompt"] == "mail [EMAIL]"
    assert row["response"] == "sent to [EMAIL]"
    assert row["detail"] == {"when": {"saw": ["[EMAIL]", 3]}, "n": 1}
    assert trail.search("alice").empty


def test_a_failing_redactor_withholds_content(trail: AuditTrail):
    def broken(text: str) -> str:
        raise RuntimeError("boom")

    trail.redactor = broken
    trail.record("call", prompt="secret text", detail={"x": "secret text"})
    row = trail.to_dataframe().iloc[0]
    assert row["prompt"] == REDACTION_FAILED
    assert row["detail"] == {"x": REDACTION_FAILED}


def test_content_logging_off_keeps_keyed_hashes_and_sizes(trail: AuditTrail, tmp_path: Path):
    trail.content_logging = False
    trail.record("call", prompt="the quick brown fox", response="jumps")
    trail.record("call", prompt="the quick brown fox", response="other")
    frame = trail.to_dataframe()
    assert frame["prompt"].isna().all() and frame["response"].isna().all()
    assert list(frame["prompt_chars"]) == [len("the quick brown fox")] * 2
    assert frame["prompt_hash"].iloc[0] == frame["prompt_hash"].iloc[1]
    assert frame["response_hash"].iloc[0] != frame["response_hash"].iloc[1]
    plain = hashlib.sha256(b"the quick brown fox").hexdigest()
    assert frame["prompt_hash"].iloc[0] != plain  # keyed: not guessable without the key
    raw = (tmp_path / "audit.sqlite").read_bytes()
    assert b"quick brown" not in raw


def test_request_material_is_hashed_with_the_key_and_never_stored(
    trail: AuditTrail, tmp_path: Path
):
    material = "sk-test-" + "q" * 24
    trail.record("call", request_material=material)
    trail.flush()
    stored = rows(tmp_path / "audit.sqlite")[0]
    assert stored["request_hash"] == trail.request_hash(material)
    assert stored["request_hash"] != hashlib.sha256(material.encode()).hexdigest()
    trail.close()
    for file in tmp_path.rglob("*"):
        assert file.is_dir() or material.encode() not in file.read_bytes()


def test_records_are_committed_within_the_flush_interval_without_flush(tmp_path: Path):
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=0.05) as trail:
        trail.record("run_start", run_id="r")
        wait_until(lambda: rows(tmp_path / "a.sqlite"), "the record committed", step=0.02)
        assert len(rows(tmp_path / "a.sqlite")) == 1


def test_a_full_batch_is_committed_early(tmp_path: Path):
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60) as trail:
        for i in range(trail._writer.batch_size):
            trail.record("call", attempt=i)
        wait_until(lambda: not trail.pending, "the full batch committed", step=0.02)
        assert trail.pending == 0


def test_back_pressure_commits_in_the_callers_thread(tmp_path: Path):
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60) as trail:
        trail._writer.batch_size = 10**9  # the writer thread waits for the interval
        trail._writer.max_pending = 50
        for i in range(120):
            trail.record("call", attempt=i)
        assert trail.pending < 50
        assert len(rows(tmp_path / "a.sqlite")) > 50


async def test_aflush_commits_without_blocking_the_loop(tmp_path: Path):
    with AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60) as trail:
        trail.record("run_end", run_id="r", status="ok")
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            ticks += 1

        head, _ = await asyncio.gather(trail.aflush(), tick())
        assert ticks == 1
        assert head == trail.head_hash
        assert [r["event"] for r in rows(tmp_path / "a.sqlite")] == ["run_end"]


def test_record_is_thread_safe_and_keeps_one_chain(trail: AuditTrail):
    import threading

    def work(n: int) -> None:
        for i in range(300):
            trail.record("call", run_id=f"t{n}", attempt=i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    report = trail.verify()
    assert report.ok and report.rows == 1200
    frame = trail.to_dataframe()
    for n in range(4):  # each thread's records keep their order
        attempts = frame.loc[frame["run_id"] == f"t{n}", "attempt"].tolist()
        assert attempts == sorted(attempts)


def test_head_hash_is_the_last_rows_hash(trail: AuditTrail):
    trail.record("run_start")
    first = trail.head_hash
    trail.record("run_end")
    last = trail.to_dataframe()["hash"].iloc[-1]
    assert trail.head_hash == last != first


def test_values_are_normalised_to_what_sqlite_returns(trail: AuditTrail):
    trail.record(
        "call",
        latency_ms=5,  # an int in a REAL column
        cost_usd=float("nan"),
        input_tokens=2**70,  # does not fit SQLite's 64 bits
        output_tokens="12",
        ttft_ms="fast",
        attempt=True,
        prompt="bad \ud800 surrogate",
        guardian_reasons={"b", "a"},
        replayed=1,
    )
    row = trail.to_dataframe().iloc[0]
    assert row["latency_ms"] == 5.0
    assert row["cost_usd"] != row["cost_usd"]  # NaN is stored as missing
    assert row["input_tokens"] is not None and str(row["input_tokens"]) == "<NA>"
    assert row["output_tokens"] == 12
    assert row["attempt"] == 1
    assert "surrogate" in row["prompt"]
    assert row["guardian_reasons"] == ["a", "b"]
    assert bool(row["replayed"]) is True
    assert trail.verify().ok


def test_a_record_that_cannot_be_encoded_is_still_stored(trail: AuditTrail):
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

    trail.record("step", run_id="r", step=Unprintable())  # type: ignore[arg-type]
    row = trail.to_dataframe().iloc[0]
    assert row["run_id"] == "r"
    assert "could not be encoded" in row["detail"]["audit_error"]


def test_a_failed_commit_keeps_the_records_and_raises_on_flush(trail: AuditTrail, monkeypatch):
    store = trail._store
    real = store.append
    calls = {"n": 0}

    def failing(batch):
        calls["n"] += 1
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "append", failing)
    trail.record("run_start", run_id="r")
    with pytest.raises(AuditWriteError, match=r"(?i)could not commit audit records to .*audit"):
        trail.flush()
    assert trail.pending == 1 and calls["n"] >= 1
    monkeypatch.setattr(store, "append", real)
    trail.flush()
    assert trail.pending == 0
    assert list(trail.to_dataframe()["run_id"]) == ["r"]


def test_close_commits_and_is_idempotent(tmp_path: Path):
    trail = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    trail.record("run_start")
    trail.close()
    trail.close()
    assert trail.closed and "closed" in repr(trail)
    assert len(rows(tmp_path / "a.sqlite")) == 1
    with pytest.raises(OrchestrationError, match="closed"):
        trail.record("run_end")


def test_flush_interval_must_be_positive(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="flush_interval"):
        AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=0)


def test_the_table_is_append_only(trail: AuditTrail, tmp_path: Path):
    trail.record("run_start")
    trail.flush()
    conn = sqlite3.connect(tmp_path / "audit.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_events SET model = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_events")
    conn.close()


def test_memory_database(tmp_path: Path):
    with AuditTrail(":memory:", session_id="m") as trail:
        trail.record("call", prompt="hello there", status="ok")
        assert trail.verify().ok
        assert len(trail.search("hello")) == 1
        assert trail.key_path is None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_default_path_and_key_come_from_the_session(tmp_path: Path, monkeypatch):
    session = Session(session_id="nb-test", home=tmp_path)
    monkeypatch.setattr(Session, "_current", session)
    with AuditTrail() as trail:
        trail.record("run_start")
        assert trail.to_dataframe()["session_id"].tolist() == ["nb-test"]
    assert (tmp_path / "audit.sqlite").exists()
    key = tmp_path / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_key_file_is_shared_and_reused(tmp_path: Path):
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as first:
        first.record("run_start")
        digest = first.request_hash("m")
    key = (tmp_path / "audit.key").read_text()
    with AuditTrail(tmp_path / "a.sqlite", session_id="s") as second:
        assert second.request_hash("m") == digest
        assert second.verify().ok
    assert (tmp_path / "audit.key").read_text() == key


@pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX")
def test_a_key_readable_by_others_is_refused(tmp_path: Path):
    AuditTrail(tmp_path / "a.sqlite", session_id="s").close()
    os.chmod(tmp_path / "audit.key", 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        AuditTrail(tmp_path / "a.sqlite", session_id="s")


def test_a_corrupt_key_is_refused(tmp_path: Path):
    key = tmp_path / "k"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not hex")
    os.close(fd)
    with pytest.raises(ConfigurationError, match="not a valid key"):
        AuditTrail(tmp_path / "a.sqlite", key_path=key, session_id="s")


def test_a_database_written_under_another_key_is_refused(tmp_path: Path):
    AuditTrail(tmp_path / "a.sqlite", key_path=tmp_path / "k1", session_id="s").close()
    with pytest.raises(ConfigurationError, match="different audit key"):
        AuditTrail(tmp_path / "a.sqlite", key_path=tmp_path / "k2", session_id="s")


async def test_concurrent_flushes_share_commits(tmp_path) -> None:
    """Group commit: runs ending together wait for one transaction, not one each."""
    import asyncio

    from orchestration_kernel.audit import AuditTrail

    trail = AuditTrail(tmp_path / "group.sqlite", flush_interval=30.0)
    commits = 0
    append = trail._store.append

    def counting(rows):
        nonlocal commits
        commits += 1
        return append(rows)

    trail._store.append = counting

    async def run(i: int) -> str:
        trail.record("run_end", run_id=f"r{i}", status="done")
        return await trail.aflush()

    heads = await asyncio.gather(*(run(i) for i in range(50)))
    assert len(trail.to_dataframe(event="run_end")) == 50  # every run's row is committed
    assert commits < 50
    assert heads[-1] == trail.head_hash and trail.verify().ok
    trail.close()


async def test_a_failed_group_commit_fails_its_waiters(tmp_path) -> None:
    from orchestration_kernel.audit import AuditTrail
    from orchestration_kernel.errors import OrchestrationError

    trail = AuditTrail(tmp_path / "broken.sqlite", flush_interval=30.0)

    def broken(rows):
        raise RuntimeError("disk full")

    working = trail._store.append
    trail._store.append = broken
    trail.record("run_end", run_id="r", status="done")
    with pytest.raises(OrchestrationError, match="disk full"):
        await trail.aflush()
    with pytest.raises(OrchestrationError, match="disk full"):  # stuck: fails fast
        await trail.aflush()
    trail._store.append = working  # the disk is back: the writer retries by itself
    # The retries back off to a few seconds at most.
    await until(lambda: trail.write_error is None, "the writer retried by itself")
    assert await trail.aflush() and len(trail.to_dataframe()) == 1
    trail.close()


def test_a_backlog_commits_in_bounded_batches_in_order(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "a.sqlite", session_id="s", flush_interval=60)
    trail._writer.batch_size = 10
    sizes: list[int] = []
    real = trail._store.append

    def counting(rows):
        sizes.append(len(rows))
        return real(rows)

    trail._store.append = counting
    for i in range(35):
        trail.record("call", run_id=f"r{i:02d}")
    trail.flush()
    assert sizes == [10, 10, 10, 5]  # one transaction per batch, none unbounded
    assert list(trail.to_dataframe().run_id) == [f"r{i:02d}" for i in range(35)]
    assert trail.verify().ok
    trail.close()
