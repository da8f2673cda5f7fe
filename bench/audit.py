"""7. Audit: write throughput with the hash chain, and exporting 100,000 rows.

Rows are typical ``call`` events (ids, model, tokens, cost, a ~200-character prompt, a
~300-character response, a small ``detail``, request material for the keyed hash).
Throughput is rows over the time of ``record()`` for a batch plus the ``flush()`` that
commits it (redacted, hashed, chained, in SQLite); the keyword arguments are built
before the clock starts (they are the caller's work, not the writer's). It is measured
without a redactor given (so with the credential floor, ``guardian/secrets_only.py``: the
rows of a ``guardian=False`` engine), and again with the Guardian's redactor (the default
engine's rows; each prompt here is new to it, so its memo does not answer). Then
the whole trail (``audit_rows`` rows) is read into a DataFrame, exported to Parquet and
its chain verified, several times, each a fresh read (nothing is cached between them),
and the floors under those reads measured on the same rows (``export.floors``: SQLite
visiting every cell, the stdlib cursor fetching them, the chain walk's rows fetched), and
``export.arrow_table_s``: the whole trail into Arrow through the private snapshot, the
part of the DataFrame and Parquet times spent before typing (pandas for the frame; Arrow
itself for the whole trail's Parquet, ``audit.columnar``), and ``export.snapshot_copy_s``:
the private copy alone, the part of that and of ``verify_s`` before the driver reads.

The durability settings are compared last, interleaved batch by batch in one process
(two fresh trails, one ``synchronous="FULL"`` — the default — and one ``"NORMAL"`` —
the opt-in: a commit survives a killed process, not a power cut), so that load on the
machine weighs on both alike.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Unavailable, component
from bench.sizes import Sizes
from bench.stats import summarize

__all__ = ["measure"]

_PROMPT = "Summarise the quarterly report for the board, focusing on revenue and risk. " * 3
_RESPONSE = "Revenue grew 12% quarter on quarter; the main risks are supplier concentration. " * 4


def _row(i: int) -> dict[str, Any]:
    return {
        "run_id": f"run{i // 10:08d}", "pipeline": "bench", "step": f"step{i % 3}",
        "session_id": "bench-session", "provider": "openai", "model": "openai:gpt-4o-mini",
        "response_model": "gpt-4o-mini", "attempt": 1, "status": "ok", "latency_ms": 412.5,
        "ttft_ms": 120.25, "input_tokens": 57, "output_tokens": 80, "cost_usd": 0.000123,
        "guardian_action": "allow", "detail": {"deployment": "openai:gpt-4o-mini#0", "n": i},
        "prompt": f"{_PROMPT} #{i}", "response": _RESPONSE, "request_material": f"material {i}",
    }  # fmt: skip


def _write(trail: Any, rows: int, batches: int) -> dict[str, Any]:
    per_batch = max(1, rows // batches)
    eps, record_us = [], []
    for b in range(batches):
        start = b * per_batch
        given = [_row(i) for i in range(start, start + per_batch)]
        t = time.perf_counter()
        for columns in given:
            trail.record("call", **columns)
        recorded = time.perf_counter()
        trail.flush()
        done = time.perf_counter()
        eps.append(per_batch / (done - t))
        record_us.append((recorded - t) * 1e6 / per_batch)
    return {"events_per_s": summarize(eps), "record_us": summarize(record_us),
            "rows": per_batch * batches}  # fmt: skip


def _write_interleaved(trail_cls: Any, folder: Path, rows: int, batches: int) -> dict[str, Any]:
    """Writer throughput under each durability setting, alternating batches."""
    settings = ("FULL", "NORMAL")
    trails = {
        s: trail_cls(folder / f"sync-{s}.sqlite", key_path=folder / "audit.key", synchronous=s)
        for s in settings
    }
    parts: dict[str, list[dict[str, Any]]] = {s: [] for s in settings}
    per_batch = max(1, rows // batches)
    for trail in trails.values():
        _write(trail, min(per_batch, 1000), 1)  # warm-up: schema, caches
    for _ in range(batches):
        for s, trail in trails.items():
            parts[s].append(_write(trail, per_batch, 1))
    for trail in trails.values():
        trail.close()
    return {
        s: {
            "events_per_s": summarize([p["events_per_s"]["p50"] for p in got]),
            "record_us": summarize([p["record_us"]["p50"] for p in got]),
            "rows": per_batch * batches,
        }
        for s, got in parts.items()
    }


def _exports(trail: Any, folder: Path, runs: int) -> dict[str, Any]:
    frame_s, parquet_s, verify_s = [], [], []
    rows = len(trail.to_dataframe())  # warm-up: pandas and pyarrow imported, caches hot
    trail.export(folder / "warm.parquet")
    # verify() gets the same warm-up as the other reads: a process's first one takes
    # 15-18k page faults against 0.7-4k later, and with seven runs the interval is the
    # min-max range, so the cold first run set its upper bound (session 16's finding).
    trail.verify()
    for r in range(runs):
        t = time.perf_counter()
        trail.to_dataframe()
        frame_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        trail.export(folder / f"rows-{r}.parquet")
        parquet_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        ok = bool(getattr(trail.verify(), "ok", True))
        verify_s.append(time.perf_counter() - t)
    return {"rows": rows, "dataframe_s": summarize(frame_s), "parquet_s": summarize(parquet_s),
            "verify_s": summarize(verify_s), "verify_ok": ok, "floors": _floors(trail.path, runs),
            "arrow_table_s": _arrow_table(trail, runs),
            "snapshot_copy_s": _snapshot_copy(trail, runs)}  # fmt: skip


def _arrow_table(trail: Any, runs: int) -> dict[str, Any] | None:
    """The part of ``dataframe_s`` and ``parquet_s`` spent before typing where the whole
    trail is read through a private snapshot into Arrow (``audit.snapshot``): the copy
    plus the driver's read. ``None`` for a library without that path (or not taking it)."""
    try:
        read = component("orchestration_kernel.audit.snapshot", "read_whole_trail")
    except Unavailable:
        return None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        table = read(trail._store)
        times.append(time.perf_counter() - t)
        if table is None:
            return None
    return summarize(times)


