"""The audit database against real processes: tampering seen from a fresh process,
SIGKILL mid-run, and two writer processes sharing one chain."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail

pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals and modes")

ROWS = 20

VERIFY = textwrap.dedent(
    """
    import json, sys
    from orchestration_kernel.audit import AuditTrail
    out = {}
    for db in sys.argv[2:]:
        with AuditTrail(db, key_path=sys.argv[1], session_id="verifier") as trail:
            r = trail.verify()
            runs = trail.to_dataframe(event="run_end")["run_id"].tolist()
        out[db] = {"ok": r.ok, "rows": r.rows, "first_broken": r.first_broken,
                   "reason": r.reason, "finished_runs": runs}
    print(json.dumps(out))
    """
)


def run_python(code: str, *args: str, timeout: float = 60) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def verify_in_fresh_process(key: Path, *dbs: Path) -> dict[str, dict]:
    return json.loads(run_python(VERIFY, str(key), *map(str, dbs)))


# -- tampering -------------------------------------------------------------------------


def untrigger(conn: sqlite3.Connection) -> None:
    """What a tamperer does first: drop the append-only triggers."""
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("DROP TRIGGER audit_events_no_delete")


def edit_row(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_events SET model = 'cheaper-model' WHERE seq = 7")


def delete_row(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq = 7")


def reorder_rows(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_events SET seq = -1 WHERE seq = 7")
    conn.execute("UPDATE audit_events SET seq = 7 WHERE seq = 8")
    conn.execute("UPDATE audit_events SET seq = 8 WHERE seq = -1")


def truncate_tail(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq > 15")


def recompute_without_key(conn: sqlite3.Connection) -> None:
    """Edit row 7, then rebuild every later hash and the anchor with plain SHA-256."""
    edit_row(conn)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(audit_events)")]
    prev = conn.execute("SELECT hash FROM audit_events WHERE seq = 6").fetchone()[0]
    for row in conn.execute("SELECT * FROM audit_events WHERE seq >= 7 ORDER BY seq").fetchall():
        values = dict(zip(cols, row, strict=True))
        body = json.dumps([values[c] for c in cols[1:-2]], separators=(",", ":"))
        digest = hashlib.sha256(f"row|{prev}|{values['seq']}|{body}".encode()).hexdigest()
        conn.execute(
            "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?",
            (prev, digest, values["seq"]),
        )
        prev = digest
    conn.execute("UPDATE audit_anchor SET head_hash = ?", (prev,))


def drop_anchor(conn: sqlite3.Connection) -> None:
    truncate_tail(conn)
    conn.execute("DELETE FROM audit_anchor")


def forge_anchor(conn: sqlite3.Connection) -> None:
    truncate_tail(conn)
    head = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC").fetchone()
    conn.execute("UPDATE audit_anchor SET seq = ?, head_hash = ?", head)


TAMPERS: dict[str, tuple[Callable[[sqlite3.Connection], None], int]] = {
    # name: (what is done to the file, the seq verify must name as first broken)
    "edited row": (edit_row, 7),
    "deleted row": (delete_row, 7),
    "reordered rows": (reorder_rows, 7),
    "truncated tail": (truncate_tail, 16),
    "chain recomputed without the key": (recompute_without_key, 7),
    "anchor deleted": (drop_anchor, 15),
    "anchor forged": (forge_anchor, 15),
}


@pytest.fixture(scope="module")
def tampered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One intact database, a tampered copy per kind, all verified by one fresh process."""
    base = tmp_path_factory.mktemp("tamper")
    key = base / "audit.key"
    with AuditTrail(base / "intact.sqlite", key_path=key, session_id="s") as trail:
        for i in range(ROWS):
            trail.record("call", run_id=f"r{i // 5}", model="gpt-4o", attempt=i, prompt=f"p{i}")
    copies = {}
    for name, (tamper, _) in TAMPERS.items():
        copy = base / (name.replace(" ", "_") + ".sqlite")
        shutil.copy(base / "intact.sqlite", copy)
        conn = sqlite3.connect(copy, isolation_level=None)
        untrigger(conn)
        tamper(conn)
        conn.close()
        copies[name] = copy
    results = verify_in_fresh_process(key, base / "intact.sqlite", *copies.values())
    return {"intact": results[str(base / "intact.sqlite")]} | {
        name: results[str(path)] for name, path in copies.items()
    }


def test_the_intact_copy_verifies(tampered: dict[str, dict]):
    assert tampered["intact"]["ok"] and tampered["intact"]["rows"] == ROWS


