"""A home written by commit 540279b (kept in tests/fixtures) opens, migrates and still
verifies; its bus keeps every message, offset, context version and turn (issue 14,
item 10)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from orchestration_kernel.audit import AuditTrail
from orchestration_kernel.audit.store import SCHEMA_VERSION as AUDIT_VERSION
from orchestration_kernel.bus import ContextBus
from orchestration_kernel.bus.sqlite import SCHEMA_VERSION as BUS_VERSION

FIXTURE = Path(__file__).parents[1] / "fixtures" / "home_540279b"


@pytest.fixture
def old_home(tmp_path: Path) -> Path:
    home = tmp_path / "old"
    shutil.copytree(FIXTURE, home)
    os.chmod(home / "audit.key", 0o600)  # git does not keep the mode
    return home


def meta(path: Path, table: str) -> dict[str, str]:
    conn = sqlite3.connect(path)
    rows = dict(conn.execute(f"SELECT key, value FROM {table}").fetchall())
    conn.close()
    return rows


def test_the_old_audit_migrates_and_still_verifies(old_home: Path) -> None:
    expected = json.loads((old_home / "expected.json").read_text())
    assert meta(old_home / "audit.sqlite", "audit_meta")["schema_version"] == "1"
    with AuditTrail(old_home / "audit.sqlite", key_path=old_home / "audit.key") as trail:
        report = trail.verify(expect_head=expected["audit_head"])
        assert report.ok and report.rows == expected["audit_rows"]
        assert len(trail.search("fixture prompt")) == 12
        trail.record("call", run_id="after-migration", prompt="new row")
    assert meta(old_home / "audit.sqlite", "audit_meta")["schema_version"] == str(AUDIT_VERSION)
    assert (old_home / "audit.sqlite.mark").exists()  # the mark starts at the upgrade
    with AuditTrail(old_home / "audit.sqlite", key_path=old_home / "audit.key") as trail:
        again = trail.verify(expect_head=expected["audit_head"])
        assert again.ok and again.rows == expected["audit_rows"] + 1


async def test_the_old_bus_migrates_keeping_everything(old_home: Path) -> None:
    expected = json.loads((old_home / "expected.json").read_text())
    bus = ContextBus(old_home / "bus.sqlite", session_id="fixture")
    history = await bus.context_history()
    assert [[v.version, v.data] for v in history] == expected["context_history"]
    assert await bus.get_context() == expected["context_history"][-1][1]
    turns = await bus.conversation()
    assert [[t["role"], t["content"]] for t in turns] == expected["turns"]
    sub = bus.subscribe("jobs.#", consumer="indexer")  # resumes after the old ack
    got = [(await sub.get(timeout=10)).seq for _ in range(expected["messages"] - 2)]
    assert got == list(range(expected["acked"] + 1, expected["messages"] + 1))
    await sub.aclose()
    await bus.update_context({"after": 1})
    assert (await bus.context_version()) == len(expected["context_history"]) + 1
    await bus.close()
    assert meta(old_home / "bus.sqlite", "bus_meta")["schema_version"] == str(BUS_VERSION)
    conn = sqlite3.connect(old_home / "bus.sqlite")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "contexts" not in tables  # the full copies are gone (and the file compacted)