def _snapshot_copy(trail: Any, runs: int) -> dict[str, Any] | None:
    """The private copy alone (``snapshot.copy_into``: the kernel copies the file when it
    alone holds the snapshot, ``audit.settled_copy``, else SQLite's backup API): the part of
    ``arrow_table_s`` and ``verify_s`` before the driver reads a row. ``None`` for a
    library without it."""
    try:
        private_copy = component("orchestration_kernel.audit.snapshot", "private_copy")
        copy_into = component("orchestration_kernel.audit.snapshot", "copy_into")
    except Unavailable:
        return None
    times = []
    for _ in range(runs):
        with private_copy() as copy, trail._store.reading() as conn:
            t = time.perf_counter()
            copied = copy_into(conn, copy)
            times.append(time.perf_counter() - t)
        if not copied:
            return None
    return summarize(times)


def _floors(path: str, runs: int) -> dict[str, Any]:
    """What any reader going through the stdlib's SQLite (the only one in the process)
    spends on the same rows before typing anything, interleaved with nothing else:

    * ``sqlite_scan_s``: SQLite visiting every cell of every row, no Python object made
      (``count(column)`` for each column): the floor of anything SQL-side;
    * ``cursor_fetch_s``: ``fetchall()`` of the rows ``to_dataframe`` reads (one Python
      object per cell): the floor of a frame built from the cursor;
    * ``verify_fetch_s``: ``fetchall()`` of the rows the chain walk reads (its messages
      rendered by SQLite, floats left to Python), before any formatting or MAC.
    """
    import importlib
    import sqlite3

    columns = component("orchestration_kernel.audit.store", "ALL_COLUMNS")
    select_sql = component("orchestration_kernel.audit.query", "select_sql")
    verify = importlib.import_module("orchestration_kernel.audit.verify")
    messages = getattr(verify, "_MESSAGES", None)  # the walk's query, where there is one
    sql, params = select_sql()
    scan = f"SELECT {', '.join(f'count({c})' for c in columns)} FROM audit_events"
    times: dict[str, list[float]] = {
        "sqlite_scan_s": [],
        "cursor_fetch_s": [],
        "verify_fetch_s": [],
    }
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for _ in range(runs):
            for name, query, args in (
                ("sqlite_scan_s", scan, ()),
                ("cursor_fetch_s", sql, tuple(params)),
                ("verify_fetch_s", messages, (0, 2**63 - 1)),
            ):
                if query is None:
                    continue
                t = time.perf_counter()
                conn.execute(query, args).fetchall()
                times[name].append(time.perf_counter() - t)
    finally:
        conn.close()
    return {name: summarize(got) for name, got in times.items() if got}


def measure(sizes: Sizes, options: dict[str, Any]) -> dict[str, Any]:
    """Events/s written (with and without the redactor) and export times."""
    trail_cls = component("orchestration_kernel.audit", "AuditTrail")
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        folder = Path(tmp)
        trail = trail_cls(folder / "audit.sqlite", key_path=folder / "audit.key")
        _write(trail, sizes.warmup * 10, 1)
        plain = _write(trail, sizes.audit_rows - sizes.warmup * 10, sizes.audit_batches)
        exports = _exports(trail, folder, sizes.audit_export_runs)
        trail.close()
        redacted: dict[str, Any] | None = None
        try:
            guardian = component("orchestration_kernel.guardian", "Guardian")()
            other = trail_cls(folder / "redacted.sqlite", key_path=folder / "audit.key",
                              redactor=guardian.redact)  # fmt: skip
            rows = max(sizes.audit_batches, sizes.audit_rows // 5)
            redacted = _write(other, rows, sizes.audit_batches)
            other.close()
        except Exception as exc:  # the Guardian is optional here
            redacted = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        try:
            rows = max(sizes.audit_batches, sizes.audit_rows // 5)
            durability = _write_interleaved(trail_cls, folder, rows, sizes.audit_batches)
        except TypeError as exc:  # a trail without the synchronous= setting
            durability = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"write": plain, "write_with_redactor": redacted, "export": exports,
            "write_by_synchronous": durability}  # fmt: skip