@pytest.mark.parametrize("kind", list(TAMPERS))
def test_tampering_is_caught_at_the_first_broken_link(tampered: dict[str, dict], kind: str):
    report = tampered[kind]
    assert report["ok"] is False, report
    assert report["first_broken"] == TAMPERS[kind][1], report
    assert report["reason"]


def test_writing_after_a_truncation_keeps_the_gap_visible(tmp_path: Path):
    key = tmp_path / "k"
    with AuditTrail(tmp_path / "a.sqlite", key_path=key, session_id="s") as trail:
        for i in range(10):
            trail.record("call", attempt=i)
    conn = sqlite3.connect(tmp_path / "a.sqlite", isolation_level=None)
    untrigger(conn)
    conn.execute("DELETE FROM audit_events WHERE seq > 6")
    conn.close()
    with AuditTrail(tmp_path / "a.sqlite", key_path=key, session_id="s") as trail:
        trail.record("run_start")  # chains from the anchor, not from the cut tail
        report = trail.verify()
    assert not report.ok and report.first_broken == 7


# -- SIGKILL mid-run ---------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from orchestration_kernel.audit import AuditTrail
    trail = AuditTrail(sys.argv[1], key_path=sys.argv[2], session_id="victim",
                       flush_interval=0.05, synchronous=sys.argv[3])
    i = 0
    while True:
        run = f"run-{i}"
        trail.record("run_start", run_id=run)
        for attempt in range(30):
            trail.record("call", run_id=run, attempt=attempt, status="ok",
                         prompt="p" * 200, response="r" * 200)
            if attempt == 15:
                time.sleep(0.005)  # linger mid-run, so the kill tends to land here
        trail.record("run_end", run_id=run, status="ok")
        trail.flush()  # the engine's end-of-run commit point
        print(run, flush=True)
        i += 1
    """
)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])  # NORMAL: a killed process too
def test_sigkill_mid_run_loses_no_finished_run(tmp_path: Path, synchronous: str):
    db, key = tmp_path / "audit.sqlite", tmp_path / "audit.key"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(key), synchronous],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    returned: list[str] = []
    try:
        assert child.stdout is not None
        while len(returned) < 8:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "writer died"
            returned.append(line.strip())
        time.sleep(0.003)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    report = verify_in_fresh_process(key, db)[str(db)]
    assert report["ok"], report
    assert set(returned) <= set(report["finished_runs"])


# -- two writer processes ----------------------------------------------------------------

RACER = textwrap.dedent(
    """
    import os, sys, time
    from orchestration_kernel.audit import AuditTrail
    db, key, me, other, first, turns = sys.argv[1:7]
    trail = AuditTrail(db, key_path=key, session_id=me, identity=me, flush_interval=0.01)

    def wait_for(path):
        deadline = time.monotonic() + 60
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                sys.exit(f"{me}: no turn token {path}")
            time.sleep(0.002)

    # A turnstile: each writer commits a batch of 50, then hands the turn to the other, so
    # the two chains' appends really interleave on every run, whatever the machine's load.
    for batch in range(8):
        if not (me == first and batch == 0):
            wait_for(os.path.join(turns, f"{me}-{batch}"))
        for i in range(batch * 50, (batch + 1) * 50):
            trail.record("call", run_id=me, attempt=i, prompt=f"{me} {i}")
        trail.flush()
        next_batch = batch + 1 if me != first else batch
        open(os.path.join(turns, f"{other}-{next_batch}"), "w").close()
    trail.close()
    """
)


@pytest.mark.timeout(120)
def test_two_writer_processes_keep_one_valid_chain(tmp_path: Path):
    db, key, turns = tmp_path / "audit.sqlite", tmp_path / "audit.key", tmp_path / "turns"
    turns.mkdir()
    AuditTrail(db, key_path=key, session_id="setup").close()  # create schema and key once
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(db), str(key), me, other, "alpha", str(turns)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (("alpha", "beta"), ("beta", "alpha"))
    ]
    for w in writers:
        assert w.wait(90) == 0, w.stderr.read() if w.stderr else ""
    report = verify_in_fresh_process(key, db)[str(db)]
    assert report["ok"] and report["rows"] == 800, report
    with AuditTrail(db, key_path=key, session_id="check") as trail:
        frame = trail.to_dataframe()
    for name in ("alpha", "beta"):
        assert frame.loc[frame["identity"] == name, "attempt"].tolist() == list(range(400))
    writers_in_order = frame.loc[frame["event"] == "call", "identity"].tolist()
    turns = [name for name, _ in itertools.groupby(writers_in_order)]
    assert turns == ["alpha", "beta"] * 8  # the interleaving the turnstile forces
