"""The Guardian's stage has its own audit column; a table made before it existed gains it,
and its old rows still verify."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestration_kernel import OrchestrationEngine
from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.store import SCHEMA_VERSION


def test_guardian_rows_carry_the_stage_not_in_status(tmp_path: Path) -> None:
    engine = OrchestrationEngine(offline="on", audit=tmp_path / "a.sqlite")
    address = "ann" + "@" + "corp.example.com"
    engine.complete_sync("gpt-4o", f"Write to {address}", run_id="r1")
    rows = engine.audit.to_dataframe(run="r1", event="guardian")
    assert set(rows["stage"]) == {"input", "output"}
    assert not set(rows["status"]) & {"input", "output"}
    assert set(rows["status"]) <= {"ok", "blocked"}
    assert engine.audit.verify().ok


def test_an_old_table_gains_the_column_and_still_verifies(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    trail = AuditTrail(path)
    for i in range(3):
        trail.record("call", run_id="old", attempt=i, status="ok")
    trail.flush()
    trail.close()
    with sqlite3.connect(path) as conn:  # as written by schema 2, before the column
        conn.execute("ALTER TABLE audit_events DROP COLUMN stage")
        conn.execute("UPDATE audit_meta SET value = '2' WHERE key = 'schema_version'")
    trail = AuditTrail(path)
    trail.record("guardian", run_id="new", stage="input", status="ok", guardian_action="allow")
    trail.flush()
    assert trail.verify().ok
    frame = trail.to_dataframe()
    assert list(frame["stage"].fillna("")) == ["", "", "", "input"]
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM audit_meta WHERE key = 'schema_version'")
        assert version.fetchone()[0] == str(SCHEMA_VERSION)  # every migration ran
    trail.close()
