"""Storage figures for issue 14 (not a ``make bench`` section; run it on its own):

    .venv/bin/python -m bench.storage

* the bus: 10,000 small ``update_context`` calls — the file's size, and the time of each
  block of 1,000 (flat when a write costs the same at the end as at the start);
* the audit: one-row commits (one transaction and one fsync each) with and without
  the high-water mark file, which adds a small file write, an fsync and a rename.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["audit_mark_cost", "bus_context_growth"]


def bus_context_growth(folder: Path, updates: int = 10_000, block: int = 1_000) -> dict[str, Any]:
    """Size on disk and seconds per block of ``block`` updates."""
    from orchestration_kernel.bus import ContextBus

    path = folder / "bus.sqlite"
    bus = ContextBus(path, session_id="bench")
    blocks = []
    for b in range(updates // block):
        t = time.perf_counter()
        for i in range(b * block, (b + 1) * block):
            bus.update_context_sync({f"key{i}": f"value {i:06d} " + "x" * 40})
        blocks.append(time.perf_counter() - t)
    assert len(bus.get_context_sync()) == updates
    bus.close_sync()
    size = sum(p.stat().st_size for p in folder.glob("bus.sqlite*"))
    return {
        "updates": updates,
        "file_mb": round(size / 1e6, 2),
        "s_per_block": [round(s, 3) for s in blocks],
        "last_over_first": round(blocks[-1] / blocks[0], 2),
    }


def audit_mark_cost(folder: Path, commits: int = 300) -> dict[str, Any]:
    """Median ms of a one-row commit with and without the high-water mark, interleaved
    commit by commit so drift and caches favour neither; and µs per mark update."""
    from orchestration_kernel.audit import AuditTrail

    trails = {
        label: AuditTrail(folder / f"{label.replace(' ', '-')}.sqlite", session_id="bench")
        for label in ("with mark", "without mark")
    }
    mark = trails["with mark"]._store.mark
    trails["without mark"]._store.mark = None
    times: dict[str, list[float]] = {label: [] for label in trails}
    for i in range(commits):
        for label, trail in trails.items():
            trail.record("call", run_id=f"r{i}", prompt="p" * 200, response="r" * 300)
            t = time.perf_counter()
            trail.flush()
            times[label].append((time.perf_counter() - t) * 1000)
    assert mark is not None
    t = time.perf_counter()
    for i in range(1000):
        mark.advance(10**9 + i, "ab" * 32)
    advance_us = (time.perf_counter() - t) * 1000
    for trail in trails.values():
        trail.close()
    return {
        "commit_ms_p50": {k: round(statistics.median(v), 3) for k, v in times.items()},
        "mark_update_us": round(advance_us, 1),
        "commits": commits,
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        bus = Path(tmp) / "bus"
        bus.mkdir()
        audit = Path(tmp) / "audit"
        audit.mkdir()
        print(json.dumps({"bus": bus_context_growth(bus), "audit": audit_mark_cost(audit)}))
